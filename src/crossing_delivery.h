// SPDX-License-Identifier: MIT
// Hands the store's claimed budget crossings to the host's callback (private).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>

#include "metered/budget_crossing.h"
#include "metered/usage_store.h"

namespace metered::detail {

/// Delivers the crossings a store holds as pending (UsageStore::pendingCrossings) to a
/// callback, at least once each: a crossing is marked delivered only after the callback
/// returned for it. A callback that throws leaves its crossing pending (the next round
/// calls it again) and does not hold up the others; a failing store ends the round. One
/// round at a time per deliverer; several deliverers (recorders, processes) may each
/// deliver a crossing, which is why the host dedupes by BudgetCrossing::key.
class CrossingDelivery {
public:
    using Callback = std::function<void(const BudgetCrossing&)>;

    CrossingDelivery(UsageStore& store, Callback callback) : store_(store), callback_(std::move(callback)) {}

    bool enabled() const noexcept { return static_cast<bool>(callback_); }

    /// One round: waits for a round in progress, then delivers what is pending. Never throws.
    void deliver() noexcept;
    /// One round, unless one is in progress (then returns at once). Never throws.
    void tryDeliver() noexcept;

    std::uint64_t delivered() const noexcept { return delivered_.load(std::memory_order_relaxed); }
    std::uint64_t failures() const noexcept { return failures_.load(std::memory_order_relaxed); }

private:
    void round() noexcept;

    static constexpr std::size_t page = 256;
    UsageStore& store_;
    Callback callback_;
    std::mutex mutex_;  // one round at a time
    std::atomic<std::uint64_t> delivered_{0};
    std::atomic<std::uint64_t> failures_{0};
};

}  // namespace metered::detail
