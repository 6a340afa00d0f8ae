// SPDX-License-Identifier: MIT
// Prepaid credits: money granted to a business that its statements draw down first.
#pragma once

#include <date/date.h>

#include <optional>
#include <string>

#include "metered/decimal.h"
#include "metered/export.h"
#include "metered/ids.h"

namespace metered {

/// Prepaid credit granted to a business (a purchase, a promotion, a goodwill credit): an
/// amount of money its statements draw down before anything is owed (docs/history.md#prepaid-credits).
///
/// A grant is stored once and never changes (UsageStore::saveCreditGrant). What is drawn
/// from it is written on the statements that draw it (Statement::credits), in the same
/// transaction as each statement, so the ledger of a grant is its amount and the credit
/// lines of the statements stored.
struct METERED_API CreditGrant {
    BusinessId business;
    std::string id;        ///< the host's id for it, unique per business (1–64 characters of [A-Za-z0-9_.-])
    Decimal amount;        ///< positive, at most 10^9, at most 6 fractional digits
    std::string currency;  ///< ISO 4217 code: drawn only by statements in this currency
    /// The first local day (in the business's zone) whose billing cycle can draw on it:
    /// a cycle draws on every grant in effect on at least one of its days.
    date::local_days effective;
    /// The first local day it is no longer in effect; empty: it never expires.
    std::optional<date::local_days> expires;
    /// Among grants expiring on the same day, the lower is drawn first.
    int priority = 0;

    /// Throws ValidationError naming the field: "id", "amount" (not positive, above 10^9,
    /// more than 6 fractional digits), "currency" (not three capital letters), "expires"
    /// (not after `effective`), "priority" (outside 0–1000).
    void validate() const;

    friend bool operator==(const CreditGrant&, const CreditGrant&) = default;
};

/// What a statement drew from one grant.
struct CreditApplied {
    std::string grant;  ///< CreditGrant::id
    Decimal amount;     ///< positive

    friend bool operator==(const CreditApplied&, const CreditApplied&) = default;
};

}  // namespace metered
