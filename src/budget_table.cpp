// SPDX-License-Identifier: MIT
#include "budget_table.h"

#include <array>
#include <limits>
#include <tuple>

#include "decimal_access.h"

namespace metered::detail {
namespace {

constexpr std::int64_t nano_limit = std::numeric_limits<std::int64_t>::max() / 4;  // saturate here

// 10^k, and the largest mantissa that 10^k takes to nano_limit or below, for k ≤ 9.
constexpr auto nano_factors = [] {
    struct Factors {
        std::array<std::int64_t, 10> power{}, largest{};
    } f;
    std::int64_t power = 1;
    for (std::size_t k = 0; k < 10; ++k, power *= 10) {
        f.power[k] = power;
        f.largest[k] = nano_limit / power;
    }
    return f;
}();

}  // namespace

std::int64_t ceilNanos(const Decimal& value) noexcept {
    if (value.signum() <= 0) return 0;
    int128 m = DecimalAccess::mantissa(value);
    const int scale = value.scale();
    if (scale <= 9) {  // m × 10^(9 - scale), saturated: m ≤ ⌊limit / f⌋ exactly when m × f ≤ limit
        const auto k = static_cast<std::size_t>(9 - scale);
        return m > nano_factors.largest[k] ? nano_limit : static_cast<std::int64_t>(m) * nano_factors.power[k];
    }
    // One division, in 64 bits when the mantissa fits (a cost below $9.2 at 18 digits).
    std::int64_t divisor = 1;
    for (int k = scale - 9; k > 0; --k) divisor *= 10;  // ≤ 10^15
    if (m <= std::numeric_limits<std::int64_t>::max()) {
        const auto small = static_cast<std::int64_t>(m);
        m = small / divisor + (small % divisor != 0 ? 1 : 0);
    } else {
        m = m / divisor + (m % divisor != 0 ? 1 : 0);
    }
    return m > nano_limit ? nano_limit : static_cast<std::int64_t>(m);
}

Decimal fromNanos(std::int64_t nanos) { return Decimal::fromMantissa(nanos, 9).normalized(); }

Decimal storedSpentOf(UsageStore& store, const Budget& budget, const DayRange& days,
                      std::span<const ModelUsageTotal> model_totals) {
    if (!budget.dimension) return spentOf(budget, model_totals);
    return dimensionSpentOf(budget, store.dimensionTotals(budget.business, days, budget.dimension->name));
}

// What `budget` has spent according to the per-model totals of its business's cycle.
BudgetSnapshot::BudgetSnapshot(std::size_t n) : entries(std::make_unique<BudgetEntry[]>(n)), count(n) {
    if (n == 0) return;
    // A shard's block: every budget's cell, then every budget's unpublished spend.
    constexpr std::size_t per_line = 64 / sizeof(std::atomic<std::int64_t>);
    const std::size_t half = (n + per_line - 1) / per_line * per_line;
    const std::size_t stride = 2 * half;
    storage = std::make_unique<std::atomic<std::int64_t>[]>(budget_shards * stride + per_line - 1);
    std::atomic<std::int64_t>* first = storage.get();
    while (reinterpret_cast<std::uintptr_t>(first) % 64 != 0) ++first;
    for (std::size_t i = 0; i < n; ++i) {
        entries[i].cells = first + i;
        entries[i].stride = stride;
        entries[i].unpublished_at = half;
    }
}

void BudgetTable::refuse(const BudgetEntry& entry, std::int64_t spent) {
    throw BudgetExceededError(entry.budget.id, entry.budget.amount, fromNanos(spent));
}

void BudgetTable::refresh(UsageStore& store, Timestamp now, const Flush& flush) {
    std::lock_guard lock(mutex_);
    refreshLocked(store, now, flush);
    refreshes_.fetch_add(1, std::memory_order_relaxed);
}

bool BudgetTable::tryRefresh(UsageStore& store, Timestamp now, const Flush& flush) {
    std::unique_lock lock(mutex_, std::try_to_lock);
    if (!lock.owns_lock()) return false;
    refreshLocked(store, now, flush);
    refreshes_.fetch_add(1, std::memory_order_relaxed);
    return true;
}

void BudgetTable::refreshLocked(UsageStore& store, Timestamp now, const Flush& flush) {
    std::vector<Budget> budgets = store.listAllBudgets();
    std::sort(budgets.begin(), budgets.end(),
              [](const Budget& a, const Budget& b) { return std::tie(a.business, a.id) < std::tie(b.business, b.id); });
    // The current cycle of each business with budgets.
    std::vector<std::pair<BusinessId, BillingPeriod>> cycles;
    for (const Budget& budget : budgets) {
        if (!cycles.empty() && cycles.back().first == budget.business) continue;
        const auto account = store.findAccount(budget.business);
        if (!account) continue;
        cycles.emplace_back(budget.business, BillingPeriod::resolve(PeriodSpec::currentCycle(), *account, now));
    }
    const auto cycleOf = [&](const BusinessId& business) -> const BillingPeriod* {
        for (const auto& [id, period] : cycles) {
            if (id == business) return &period;
        }
        return nullptr;
    };
    std::erase_if(budgets, [&](const Budget& b) { return cycleOf(b.business) == nullptr; });

    BudgetSnapshot* old = current_.load(std::memory_order_acquire);
    const auto oldEntry = [&](const Budget& budget, date::local_days start) -> BudgetEntry* {
        if (old == nullptr) return nullptr;
        for (BudgetEntry& entry : old->of(budget.business)) {
            if (entry.budget.id == budget.id && entry.cycle_start == start) return &entry;
        }
        return nullptr;
    };
    bool same = old != nullptr && old->count == budgets.size();
    for (std::size_t i = 0; same && i < budgets.size(); ++i) {
        same = old->entries[i].budget == budgets[i] &&
               old->entries[i].cycle_start == cycleOf(budgets[i].business)->days.first;
    }
    BudgetSnapshot* target = old;
    std::unique_ptr<BudgetSnapshot> fresh;
    if (!same) {
        fresh = std::make_unique<BudgetSnapshot>(budgets.size());
        for (std::size_t i = 0; i < budgets.size(); ++i) {
            BudgetEntry& entry = fresh->entries[i];
            const BillingPeriod& period = *cycleOf(budgets[i].business);
            entry.budget = budgets[i];
            entry.amount = ceilNanos(budgets[i].amount);
            // About 1/1024 of the amount: the exact sum is read from ~97 % of the amount on.
            entry.chunk = std::max<std::int64_t>(1, entry.amount / static_cast<std::int64_t>(64 * budget_shards));
            entry.cycle_start = period.days.first;
            entry.cycle_end = period.end;
        }
        target = fresh.get();
    }
    // What each budget's recorder-local counter held before the flush and the store read.
    std::vector<BudgetEntry*> previous(target->count);
    std::vector<std::int64_t> marks(target->count);
    for (std::size_t i = 0; i < target->count; ++i) {
        previous[i] = same ? &target->entries[i] : oldEntry(target->entries[i].budget, target->entries[i].cycle_start);
        marks[i] = previous[i] != nullptr ? previous[i]->local() : 0;
    }
    const bool flushed = flush();
    std::vector<std::int64_t> spent(target->count);
    for (std::size_t i = 0; i < target->count;) {
        const BusinessId& business = target->entries[i].budget.business;
        const auto totals = store.modelTotals(business, cycleOf(business)->days);
        for (; i < target->count && target->entries[i].budget.business == business; ++i) {
            spent[i] = ceilNanos(storedSpentOf(store, target->entries[i].budget, cycleOf(business)->days, totals));
        }
    }
    for (std::size_t i = 0; i < target->count; ++i) {
        BudgetEntry& entry = target->entries[i];
        // Unflushed (the flush timed out), the store misses what this recorder still holds
        // queued, and the total so far misses what others stored since the last refresh:
        // both are lower bounds of the spend, so the larger one is kept. Others' spend still
        // reaches the decision while this recorder's queue is slow to drain.
        if (same) {
            // Records after the mark are counted by `local()` beyond it.
            const std::int64_t base = entry.base.load(std::memory_order_relaxed);
            entry.base.store(flushed ? spent[i] - marks[i] : std::max(base, spent[i] - marks[i]),
                             std::memory_order_relaxed);
        } else if (previous[i] != nullptr) {
            const std::int64_t before = previous[i]->base.load(std::memory_order_relaxed) + marks[i];
            entry.base.store(flushed ? spent[i] : std::max(before, spent[i]), std::memory_order_relaxed);
        } else {
            entry.base.store(spent[i], std::memory_order_relaxed);
        }
    }
    if (fresh) {
        current_.store(fresh.get(), std::memory_order_release);
        // Records that reached the old snapshot after the mark count in the new one.
        for (std::size_t i = 0; i < fresh->count; ++i) {
            if (previous[i] != nullptr) {
                fresh->entries[i].add(previous[i]->local() - marks[i]);
            }
        }
        kept_.push_back(std::move(fresh));
    }
}

}  // namespace metered::detail
