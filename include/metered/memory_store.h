// SPDX-License-Identifier: MIT
// A UsageStore held in process memory, for tests and examples.
#pragma once

#include <memory>
#include <mutex>

#include "metered/export.h"
#include "metered/usage_store.h"

namespace metered {

/// A complete UsageStore in memory: the same contract as the database stores (idempotent
/// appends, per-day rollups, poison events rejected), nothing persisted. Ready to use on
/// construction (already migrated). Thread-safe: one mutex guards everything.
class METERED_API MemoryStore final : public UsageStore {
public:
    MemoryStore();
    ~MemoryStore() override;

    /// Every UsageStore call, as its contract in usage_store.h says.
    METERED_USAGE_STORE_OVERRIDES

    /// Every stored event of `business`, in the order stored (for tests and inspection).
    std::vector<UsageEvent> events(const BusinessId& business) const;

private:
    struct State;
    mutable std::mutex mutex_;
    std::unique_ptr<State> state_;
};

}  // namespace metered
