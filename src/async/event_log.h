// SPDX-License-Identifier: MIT
// The event log: per-CPU rings of memory-mapped segments that many threads append to
// without a lock or a system call, and one reader consumes (private).
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

/// A place in one lane: a segment's sequence number and a byte offset in it. An offset
/// equal to the segment size means "the whole segment".
struct LogPosition {
    std::uint64_t sequence = 0;
    std::uint64_t offset = 0;
    friend auto operator<=>(const LogPosition&, const LogPosition&) = default;
};

/// A place in the whole log: one position per lane.
using LogCursor = std::vector<LogPosition>;

/// True when `reached` is at or past `target` in every lane.
bool covers(const LogCursor& reached, const LogCursor& target) noexcept;

struct EventLogOptions {
    std::size_t segment_bytes = 8u << 20;
    /// Memory (or spool space) all lanes together may use: the bound.
    std::size_t total_bytes = 64u << 20;
    /// Lanes (0: one per CPU). Each lane is a ring of at least two segments; segments
    /// shrink (to 64 KiB at least) so that all lanes fit in total_bytes.
    std::size_t lanes = 0;
    /// Spool directory (file-backed segments), or empty for anonymous memory.
    std::optional<std::filesystem::path> directory;
    std::uint64_t first_sequence = 1;
    /// Spool space already taken by segments an earlier process left (counted against
    /// total_bytes until releaseReserved gives it back): no segment is created beyond the
    /// bound, so a crash loop keeps the spool within total_bytes.
    std::uint64_t reserved_bytes = 0;
};

/// Producers (any thread): `tryReserve` a record in the lane of the CPU they run on,
/// write its payload, `commit` it. A reservation is one atomic add on that lane's current
/// segment; a commit is one release store. Threads on different CPUs never write the
/// same cache line. Segments are prepared ahead (mapped and pre-faulted) by a background
/// thread, so crossing into the next segment only swaps a number.
///
/// The reader (one thread) reads committed records lane by lane, and releases segments
/// once their events are stored; released segments are deleted (files) or zeroed for
/// reuse (memory). Records of one lane keep their order; lanes interleave.
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
    std::size_t maxPayload() const noexcept { return segment_bytes_ - segment_header_bytes - record_alignment; }
    std::size_t lanes() const noexcept { return lanes_.size(); }

    /// Reserves room for `payload` bytes in the lane of this CPU, or, when that lane is
    /// full, in any other lane with room; nothing when every lane is full (the reader is
    /// behind, or the spool disk is full). A lone thread can thus fill the whole log.
    std::optional<Reservation> tryReserve(std::size_t payload) noexcept;
    /// As tryReserve, waiting until `deadline` for room.
    std::optional<Reservation> reserve(std::size_t payload, std::chrono::steady_clock::time_point deadline);
    /// Publishes a written record: its size, its checksum (spool files only: it guards the
    /// bytes that outlive the process), then the commit word.
    void commit(const Reservation& reservation) const noexcept;

    /// Reader: calls `on_record(payload)` for up to `max` committed records, lane after
    /// lane, and returns how many. Stops a lane early at a record still being written.
    std::size_t read(std::size_t max, const std::function<void(std::span<const std::byte>)>& on_record);
    /// Reader: the position after the last record read, per lane.
    LogCursor readPosition() const;
    /// Everything reserved so far lies before this cursor.
    LogCursor frontier() const noexcept;
    /// Reader: the records before `stored` are stored; their segments can go.
    void release(const LogCursor& stored);
    /// Forces written pages of the live spool segments to disk (no-op without a spool);
    /// returns true when there was something to write. Any thread.
    bool syncToDisk();
    /// `bytes` of the reserved spool space are free again (an earlier process's segment
    /// was replayed and deleted).
    void releaseReserved(std::uint64_t bytes);
    /// Everything written is stored: delete the remaining spool files when destroyed
    /// (otherwise they stay, for the next process to replay).
    void discardOnDestruction() noexcept { discard_ = true; }

    /// Why a lane is full, when a spool error (such as a full disk) is the reason.
    std::string spoolError() const;
    /// Bytes of live spool segment files.
    std::uint64_t spoolBytes() const noexcept { return spool_bytes_.load(std::memory_order_relaxed); }

private:
    struct Slot;
    struct Lane;
    std::size_t laneOfThisCpu() const noexcept;
    std::optional<Reservation> tryReserveIn(Lane& lane, std::uint64_t total, std::size_t payload) noexcept;
    Slot& slotFor(const Lane& lane, std::uint64_t sequence) const noexcept;
    // Reader: from a segment read to its end to the next one; false until it is prepared.
    bool moveOn(Lane& lane) const noexcept;
    void prepare(std::size_t lane, std::uint64_t sequence);
    bool withinBound() const noexcept;
    void preparerLoop();

    std::size_t segment_bytes_;
    std::size_t segments_per_lane_;
    std::size_t total_bytes_;
    std::atomic<std::uint64_t> reserved_bytes_;
    std::optional<std::filesystem::path> directory_;
    std::vector<std::unique_ptr<Lane>> lanes_;

    mutable std::mutex mutex_;
    std::condition_variable wake_preparer_;
    std::condition_variable space_available_;
    std::string spool_error_;
    bool stopping_ = false;
    std::atomic<bool> discard_{false};
    std::atomic<std::uint64_t> spool_bytes_{0};
    std::thread preparer_;
};

}  // namespace metered::detail
