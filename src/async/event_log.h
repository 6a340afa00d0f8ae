// SPDX-License-Identifier: MIT
// The event log: a ring of memory-mapped segments that many threads append to without a
// lock or a system call, and one reader consumes (private).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "segment.h"

namespace metered::detail {

/// A place in the log: a segment's sequence number and a byte offset in it. An offset
/// equal to the segment size means "the whole segment".
struct LogPosition {
    std::uint64_t sequence = 0;
    std::uint64_t offset = 0;
    friend auto operator<=>(const LogPosition&, const LogPosition&) = default;
};

struct EventLogOptions {
    std::size_t segment_bytes = 8u << 20;
    std::size_t segments = 8;  ///< ring size: the bound on memory (or spool space) in use
    /// Spool directory (file-backed segments), or empty for anonymous memory.
    std::optional<std::filesystem::path> directory;
    std::uint64_t first_sequence = 1;
};

/// Producers (any thread): `tryReserve` a record, write its payload, `commit` it. A
/// reservation is one atomic add on the current segment's tail; the commit is one
/// release store. Segments are prepared ahead (mapped and pre-faulted) by a background
/// thread, so a producer crossing into the next segment only swaps a pointer.
///
/// The reader (one thread) reads committed records in order, and releases segments once
/// their events are stored; released segments are unmapped (and their files deleted),
/// and their ring slots prepared again for later sequences.
class EventLog {
public:
    explicit EventLog(EventLogOptions options);
    ~EventLog();
    EventLog(const EventLog&) = delete;
    EventLog& operator=(const EventLog&) = delete;

    /// Room for one record.
    struct Reservation {
        std::byte* payload;
        std::size_t size;
    };

    /// Largest payload one record may hold.
    std::size_t maxPayload() const noexcept { return options_.segment_bytes - segment_header_bytes - record_header_bytes - 8; }

    /// Reserves room for `payload` bytes, or nothing when the ring is full (the next
    /// segment is not prepared: the reader is behind, or the spool disk is full).
    std::optional<Reservation> tryReserve(std::size_t payload) noexcept;
    /// As tryReserve, waiting until `deadline` for room.
    std::optional<Reservation> reserve(std::size_t payload, std::chrono::steady_clock::time_point deadline);
    /// Publishes a written record (checksum, then the commit word).
    static void commit(const Reservation& reservation) noexcept;

    /// Reader: calls `on_record(payload)` for up to `max` committed records after the read
    /// position, in order, and returns how many. Stops early at a record still being
    /// written.
    std::size_t read(std::size_t max, const std::function<void(std::span<const std::byte>)>& on_record);
    /// Reader: the position after the last record read.
    LogPosition readPosition() const noexcept { return {read_sequence_, read_offset_}; }
    /// Everything reserved so far lies before this position.
    LogPosition frontier() const noexcept;
    /// Reader: the records before `stored` are stored; their segments can go.
    void release(LogPosition stored);
    /// Forces written pages of the live spool segments to disk (no-op without a spool).
    void syncToDisk();

    /// Everything written is stored: delete the remaining spool files when destroyed
    /// (otherwise they stay, for the next process to replay).
    void discardOnDestruction() noexcept { discard_ = true; }

    /// Why the ring is full, when a spool error (such as a full disk) is the reason.
    std::string spoolError() const;
    /// Bytes of live spool segment files.
    std::uint64_t spoolBytes() const noexcept { return spool_bytes_.load(std::memory_order_relaxed); }
    std::size_t segmentBytes() const noexcept { return options_.segment_bytes; }

private:
    struct Slot;
    Slot& slotFor(std::uint64_t sequence) const noexcept;
    void prepare(std::uint64_t sequence);
    void preparerLoop();
    void advanceRead(std::uint64_t sequence);

    EventLogOptions options_;
    std::unique_ptr<Slot[]> slots_;
    alignas(64) std::atomic<std::uint64_t> current_;

    // Reader state (the reader's thread only).
    std::uint64_t read_sequence_;
    std::uint64_t read_offset_;

    // Preparer state.
    mutable std::mutex mutex_;
    std::condition_variable wake_preparer_;
    std::condition_variable space_available_;
    std::uint64_t next_to_prepare_;
    std::uint64_t released_before_;
    std::string spool_error_;
    bool stopping_ = false;
    std::atomic<bool> discard_{false};
    std::atomic<std::uint64_t> spool_bytes_{0};
    std::thread preparer_;
};

}  // namespace metered::detail
