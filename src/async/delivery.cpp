// SPDX-License-Identifier: MIT
#include "delivery.h"

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include "../append_isolating.h"
#include "metered/errors.h"

namespace metered::detail {
namespace {

using Steady = std::chrono::steady_clock;

}  // namespace

Delivery::Delivery(std::shared_ptr<UsageStore> store, const AsyncOptions& options)
    : store_(std::move(store)),
      retry_(options.retry),
      logger_(options.logger),
      on_dead_letter_(options.on_dead_letter),
      dead_letters_(options.dead_letter_path.value_or(options.spool_dir / "dead-letter.jsonl")),
      jitter_(std::random_device{}()) {}

bool Delivery::send(std::span<const UsageEvent> events, const std::function<bool()>& give_up) {
    auto backoff = retry_.initial_backoff;
    std::uint32_t attempts = 0;
    for (;;) {
        try {
            account(events, appendToStore(events));
            return true;
        } catch (const StoreError& e) {
            setError(e.what());
            if (!e.transient()) {
                for (const auto& event : events) deadLetter(event, e.what(), false);
                return true;
            }
            retries_.fetch_add(1, std::memory_order_relaxed);
            if (retry_.max_attempts != 0 && ++attempts >= retry_.max_attempts) {
                for (const auto& event : events) {
                    deadLetter(event, "store unavailable after " + std::to_string(attempts) + " attempts: " + e.what(),
                               false);
                }
                return true;
            }
            std::uniform_int_distribution<std::int64_t> spread(backoff.count() / 2, backoff.count());
            const auto wait = std::chrono::milliseconds([&] {
                const std::lock_guard lock(jitter_mutex_);
                return spread(jitter_);
            }());
            log(LogLevel::warning, "store unavailable, retrying " + std::to_string(events.size()) + " event(s) in " +
                                       std::to_string(wait.count()) + " ms: " + e.what());
            const auto until = Steady::now() + wait;
            while (Steady::now() < until) {
                if (give_up()) return false;
                std::this_thread::sleep_for(
                    std::min<Steady::duration>(until - Steady::now(), std::chrono::milliseconds(20)));
            }
            backoff = std::min(backoff * 2, retry_.max_backoff);
        }
    }
}

AppendResult Delivery::appendToStore(std::span<const UsageEvent> events) {
    // The stores isolate poison events themselves; a store of the host's that throws
    // anything but a StoreError for a batch is split until the event that fails is alone.
    std::vector<std::size_t> all(events.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    AppendResult result;
    appendIsolating(events, all, result, [&](std::span<const std::size_t> chunk) {
        if (chunk.size() == events.size()) return appends_.timed([&] { return store_->append(events); });
        std::vector<UsageEvent> part;
        part.reserve(chunk.size());
        for (std::size_t i : chunk) part.push_back(events[i]);
        AppendResult outcome = appends_.timed([&] { return store_->append(part); });
        for (auto& rejection : outcome.rejected) rejection.index = chunk[rejection.index];
        return outcome;
    });
    return result;
}

void Delivery::account(std::span<const UsageEvent> events, const AppendResult& result) {
    stored_.fetch_add(result.stored, std::memory_order_relaxed);
    duplicates_.fetch_add(result.duplicates, std::memory_order_relaxed);
    for (const auto& rejection : result.rejected) {
        deadLetter(events[rejection.index], rejection.reason, rejection.kind == RejectionKind::idempotency_conflict);
    }
}

void Delivery::deadLetter(const UsageEvent& event, std::string_view reason, bool conflict) {
    if (conflict) conflicts_.fetch_add(1, std::memory_order_relaxed);
    const std::string message = "dead-lettered event " + event.id.toString() + ": " + std::string(reason);
    std::string error;
    setError(dead_letters_.write(event, reason, error) ? message : message + " (" + error + ")");
    log(LogLevel::error, message);
    if (on_dead_letter_) {
        const std::lock_guard lock(host_calls_);
        try {
            on_dead_letter_(event, reason);
        } catch (...) {
            // A host callback that throws must not stop the flusher.
        }
    }
    dead_lettered_.fetch_add(1, std::memory_order_release);
}

void Delivery::deadLetterRaw(std::span<const std::byte> bytes, const std::string& reason) {
    std::string error;
    setError(dead_letters_.writeRaw(bytes, reason, error) ? reason : reason + " (" + error + ")");
    log(LogLevel::error, "dead-lettered an " + reason);
    dead_lettered_.fetch_add(1, std::memory_order_release);
}

void Delivery::log(LogLevel level, const std::string& message) const {
    if (!logger_) return;
    const std::lock_guard lock(host_calls_);
    try {
        logger_(level, message);
    } catch (...) {
        // A host logger that throws must not stop the flusher.
    }
}

void Delivery::setError(const std::string& message) {
    std::lock_guard lock(error_mutex_);
    last_error_ = message;
}

std::string Delivery::lastError() const {
    std::lock_guard lock(error_mutex_);
    return last_error_;
}

void Delivery::fillStats(RecorderStats& stats) const {
    stats.stored = stored_.load(std::memory_order_relaxed);
    stats.duplicates = duplicates_.load(std::memory_order_relaxed);
    stats.retries = retries_.load(std::memory_order_relaxed);
    stats.dead_lettered = dead_lettered_.load(std::memory_order_relaxed);
    stats.idempotency_conflicts = conflicts_.load(std::memory_order_relaxed);
    stats.append_latency = appends_.snapshot();
}

std::uint64_t Delivery::settled() const noexcept { return stored_ + duplicates_ + dead_lettered_; }

}  // namespace metered::detail
