// SPDX-License-Identifier: MIT
// Asynchronous recording: the event log, its spool directory and the flusher (private).
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "delivery.h"
#include "event_codec.h"
#include "event_log.h"
#include "metered/async_options.h"
#include "metered/recorder_stats.h"
#include "metered/usage_store.h"
#include "sharded_counter.h"
#include "spool_directory.h"
#include "spool_replay.h"

namespace metered::detail {

/// Owns the event log (in memory, or in a locked spool directory), a flusher thread that
/// moves events from the log into the store in batches, and the counters.
///
/// Host threads call `submit`: a reservation in the log, a copy of the event's bytes, a
/// commit. The flusher first replays what an earlier process left in the spool
/// (SpoolReplay), then repeatedly reads committed records, sends a batch when it is full
/// or its oldest event has waited `flush_interval` (Delivery: retried while the store is
/// unavailable, the batch keeping its place; refused events dead-lettered), up to
/// `appends_in_flight` batches at once, and releases the log segments whose events are
/// stored, in order.
class AsyncPipeline {
public:
    /// `spool` selects a spool directory (options.spool_dir) over anonymous memory.
    /// Throws Error when the spool directory cannot be created or locked.
    AsyncPipeline(std::shared_ptr<UsageStore> store, AsyncOptions options, bool spool);
    /// Closes with options.close_timeout.
    ~AsyncPipeline();
    AsyncPipeline(const AsyncPipeline&) = delete;
    AsyncPipeline& operator=(const AsyncPipeline&) = delete;

    /// Queues one event (thread-safe, no lock or system call unless the log is full).
    /// Throws QueueFullError under the overflow policy, Error after close().
    void submit(const EventDraft& draft);
    /// Largest encoded event the log takes.
    std::size_t maxEventBytes() const noexcept { return log_->maxPayload(); }

    /// Waits until every event submitted before the call is stored (or dead-lettered).
    bool flush(std::chrono::milliseconds timeout);
    /// Stops accepting events, stores what is queued (waiting up to `timeout`), stops the
    /// flusher. Idempotent. Returns true when nothing was left unstored.
    bool close(std::chrono::milliseconds timeout);

    void fillStats(RecorderStats& stats) const;

private:
    void run();
    void replaySpool();
    bool giveUp() const;
    void publishStored(const LogCursor& position);
    void syncNow();
    void syncLoop();
    std::uint64_t recordedCount() const noexcept;
    std::int64_t inFlight() const noexcept;

    // Host side: what every submit() reads (set once, at construction), and the calls that
    // entered submit() and left it (in flight = entered - left; recorded = left - failed):
    // two per-thread adds per call, no shared cache line.
    AsyncOptions options_;
    std::optional<SpoolDirectory> spool_;
    std::unique_ptr<EventLog> log_;
    ShardedCounter entered_;
    ShardedCounter left_;
    std::atomic<std::uint64_t> failed_{0};
    std::atomic<bool> closed_{false};
    std::atomic<std::uint64_t> rejected_{0};

    // Flusher side, from a cache line of its own: what the flusher and the syncer write
    // must not share a line with what every submit() reads (the store's counters are the
    // Delivery's, the spool's the SpoolReplay's).
    alignas(64) Delivery delivery_;
    std::optional<SpoolReplay> replay_;                    // with a spool
    std::atomic<std::uint64_t> unreadable_{0}, syncs_{0};  // unreadable_: queued records that cannot be decoded
    mutable std::mutex mutex_;
    std::condition_variable wake_;      // flusher: work to do
    std::condition_variable progress_;  // flush(): more is stored
    LogCursor stored_position_;
    int flush_requests_ = 0;
    std::uint64_t flushes_ = 0;  // flush() calls so far
    bool closing_ = false;
    bool finished_ = false;
    bool replayed_spool_ = false;                   // the spool of an earlier process has been replayed
    std::vector<std::filesystem::path> leftovers_;  // once replayed: spool segments it could not replay
    bool all_stored_ = false;
    std::chrono::steady_clock::time_point close_deadline_;
    std::thread flusher_;

    // Syncer: forces spooled pages to disk under the fsync policy.
    std::mutex sync_mutex_;
    std::condition_variable sync_wake_;
    bool sync_stop_ = false;
    std::thread syncer_;
};

}  // namespace metered::detail
