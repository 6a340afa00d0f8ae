// SPDX-License-Identifier: MIT
// What a recorder has done: its counters, in either mode.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string>

namespace metered {

/// How long a recorder's store appends took, as a histogram (Prometheus buckets): an
/// append that took d counts in the first bucket whose bound is at least d, or in the last
/// count (`counts[bounds.size()]`) when it took longer than every bound.
struct AppendLatency {
    static constexpr std::array<std::chrono::microseconds, 12> bounds = {
        std::chrono::microseconds(100),    std::chrono::microseconds(250),    std::chrono::microseconds(500),
        std::chrono::microseconds(1000),   std::chrono::microseconds(2500),   std::chrono::microseconds(5000),
        std::chrono::microseconds(10000),  std::chrono::microseconds(25000),  std::chrono::microseconds(50000),
        std::chrono::microseconds(100000), std::chrono::microseconds(250000), std::chrono::microseconds(1000000)};
    std::array<std::uint64_t, bounds.size() + 1> counts{};  ///< appends per bucket (not cumulative)
    std::chrono::microseconds total{0};                     ///< the appends' durations summed

    /// The number of appends.
    std::uint64_t count() const noexcept {
        std::uint64_t n = 0;
        for (std::uint64_t c : counts) n += c;
        return n;
    }
};

/// A snapshot of a recorder's counters (UsageRecorder::stats()). Synchronous recording
/// fills `recorded`, `stored` and `duplicates`; asynchronous recording fills them all.
struct RecorderStats {
    std::uint64_t recorded = 0;               ///< record calls that returned successfully
    std::uint64_t rejected = 0;               ///< record calls refused with QueueFullError
    std::uint64_t stored = 0;                 ///< events the store added
    std::uint64_t duplicates = 0;             ///< events the store already had (retries, replays)
    std::uint64_t retries = 0;                ///< store appends retried after a transient failure
    std::uint64_t dead_lettered = 0;          ///< events refused for good (see AsyncOptions::dead_letter_path)
    std::uint64_t idempotency_conflicts = 0;  ///< of those, keys reused with another type or quantity
    std::uint64_t replayed = 0;               ///< events read back from the spool at start
    std::uint64_t spool_corrupt = 0;          ///< damaged spool regions skipped at start (see docs/async.md)
    std::uint64_t spool_syncs = 0;            ///< times spooled pages were forced to disk (FsyncPolicy)
    /// Events recorded (or replayed) and not yet stored, found duplicate or dead-lettered:
    /// recorded + replayed = stored + duplicates + dead_lettered + queue_depth.
    std::uint64_t queue_depth = 0;
    std::uint64_t spool_bytes = 0;  ///< bytes of spool segments on disk
    /// Rate-card calls priced with a fallback (a fallback model or a parent's rate: see
    /// RecorderOptions::pricing_fallback).
    std::uint64_t priced_with_fallback = 0;
    /// Budget refreshes that read the store to the end (RecorderOptions::budget_refresh):
    /// how current the in-memory running totals are.
    std::uint64_t budget_refreshes = 0;
    /// Budget crossings handed to RecorderOptions::on_budget_crossing that returned.
    std::uint64_t crossings_delivered = 0;
    /// Deliveries that failed (the callback threw, or the store failed): retried later.
    std::uint64_t crossing_delivery_failures = 0;
    /// Rounds of automatic closing run to the end (RecorderOptions::statement_grace), and the
    /// statements they closed.
    std::uint64_t statement_close_rounds = 0;
    std::uint64_t statements_closed = 0;
    /// Businesses whose due statements a round could not close (the store failed, the
    /// account has no plan, …): tried again at the next round.
    std::uint64_t statement_close_failures = 0;
    /// Every append to the store the recorder made, failed ones included: a batch in
    /// asynchronous mode, an event in synchronous mode.
    AppendLatency append_latency;
    std::string last_error;  ///< the most recent store or spool error, or dead letter and why
};

}  // namespace metered
