// SPDX-License-Identifier: MIT
#include "event_log.h"

#include "spool_directory.h"

#include <pthread.h>
#include <sched.h>
#if __has_include(<sys/rseq.h>)
#include <sys/rseq.h>  // glibc 2.35+: __rseq_offset, __rseq_size
#endif

#include <algorithm>
#include <cstddef>
#include <cstring>

namespace metered::detail {
namespace {

constexpr std::uint64_t free_slot = UINT64_MAX;
constexpr std::size_t min_segment_bytes = 16u << 10;  // still holds the largest event (8 KiB of metadata)

std::atomic_ref<std::uint32_t> commitWord(std::byte* record) noexcept {
    static_assert(offsetof(RecordHeader, commit) == 0);
    return std::atomic_ref<std::uint32_t>(*reinterpret_cast<std::uint32_t*>(record + offsetof(RecordHeader, commit)));
}

}  // namespace

bool covers(const LogCursor& reached, const LogCursor& target) noexcept {
    if (reached.size() != target.size()) return false;
    for (std::size_t i = 0; i < target.size(); ++i) {
        if (reached[i] < target[i]) return false;
    }
    return true;
}

// Three cache lines: `tail`, which every reservation writes (producers on the lane's CPU);
// `sequence` and `data`, which producers and the reader poll and only a segment change
// writes; the reader's and preparer's own state. The reader polling a line that producers
// write would pull it to the reader's CPU on every poll, and costs every record a transfer.
struct EventLog::Slot {
    alignas(64) std::atomic<std::uint64_t> tail{0};
    alignas(64) std::atomic<std::uint64_t> sequence{free_slot};
    std::atomic<std::byte*> data{nullptr};
    alignas(64) Mapping mapping;  // installed by the preparer, released by the reader (under mutex_)
    std::uint64_t synced = 0;     // reader thread: bytes forced to disk
};

struct EventLog::Lane {
    std::size_t index = 0;
    std::unique_ptr<Slot[]> slots;
    alignas(64) std::atomic<std::uint64_t> current{0};  // the segment producers write into
    alignas(64) std::uint64_t read_sequence = 0;        // reader thread
    std::uint64_t read_offset = segment_header_bytes;
    std::uint64_t next_to_prepare = 0;  // preparer, under mutex_
    std::uint64_t released_before = 0;  // reader, under mutex_
};

EventLog::EventLog(EventLogOptions options)
    : total_bytes_(options.total_bytes),
      reserved_bytes_(options.reserved_bytes),
      directory_(std::move(options.directory)) {
    std::size_t lanes = options.lanes != 0 ? options.lanes : std::max(1u, std::thread::hardware_concurrency());
    lanes = std::min<std::size_t>(lanes, 64);
    // Every lane needs two segments at least; shrink segments to keep within the bound.
    segment_bytes_ = std::max(options.segment_bytes, min_segment_bytes);
    if (lanes * 2 * segment_bytes_ > options.total_bytes) {
        segment_bytes_ = std::max(min_segment_bytes, (options.total_bytes / (lanes * 2)) & ~std::size_t{4095});
    }
    segments_per_lane_ = std::max<std::size_t>(2, options.total_bytes / (lanes * segment_bytes_));
    for (std::size_t i = 0; i < lanes; ++i) {
        auto lane = std::make_unique<Lane>();
        lane->index = i;
        lane->slots = std::make_unique<Slot[]>(segments_per_lane_);
        // A slot without a segment reads as full, so producers move on, find no next
        // segment, and report the lane full.
        for (std::size_t s = 0; s < segments_per_lane_; ++s) lane->slots[s].tail.store(segment_bytes_);
        lane->current.store(options.first_sequence, std::memory_order_relaxed);
        lane->read_sequence = options.first_sequence;
        lane->next_to_prepare = options.first_sequence;
        lane->released_before = options.first_sequence;
        lanes_.push_back(std::move(lane));
        // The first segment now (throws if it cannot be made), unless an earlier process's
        // segments fill the spool: then it comes when they are replayed.
        if (withinBound()) {
            prepare(i, options.first_sequence);
            lanes_.back()->next_to_prepare = options.first_sequence + 1;
        }
    }
    preparer_ = std::thread([this] { preparerLoop(); });
}

EventLog::~EventLog() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_preparer_.notify_all();
    preparer_.join();
    if (discard_) {
        for (auto& lane : lanes_) {
            for (std::size_t i = 0; i < segments_per_lane_; ++i) {
                if (lane->slots[i].mapping.isFile()) lane->slots[i].mapping.remove();
            }
        }
    }
}

