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

std::vector<BudgetCrossing> crossingsIn(const TouchedCycle& cycle, std::span<const Budget> budgets,
                                        std::span<const ModelCost> costs, Timestamp now) {
    std::vector<BudgetCrossing> crossings;
    for (const Budget& budget : budgets) {
        if (budget.business != cycle.business) continue;
        auto reached = crossingsOf(budget, cycle.cycle, spentOf(budget, costs), now);
        crossings.insert(crossings.end(), std::make_move_iterator(reached.begin()),
                         std::make_move_iterator(reached.end()));
    }
    return crossings;
}

}  // namespace metered::detail
