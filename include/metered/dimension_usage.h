// SPDX-License-Identifier: MIT
// How much one value of one dimension used over some days, read from rollups.
#pragma once

#include <string>
#include <vector>

#include <date/date.h>

#include "metered/billing_period.h"
#include "metered/ids.h"
#include "metered/usage_total.h"

namespace metered {

/// The usage of one event type by one value of a dimension over a span of days: e.g. the
/// API calls of end user "u-42" in a billing period, with their list cost (the price the
/// recorder recorded them at). `value` may be dimension_overflow_value: the values past
/// the dimension's max_values in a billing cycle, together.
struct DimensionUsageTotal {
    std::string value;
    UsageTotal total;

    friend bool operator==(const DimensionUsageTotal&, const DimensionUsageTotal&) = default;
};

/// One local day of a DimensionUsageTotal.
struct DailyDimensionUsage {
    date::local_days day;
    DimensionUsageTotal total;

    friend bool operator==(const DailyDimensionUsage&, const DailyDimensionUsage&) = default;
};

/// Which dimension a read is grouped by: a declared one (`end_user`) or the built-in `model`.
struct GroupBy {
    std::string dimension;
};

/// One value's usage in a grouped read: its per-type totals (ordered by type) and their
/// list cost, the price the recorder recorded each event at (its one pricing code: the
/// price book's list price, or the rate card's exact cost for LLM and voice calls), before
/// plan allowances, tiers and markups, which apply to a bill as a whole and not per value.
struct GroupedUsage {
    std::string value;
    std::vector<UsageTotal> usage;
    Decimal list_cost;

    friend bool operator==(const GroupedUsage&, const GroupedUsage&) = default;
};

/// A business's usage over a period, grouped by the values of one dimension (ordered by
/// value, bytewise; dimension_overflow_value among them when a cycle had more than
/// max_values values).
struct GroupedBillingUsage {
    BusinessId business;
    BillingPeriod period;
    std::string dimension;
    std::vector<GroupedUsage> groups;
};

/// One local day of a grouped trend: the values with usage that day.
struct GroupedTrendPoint {
    date::year_month_day date;
    std::vector<GroupedUsage> groups;
};

/// Groups per-(value, type) totals by value (input ordered by value, as dimensionTotals gives).
inline std::vector<GroupedUsage> groupByValue(const std::vector<DimensionUsageTotal>& totals) {
    std::vector<GroupedUsage> groups;
    for (const DimensionUsageTotal& t : totals) {
        if (groups.empty() || groups.back().value != t.value) groups.push_back({t.value, {}, {}});
        groups.back().usage.push_back(t.total);
        groups.back().list_cost += t.total.list_cost;
    }
    return groups;
}

}  // namespace metered