namespace {

// The CPU this thread runs on. glibc (2.35 and later) registers an rseq area for each
// thread, whose cpu_id the kernel keeps current: read here in two loads, where a call to
// sched_getcpu (which reads the same field) costs ~30 instructions on every record call.
// Without a registered area (glibc.pthread.rseq=0, or another platform): sched_getcpu.
int currentCpu() noexcept {
#if defined(__x86_64__) && defined(RSEQ_SIG)
    if (__rseq_size > 0) {
        const char* thread_pointer = nullptr;
        asm("mov %%fs:0, %0" : "=r"(thread_pointer));  // the TCB's self pointer
        const auto* area = reinterpret_cast<const volatile struct rseq*>(thread_pointer + __rseq_offset);
        const auto cpu = static_cast<std::int32_t>(area->cpu_id);
        if (cpu >= 0) return cpu;
    }
#endif
    return sched_getcpu();
}

}  // namespace

std::size_t EventLog::laneOfThisCpu() const noexcept {
    if (lanes_.size() == 1) return 0;
    const int cpu = currentCpu();
    return cpu < 0 ? 0 : static_cast<std::size_t>(cpu) % lanes_.size();
}

EventLog::Slot& EventLog::slotFor(const Lane& lane, std::uint64_t sequence) const noexcept {
    return lane.slots[sequence % segments_per_lane_];
}

void EventLog::prepare(std::size_t lane_index, std::uint64_t sequence) {
    Lane& lane = *lanes_[lane_index];
    Slot& slot = slotFor(lane, sequence);  // free: only this thread touches it until published
    Mapping mapping;
    if (directory_) {
        mapping = Mapping::createFile(segmentFile(*directory_, lane_index, sequence), segment_bytes_, sequence);
    } else if (slot.mapping.data() != nullptr) {
        // Reuse the slot's memory: zeroing it here costs the producers nothing, where
        // unmapping and mapping anew would interrupt their cores to flush TLBs.
        mapping = std::move(slot.mapping);
        std::memset(mapping.data(), 0, mapping.size());
    } else {
        mapping = Mapping::anonymous(segment_bytes_);
    }
    std::lock_guard lock(mutex_);
    if (mapping.isFile()) spool_bytes_.fetch_add(mapping.size(), std::memory_order_relaxed);
    slot.data.store(mapping.data(), std::memory_order_release);
    slot.mapping = std::move(mapping);
    slot.synced = 0;
    slot.tail.store(segment_header_bytes, std::memory_order_release);
    slot.sequence.store(sequence, std::memory_order_release);
    spool_error_.clear();
    space_available_.notify_all();
}

bool EventLog::withinBound() const noexcept {
    return !directory_ || spool_bytes_.load(std::memory_order_relaxed) +
                                  reserved_bytes_.load(std::memory_order_relaxed) + segment_bytes_ <=
                              total_bytes_;
}

void EventLog::releaseReserved(std::uint64_t bytes) {
    reserved_bytes_.fetch_sub(std::min(bytes, reserved_bytes_.load()), std::memory_order_relaxed);
    wake_preparer_.notify_one();
}

void EventLog::preparerLoop() {
    pthread_setname_np(pthread_self(), "metered-prep");
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        // Keep one prepared segment ahead of the one producers write into, in every lane.
        bool prepared = false, failed = false;
        for (auto& lane : lanes_) {
            const std::uint64_t wanted = lane->current.load(std::memory_order_acquire) + 1;
            if (lane->next_to_prepare > wanted || lane->next_to_prepare - lane->released_before >= segments_per_lane_ ||
                !withinBound()) {
                continue;
            }
            const std::uint64_t sequence = lane->next_to_prepare;
            lock.unlock();
            std::string error;
            try {
                prepare(lane->index, sequence);
            } catch (const std::exception& e) {
                error = e.what();
            }
            lock.lock();
            if (error.empty()) {
                ++lane->next_to_prepare;
                prepared = true;
            } else {
                spool_error_ = error;  // e.g. a full disk: the lane stays full; retry later
                failed = true;
            }
        }
        if (prepared && !failed) continue;
        wake_preparer_.wait_for(lock, failed ? std::chrono::milliseconds(100) : std::chrono::milliseconds(20));
    }
}

