// SPDX-License-Identifier: MIT
#include "dashboard_guard.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <nlohmann/json.hpp>

namespace dashboard {
namespace {

using SteadyClock = std::chrono::steady_clock;

// ---- text -----------------------------------------------------------------------------

// Length of the valid UTF-8 sequence at the start of `s`, or 0.
std::size_t utf8Length(std::string_view s) {
    const auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    const auto cont = [&](std::size_t i) { return i < s.size() && (b(i) & 0xC0) == 0x80; };
    const unsigned char c = b(0);
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (!cont(1) || !cont(2)) return 0;
        if (c == 0xE0 && b(1) < 0xA0) return 0;   // overlong
        if (c == 0xED && b(1) >= 0xA0) return 0;  // surrogate
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (!cont(1) || !cont(2) || !cont(3)) return 0;
        if (c == 0xF0 && b(1) < 0x90) return 0;   // overlong
        if (c == 0xF4 && b(1) >= 0x90) return 0;  // above U+10FFFF
        return 4;
    }
    return 0;
}

// ---- connections ------------------------------------------------------------------------

// Set on the accepting thread while a connection over the limit is being refused.
thread_local bool refusing_connection = false;
// The status of the response a worker thread wrote last (set through the server's logger).
thread_local int last_status = 0;

// A worker per connection, up to a limit; the connection over it is refused on the spot
// (GuardedServer::process_and_close_socket answers 503 and closes it) instead of waiting
// in a queue behind slow clients.
class BoundedTaskQueue final : public httplib::TaskQueue {
public:
    explicit BoundedTaskQueue(std::size_t max_connections) : pool_(max_connections), max_(max_connections) {}

    void enqueue(std::function<void()> serve) override {
        if (active_.fetch_add(1) >= max_) {
            active_.fetch_sub(1);
            refusing_connection = true;
            serve();  // refuses: a 503 written without blocking, then closed
            refusing_connection = false;
            return;
        }
        pool_.enqueue([this, serve = std::move(serve)] {
            serve();
            active_.fetch_sub(1);
        });
    }
    void shutdown() override { pool_.shutdown(); }

private:
    httplib::ThreadPool pool_;
    std::size_t max_;
    std::atomic<std::size_t> active_{0};
};

// Waits until `sock` is ready for `events` or `timeout` passes; false on timeout or error.
bool waitFor(int sock, short events, std::chrono::milliseconds timeout) {
    if (timeout.count() <= 0) return false;
    pollfd pfd{sock, events, 0};
    int ready;
    do {
        ready = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
    } while (ready < 0 && errno == EINTR);
    return ready > 0;
}

void addressOf(int sock, bool peer, std::string& ip, int& port) {
    sockaddr_storage address{};
    socklen_t length = sizeof(address);
    auto* raw = reinterpret_cast<sockaddr*>(&address);
    if ((peer ? ::getpeername(sock, raw, &length) : ::getsockname(sock, raw, &length)) != 0) return;
    char text[INET6_ADDRSTRLEN] = {};
    if (address.ss_family == AF_INET) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(&address);
        ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
        port = ntohs(in->sin_port);
    } else if (address.ss_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address);
        ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
        port = ntohs(in6->sin6_port);
    }
    ip = text;
}

// A socket whose reads all end at one deadline: the whole request must arrive by then,
// however the client spaces its bytes. Writes have their own per-call timeout.
class DeadlineStream final : public httplib::Stream {
public:
    DeadlineStream(int sock, SteadyClock::time_point deadline, std::chrono::milliseconds io_timeout)
        : sock_(sock), deadline_(deadline), io_timeout_(io_timeout) {}

    bool is_readable() const override { return waitFor(sock_, POLLIN, readTimeout()); }
    bool is_writable() const override { return waitFor(sock_, POLLOUT, io_timeout_); }
    ssize_t read(char* ptr, size_t size) override {
        if (!is_readable()) return -1;
        ssize_t n;
        do n = ::recv(sock_, ptr, size, 0);
        while (n < 0 && errno == EINTR);
        return n;
    }
    ssize_t write(const char* ptr, size_t size) override {
        if (!is_writable()) return -1;
        ssize_t n;
        do n = ::send(sock_, ptr, size, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        return n;
    }
    void get_remote_ip_and_port(std::string& ip, int& port) const override { addressOf(sock_, true, ip, port); }
    void get_local_ip_and_port(std::string& ip, int& port) const override { addressOf(sock_, false, ip, port); }
    socket_t socket() const override { return sock_; }

    /// True once the deadline has passed.
    bool expired() const noexcept { return SteadyClock::now() >= deadline_; }

private:
    std::chrono::milliseconds readTimeout() const {
        // Rounded up, so that a wait cut short by the deadline ends at or after it.
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline_ - SteadyClock::now());
        return std::min(left, io_timeout_);
    }

    int sock_;
    SteadyClock::time_point deadline_;
    std::chrono::milliseconds io_timeout_;
};

// A fixed 503, sent without blocking (a fresh socket's send buffer is empty).
void refuseBusy(int sock) {
    static const std::string busy = [] {
        const std::string body = R"({"success":false,"error":"too many connections"})";
        return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\nConnection: close\r\nRetry-After: 1\r\n\r\n" + body;
    }();
    (void)::send(sock, busy.data(), busy.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string trimmed(std::string_view text) {
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string_view::npos) return {};
    return std::string(text.substr(first, text.find_last_not_of(" \t") - first + 1));
}

}  // namespace

