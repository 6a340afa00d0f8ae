// SPDX-License-Identifier: MIT
// What a dashboard shows: the bill so far, daily trends, quota standing.
#pragma once

#include <optional>
#include <vector>

#include "metered/billing_period.h"
#include "metered/export.h"
#include "metered/ids.h"
#include "metered/model_usage.h"
#include "metered/pricing.h"
#include "metered/usage_total.h"

namespace metered {

/// A business's usage and bill over a period (the seed's `billingUsage`): the totals
/// per event type, and the bill its plan gives them. `bill.total` is exactly the sum
/// of the bill's rounded lines.
struct METERED_API BillingUsage {
    BusinessId business;
    BillingPeriod period;
    std::vector<UsageTotal> usage;  ///< one entry per meter of the plan, zero when unused
    /// Rate-card usage (LLM calls, transcriptions, speech) per type, model and part, with
    /// its exact cost at the rate card; what the plan charges for it is in `bill.ai_lines`.
    std::vector<ModelUsageTotal> models;
    Bill bill;

    /// Units of `type` used in the period (zero when none).
    Decimal quantity(const EventType& type) const;
    /// Number of events of `type` in the period.
    std::int64_t events(const EventType& type) const;
    /// The rounded amount charged for `type` (zero when the plan does not price it).
    Decimal cost(const EventType& type) const;
};

/// One local day of usage, with that day's share of its billing cycle's bill.
struct METERED_API TrendPoint {
    date::year_month_day date;
    std::vector<UsageTotal> usage;  ///< one entry per meter of the plan, zero when unused
    /// That day's rate-card usage per type, model and part (see BillingUsage::models).
    std::vector<ModelUsageTotal> models;
    /// The bill of the cycle through this day minus the bill through the day before: the
    /// days of a cycle sum exactly to the cycle's bill (allowances are used up by the
    /// earliest days, so early days often cost nothing; a cycle's minimums and maximums are
    /// settled on its last day).
    Decimal cost;

    Decimal quantity(const EventType& type) const;
};

/// Where a business stands against the quota of one event type in its current cycle.
struct METERED_API QuotaStatus {
    BusinessId business;
    EventType type = EventType::apiCall();
    BillingPeriod period;          ///< the current billing cycle
    Decimal used;                  ///< what the meter counts (Meter::aggregation): quantity, or number of events
    Decimal included;              ///< the plan's free allowance
    std::optional<Decimal> limit;  ///< empty when the plan sets no quota
    bool hard = false;
    std::optional<Decimal> remaining;  ///< limit − used, never below zero; empty without a limit
    /// Hard quota: usage has reached the limit, refuse more. Soft quota: usage is above the
    /// limit and billed as overage. Always false without a limit.
    bool exceeded = false;

    /// True when `more` units may still be used: always, unless a hard limit would be passed.
    bool allows(const Decimal& more) const;
};

/// The seed's `/api/billing/analytics` payload: the bill of a period and daily trends.
struct BillingAnalytics {
    BillingUsage billing_usage;
    std::vector<TrendPoint> trends;
};

}  // namespace metered
