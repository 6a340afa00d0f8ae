// SPDX-License-Identifier: MIT
// The exceptions metered throws. The tree is flat and each type says what to do.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "metered/decimal.h"
#include "metered/export.h"

namespace metered {

/// Root of every exception metered throws. Messages never contain secrets
/// (connection passwords are masked before any message is built), and are always valid
/// UTF-8: input quoted into them is cut on a character boundary and escaped, and any
/// malformed byte left is replaced by U+FFFD.
class METERED_API Error : public std::runtime_error {
public:
    explicit Error(const std::string& what);
    explicit Error(const char* what);
};

/// Bad input from the caller: a malformed id, a negative or non-finite quantity,
/// an unknown event type, oversized or non-UTF-8 metadata, a bad plan or price book.
/// Nothing was recorded or changed. Fix the input; retrying the same call fails again.
class METERED_API ValidationError : public Error {
public:
    ValidationError(std::string_view field, std::string_view problem);
    /// The name (or JSON path) of the offending field, e.g. "quantity" or "plans[0].meters.api_call".
    const std::string& field() const noexcept { return field_; }

private:
    std::string field_;
};

/// A business, plan or other named thing does not exist.
class METERED_API NotFoundError : public Error {
public:
    using Error::Error;
};

/// An exact arithmetic result would not fit (more than 38 digits or too many fractional
/// digits). Nothing was rounded silently.
class METERED_API ArithmeticError : public Error {
public:
    using Error::Error;
};

/// A store operation failed. `transient()` says whether the same call may succeed later
/// (connection refused or lost, server restarting, timeout, serialization conflict):
/// retry it with backoff. A permanent failure will fail again the same way.
class METERED_API StoreError : public Error {
public:
    StoreError(const std::string& message, bool transient, std::string sqlstate = {});
    bool transient() const noexcept { return transient_; }
    /// The SQLSTATE code reported by the database, if there was one.
    const std::string& sqlstate() const noexcept { return sqlstate_; }

private:
    bool transient_;
    std::string sqlstate_;
};

/// The store refused an event of a recorded batch for a permanent reason (for example,
/// an unknown business). Thrown by synchronous recording; the event was not stored.
class METERED_API RejectedError : public Error {
public:
    using Error::Error;
};

/// An idempotency key (or event id) was used again for the same business with a different
/// event type or quantity: the first use stands and this one was not stored. Reusing a
/// key for a retry of the same usage is fine (the retry counts once); reusing it for
/// different usage is a bug in the caller. Thrown by synchronous recording; asynchronous
/// recording dead-letters the event with this reason and counts it in
/// RecorderStats::idempotency_conflicts.
class METERED_API IdempotencyConflictError : public RejectedError {
public:
    using RejectedError::RejectedError;
};

/// Asynchronous recording could not accept an event: the queue (or the spool's disk) is
/// full and the overflow policy's wait, if any, ran out. The event was not recorded;
/// counted in RecorderStats::rejected.
class METERED_API QueueFullError : public Error {
public:
    using Error::Error;
};

/// A hard budget (Budget, BudgetKind::hard) is reached: the record call or checkBudget was
/// refused and nothing was recorded. `spent` is what the recorder's running total held
/// when it decided (see docs/budgets.md); it stays refused until the next billing cycle
/// or until the budget is raised.
class METERED_API BudgetExceededError : public Error {
public:
    BudgetExceededError(std::string budget_id, const Decimal& amount, const Decimal& spent);
    const std::string& budgetId() const noexcept { return budget_id_; }
    const Decimal& amount() const noexcept { return amount_; }
    const Decimal& spent() const noexcept { return spent_; }

private:
    std::string budget_id_;
    Decimal amount_;
    Decimal spent_;
};

}  // namespace metered