std::string sanitized(std::string_view text, std::size_t max_bytes) {
    std::string out;
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t length = utf8Length(text.substr(i));
        std::string_view piece = length ? text.substr(i, length) : std::string_view("\xEF\xBF\xBD");  // U+FFFD
        if (length == 1 && (static_cast<unsigned char>(piece[0]) < 0x20 || piece[0] == 0x7F)) piece = "?";
        if (out.size() + piece.size() > max_bytes) return out + "\xE2\x80\xA6";  // …
        out += piece;
        i += length ? length : 1;
    }
    return out;
}

void safeJsonError(httplib::Response& res, int status, std::string_view message) noexcept {
    res.status = status;
    try {
        if (status == 400) res.set_header("Connection", "close");  // process_and_close_socket closes it
        const nlohmann::json body{{"success", false}, {"error", sanitized(message)}};
        res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
    } catch (...) {
        try {
            res.set_content(R"({"success":false,"error":"request refused"})", "application/json");
        } catch (...) {}
    }
}

httplib::Headers securityHeaders() {
    return {{"Content-Security-Policy",
             "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
             "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"},
            {"X-Frame-Options", "DENY"},
            {"X-Content-Type-Options", "nosniff"},
            {"Referrer-Policy", "no-referrer"},
            {"Cache-Control", "no-store"}};
}

// ---- requests ---------------------------------------------------------------------------

RequestPolicy::RequestPolicy(const std::string& bound_host, int port, const std::vector<std::string>& extra_hosts) {
    const std::string suffix = ":" + std::to_string(port);
    auto allow = [&](const std::string& name) { hosts_.push_back(lower(name) + suffix); };
    // The address served, as literal; a loopback server also answers to "localhost".
    allow(bound_host.find(':') != std::string::npos ? "[" + bound_host + "]" : bound_host);
    if (bound_host == "127.0.0.1" || bound_host == "::1" || bound_host == "localhost") {
        allow("localhost");
        allow("127.0.0.1");
        allow("[::1]");
    }
    for (const auto& name : extra_hosts) {
        hosts_.push_back(lower(name));  // as given (with its port, or for a proxy on port 80)
        allow(name);
    }
}

bool RequestPolicy::allowedHost(std::string_view host) const {
    return std::find(hosts_.begin(), hosts_.end(), lower(host)) != hosts_.end();
}

int RequestPolicy::check(const httplib::Request& req, std::string& why) const {
    const auto hosts = req.get_header_value_count("Host");
    if (hosts != 1 || !allowedHost(req.get_header_value("Host"))) {
        why = "this server does not answer for that Host";
        return 421;  // Misdirected Request: a DNS-rebound name, or a typo
    }
    if (req.method == "GET" || req.method == "HEAD") return 0;
    return checkWrite(req, why);
}

// A state-changing request: same origin (when the client says where it comes from, as
// every current browser does), and a form.
int RequestPolicy::checkWrite(const httplib::Request& req, std::string& why) const {
    if (req.has_header("Sec-Fetch-Site") && lower(req.get_header_value("Sec-Fetch-Site")) != "same-origin") {
        why = "cross-site requests may not change data";
        return 403;
    }
    if (req.has_header("Origin") &&
        lower(req.get_header_value("Origin")) != "http://" + lower(req.get_header_value("Host"))) {
        why = "cross-origin requests may not change data";
        return 403;
    }
    const auto type = req.get_header_value("Content-Type");
    if (lower(trimmed(std::string_view(type).substr(0, type.find(';')))) != "application/x-www-form-urlencoded") {
        why = "the body must be application/x-www-form-urlencoded";
        return 415;
    }
    return 0;
}

void RequestPolicy::install(httplib::Server& server) const {
    server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
        std::string why;
        const int status = check(req, why);
        if (status == 0) return httplib::Server::HandlerResponse::Unhandled;
        safeJsonError(res, status, why);
        return httplib::Server::HandlerResponse::Handled;
    });
}

// ---- server -----------------------------------------------------------------------------

GuardedServer::GuardedServer(Limits limits) : limits_(limits) {
    const std::size_t max_connections = std::max<std::size_t>(1, limits_.max_connections);
    new_task_queue = [max_connections] { return new BoundedTaskQueue(max_connections); };
    set_keep_alive_max_count(limits_.keep_alive_max_count);
    // cpp-httplib calls the logger after writing each response, on the connection's thread.
    set_logger([](const httplib::Request&, const httplib::Response& res) { last_status = res.status; });
}

bool GuardedServer::process_and_close_socket(socket_t sock) {
    bool ok = false;
    try {
        if (refusing_connection) {
            refuseBusy(sock);
        } else {
            // Requests on this connection, each with its own deadline from its first byte.
            // The connection is closed when idle for keep_alive_timeout, after a request
            // that went past its deadline, and after a malformed request (400: a late
            // request gets the 400 cpp-httplib answers a failed read with; what follows
            // a malformed request cannot be trusted to be a request).
            for (std::size_t served = 0; served < limits_.keep_alive_max_count; ++served) {
                if (!waitFor(sock, POLLIN, limits_.keep_alive_timeout)) break;
                DeadlineStream stream(sock, SteadyClock::now() + limits_.request_timeout, limits_.io_timeout);
                bool closed = false;
                last_status = 0;
                ok = process_request(stream, served + 1 == limits_.keep_alive_max_count, closed, nullptr);
                if (!ok || closed || stream.expired() || last_status == 400) break;
            }
        }
    } catch (...) {
        ok = false;  // nothing a connection does may end the process
    }
    ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
    return ok;
}

}  // namespace dashboard
