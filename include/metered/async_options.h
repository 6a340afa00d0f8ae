// SPDX-License-Identifier: MIT
// How asynchronous recording queues, spools, retries and reports.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "metered/usage_event.h"

namespace metered {

/// Whether record calls write to the store before returning, or hand the event to a
/// background flusher.
enum class RecordMode : std::uint8_t {
    sync,   ///< append to the store before returning (errors throw into the caller)
    async,  ///< queue (and spool) the event and return; a flusher stores it in batches
};

/// What a record call does when the queue is full (the flusher is behind, or the store is
/// down and the configured memory or spool space is used up).
enum class OverflowPolicy : std::uint8_t {
    block,   ///< wait up to AsyncOptions::block_timeout for space, then throw QueueFullError
    reject,  ///< throw QueueFullError at once
};

/// When spooled events are forced to disk (they survive a crash of the process as soon
/// as the record call returns, whatever the policy; this covers power loss).
enum class FsyncPolicy : std::uint8_t {
    none,         ///< leave it to the kernel (usually within 30 s)
    interval,     ///< every AsyncOptions::fsync_interval
    every_batch,  ///< before each batch is sent to the store
};

/// Whether events are spooled to local disk before the record call returns.
enum class SpoolMode : std::uint8_t {
    automatic,  ///< on for remote stores (PostgreSQL), off for embedded ones (memory, SQLite)
    on,
    off,
};

/// Severity of a message from the library to the host's logger.
enum class LogLevel : std::uint8_t { debug, info, warning, error };

/// The host's logger. Called from the flusher thread; must not block for long.
/// The library itself never writes to stdout or stderr.
using Logger = std::function<void(LogLevel, std::string_view message)>;

/// How transient store failures (connection refused or lost, restart, timeout) are retried.
struct RetryOptions {
    std::chrono::milliseconds initial_backoff{50};
    std::chrono::milliseconds max_backoff{5000};
    /// Attempts per batch before its events are dead-lettered; 0 retries forever.
    std::uint32_t max_attempts = 0;
};

/// Settings of asynchronous recording (RecorderOptions::mode == RecordMode::async).
/// Defaults suit a chat backend: events reach the store within a quarter of a second,
/// in batches of up to 5000 under load (the size at which PostgreSQL ingest, rollups
/// included, reaches three quarters of a raw COPY), and at most 64 MiB wait in memory or
/// spool.
struct AsyncOptions {
    std::size_t max_batch = 5000;  ///< events per store append (filled only under load)
    /// Batches the store appends at once, 1 to 4. With 2, one batch's commit (on PostgreSQL,
    /// its WAL flush) overlaps the next batch's work, each on a connection of its own; what
    /// is stored is released from the spool in order, and a batch after one that was not
    /// stored is sent again at the next start (a duplicate). Batches may then be stored out
    /// of order (a retried one after the next); 1 stores them one at a time, in order.
    std::size_t appends_in_flight = 2;
    std::chrono::milliseconds flush_interval{250};  ///< longest an event waits to be sent
    std::size_t queue_bytes = 64u << 20;            ///< memory (or spool space) for waiting events
    std::size_t segment_bytes = 8u << 20;           ///< size of one log segment
    OverflowPolicy overflow = OverflowPolicy::block;
    std::chrono::milliseconds block_timeout{200};  ///< OverflowPolicy::block: longest wait

    SpoolMode spool = SpoolMode::automatic;
    std::filesystem::path spool_dir = "metered-spool";  ///< one recorder process per directory
    FsyncPolicy fsync = FsyncPolicy::interval;
    std::chrono::milliseconds fsync_interval{1000};

    RetryOptions retry;
    /// Events the store refuses for good (invalid, unknown business, idempotency conflict,
    /// a day's rollup at its bound, or a store that stayed unavailable past
    /// RetryOptions::max_attempts) are appended here as JSON lines with their reason and
    /// synced, whether the spool is on or off. Empty: `<spool_dir>/dead-letter.jsonl`
    /// (the directory is created when the first event is dead-lettered).
    std::optional<std::filesystem::path> dead_letter_path;
    /// Called from the flusher thread (with appends_in_flight > 1, from the thread appending
    /// the batch; one call at a time) with each dead-lettered event and its reason, after it
    /// is written to the dead-letter file. Must not block for long; exceptions are ignored.
    std::function<void(const UsageEvent& event, std::string_view reason)> on_dead_letter;
    Logger logger;
    /// close() and the destructor wait this long for queued events to be stored.
    std::chrono::milliseconds close_timeout{10000};
};

}  // namespace metered
