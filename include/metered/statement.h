// SPDX-License-Identifier: MIT
// A statement: a closed billing cycle, what a business was told it owed, stored once.
#pragma once

#include <string>

#include "metered/billing_period.h"
#include "metered/decimal.h"
#include "metered/ids.h"
#include "metered/time.h"

namespace metered {

/// One business's closed billing cycle.
///
/// Closing a cycle (UsageReports::closeStatement) prices it once, as getBillingUsage would,
/// and stores the result. The store keeps the **first** statement of a (business, cycle)
/// and never changes it (UsageStore::saveStatement): a later close, from this process or
/// another, gets the stored one back, and later price, plan or event changes do not reach
/// it. `document` is byte for byte what every read returns.
struct Statement {
    BusinessId business;
    DayRange cycle;         ///< the billing cycle (local days of `time_zone`)
    std::string time_zone;  ///< the business's zone when it was closed
    std::string plan_id;    ///< the plan that priced it
    std::string currency;   ///< ISO 4217 code of the plan's currency
    Decimal total;          ///< what the business owes for the cycle, rounded as the plan rounds
    Timestamp closed_at;    ///< when it was closed (the closing process's clock)
    /// The cycle's usage and bill as JSON, in the shape of `to_json(BillingUsage)` (the
    /// seed's billingUsage, with every line), as it was when closed.
    std::string document;

    friend bool operator==(const Statement&, const Statement&) = default;
};

}  // namespace metered
