// SPDX-License-Identifier: MIT
// Turning usage totals into an exact bill.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "metered/export.h"
#include "metered/plan.h"
#include "metered/usage_total.h"

namespace metered {

/// What one tier contributed to a line item.
struct TierCharge {
    std::size_t tier = 0;  ///< index into Meter::tiers
    Decimal quantity;      ///< billable units priced by this tier
    Decimal unit_price;
    Decimal flat_fee;  ///< charged, or zero
    Decimal amount;    ///< quantity × unit_price + flat_fee, exact
    friend bool operator==(const TierCharge&, const TierCharge&) = default;
};

/// One charge on a bill: an event type's usage over the period and what it costs.
struct LineItem {
    EventType type = EventType::apiCall();
    std::string unit;
    PricingModel model = PricingModel::per_unit;
    Decimal quantity;               ///< used in the period
    Decimal included;               ///< the part covered by the allowance: min(quantity, allowance)
    Decimal billable;               ///< quantity − included
    Decimal unit_price;             ///< the meter's unit price (per-unit price, or list price for other models)
    std::vector<TierCharge> tiers;  ///< graduated and volume models
    Decimal packages;               ///< package model: whole packages charged
    Decimal exact_amount;           ///< before rounding, exact
    Decimal amount;                 ///< exact_amount rounded once to the currency's minor unit
    friend bool operator==(const LineItem&, const LineItem&) = default;
};

/// A priced period: a line per meter of the plan, and a total that is exactly the sum
/// of the rounded line amounts.
struct METERED_API Bill {
    std::string plan_id;
    Currency currency;
    Rounding rounding = Rounding::half_even;
    std::vector<LineItem> lines;
    Decimal total;

    /// The line for `type`, or nullptr.
    const LineItem* line(const EventType& type) const noexcept;
};

/// One billing cycle's usage around the part of it that a report covers (a slice):
/// `before` totals the cycle's days before the slice, `through` its days from the cycle's
/// first day to the slice's end.
struct CycleSlice {
    std::vector<UsageTotal> before;
    std::vector<UsageTotal> through;
};

/// Prices usage under one plan. Pure: no I/O, no clock, no shared state; safe to use
/// from many threads at once.
///
/// Rounding happens once per line item, to the currency's minor unit, with the plan's
/// mode; everything before that is exact.
class METERED_API PricingCalculator {
public:
    /// Validates the plan (ValidationError) and keeps a copy of it.
    explicit PricingCalculator(Plan plan);

    const Plan& plan() const noexcept { return plan_; }

    /// The line for `quantity` units of `type` in one period. Throws ValidationError for a
    /// negative quantity or a type the plan does not price.
    LineItem price(const EventType& type, const Decimal& quantity) const;

    /// The bill for a period's totals: one line per meter, in the plan's order (types with
    /// no usage get a zero line). Throws ValidationError for usage of a type the plan
    /// does not price.
    Bill bill(std::span<const UsageTotal> totals) const;

    /// Each day's share of a period's bill, for trends: the bill of the usage up to and
    /// including the day minus the bill up to the day before. `days` holds each day's
    /// totals in order, starting with the period's first day; the results sum exactly
    /// to `bill` of all the days together.
    std::vector<Decimal> dailyCosts(std::span<const std::vector<UsageTotal>> days) const;

    /// The bill of a span of days priced as the parts of the billing cycles it covers: for
    /// each slice, the cycle's bill through the slice minus its bill before it, line by
    /// line, summed over the slices. Allowances and tiers apply once per cycle, to the
    /// cycle's earliest usage (marginally, as in dailyCosts), never once per span. Amounts
    /// are differences of rounded amounts, so a span's total is exactly the sum of its
    /// days' dailyCosts, the parts of a cycle sum exactly to the cycle's bill, and one
    /// slice with nothing before it is exactly `bill(through)`. In a difference, a tier
    /// charge may be negative (a volume tier re-pricing the cycle's earlier units).
    Bill billSlices(std::span<const CycleSlice> slices) const;

private:
    Plan plan_;
};

}  // namespace metered
