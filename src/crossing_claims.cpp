// SPDX-License-Identifier: MIT
#include "crossing_claims.h"

namespace metered::detail {

std::string crossingKey(const BusinessId& business, std::string_view budget_id, date::local_days cycle_start,
                        int threshold_percent) {
    std::string key = business.toString();
    key += '/';
    key += budget_id;
    key += '/';
    key += date::format("%F", cycle_start);
    key += '/';
    key += std::to_string(threshold_percent);
    return key;
}

std::vector<BudgetCrossing> crossingsOf(const Budget& budget, const DayRange& cycle, const Decimal& spent,
                                        Timestamp now) {
    std::vector<BudgetCrossing> crossings;
    const Decimal spent_percent = spent * Decimal(100);
    for (const int threshold : budget.thresholds_percent) {
        if (spent_percent < budget.amount * Decimal(threshold)) break;  // thresholds increase
        crossings.push_back({crossingKey(budget.business, budget.id, cycle.first, threshold), budget.business,
                             budget.id, cycle, threshold, budget.amount, spent, now});
    }
    return crossings;
}

Decimal dimensionSpentOf(const Budget& budget, std::span<const DimensionUsageTotal> totals) {
    Decimal spent;
    for (const DimensionUsageTotal& total : totals) {
        if (total.value == budget.dimension->value && total.total.type.isRateCard()) spent += total.total.list_cost;
    }
    return spent;
}

std::vector<const Budget*> dimensionBudgetsOf(const BusinessId& business, std::span<const Budget> budgets) {
    std::vector<const Budget*> result;
    for (const Budget& budget : budgets) {
        if (budget.business == business && budget.dimension) result.push_back(&budget);
    }
    return result;
}

std::vector<BudgetCrossing> crossingsIn(const TouchedCycle& cycle, std::span<const Budget> budgets,
                                        std::span<const ModelCost> costs,
                                        std::span<const DimensionCost> dimension_costs, Timestamp now) {
    std::vector<BudgetCrossing> crossings;
    for (const Budget& budget : budgets) {
        if (budget.business != cycle.business) continue;
        Decimal spent;
        if (budget.dimension) {
            for (const DimensionCost& cost : dimension_costs) {
                if (cost.dimension == budget.dimension->name && cost.value == budget.dimension->value) {
                    spent = cost.cost;
                    break;
                }
            }
        } else {
            spent = spentOf(budget, costs);
        }
        auto reached = crossingsOf(budget, cycle.cycle, spent, now);
        crossings.insert(crossings.end(), std::make_move_iterator(reached.begin()),
                         std::make_move_iterator(reached.end()));
    }
    return crossings;
}

}  // namespace metered::detail
