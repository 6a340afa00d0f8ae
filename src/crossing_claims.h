// SPDX-License-Identifier: MIT
// Which budget threshold crossings a store claims after a batch (private): the one decision
// every store makes, in the transaction that wrote the batch's rollups.
#pragma once

#include <date/date.h>

#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "metered/budget.h"
#include "metered/budget_crossing.h"
#include "metered/dimension_usage.h"

namespace metered::detail {

/// The rate-card cost of one model in a cycle (the sum of its model rollups' cost).
struct ModelCost {
    std::string model;  ///< "provider/model"
    Decimal cost;
};

/// The rate-card cost of one dimension value in a cycle (the sum of the list cost of its
/// dimension rollups of rate-card event types: an event's parts sum to its list cost).
struct DimensionCost {
    std::string dimension;
    std::string value;
    Decimal cost;
};

/// "business/budget/cycle-start/threshold" (cycle start as YYYY-MM-DD).
std::string crossingKey(const BusinessId& business, std::string_view budget_id, date::local_days cycle_start,
                        int threshold_percent);

/// What `budget` has spent given its cycle's per-model costs (ModelCost or
/// ModelUsageTotal: a `model` and a `cost`): all of them, or only its model's for a model
/// budget. Not for a dimension budget (dimensionSpentOf).
template <class Costs>
Decimal spentOf(const Budget& budget, const Costs& costs) {
    Decimal spent;
    for (const auto& cost : costs) {
        if (!budget.model || cost.model == *budget.model) spent += cost.cost;
    }
    return spent;
}

/// What the dimension budget `budget` has spent given its cycle's totals of its dimension
/// (UsageStore::dimensionTotals): the list cost of its value's rate-card event types.
Decimal dimensionSpentOf(const Budget& budget, std::span<const DimensionUsageTotal> totals);

/// The dimension budgets of `business` among `budgets`.
std::vector<const Budget*> dimensionBudgetsOf(const BusinessId& business, std::span<const Budget> budgets);

/// The crossings `budget` has reached with `spent` in `cycle`: one per threshold with
/// spent × 100 ≥ amount × threshold, in threshold order, stamped `now`.
std::vector<BudgetCrossing> crossingsOf(const Budget& budget, const DayRange& cycle, const Decimal& spent,
                                        Timestamp now);

/// A (business, local day) a newly stored rate-card event counted on.
using TouchedDay = std::pair<BusinessId, date::local_days>;

/// A billing cycle of a business that a batch touched, and the budgets of the business.
struct TouchedCycle {
    BusinessId business;
    DayRange cycle;
};

/// The distinct cycles (for `anchor_day` of each business) of the touched days of the
/// businesses that have budgets, ordered by business then cycle. `anchorOf(business)`
/// gives the anchor day; `budgets` holds at least every budget of the touched businesses.
template <class AnchorOf>
std::vector<TouchedCycle> touchedCycles(const std::set<TouchedDay>& touched, std::span<const Budget> budgets,
                                        const AnchorOf& anchorOf) {
    std::vector<TouchedCycle> cycles;
    for (const auto& [business, day] : touched) {
        bool has_budget = false;
        for (const Budget& budget : budgets) has_budget = has_budget || budget.business == business;
        if (!has_budget) continue;
        const DayRange cycle = BillingPeriod::cycleContaining(day, anchorOf(business));
        if (!cycles.empty() && cycles.back().business == business && cycles.back().cycle == cycle) continue;
        cycles.push_back({business, cycle});
    }
    return cycles;
}

/// The crossings reached in `cycle` of `business` by its budgets among `budgets`, given the
/// cycle's per-model costs and the costs of the values of its dimension budgets (the first
/// entry of a value counts).
std::vector<BudgetCrossing> crossingsIn(const TouchedCycle& cycle, std::span<const Budget> budgets,
                                        std::span<const ModelCost> costs,
                                        std::span<const DimensionCost> dimension_costs, Timestamp now);

}  // namespace metered::detail