std::optional<EventLog::Reservation> EventLog::tryReserve(std::size_t payload) noexcept {
    const std::uint64_t total = alignRecord(payload);
    const std::size_t home = laneOfThisCpu();
    if (auto reservation = tryReserveIn(*lanes_[home], total, payload)) return reservation;
    for (std::size_t i = 1; i < lanes_.size(); ++i) {
        if (auto reservation = tryReserveIn(*lanes_[(home + i) % lanes_.size()], total, payload)) return reservation;
    }
    return std::nullopt;
}

std::optional<EventLog::Reservation> EventLog::tryReserveIn(Lane& lane, std::uint64_t total,
                                                            std::size_t payload) noexcept {
    const std::uint64_t capacity = segment_bytes_;
    for (int attempt = 0; attempt < 64; ++attempt) {
        std::uint64_t sequence = lane.current.load(std::memory_order_acquire);
        Slot& slot = slotFor(lane, sequence);
        const std::uint64_t at = slot.tail.fetch_add(total, std::memory_order_acq_rel);
        if (at + total <= capacity) {
            std::byte* record = slot.data.load(std::memory_order_acquire) + at;
            if (slot.sequence.load(std::memory_order_acquire) == sequence) {
                return Reservation{record + record_header_bytes, payload};
            }
            // The slot was recycled for a later segment between our two loads: leave a
            // record the reader skips, and try again.
            const auto skipped = static_cast<std::uint32_t>(total - record_header_bytes);
            std::memcpy(record + offsetof(RecordHeader, size), &skipped, sizeof skipped);
            commitWord(record).store(record_skip, std::memory_order_release);
            continue;
        }
        if (at < capacity && capacity - at >= record_header_bytes) {
            // Ours is the reservation that crossed the end: mark where the data stops.
            commitWord(slot.data.load(std::memory_order_acquire) + at).store(segment_end, std::memory_order_release);
        }
        Slot& next = slotFor(lane, sequence + 1);
        if (next.sequence.load(std::memory_order_acquire) != sequence + 1) return std::nullopt;
        if (lane.current.compare_exchange_strong(sequence, sequence + 1, std::memory_order_acq_rel)) {
            wake_preparer_.notify_one();
        }
    }
    return std::nullopt;
}

std::optional<EventLog::Reservation> EventLog::reserve(std::size_t payload,
                                                       std::chrono::steady_clock::time_point deadline) {
    if (auto reservation = tryReserve(payload)) return reservation;
    wake_preparer_.notify_one();
    std::unique_lock lock(mutex_);
    for (;;) {
        if (auto reservation = tryReserve(payload)) return reservation;
        if (space_available_.wait_until(lock, deadline) == std::cv_status::timeout) return tryReserve(payload);
    }
}

void EventLog::commit(const Reservation& reservation) const noexcept {
    std::byte* record = reservation.payload - record_header_bytes;
    const auto size = static_cast<std::uint32_t>(reservation.size);
    const std::uint32_t crc = directory_ ? recordCrc(size, reservation.payload) : 0;
    std::memcpy(record + offsetof(RecordHeader, size), &size, sizeof size);
    std::memcpy(record + offsetof(RecordHeader, crc), &crc, sizeof crc);
    commitWord(record).store(record_committed, std::memory_order_release);
}

