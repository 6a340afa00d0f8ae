// SPDX-License-Identifier: MIT
// Replay of what an earlier process left in the spool directory (private).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <vector>

#include "delivery.h"
#include "event_log.h"
#include "spool_directory.h"

namespace metered::detail {

/// Sends the events of the segments an earlier process left in `spool` to the store,
/// oldest segment first, in batches of `max_batch`, before the flusher reads the log.
/// Records that are intact but cannot be decoded are dead-lettered. A replayed segment is
/// deleted, or moved aside when it has damaged regions, and its bytes stop counting
/// against the log's bound.
///
/// `run` is called once, from the flusher thread; the counters may be read from any thread.
class SpoolReplay {
public:
    /// The leftover segments' bytes count until they are replayed (`log` was made with them
    /// as reserved_bytes).
    SpoolReplay(const SpoolDirectory& spool, EventLog& log, Delivery& delivery, std::size_t max_batch);
    SpoolReplay(const SpoolReplay&) = delete;
    SpoolReplay& operator=(const SpoolReplay&) = delete;

    /// Replays every leftover segment; stops sending once `give_up()` is true. Returns the
    /// segments not replayed (kept for the next start).
    std::vector<std::filesystem::path> run(const std::function<bool()>& give_up);

    /// Events read back from the spool (including those dead-lettered as unreadable).
    std::uint64_t replayed() const noexcept { return replayed_.load(std::memory_order_relaxed); }
    /// Damaged regions skipped and unreadable records dead-lettered.
    std::uint64_t corrupt() const noexcept { return corrupt_.load(std::memory_order_relaxed); }
    /// Bytes of the leftover segments not replayed yet.
    std::uint64_t leftoverBytes() const noexcept { return leftover_bytes_.load(std::memory_order_relaxed); }

private:
    const SpoolDirectory& spool_;
    EventLog& log_;
    Delivery& delivery_;
    std::size_t max_batch_;
    std::atomic<std::uint64_t> replayed_{0}, corrupt_{0}, leftover_bytes_;
};

}  // namespace metered::detail
