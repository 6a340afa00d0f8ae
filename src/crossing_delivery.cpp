// SPDX-License-Identifier: MIT
#include "crossing_delivery.h"

#include <exception>
#include <string>
#include <vector>

namespace metered::detail {

void CrossingDelivery::deliver() noexcept {
    if (!enabled()) return;
    std::lock_guard lock(mutex_);
    round();
}

void CrossingDelivery::tryDeliver() noexcept {
    if (!enabled()) return;
    std::unique_lock lock(mutex_, std::try_to_lock);
    if (lock.owns_lock()) round();
}

void CrossingDelivery::round() noexcept {
    try {
        for (;;) {
            const std::vector<BudgetCrossing> pending = store_.pendingCrossings(page);
            std::vector<std::string> done;
            bool failed = false;
            for (const BudgetCrossing& crossing : pending) {
                try {
                    callback_(crossing);
                    done.push_back(crossing.key);
                } catch (...) {
                    // Stays pending: called again at the next round.
                    failures_.fetch_add(1, std::memory_order_relaxed);
                    failed = true;
                }
            }
            store_.markCrossingsDelivered(done);
            delivered_.fetch_add(done.size(), std::memory_order_relaxed);
            // A full page may have more behind it; after a failure the failed ones would
            // come back first, so the rest waits for the next round.
            if (pending.size() < page || failed) return;
        }
    } catch (const std::exception&) {
        // The store is unreachable or failing: what was not marked stays pending and is
        // delivered (again) at the next round.
        failures_.fetch_add(1, std::memory_order_relaxed);
    }
}

}  // namespace metered::detail
