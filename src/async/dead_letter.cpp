// SPDX-License-Identifier: MIT
#include "dead_letter.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "../event_json.h"
#include "../text_format.h"

namespace metered::detail {
namespace {

Json header(std::string_view reason) {
    Json line;
    line["at"] =
        isoTimestamp(std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now()));
    line["reason"] = std::string(reason);
    return line;
}

std::string dump(const Json& line) { return dumpExact(line, -1, Json::error_handler_t::replace) + "\n"; }

}  // namespace

bool DeadLetterFile::write(const UsageEvent& event, std::string_view reason, std::string& error) const {
    std::string text;
    try {
        auto line = header(reason);
        line["event"] = eventJson(event);
        text = dump(line);
    } catch (const std::exception& e) {  // never expected: the flusher must not stop on it
        error = std::string("cannot encode the event: ") + e.what();
        return false;
    }
    return append(text, error);
}

bool DeadLetterFile::writeRaw(std::span<const std::byte> bytes, std::string_view reason, std::string& error) const {
    auto line = header(reason);
    std::string hex;
    hex.reserve(bytes.size() * 2);
    for (std::byte b : bytes) fmt::format_to(std::back_inserter(hex), "{:02x}", static_cast<unsigned>(b));
    line["raw"] = std::move(hex);
    return append(dump(line), error);
}

bool DeadLetterFile::append(const std::string& text, std::string& error) const {
    std::error_code ec;
    if (path_.has_parent_path()) std::filesystem::create_directories(path_.parent_path(), ec);
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        const int err = errno;
        error = "cannot open dead-letter file " + path_.string() + ": " + std::generic_category().message(err);
        return false;
    }
    const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
    if (!ok) {
        const int err = errno;
        error = "cannot write dead-letter file " + path_.string() + ": " + std::generic_category().message(err);
    }
    ::close(fd);
    return ok;
}

}  // namespace metered::detail
