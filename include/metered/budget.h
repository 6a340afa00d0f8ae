// SPDX-License-Identifier: MIT
// Budgets: a money amount per billing cycle for a business, one of its models or one value of
// a declared dimension (one end user), soft or hard.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "metered/billing_period.h"
#include "metered/decimal.h"
#include "metered/dimension.h"
#include "metered/export.h"
#include "metered/ids.h"

namespace metered {

/// What a budget does when it is reached.
enum class BudgetKind : std::uint8_t {
    soft,  ///< reported only (BudgetStatus); nothing is refused
    hard,  ///< a cap: once reached, record calls and checkBudget refuse (BudgetExceededError)
};

/// "soft" or "hard".
METERED_API std::string_view toString(BudgetKind kind) noexcept;
/// Parses "soft" or "hard"; throws ValidationError naming `field`.
METERED_API BudgetKind parseBudgetKind(std::string_view text, std::string_view field = "kind");

/// A money amount per billing cycle (the business's current cycle, see
/// BillingPeriod::resolve with PeriodSpec::currentCycle()) for a whole business, for
/// one model of it, or for one value of one of its declared dimensions (one end user).
///
/// **What counts as spent**: the exact rate-card cost (ModelUsageTotal::cost, as
/// UsageStore::modelTotals sums it) of the business's rate-card events (llm_call,
/// transcription, speech) whose local day falls in the current cycle; for a model budget,
/// only that model's ("provider/model", the card entry that priced the call); for a
/// dimension budget, only the events that carry that dimension value (read from the
/// dimension rollups: a value with a budget is always admitted there, never counted under
/// dimension_overflow_value; see docs/budgets.md). Other event
/// types and plan charges (markups, allowances, overage) do not count. The amount is in
/// the currency the rate card prices in.
struct METERED_API Budget {
    /// Most fractional digits of an amount: the running totals count 10^-9 currency units.
    static constexpr int max_amount_scale = 9;

    std::string id;  ///< the caller's name for it, unique per business (1–64 bytes of [A-Za-z0-9_.-])
    BusinessId business;
    std::optional<std::string> model;  ///< "provider/model"; empty: the whole business
    /// {"end_user", "u-42"}: only the rate-card events carrying that value (RecordOptions::
    /// dimensions). A declared dimension's name (not `model`, which has its own field) and a
    /// value of 1–256 bytes of UTF-8 without U+0000, not dimension_overflow_value. Not
    /// together with `model`.
    std::optional<EventDimension> dimension;
    Decimal amount;  ///< per billing cycle; positive, at most 10^9, at most 9 fractional digits
    std::vector<int> thresholds_percent = {50, 80, 100};  ///< strictly increasing, each 1–1000
    BudgetKind kind = BudgetKind::soft;

    /// Throws ValidationError naming the offending field ("id", "model", "dimension",
    /// "dimension.name", "dimension.value", "amount", "thresholds_percent",
    /// "thresholds_percent[1]").
    void validate() const;

    friend bool operator==(const Budget&, const Budget&) = default;
};

/// Where a budget stands in a billing cycle, computed exactly from the store.
struct BudgetStatus {
    Budget budget;
    DayRange cycle;     ///< the billing cycle the numbers are for
    Decimal spent;      ///< exact (see Budget: what counts as spent)
    Decimal remaining;  ///< amount − spent, never below zero
    /// spent × 100 / amount, rounded down to 2 fractional digits.
    Decimal percent;
    /// The thresholds spent has reached (spent × 100 ≥ amount × threshold), in order.
    std::vector<int> crossed_thresholds;
    /// spent / days elapsed × days in the cycle, rounded half up to the currency's minor
    /// units (today counts as elapsed: on the cycle's first day the forecast is spent × days).
    Decimal forecast;
    /// A hard budget whose spent has reached its amount: record calls are refused.
    bool exceeded = false;

    friend bool operator==(const BudgetStatus&, const BudgetStatus&) = default;
};

/// The status of `budget` after `spent` in `cycle`, on local day `today` (clamped into the
/// cycle); the forecast is rounded to `minor_units` fractional digits.
METERED_API BudgetStatus budgetStatusOf(const Budget& budget, const Decimal& spent, const DayRange& cycle,
                                        date::local_days today, int minor_units);

}  // namespace metered
