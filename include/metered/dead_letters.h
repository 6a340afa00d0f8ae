// SPDX-License-Identifier: MIT
// Reading a dead-letter file, and storing its events once the cause is fixed.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "metered/export.h"
#include "metered/time.h"
#include "metered/usage_event.h"
#include "metered/usage_store.h"

namespace metered {

/// One line of a dead-letter file (AsyncOptions::dead_letter_path,
/// `<spool_dir>/dead-letter.jsonl` by default): an event the store refused for good, with
/// why, or a queued record that could not be decoded.
struct DeadLetter {
    std::size_t line = 0;  ///< 1-based line number in the file
    Timestamp at;          ///< when it was written
    std::string reason;    ///< why the store refused it (or why it could not be decoded)
    /// The event exactly as recorded (id, quantity, prices, metadata, model and parts,
    /// dimension values); empty for an undecodable record.
    std::optional<UsageEvent> event;
    std::string raw_hex;  ///< an undecodable record: its bytes in hex; empty otherwise
};

/// Longest line readDeadLetters and parseDeadLetter accept: an event's fixed fields and
/// parts plus the most metadata a store keeps (Metadata::max_json_bytes), written as JSON.
inline constexpr std::size_t max_dead_letter_line_bytes = (std::size_t{3} << 20);

/// Reads one line of a dead-letter file (without its newline). Throws ValidationError
/// naming the field ("line 3.event.quantity") for a line that is not one the recorder
/// writes: malformed JSON, a missing, unknown or malformed field, a line longer than
/// max_dead_letter_line_bytes. What a store accepts is the store's check, at replay.
METERED_API DeadLetter parseDeadLetter(std::string_view line, std::size_t line_number = 1);

/// Every line of the file `path` (blank lines skipped), in order. Throws StoreError when the
/// file cannot be read, ValidationError (as parseDeadLetter, with the line number) for the
/// first line that cannot be read: nothing is replayed from a file half understood.
METERED_API std::vector<DeadLetter> readDeadLetters(const std::filesystem::path& path);

/// What replayDeadLetters did.
struct DeadLetterReplay {
    std::size_t stored = 0;      ///< events stored now
    std::size_t duplicates = 0;  ///< events already stored (an earlier replay, or a retry that did land)
    std::size_t raw = 0;         ///< undecodable records: nothing to store
    /// Events the store refuses again (the cause is not fixed yet), with their line and why.
    std::vector<std::pair<std::size_t, Rejection>> rejected;
};

/// Appends the events of `letters` to `store` in batches of `batch_size`, as they were
/// recorded (same ids, quantities, prices and times): idempotent, so replaying a file twice,
/// or one whose events partly landed, stores each event once. `progress`, when given, is
/// called after each batch with the letters done so far. Throws what the store's append
/// throws (a transient error: run it again).
METERED_API DeadLetterReplay replayDeadLetters(UsageStore& store, std::span<const DeadLetter> letters,
                                               std::size_t batch_size = 1000,
                                               const std::function<void(std::size_t done)>& progress = {});

}  // namespace metered