std::size_t EventLog::read(std::size_t max, const std::function<void(std::span<const std::byte>)>& on_record) {
    const std::uint64_t capacity = segment_bytes_;
    std::size_t count = 0;
    for (auto& lane_pointer : lanes_) {
        Lane& lane = *lane_pointer;
        while (count < max) {
            if (lane.read_offset >= capacity) {
                // Read to its end, and maybe released since (so its slot is not looked at
                // again): on to the next segment, once it is prepared.
                if (!moveOn(lane)) break;
                continue;
            }
            Slot& slot = slotFor(lane, lane.read_sequence);
            if (slot.sequence.load(std::memory_order_acquire) != lane.read_sequence) break;
            const bool finished = lane.read_offset + record_header_bytes > capacity;
            if (!finished) {
                std::byte* record = slot.data.load(std::memory_order_acquire) + lane.read_offset;
                const std::uint32_t commit = commitWord(record).load(std::memory_order_acquire);
                std::uint32_t size = 0;
                if (commit == record_committed || commit == record_skip) {
                    // Written before the commit word.
                    std::memcpy(&size, record + offsetof(RecordHeader, size), sizeof size);
                }
                if (commit == record_committed) {
                    on_record({record + record_header_bytes, size});
                    lane.read_offset += alignRecord(size);
                    ++count;
                    continue;
                }
                if (commit == record_skip) {
                    lane.read_offset += alignRecord(size);
                    continue;
                }
                if (commit != segment_end) break;  // still being written, or nothing more yet
            } else if (slot.tail.load(std::memory_order_acquire) < capacity) {
                break;  // no record fits any more; wait for a producer to move on
            }
            lane.read_offset = capacity;  // read to its end
        }
    }
    return count;
}

bool EventLog::moveOn(Lane& lane) const noexcept {
    const Slot& next = slotFor(lane, lane.read_sequence + 1);
    if (next.sequence.load(std::memory_order_acquire) != lane.read_sequence + 1) return false;
    ++lane.read_sequence;
    lane.read_offset = segment_header_bytes;
    return true;
}

LogCursor EventLog::readPosition() const {
    LogCursor cursor;
    cursor.reserve(lanes_.size());
    for (const auto& lane : lanes_) cursor.push_back({lane->read_sequence, lane->read_offset});
    return cursor;
}

LogCursor EventLog::frontier() const noexcept {
    LogCursor cursor;
    cursor.reserve(lanes_.size());
    for (const auto& lane : lanes_) {
        const std::uint64_t sequence = lane->current.load(std::memory_order_acquire);
        const Slot& slot = slotFor(*lane, sequence);
        const std::uint64_t tail = slot.tail.load(std::memory_order_acquire);
        const bool made = slot.sequence.load(std::memory_order_acquire) == sequence;
        cursor.push_back({sequence, made ? std::min<std::uint64_t>(tail, segment_bytes_) : segment_header_bytes});
    }
    return cursor;
}

void EventLog::release(const LogCursor& stored) {
    std::vector<Mapping> done;
    {
        std::lock_guard lock(mutex_);
        for (std::size_t i = 0; i < lanes_.size() && i < stored.size(); ++i) {
            Lane& lane = *lanes_[i];
            const std::uint64_t current = lane.current.load(std::memory_order_acquire);
            while (lane.released_before < current &&
                   (lane.released_before < stored[i].sequence ||
                    (lane.released_before == stored[i].sequence && stored[i].offset >= segment_bytes_))) {
                Slot& slot = slotFor(lane, lane.released_before);
                slot.sequence.store(free_slot, std::memory_order_release);
                slot.data.store(nullptr, std::memory_order_release);
                if (slot.mapping.isFile()) {
                    spool_bytes_.fetch_sub(slot.mapping.size(), std::memory_order_relaxed);
                    done.push_back(std::move(slot.mapping));
                }  // anonymous memory stays with the slot, to be zeroed and reused
                ++lane.released_before;
            }
        }
    }
    for (auto& mapping : done) mapping.remove();
    wake_preparer_.notify_one();
}

bool EventLog::syncToDisk() {
    if (!directory_) return false;
    bool wrote = false;
    std::lock_guard lock(mutex_);
    for (auto& lane : lanes_) {
        const std::uint64_t current = lane->current.load(std::memory_order_acquire);
        for (std::uint64_t sequence = lane->released_before; sequence <= current; ++sequence) {
            Slot& slot = slotFor(*lane, sequence);
            if (slot.sequence.load(std::memory_order_acquire) != sequence) continue;
            const std::uint64_t written =
                std::min<std::uint64_t>(slot.tail.load(std::memory_order_acquire), segment_bytes_);
            if (written > slot.synced) {
                slot.mapping.sync(slot.synced, written);
                slot.synced = written & ~std::uint64_t{4095};
                wrote = true;
            }
        }
    }
    return wrote;
}

std::string EventLog::spoolError() const {
    std::lock_guard lock(mutex_);
    return spool_error_;
}

}  // namespace metered::detail
