// SPDX-License-Identifier: MIT
// What a meter counts of usage (Meter::aggregation), said once for pricing and quotas (private).
#pragma once

#include <cstdint>
#include <set>
#include <span>
#include <string_view>

#include "metered/plan.h"
#include "metered/pricing.h"

namespace metered::detail {

/// What `meter` counts of `quantity` in `events` events: the quantity (sum) or the events
/// (count). A unique count is not a function of these: see uniqueValues.
inline Decimal measure(const Meter& meter, const Decimal& quantity, std::int64_t events) {
    return meter.aggregation == Aggregation::count ? Decimal(events) : quantity;
}

/// The number of distinct values of `meter`'s unique dimension with events of its type in
/// `totals` (usage by dimension value).
inline std::int64_t uniqueValues(const Meter& meter, std::span<const FilterUsageTotal> totals) {
    std::set<std::string_view> values;
    for (const FilterUsageTotal& total : totals) {
        if (total.type == meter.type && total.dimension == meter.unique_dimension && total.events > 0) {
            values.insert(total.value);
        }
    }
    return static_cast<std::int64_t>(values.size());
}

}  // namespace metered::detail
