// SPDX-License-Identifier: MIT
#include "event_log.h"

#include <cstring>
#include <optional>

namespace metered::detail {
namespace {

constexpr std::uint64_t free_slot = UINT64_MAX;
constexpr std::uint32_t record_skip = 0x50494B53;  // "SKIP": a reservation abandoned by a stale producer

std::atomic_ref<std::uint32_t> commitWord(std::byte* record) noexcept {
    return std::atomic_ref<std::uint32_t>(*reinterpret_cast<std::uint32_t*>(record));
}

std::filesystem::path segmentFile(const std::filesystem::path& directory, std::uint64_t sequence) {
    char name[40];
    std::snprintf(name, sizeof name, "segment-%016llx.log", static_cast<unsigned long long>(sequence));
    return directory / name;
}

}  // namespace

struct EventLog::Slot {
    alignas(64) std::atomic<std::uint64_t> tail{0};
    std::atomic<std::uint64_t> sequence{free_slot};
    std::atomic<std::byte*> data{nullptr};
    Mapping mapping;           // installed by the preparer, removed by the reader (under mutex_)
    std::uint64_t synced = 0;  // reader thread: bytes forced to disk
};

EventLog::EventLog(EventLogOptions options)
    : options_(std::move(options)),
      slots_(std::make_unique<Slot[]>(std::max<std::size_t>(options_.segments, 2))),
      current_(options_.first_sequence),
      read_sequence_(options_.first_sequence),
      read_offset_(segment_header_bytes),
      next_to_prepare_(options_.first_sequence),
      released_before_(options_.first_sequence) {
    options_.segments = std::max<std::size_t>(options_.segments, 2);
    prepare(options_.first_sequence);  // throws if the first segment cannot be made
    next_to_prepare_ = options_.first_sequence + 1;
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
        for (std::size_t i = 0; i < options_.segments; ++i) slots_[i].mapping.remove();
    }
}

EventLog::Slot& EventLog::slotFor(std::uint64_t sequence) const noexcept {
    return slots_[sequence % options_.segments];
}

void EventLog::prepare(std::uint64_t sequence) {
    Mapping mapping = options_.directory
                          ? Mapping::createFile(segmentFile(*options_.directory, sequence), options_.segment_bytes, sequence)
                          : Mapping::anonymous(options_.segment_bytes);
    std::lock_guard lock(mutex_);
    Slot& slot = slotFor(sequence);
    if (mapping.isFile()) spool_bytes_.fetch_add(mapping.size(), std::memory_order_relaxed);
    slot.data.store(mapping.data(), std::memory_order_release);
    slot.mapping = std::move(mapping);
    slot.synced = 0;
    slot.tail.store(segment_header_bytes, std::memory_order_release);
    slot.sequence.store(sequence, std::memory_order_release);
    spool_error_.clear();
    space_available_.notify_all();
}

void EventLog::preparerLoop() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        // Keep one prepared segment ahead of the one producers write into, within the ring.
        const std::uint64_t wanted = current_.load(std::memory_order_acquire) + 1;
        if (next_to_prepare_ <= wanted && next_to_prepare_ - released_before_ < options_.segments) {
            const std::uint64_t sequence = next_to_prepare_;
            lock.unlock();
            std::string error;
            try {
                prepare(sequence);
            } catch (const std::exception& e) {
                error = e.what();
            }
            lock.lock();
            if (error.empty()) {
                ++next_to_prepare_;
                continue;
            }
            spool_error_ = error;  // e.g. a full disk: producers see the ring as full; retry later
            wake_preparer_.wait_for(lock, std::chrono::milliseconds(100));
            continue;
        }
        wake_preparer_.wait_for(lock, std::chrono::milliseconds(20));
    }
}

