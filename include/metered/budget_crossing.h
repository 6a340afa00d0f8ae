// SPDX-License-Identifier: MIT
// A budget threshold crossing: claimed once in the store, delivered to the host at least once.
#pragma once

#include <string>

#include "metered/billing_period.h"
#include "metered/decimal.h"
#include "metered/ids.h"
#include "metered/time.h"

namespace metered {

/// A budget's spend reaching one of its thresholds in one billing cycle.
///
/// A store claims each crossing **once** per (business, budget, cycle, threshold), in the
/// transaction that commits the usage that reaches it, across every process that records
/// for the business (UsageStore::append; table `metered_budget_crossings`). A recorder
/// delivers each claimed crossing to RecorderOptions::on_budget_crossing **at least once**:
/// a crash or a failing callback can deliver one again, so the host dedupes by `key`.
struct BudgetCrossing {
    /// "business/budget/cycle-start/threshold", e.g.
    /// "0190a1b2-…/monthly/2024-03-01/80": unique and deterministic, the host's dedupe key.
    std::string key;
    BusinessId business;
    std::string budget_id;
    DayRange cycle;             ///< the billing cycle (local days of the business's zone)
    int threshold_percent = 0;  ///< one of the budget's thresholds
    Decimal amount;             ///< the budget's amount when it was claimed
    Decimal spent;              ///< what the budget had spent when it was claimed (≥ amount × threshold / 100)
    Timestamp crossed_at;       ///< when it was claimed (the claiming process's clock)

    friend bool operator==(const BudgetCrossing&, const BudgetCrossing&) = default;
};

}  // namespace metered
