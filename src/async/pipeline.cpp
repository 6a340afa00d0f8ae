// SPDX-License-Identifier: MIT
#include "pipeline.h"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <future>

#include "metered/errors.h"

namespace metered::detail {
namespace {

using Steady = std::chrono::steady_clock;

// Counts a submit() call in, and out however it leaves (failures counted apart).
struct Call {
    ShardedCounter& left;
    std::atomic<std::uint64_t>& failed;
    bool succeeded = false;
    Call(ShardedCounter& entered, ShardedCounter& left_counter, std::atomic<std::uint64_t>& failures)
        : left(left_counter), failed(failures) {
        entered.add(1, std::memory_order_seq_cst);  // ordered before the closed_ check: see close()
    }
    ~Call() {
        if (!succeeded) failed.fetch_add(1, std::memory_order_relaxed);
        left.add(1, std::memory_order_release);
    }
};

}  // namespace

AsyncPipeline::AsyncPipeline(std::shared_ptr<UsageStore> store, AsyncOptions options, bool spool)
    : options_(std::move(options)), delivery_(std::move(store), options_) {
    EventLogOptions log_options;
    log_options.segment_bytes = options_.segment_bytes;
    log_options.total_bytes = options_.queue_bytes;
    if (spool) {
        spool_.emplace(options_.spool_dir);
        // What earlier processes left counts against the bound until it is replayed: a
        // crash loop keeps the spool within queue_bytes.
        log_options.reserved_bytes = spool_->leftoverBytes();
        log_options.directory = spool_->path();
        log_options.first_sequence = spool_->nextSequence();
    }
    try {
        log_ = std::make_unique<EventLog>(log_options);
    } catch (const std::exception& e) {
        throw Error(std::string("cannot start the event log: ") + e.what());
    }
    if (spool_) replay_.emplace(*spool_, *log_, delivery_, options_.max_batch);
    stored_position_ = log_->readPosition();
    flusher_ = std::thread([this] { run(); });
    if (spool && options_.fsync != FsyncPolicy::none) syncer_ = std::thread([this] { syncLoop(); });
}

AsyncPipeline::~AsyncPipeline() {
    close(options_.close_timeout);
    log_.reset();
}

void AsyncPipeline::submit(const EventDraft& draft) {
    Call call(entered_, left_, failed_);
    if (closed_.load(std::memory_order_seq_cst)) throw Error("the recorder is closed");
    const std::size_t size = encodedEventSize(draft);
    auto reservation = log_->tryReserve(size);
    if (!reservation && options_.overflow == OverflowPolicy::block) {
        reservation = log_->reserve(size, Steady::now() + options_.block_timeout);
    }
    if (!reservation) {
        rejected_.fetch_add(1, std::memory_order_relaxed);
        const std::string spool_error = log_->spoolError();
        throw QueueFullError(spool_error.empty() ? "the event queue is full (the store is behind or unavailable)"
                                                 : "the event spool cannot grow: " + spool_error);
    }
    encodeEvent(draft, reservation->payload);
    log_->commit(*reservation);
    call.succeeded = true;
}

std::uint64_t AsyncPipeline::recordedCount() const noexcept {
    const std::int64_t recorded = left_.sum() - static_cast<std::int64_t>(failed_.load(std::memory_order_relaxed));
    return static_cast<std::uint64_t>(std::max<std::int64_t>(recorded, 0));
}

std::int64_t AsyncPipeline::inFlight() const noexcept {
    const std::int64_t left = left_.sum(std::memory_order_seq_cst);
    return entered_.sum(std::memory_order_seq_cst) - left;
}

void AsyncPipeline::run() {
    pthread_setname_np(pthread_self(), "metered-flush");  // shows in top, perf and gdb
    replaySpool();
    const auto poll = std::min<std::chrono::milliseconds>(options_.flush_interval, std::chrono::milliseconds(10));
    std::vector<UsageEvent> pending;
    pending.reserve(options_.max_batch);
    auto oldest = Steady::now();
    bool gave_up = false;
    // With appends_in_flight > 1: the batches being appended on threads of their own, oldest
    // first, each with the log position after it (published once it and those before it
    // are stored).
    struct Sending {
        std::future<bool> sent;  // false: given up (closing past the deadline)
        LogCursor position;
    };
    std::deque<Sending> sending;
    // Publishes the oldest batches that are done (waiting for each, with `wait`); false when
    // one was given up.
    const auto settle = [&](bool wait) {
        while (!sending.empty()) {
            Sending& first = sending.front();
            if (!wait && first.sent.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return true;
            if (!first.sent.get()) return false;
            publishStored(first.position);
            sending.pop_front();
        }
        return true;
    };
    // A flush wakes the flusher at once; but when the last pass found nothing to read or
    // send while a flush waits (a spool leftover that could not be replayed, say), the
    // flusher polls until another flush comes, rather than spin until the flush times out.
    bool idle = false;
    std::uint64_t flushes_seen = 0;
    for (;;) {
        bool urgent = false, closing = false;
        {
            std::unique_lock lock(mutex_);
            wake_.wait_for(lock, poll,
                           [&] { return closing_ || (flush_requests_ > 0 && (!idle || flushes_ != flushes_seen)); });
            flushes_seen = flushes_;
            urgent = closing_ || flush_requests_ > 0;
            closing = closing_;
        }
        idle = true;
        for (;;) {
            const bool was_empty = pending.empty();
            log_->read(options_.max_batch - pending.size(), [&](std::span<const std::byte> bytes) {
                idle = false;
                try {
                    pending.push_back(decodeEvent(bytes));
                } catch (const std::exception& e) {
                    unreadable_.fetch_add(1, std::memory_order_relaxed);
                    delivery_.deadLetterRaw(bytes, std::string("unreadable queued event: ") + e.what());
                }
            });
            if (was_empty && !pending.empty()) oldest = Steady::now();
            const LogCursor position = log_->readPosition();
            const bool full = pending.size() >= options_.max_batch;
            const bool due = !pending.empty() && (urgent || Steady::now() - oldest >= options_.flush_interval);
            if (full || due) {
                idle = false;
                if (options_.fsync == FsyncPolicy::every_batch) syncNow();
                if (options_.appends_in_flight <= 1) {
                    if (!delivery_.send(pending, [this] { return giveUp(); })) {
                        gave_up = true;
                        break;
                    }
                    pending.clear();
                    publishStored(position);
                    continue;
                }
                // The oldest batch must be done before another starts.
                while (sending.size() >= options_.appends_in_flight && !gave_up) {
                    const Sending& first = sending.front();
                    first.sent.wait();
                    gave_up = !settle(false);
                }
                if (gave_up) break;
                sending.push_back({std::async(std::launch::async,
                                              [this, events = std::move(pending)] {
                                                  return delivery_.send(events, [this] { return giveUp(); });
                                              }),
                                   position});
                pending = {};
                pending.reserve(options_.max_batch);
                continue;
            }
            // A flush or close waits for the batches being appended.
            if (!sending.empty()) idle = false;
            if (!settle(urgent)) {
                gave_up = true;
                break;
            }
            if (pending.empty() && sending.empty()) publishStored(position);
            break;
        }
        if (gave_up) break;
        if (closing) {
            const bool drained =
                pending.empty() && sending.empty() && inFlight() == 0 && covers(log_->readPosition(), log_->frontier());
            if (drained || Steady::now() > close_deadline_) {
                std::lock_guard lock(mutex_);
                all_stored_ = drained && leftovers_.empty();
                break;
            }
        }
    }
    if (options_.fsync != FsyncPolicy::none) syncNow();
    {
        std::lock_guard lock(mutex_);
        finished_ = true;
    }
    progress_.notify_all();
}

void AsyncPipeline::replaySpool() {
    std::vector<std::filesystem::path> kept;
    if (replay_) kept = replay_->run([this] { return giveUp(); });
    {
        std::lock_guard lock(mutex_);
        leftovers_ = std::move(kept);
        replayed_spool_ = true;
    }
    progress_.notify_all();
}

void AsyncPipeline::syncNow() {
    if (log_->syncToDisk()) syncs_.fetch_add(1, std::memory_order_relaxed);
}

void AsyncPipeline::syncLoop() {
    // Its own thread, so the policy holds whatever the flusher is doing: retrying an
    // unavailable store, or replaying a long spool. every_batch also syncs at the batch
    // cadence, for events that wait because no batch can be sent.
    pthread_setname_np(pthread_self(), "metered-sync");
    const auto period = options_.fsync == FsyncPolicy::interval ? options_.fsync_interval : options_.flush_interval;
    std::unique_lock lock(sync_mutex_);
    while (!sync_stop_) {
        sync_wake_.wait_for(lock, period, [&] { return sync_stop_; });
        if (sync_stop_) break;
        lock.unlock();
        syncNow();
        lock.lock();
    }
}

void AsyncPipeline::publishStored(const LogCursor& position) {
    {
        std::lock_guard lock(mutex_);
        stored_position_ = position;
    }
    log_->release(position);
    progress_.notify_all();
}

bool AsyncPipeline::giveUp() const {
    std::lock_guard lock(mutex_);
    return closing_ && Steady::now() > close_deadline_;
}

bool AsyncPipeline::flush(std::chrono::milliseconds timeout) {
    const LogCursor target = log_->frontier();
    std::unique_lock lock(mutex_);
    ++flush_requests_;
    ++flushes_;
    wake_.notify_one();
    const auto done = [&] { return replayed_spool_ && leftovers_.empty() && covers(stored_position_, target); };
    progress_.wait_for(lock, timeout, [&] { return done() || finished_; });
    --flush_requests_;
    return done();
}

bool AsyncPipeline::close(std::chrono::milliseconds timeout) {
    closed_.store(true, std::memory_order_seq_cst);
    {
        std::lock_guard lock(mutex_);
        if (!closing_) {
            closing_ = true;
            close_deadline_ = Steady::now() + timeout;
        }
    }
    wake_.notify_one();
    if (flusher_.joinable()) flusher_.join();
    {
        std::lock_guard lock(sync_mutex_);
        sync_stop_ = true;
    }
    sync_wake_.notify_all();
    if (syncer_.joinable()) syncer_.join();
    std::lock_guard lock(mutex_);
    if (all_stored_) {
        log_->discardOnDestruction();
        return true;
    }
    const std::uint64_t in = recordedCount() + (replay_ ? replay_->replayed() : 0);
    const std::uint64_t out = delivery_.settled();
    if (in > out) {
        delivery_.setError(std::to_string(in - out) + " event(s) not stored at close" +
                           (spool_ ? " (kept in the spool for the next start)" : " (lost: no spool)"));
    }
    return false;
}

void AsyncPipeline::fillStats(RecorderStats& stats) const {
    stats.recorded = recordedCount();
    stats.rejected = rejected_.load(std::memory_order_relaxed);
    delivery_.fillStats(stats);
    stats.replayed = replay_ ? replay_->replayed() : 0;
    stats.spool_corrupt = unreadable_.load(std::memory_order_relaxed) + (replay_ ? replay_->corrupt() : 0);
    stats.spool_syncs = syncs_.load(std::memory_order_relaxed);
    const std::uint64_t in = stats.recorded + stats.replayed;
    const std::uint64_t out = stats.stored + stats.duplicates + stats.dead_lettered;
    stats.queue_depth = in > out ? in - out : 0;
    stats.spool_bytes = log_->spoolBytes() + (replay_ ? replay_->leftoverBytes() : 0);
    stats.last_error = delivery_.lastError();
}

}  // namespace metered::detail
