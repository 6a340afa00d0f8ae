// SPDX-License-Identifier: MIT
// Where events the store refuses for good are kept (private).
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "metered/usage_event.h"

namespace metered::detail {

/// Appends refused events to a JSON-lines file, one per line, each synced before write
/// returns: `{"at": "...", "reason": "...", "event": {...}}` (the event as eventJson writes
/// it: everything a replay needs, exactly), or, for a queued record that cannot be decoded,
/// `{"at", "reason", "raw": "<hex bytes>"}`. readDeadLetters (metered/dead_letters.h) reads it.
/// The file and its directory are created on first use. Used by one thread.
class DeadLetterFile {
public:
    explicit DeadLetterFile(std::filesystem::path path) : path_(std::move(path)) {}
    /// Writes one line; returns false (with `error` set) if the file cannot be written.
    bool write(const UsageEvent& event, std::string_view reason, std::string& error) const;
    bool writeRaw(std::span<const std::byte> bytes, std::string_view reason, std::string& error) const;
    const std::filesystem::path& path() const noexcept { return path_; }

private:
    bool append(const std::string& text, std::string& error) const;

    std::filesystem::path path_;
};

}  // namespace metered::detail
