// SPDX-License-Identifier: MIT
// A statement: a closed billing cycle, what a business was told it owed, stored once.
#pragma once

#include <string>
#include <vector>

#include "metered/billing_period.h"
#include "metered/credit.h"
#include "metered/decimal.h"
#include "metered/ids.h"
#include "metered/time.h"

namespace metered {

/// A change to the bill of an earlier closed cycle, carried on a later statement.
///
/// A closed statement never changes. When a correction (a void or an amendment) or a late
/// event later changes the usage of its cycle, the next statement closed carries the
/// difference: the cycle's usage now, priced with the plan that priced its statement
/// (Statement::pricing), minus what was already stated for it (its statement's total and
/// the adjustments for it on other statements).
struct StatementAdjustment {
    DayRange cycle;  ///< the earlier closed cycle whose bill changed
    /// Its bill now minus what was stated for it, in the statement's currency: positive
    /// a debit (owed more), negative a credit.
    Decimal amount;

    friend bool operator==(const StatementAdjustment&, const StatementAdjustment&) = default;
};

/// One business's closed billing cycle.
///
/// Closing a cycle (UsageReports::closeStatement) prices it once, as getBillingUsage would,
/// and stores the result. The store keeps the **first** statement of a (business, cycle)
/// and never changes it (UsageStore::saveStatement): a later close, from this process or
/// another, gets the stored one back, and later price, plan or event changes do not reach
/// it. `document` is byte for byte what every read returns.
///
/// So the sum of every statement's amountDue() and credits is what the closed cycles'
/// usage costs now, each priced with its statement's plan, however their usage was
/// corrected after they closed.
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
    /// Earlier closed cycles whose bill changed since they were stated, oldest first.
    std::vector<StatementAdjustment> adjustments;
    /// The plan that priced it, exactly as it was then: the JSON of a price book holding only
    /// that plan (PriceBook::toJson). Adjustments of this cycle are priced with it, so a later
    /// price or plan change never reaches a closed cycle. Empty for a statement stored
    /// before statements kept it (its cycle is then adjusted with the plan of `plan_id` now).
    std::string pricing;
    /// Prepaid credit drawn to pay `total` plus the adjustments, grant by grant in drawing
    /// order (docs/history.md#prepaid-credits); never more than they come to.
    std::vector<CreditApplied> credits;
    /// The credit left after this statement in the grants (in its currency) in effect on
    /// the day after its cycle: the balance carried forward.
    Decimal credit_balance;

    /// `total` plus every adjustment, minus the credit drawn: what the business owes on this
    /// statement (negative: what it is owed back, when adjustments credit more than it used).
    Decimal amountDue() const {
        Decimal due = total;
        for (const StatementAdjustment& adjustment : adjustments) due += adjustment.amount;
        for (const CreditApplied& credit : credits) due -= credit.amount;
        return due;
    }

    friend bool operator==(const Statement&, const Statement&) = default;
};

}  // namespace metered
