// SPDX-License-Identifier: MIT
#include "dead_letter.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "../text_format.h"

namespace metered::detail {

bool DeadLetterFile::write(const UsageEvent& event, std::string_view reason, std::string& error) const {
    if (!path_) return true;
    nlohmann::ordered_json line;
    line["at"] = isoTimestamp(std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now()));
    line["reason"] = std::string(reason);
    line["event"] = {{"id", event.id.toString()},
                     {"business_id", event.business.toString()},
                     {"event_type", event.type.toString()},
                     {"quantity", event.quantity.toString()},
                     {"unit_price", event.unit_price.toString()},
                     {"occurred_at", isoTimestamp(event.occurred_at)},
                     {"metadata", nlohmann::ordered_json::parse(event.metadata.toJson())}};
    const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    const int fd = ::open(path_->c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        error = "cannot open dead-letter file " + path_->string() + ": " + std::strerror(errno);
        return false;
    }
    const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
    if (!ok) error = "cannot write dead-letter file " + path_->string() + ": " + std::strerror(errno);
    ::close(fd);
    return ok;
}

}  // namespace metered::detail