std::optional<EventLog::Reservation> EventLog::tryReserve(std::size_t payload) noexcept {
    const std::uint64_t total = alignRecord(payload);
    const std::uint64_t capacity = options_.segment_bytes;
    for (int attempt = 0; attempt < 64; ++attempt) {
        std::uint64_t sequence = current_.load(std::memory_order_acquire);
        Slot& slot = slotFor(sequence);
        const std::uint64_t at = slot.tail.fetch_add(total, std::memory_order_acq_rel);
        if (at + total <= capacity) {
            std::byte* record = slot.data.load(std::memory_order_acquire) + at;
            if (slot.sequence.load(std::memory_order_acquire) == sequence) {
                return Reservation{record + record_header_bytes, payload};
            }
            // The slot was recycled for a later segment between our two loads: leave a
            // record the reader skips, and try again.
            const auto skipped = static_cast<std::uint32_t>(total - record_header_bytes);
            std::memcpy(record + 4, &skipped, sizeof skipped);
            commitWord(record).store(record_skip, std::memory_order_release);
            continue;
        }
        if (at < capacity && capacity - at >= record_header_bytes) {
            // Ours is the reservation that crossed the end: mark where the data stops.
            commitWord(slot.data.load(std::memory_order_acquire) + at).store(segment_end, std::memory_order_release);
        }
        Slot& next = slotFor(sequence + 1);
        if (next.sequence.load(std::memory_order_acquire) != sequence + 1) return std::nullopt;
        if (current_.compare_exchange_strong(sequence, sequence + 1, std::memory_order_acq_rel)) {
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

void EventLog::commit(const Reservation& reservation) noexcept {
    std::byte* record = reservation.payload - record_header_bytes;
    const auto size = static_cast<std::uint32_t>(reservation.size);
    const std::uint32_t crc = recordCrc(size, reservation.payload);
    std::memcpy(record + 4, &size, sizeof size);
    std::memcpy(record + 8, &crc, sizeof crc);
    commitWord(record).store(record_committed, std::memory_order_release);
}

void EventLog::advanceRead(std::uint64_t sequence) {
    read_sequence_ = sequence;
    read_offset_ = segment_header_bytes;
}

std::size_t EventLog::read(std::size_t max, const std::function<void(std::span<const std::byte>)>& on_record) {
    const std::uint64_t capacity = options_.segment_bytes;
    std::size_t count = 0;
    while (count < max) {
        Slot& slot = slotFor(read_sequence_);
        if (slot.sequence.load(std::memory_order_acquire) != read_sequence_) break;
        const bool finished = read_offset_ + record_header_bytes > capacity;
        if (!finished) {
            std::byte* record = slot.data.load(std::memory_order_acquire) + read_offset_;
            const std::uint32_t commit = commitWord(record).load(std::memory_order_acquire);
            std::uint32_t size = 0;
            if (commit == record_committed || commit == record_skip) {
                std::memcpy(&size, record + 4, sizeof size);  // written before the commit word
            }
            if (commit == record_committed) {
                on_record({record + record_header_bytes, size});
                read_offset_ += alignRecord(size);
                ++count;
                continue;
            }
            if (commit == record_skip) {
                read_offset_ += alignRecord(size);
                continue;
            }
            if (commit != segment_end) break;  // still being written, or nothing more yet
            read_offset_ = capacity;
        } else if (slot.tail.load(std::memory_order_acquire) < capacity) {
            break;  // no record fits any more; wait for a producer to move on
        }
        read_offset_ = capacity;
        Slot& next = slotFor(read_sequence_ + 1);
        if (next.sequence.load(std::memory_order_acquire) != read_sequence_ + 1) break;
        advanceRead(read_sequence_ + 1);
    }
    return count;
}

LogPosition EventLog::frontier() const noexcept {
    const std::uint64_t sequence = current_.load(std::memory_order_acquire);
    const std::uint64_t tail = slotFor(sequence).tail.load(std::memory_order_acquire);
    return {sequence, std::min<std::uint64_t>(tail, options_.segment_bytes)};
}

void EventLog::release(LogPosition stored) {
    std::vector<Mapping> done;
    {
        std::lock_guard lock(mutex_);
        const std::uint64_t current = current_.load(std::memory_order_acquire);
        while (released_before_ < current &&
               (released_before_ < stored.sequence ||
                (released_before_ == stored.sequence && stored.offset >= options_.segment_bytes))) {
            Slot& slot = slotFor(released_before_);
            slot.sequence.store(free_slot, std::memory_order_release);
            slot.data.store(nullptr, std::memory_order_release);
            if (slot.mapping.isFile()) spool_bytes_.fetch_sub(slot.mapping.size(), std::memory_order_relaxed);
            done.push_back(std::move(slot.mapping));
            ++released_before_;
        }
    }
    if (done.empty()) return;
    for (auto& mapping : done) mapping.remove();
    wake_preparer_.notify_one();
}

void EventLog::syncToDisk() {
    if (!options_.directory) return;
    std::lock_guard lock(mutex_);
    const std::uint64_t current = current_.load(std::memory_order_acquire);
    for (std::uint64_t sequence = released_before_; sequence <= current; ++sequence) {
        Slot& slot = slotFor(sequence);
        if (slot.sequence.load(std::memory_order_acquire) != sequence) continue;
        const std::uint64_t written = std::min<std::uint64_t>(slot.tail.load(std::memory_order_acquire), options_.segment_bytes);
        if (written > slot.synced) {
            slot.mapping.sync(slot.synced, written);
            slot.synced = written & ~std::uint64_t{4095};
        }
    }
}

std::string EventLog::spoolError() const {
    std::lock_guard lock(mutex_);
    return spool_error_;
}

}  // namespace metered::detail
