// SPDX-License-Identifier: MIT
// Delivery of queued events into the store: retries, poison isolation, dead letters (private).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <span>
#include <string>
#include <string_view>

#include "../append_timer.h"
#include "dead_letter.h"
#include "metered/async_options.h"
#include "metered/recorder_stats.h"
#include "metered/usage_store.h"

namespace metered::detail {

/// Sends batches of events to the store. A transient failure is retried with exponential
/// backoff and jitter (options.retry); a store of the host's that throws for a whole batch
/// has it split until the poison event is alone; events the store refuses for good are
/// dead-lettered (file, on_dead_letter, logger). Counts what became of every event and
/// keeps the last error.
///
/// `send` may run on several threads at once (AsyncOptions::appends_in_flight); the host's
/// logger and on_dead_letter are called one call at a time. `deadLetterRaw` and `log` are
/// called from the flusher; `setError`, `lastError`, `fillStats` and `settled` from any.
class Delivery {
public:
    /// Dead letters go to options.dead_letter_path, or `<spool_dir>/dead-letter.jsonl`.
    Delivery(std::shared_ptr<UsageStore> store, const AsyncOptions& options);
    Delivery(const Delivery&) = delete;
    Delivery& operator=(const Delivery&) = delete;

    /// Appends `events` to the store, retrying while it is unavailable. Returns false when
    /// `give_up()` turned true during a wait between attempts: the batch is not stored and
    /// stays the caller's. Otherwise every event is stored, a duplicate or dead-lettered.
    bool send(std::span<const UsageEvent> events, const std::function<bool()>& give_up);
    /// Dead-letters a record that cannot be decoded (its bytes, in hex).
    void deadLetterRaw(std::span<const std::byte> bytes, const std::string& reason);

    /// Passes a message to the host's logger (a logger that throws is ignored).
    void log(LogLevel level, const std::string& message) const;
    void setError(const std::string& message);
    std::string lastError() const;

    /// Fills stored, duplicates, retries, dead_lettered and idempotency_conflicts.
    void fillStats(RecorderStats& stats) const;
    /// Events that are stored, duplicates or dead-lettered.
    std::uint64_t settled() const noexcept;

private:
    AppendResult appendToStore(std::span<const UsageEvent> events);
    void account(std::span<const UsageEvent> events, const AppendResult& result);
    void deadLetter(const UsageEvent& event, std::string_view reason, bool conflict);

    std::shared_ptr<UsageStore> store_;
    RetryOptions retry_;
    Logger logger_;
    std::function<void(const UsageEvent&, std::string_view)> on_dead_letter_;
    DeadLetterFile dead_letters_;
    std::mutex jitter_mutex_;
    std::mt19937 jitter_;
    mutable std::mutex host_calls_;  // the host's logger and on_dead_letter, one call at a time

    std::atomic<std::uint64_t> stored_{0}, duplicates_{0}, retries_{0}, dead_lettered_{0}, conflicts_{0};
    AppendTimer appends_;
    mutable std::mutex error_mutex_;
    std::string last_error_;
};

}  // namespace metered::detail
