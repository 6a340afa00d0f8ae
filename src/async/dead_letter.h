// SPDX-License-Identifier: MIT
// Where events the store refuses for good are kept (private).
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

#include "metered/usage_event.h"

namespace metered::detail {

/// Appends refused events to a JSON-lines file, one per line:
/// `{"at": "...", "reason": "...", "event": {"id", "business_id", "event_type", "quantity",
/// "unit_price", "occurred_at", "metadata"}}` (decimals as exact strings). Without a path
/// it keeps nothing (the caller counts and logs). Used by one thread.
class DeadLetterFile {
public:
    explicit DeadLetterFile(std::optional<std::filesystem::path> path) : path_(std::move(path)) {}
    /// Writes one line; returns false (with `error` set) if the file cannot be written.
    bool write(const UsageEvent& event, std::string_view reason, std::string& error) const;
    const std::optional<std::filesystem::path>& path() const noexcept { return path_; }

private:
    std::optional<std::filesystem::path> path_;
};

}  // namespace metered::detail
