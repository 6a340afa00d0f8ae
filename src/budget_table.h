// SPDX-License-Identifier: MIT
// The in-memory budgets a recorder decides hard caps from (private; docs/budgets.md).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crossing_claims.h"
#include "metered/budget.h"
#include "metered/decimal.h"
#include "metered/dimension.h"
#include "metered/errors.h"
#include "metered/time.h"
#include "metered/usage_store.h"

namespace metered::detail {

// Budgets count in nano currency units (10^-9): an amount has at most 9 fractional digits,
// a cost with more is rounded UP, so a running total is never below the exact spend.
std::int64_t ceilNanos(const Decimal& value) noexcept;
Decimal fromNanos(std::int64_t nanos);

// What `budget` has spent in `days` according to the store: from `model_totals` (the
// business's modelTotals over `days`), or for a dimension budget from the store's
// dimension rollups of its dimension.
Decimal storedSpentOf(UsageStore& store, const Budget& budget, const DayRange& days,
                      std::span<const ModelUsageTotal> model_totals);

// This recorder's running totals are counted per thread: `budget_shards` cells per budget,
// a thread adding only to its own (threads beyond that many share one), so that record
// calls on different cores do not fight over one cache line; the decision sums them.
inline constexpr std::size_t budget_shards = 16;

// The cell of the calling thread: assigned on its first budgeted call, round robin.
inline std::size_t budgetShard() noexcept {
    static std::atomic<std::size_t> next{0};
    thread_local const std::size_t mine = next.fetch_add(1, std::memory_order_relaxed) % budget_shards;
    return mine;
}

// One budget as the record path sees it. `base + local()` is its running total: `local()`
// sums the cells advanced by this recorder's record calls, `base` is set by the refresher.
//
// The decision does not read every cell on every call: each thread also publishes what it
// added to `published` (a shared counter written about once per `chunk` of its own
// spend). A thread's unpublished spend is below `chunk` after each of its adds, so the
// running total is below `base + published + budget_shards × chunk`: while that (plus the
// call's estimate) stays below the amount, the call is allowed without reading the other
// threads' cells; closer to the amount, the decision sums them exactly.
struct BudgetEntry {
    Budget budget;
    std::int64_t amount = 0;  // nanos
    std::int64_t chunk = 1;   // nanos a thread adds before it publishes them
    date::local_days cycle_start;
    Timestamp cycle_end;  // the running total says nothing from here on (a new cycle)
    std::atomic<std::int64_t> base{0};
    std::atomic<std::int64_t> published{0};
    // Shard s's cell is cells[s * stride], its unpublished spend cells[s * stride + unpublished_at].
    // The cells of one shard (thread) for every budget lie together, a shard's block starting on
    // a cache line of its own (BudgetSnapshot).
    std::atomic<std::int64_t>* cells = nullptr;
    std::size_t stride = 0;
    std::size_t unpublished_at = 0;

    void add(std::int64_t nanos) noexcept {
        const std::size_t shard = budgetShard() * stride;
        cells[shard].fetch_add(nanos, std::memory_order_relaxed);
        std::atomic<std::int64_t>& unpublished = cells[shard + unpublished_at];
        if (unpublished.fetch_add(nanos, std::memory_order_relaxed) + nanos >= chunk) {
            published.fetch_add(unpublished.exchange(0, std::memory_order_relaxed), std::memory_order_relaxed);
        }
    }
    std::int64_t local() const noexcept {
        std::int64_t sum = 0;
        for (std::size_t s = 0; s < budget_shards; ++s) sum += cells[s * stride].load(std::memory_order_relaxed);
        return sum;
    }
    std::int64_t total() const noexcept {
        const std::int64_t sum = base.load(std::memory_order_relaxed) + local();
        return sum < 0 ? 0 : sum;
    }
    // True when the running total plus `estimate` is surely below the amount, read from
    // `base` and `published` alone. (Threads sharing a shard, past budget_shards threads,
    // can hold up to two chunks unpublished for a moment: the bound counts two per shard.)
    bool surelyBelow(std::int64_t estimate) const noexcept {
        // Each term is checked below the amount (at most 10^18 nanos) before the sum, so
        // the sum cannot overflow.
        const std::int64_t known = base.load(std::memory_order_relaxed);
        const std::int64_t shared = published.load(std::memory_order_relaxed);
        if (known >= amount || shared >= amount || estimate >= amount) return false;
        const std::int64_t slack = 2 * static_cast<std::int64_t>(budget_shards) * chunk;
        return known + shared + slack + std::max<std::int64_t>(estimate, 0) < amount;
    }
    // Does a call of `model` ("provider/model", or provider and name apart) carrying
    // `dimensions` count here?
    bool counts(std::string_view provider, std::string_view name,
                std::span<const DimensionValue> dimensions) const noexcept {
        if (budget.dimension) {
            for (const DimensionValue& d : dimensions) {
                if (d.name == budget.dimension->name && d.value == budget.dimension->value) return true;
            }
            return false;
        }
        if (!budget.model) return true;
        const std::string& m = *budget.model;
        if (name.empty()) return !provider.empty() && m == provider;
        return m.size() == provider.size() + 1 + name.size() && m.compare(0, provider.size(), provider) == 0 &&
               m[provider.size()] == '/' && m.compare(provider.size() + 1, std::string::npos, name) == 0;
    }
};

// An immutable set of budgets ordered by business then id; only the atomics change.
struct BudgetSnapshot {
    std::unique_ptr<BudgetEntry[]> entries;
    std::size_t count = 0;
    // budget_shards blocks of `stride` cells (a whole number of cache lines), the first
    // aligned to 64 bytes within `storage`.
    std::unique_ptr<std::atomic<std::int64_t>[]> storage;

