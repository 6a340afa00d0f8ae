// SPDX-License-Identifier: MIT
// The usage a business is billed for, as its plans' meters count it (private).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "metered/account.h"
#include "metered/price_book.h"
#include "metered/usage_store.h"

namespace metered::detail {

/// One business's usage as bills, trends and quotas price it: the store's rollups, except
/// that
/// - each level type a plan meters with a level aggregation (time_weighted, maximum,
///   latest) has, as its quantity, what its meter counts of the level (levelThrough): per
///   day, the day's share of its cycle's quantity. Such a type is present on every day it
///   holds a level, reported that day or not; its events and list cost stay the store's;
/// - each type a plan's percentage meter bounds per transaction has its bounds
///   (UsageTotal::transaction_bounds): per day, the sum over the day's events of what
///   bounding each changes of its charge (PricingCalculator::boundTransaction, by the plan
///   of the event's day), its cycle's earlier events in the order they happened before it.
class MeteredUsage {
public:
    /// The plan that prices a local day: a billing cycle's first day's says how the cycle's
    /// level types are counted.
    using PlanOfDay = std::function<const Plan&(date::local_days day)>;

    /// `bounds_transactions`: whether any plan that may price the days bounds transactions
    /// (boundsTransactions); when not, reads never look for bounded meters.
    MeteredUsage(UsageStore& store, const Account& account, Timestamp now, PlanOfDay plan_of, bool bounds_transactions);

    std::vector<UsageTotal> totals(const DayRange& days) const;
    std::vector<DailyUsage> daily(const DayRange& days) const;
    std::vector<ModelUsageTotal> modelTotals(const DayRange& days) const {
        return store_.modelTotals(account_.id, days);
    }
    std::vector<DailyModelUsage> modelDaily(const DayRange& days) const { return store_.modelDaily(account_.id, days); }
    std::vector<DimensionUsageTotal> dimensionTotals(const DayRange& days, std::string_view dimension) const {
        return store_.dimensionTotals(account_.id, days, dimension);
    }
    std::vector<DailyDimensionUsage> dimensionDaily(const DayRange& days, std::string_view dimension) const {
        return store_.dimensionDaily(account_.id, days, dimension);
    }

private:
    // Each metered level type's quantity on each day of `days` (none without level meters).
    std::map<EventType, std::map<date::local_days, Decimal>> levelDays(const DayRange& days) const;
    // Each bounded type's transaction bounds on each day of `days` with events (none without such meters).
    std::map<EventType, std::map<date::local_days, Decimal>> boundDays(const DayRange& days) const;

    UsageStore& store_;
    const Account& account_;
    Timestamp now_;
    PlanOfDay plan_of_;
    bool bounds_transactions_;
};

/// True when a plan of `book` has a meter with a transaction minimum or maximum.
bool boundsTransactions(const PriceBook& book);

}  // namespace metered::detail
