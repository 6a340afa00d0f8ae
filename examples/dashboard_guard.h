// SPDX-License-Identifier: MIT
// What keeps billing_dashboard up and its data to itself, whatever a client sends:
//   - GuardedServer: at most `max_connections` connections at once (one worker thread
//     each; the excess is answered 503 and closed at once), and a whole-request deadline
//     (a request's line, headers and body must all arrive within `request_timeout` of its
//     first byte; cpp-httplib's own timeout is per recv only, which a client dribbling a
//     header line every few seconds never trips);
//   - RequestPolicy: the Host a request names must be this server's (DNS rebinding), a
//     state-changing request must come from this origin (CSRF) as a form;
//   - safeJsonError: an error response that cannot throw, with the text sanitised.
#pragma once

#include <httplib.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace dashboard {

/// `text` as printable UTF-8 of at most `max_bytes` bytes: invalid bytes become U+FFFD,
/// control characters '?', and a longer text is cut at a character boundary with "…".
std::string sanitized(std::string_view text, std::size_t max_bytes = 200);

/// Sets `res` to `{"success":false,"error":message}` with `status`. Never throws: the text
/// is sanitised, the JSON dumped with invalid UTF-8 replaced, and a fixed body is the last
/// resort. A 400 also says `Connection: close`: GuardedServer closes the connection after
/// one, and a keep-alive client told so does not send its next request into a closed socket.
void safeJsonError(httplib::Response& res, int status, std::string_view message) noexcept;

/// The security headers every response carries (page, API and errors alike).
httplib::Headers securityHeaders();

/// Which requests reach the routes: the Host check for all, the origin and form checks
/// for state-changing methods. Install with `install(server)` after binding.
class RequestPolicy {
public:
    /// `bound_host` is the --host address, `port` the bound port, `extra_hosts` the
    /// --allowed-host names (each allowed bare or with ":<port>").
    RequestPolicy(const std::string& bound_host, int port, const std::vector<std::string>& extra_hosts);

    /// 0 when `req` may be routed, or the status to refuse it with, and `why`.
    int check(const httplib::Request& req, std::string& why) const;

    void install(httplib::Server& server) const;

private:
    bool allowedHost(std::string_view host) const;
    int checkWrite(const httplib::Request& req, std::string& why) const;

    std::vector<std::string> hosts_;  // lower case, each "name:port"
};

/// A cpp-httplib server with a bounded number of connections and a deadline per request.
class GuardedServer : public httplib::Server {
public:
    struct Limits {
        std::size_t max_connections = 32;
        std::chrono::milliseconds request_timeout{10'000};    ///< whole request, from its first byte
        std::chrono::milliseconds io_timeout{5'000};          ///< each read or write
        std::chrono::milliseconds keep_alive_timeout{5'000};  ///< idle between requests
        std::size_t keep_alive_max_count = 100;
    };
    /// Installs its own logger (set_logger): it watches each response's status.
    explicit GuardedServer(Limits limits);

private:
    // cpp-httplib (0.11) calls this virtual for each accepted socket, on a worker of
    // new_task_queue. Ours serves the socket's requests through a DeadlineStream.
    bool process_and_close_socket(socket_t sock) override;

    Limits limits_;
};

}  // namespace dashboard