    // Allocates the entries and their cells, zeroed.
    explicit BudgetSnapshot(std::size_t n);

    std::span<BudgetEntry> of(const BusinessId& business) const noexcept {
        BudgetEntry* begin = entries.get();
        BudgetEntry* end = begin + count;
        BudgetEntry* first = std::lower_bound(
            begin, end, business, [](const BudgetEntry& e, const BusinessId& b) { return e.budget.business < b; });
        BudgetEntry* last = first;
        while (last != end && last->budget.business == business) ++last;
        return {first, static_cast<std::size_t>(last - first)};
    }
};

// The in-memory budgets of a recorder. Readers (record calls, checkBudget) load the
// current snapshot through an atomic pointer: no lock. Only refresh() (under its mutex)
// publishes a new snapshot, when the set of budgets or a cycle changes; replaced
// snapshots are kept until the recorder dies, so a reader never sees freed memory.
class BudgetTable {
public:
    // Says whether what this recorder queued before the call is all stored now.
    using Flush = std::function<bool()>;

    // Throws BudgetExceededError if a hard budget of `business` counting this call is
    // reached, or would be passed by `estimate` nanos.
    void check(const BusinessId& business, std::string_view provider, std::string_view name,
               std::span<const DimensionValue> dimensions, Timestamp now, std::int64_t estimate) const {
        const BudgetSnapshot* snapshot = current_.load(std::memory_order_acquire);
        if (snapshot == nullptr || snapshot->count == 0) return;
        for (const BudgetEntry& entry : snapshot->of(business)) {
            if (entry.budget.kind != BudgetKind::hard || now >= entry.cycle_end ||
                !entry.counts(provider, name, dimensions)) {
                continue;
            }
            if (entry.surelyBelow(estimate)) continue;
            const std::int64_t spent = entry.total();
            if (spent >= entry.amount || (estimate > 0 && spent + estimate > entry.amount)) refuse(entry, spent);
        }
    }

    void advance(const BusinessId& business, std::string_view provider, std::string_view name,
                 std::span<const DimensionValue> dimensions, std::int64_t cost) noexcept {
        if (cost == 0) return;
        const BudgetSnapshot* snapshot = current_.load(std::memory_order_acquire);
        if (snapshot == nullptr || snapshot->count == 0) return;
        for (BudgetEntry& entry : snapshot->of(business)) {
            if (entry.counts(provider, name, dimensions)) entry.add(cost);
        }
    }

    // Reloads budgets and spent from `store` at `now`; `flush` stores what this recorder
    // queued before it was called and says whether it all was.
    void refresh(UsageStore& store, Timestamp now, const Flush& flush);
    // refresh() unless another refresh is under way (then returns false at once).
    bool tryRefresh(UsageStore& store, Timestamp now, const Flush& flush);
    // Refreshes that read the store to the end.
    std::uint64_t refreshes() const noexcept { return refreshes_.load(std::memory_order_relaxed); }

private:
    [[noreturn]] static void refuse(const BudgetEntry& entry, std::int64_t spent);
    void refreshLocked(UsageStore& store, Timestamp now, const Flush& flush);

    std::atomic<BudgetSnapshot*> current_{nullptr};
    std::mutex mutex_;
    std::vector<std::unique_ptr<BudgetSnapshot>> kept_;  // every snapshot ever published
    std::atomic<std::uint64_t> refreshes_{0};
};

}  // namespace metered::detail
