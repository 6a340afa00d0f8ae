// SPDX-License-Identifier: MIT
// How much of one event type a business used over some days.
#pragma once

#include <cstdint>

#include "metered/decimal.h"
#include "metered/event_type.h"

namespace metered {

/// The sum of one event type's usage over a span of days (a billing period, or one day).
struct UsageTotal {
    EventType type = EventType::apiCall();
    Decimal quantity;         ///< sum of the events' quantities
    std::int64_t events = 0;  ///< number of events
    Decimal list_cost;        ///< sum of the events' list costs (before allowances)
    /// A percentage meter with per-transaction bounds (Meter::transaction_minimum, maximum):
    /// what bounding each event's charge added (minimums) or took off (maximums), summed.
    /// It depends on the plan, so stores leave it zero; UsageReports fills it in from the
    /// events (UsageStore::transactions), each priced by PricingCalculator::boundTransaction.
    Decimal transaction_bounds;

    friend bool operator==(const UsageTotal&, const UsageTotal&) = default;
};

}  // namespace metered
