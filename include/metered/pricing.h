// SPDX-License-Identifier: MIT
// Turning usage totals into an exact bill.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "metered/export.h"
#include "metered/model_usage.h"
#include "metered/plan.h"
#include "metered/usage_total.h"

namespace metered {

/// What one tier contributed to a line item.
struct TierCharge {
    std::size_t tier = 0;  ///< index into Meter::tiers
    Decimal quantity;      ///< billable units priced by this tier
    Decimal unit_price;
    Decimal flat_fee;  ///< charged, or zero
    Decimal blocks;    ///< a tier priced in blocks (Tier::block_size): whole blocks charged; zero otherwise
    Decimal amount;    ///< (blocks or quantity) × unit_price + flat_fee, exact
    friend bool operator==(const TierCharge&, const TierCharge&) = default;
};

/// The quantity of one event type used by one value of a dimension over a period (from
/// UsageStore::dimensionTotals): what a meter's charge filters price, and what a meter
/// counting unique values (Aggregation::unique) counts.
struct FilterUsageTotal {
    EventType type = EventType::apiCall();
    std::string dimension;
    std::string value;
    Decimal quantity;
    std::int64_t events = 0;  ///< what a counting meter's filter prices (Aggregation::count)
    friend bool operator==(const FilterUsageTotal&, const FilterUsageTotal&) = default;
};

/// One charge on a bill: an event type's usage over the period and what it costs. A meter
/// with charge filters has its default line (the usage no filter matches, priced by the
/// meter's own fields; `filter_dimension` empty) followed by one line per filter, in the
/// meter's order (the filter's usage, priced by the filter).
struct METERED_API LineItem {
    EventType type = EventType::apiCall();
    std::string filter_dimension;            ///< a charge filter's line: its dimension; empty otherwise
    std::vector<std::string> filter_values;  ///< a charge filter's line: its values
    std::string unit;
    PricingModel model = PricingModel::per_unit;
    Decimal quantity;               ///< used in the period
    Decimal included;               ///< the part covered by the allowance: min(quantity, allowance)
    Decimal billable;               ///< quantity − included
    Decimal unit_price;             ///< the meter's (a filter line: the filter's) per-unit or list price
    std::vector<TierCharge> tiers;  ///< graduated, volume and graduated percentage models
    Decimal packages;               ///< package model: whole packages charged
    /// Events of its usage: a filter line's, the events with its values; a filtered meter's
    /// default line, the events no filter prices.
    std::int64_t events = 0;
    Decimal transaction_fees;  ///< percentage model: the fixed fees of the events beyond the free ones
    /// Percentage model with per-transaction bounds: what the minimum added to and the
    /// maximum took off the events' charges (UsageTotal::transaction_bounds); in exact_amount.
    Decimal transaction_bounds;
    Decimal exact_amount;  ///< before rounding, exact
    Decimal amount;        ///< exact_amount rounded once to the currency's minor unit
    /// A bill priced with several plan versions (a price change or a plan change inside its
    /// period): the first day of the part this line prices; empty otherwise.
    std::optional<date::local_days> from;

    /// "api_call", or for a charge filter's line "api_call cloud=aws" ("cloud=aws,gcp").
    std::string label() const;
    friend bool operator==(const LineItem&, const LineItem&) = default;
};

/// What one part (a token type, requests, audio seconds, characters) contributed to an AI line.
struct AiPartCharge {
    UsagePart part = UsagePart::requests;
    Decimal quantity;
    std::int64_t events = 0;
    Decimal cost;                       ///< at the provider's rate card, exact
    std::optional<Decimal> unit_price;  ///< the plan's own price of the part, when it has one
    Decimal markup_percent;             ///< applied to `cost` when there is no unit_price
    Decimal charge;                     ///< quantity × unit_price, or cost × (1 + markup / 100); exact
    friend bool operator==(const AiPartCharge&, const AiPartCharge&) = default;
};

/// One charge for rate-card usage: a model's usage of one event type over the period.
struct AiLine {
    EventType type = EventType::llmCall();
    std::string model;                     ///< "provider/model"
    std::vector<AiPartCharge> parts;       ///< per part, in UsagePart order
    Decimal cost;                          ///< the parts' rate-card costs, exact
    Decimal exact_amount;                  ///< the parts' charges, exact
    Decimal amount;                        ///< exact_amount rounded once to the currency's minor unit
    std::optional<date::local_days> from;  ///< as LineItem::from
    friend bool operator==(const AiLine&, const AiLine&) = default;
};

/// The credit of a plan's included amount of AI usage ("first $5.00 included").
struct AiCredit {
    Decimal included_amount;  ///< the plan's allowance per period
    Decimal amount;           ///< −min(the AI lines' rounded amounts, included_amount): zero or negative
    friend bool operator==(const AiCredit&, const AiCredit&) = default;
};

/// Whether a commitment line brings a cycle's charges up to a minimum or down to a maximum.
enum class CommitmentKind : std::uint8_t {
    minimum,  ///< a true-up: what the charges fell short of the minimum
    maximum,  ///< a cap: what the charges went above the maximum, taken off
};

/// A minimum or maximum applied to one billing cycle's charges (Meter::minimum and
/// maximum, then Plan::minimum and maximum): settled on the cycle's last day, after the
/// cycle's usage lines.
struct CommitmentLine {
    CommitmentKind kind = CommitmentKind::minimum;
    std::optional<EventType> type;  ///< a meter's (all its lines); empty for the plan's (the whole bill)
    /// The minimum or maximum: for a cycle several plan versions price, each version's for
    /// its days, summed and rounded once to the currency's minor unit.
    Decimal limit;
    Decimal charged;  ///< what the lines it bounds came to (rounded amounts)
    Decimal amount;   ///< minimum: max(0, limit − charged); maximum: −max(0, charged − limit)
    std::optional<date::local_days> from;  ///< the first day of the cycle it settles, when known
    friend bool operator==(const CommitmentLine&, const CommitmentLine&) = default;
};

METERED_API std::string_view toString(CommitmentKind kind) noexcept;

/// A plan's recurring fee (Plan::fee) on the bill of a period holding a billing cycle's
/// first day: charged once per cycle.
struct FeeLine {
    Decimal fee;     ///< the fee per cycle of the version pricing the cycle's last day (0: it has none)
    Decimal amount;  ///< charged: each version's fee for the days of the cycle it prices, summed, rounded once
    std::optional<date::local_days> from;  ///< the cycle's first day, when known
    friend bool operator==(const FeeLine&, const FeeLine&) = default;
};

/// A priced period: a line per meter of the plan, a line per (event type, model) of
/// rate-card usage, the credit of the plan's included AI amount, the minimums and maximums
/// of the cycles it ends, the recurring fees of the cycles it starts, and a total that is
/// exactly the sum of the rounded line amounts, the credit, the commitment and fee lines.
///
/// A period in which the business's plan or its plan's version changes is billed in parts,
/// one per version, each part's lines marked with its first day (LineItem::from); `plan_id`
/// is then the plan of the last part (docs/history.md#plan-and-price-versions).
struct METERED_API Bill {
    std::string plan_id;
    Currency currency;
    Rounding rounding = Rounding::half_even;
    std::vector<LineItem> lines;
    std::vector<AiLine> ai_lines;       ///< ordered by event type, then model
    std::optional<AiCredit> ai_credit;  ///< when the plan includes an amount and there is AI usage
    /// Minimums and maximums of the billing cycles whose last day the bill covers (for a
    /// meter in the plan's order, then the plan's), each only when it changes the charges.
    std::vector<CommitmentLine> commitments;
    /// The plan's recurring fee of each billing cycle whose first day the bill covers.
    std::vector<FeeLine> fees;
    Decimal total;

    /// The line for `type` (its meter's default line when it has charge filters), or nullptr.
    const LineItem* line(const EventType& type) const noexcept;
    /// The line of the charge filter of `type`'s meter that prices `value` of `dimension`,
    /// or nullptr.
    const LineItem* filterLine(const EventType& type, std::string_view dimension,
                               std::string_view value) const noexcept;
    /// The rounded amounts of all lines of `type` (its default and filter lines), summed.
    Decimal amountOf(const EventType& type) const;
    /// The AI line for `model`'s usage of `type`, or nullptr.
    const AiLine* aiLine(const EventType& type, std::string_view model) const noexcept;
};

/// One billing cycle's usage around the part of it that a report covers (a slice):
/// `before` totals the cycle's days before the slice, `through` its days from the cycle's
/// first day to the slice's end.
struct CycleSlice {
    std::vector<UsageTotal> before;
    std::vector<UsageTotal> through;
    std::vector<ModelUsageTotal> models_before;     ///< rate-card usage, as `before`
    std::vector<ModelUsageTotal> models_through;    ///< rate-card usage, as `through`
    std::vector<FilterUsageTotal> filters_before;   ///< usage by dimension value (bill), as `before`
    std::vector<FilterUsageTotal> filters_through;  ///< usage by dimension value (bill), as `through`
    /// The slice starts on the cycle's first day: there are no days before it, and it carries
    /// what a cycle is charged without usage (Meter::flat_fee_at_zero). Otherwise `before` is
    /// priced as days, even without usage.
    bool at_cycle_start = false;
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

    /// The line for `quantity` units of `type` in `events` events over one period (the number
    /// of events matters to the percentage model's per-event fee only). Throws ValidationError
    /// for a negative quantity or number of events, or a type the plan does not price.
    LineItem price(const EventType& type, const Decimal& quantity, std::int64_t events = 0) const;

    /// What `type`'s per-transaction bounds (Meter::transaction_minimum, maximum) change of
    /// the charge of one transaction of `amount`, the billing cycle's earlier transactions
    /// (in the order they happened) coming to `cycle_amount_before` in `cycle_events_before`
    /// events: bounded − unbounded, where the unbounded charge is the part of `amount` above
    /// what is left of the allowance × the rate, plus the fixed fee unless the transaction is
    /// one of the free ones; an event charged nothing is not bounded. Zero for a meter
    /// without bounds. Summed over a cycle's transactions it is UsageTotal::transaction_bounds.
    /// Throws ValidationError for a type the plan does not price or a negative figure.
    Decimal boundTransaction(const EventType& type, const Decimal& amount, const Decimal& cycle_amount_before,
                             std::int64_t cycle_events_before) const;

    /// The AI line for `model`'s usage of `type` (rate-card event type), from the parts in
    /// `parts` that are of that type and model (others are skipped); the line's amount is
    /// the parts' exact charges rounded once. Throws ValidationError when the plan does not
    /// bill rate-card usage (no `ai`), for a type that is not a rate-card type, a negative
    /// quantity or cost.
    AiLine priceModel(const EventType& type, std::string_view model, std::span<const ModelUsageTotal> parts) const;

    /// The bill for one billing cycle's totals: one line per meter, in the plan's order (types with
    /// no usage get a zero line), each followed by one line per charge filter of the meter;
    /// and, when the plan bills rate-card usage (`ai`), one line per (type, model) of
    /// `model_totals` and the credit of the included amount. A plan without `ai` ignores
    /// `model_totals`. `filter_totals` gives the usage by value of the dimensions the
    /// meters' filters and unique counts use (entries no filter matches are part of the
    /// default line); a filter line prices the quantity of its values, the default line the
    /// type's total less all its filter lines' quantities; a unique count's line, the number
    /// of values of its dimension with events of its type; then the commitment lines of the plan's
    /// minimums and maximums and the plan's fee (the totals are a whole cycle's). Throws ValidationError for usage
    /// of a type the plan does not price, filtered quantities above the type's total
    /// ("filter_totals"), and as priceModel.
    Bill bill(std::span<const UsageTotal> totals, std::span<const ModelUsageTotal> model_totals = {},
              std::span<const FilterUsageTotal> filter_totals = {}) const;

    /// Each day's share of a period's bill, for trends: the bill of the usage up to and
    /// including the day minus the bill up to the day before. `days` holds each day's
    /// totals in order, starting with the period's first day; `model_days`, when not empty,
    /// each day's rate-card usage, and `filter_days`, when not empty, each day's usage by
    /// dimension value (as `filter_totals`), one entry per day of `days` (ValidationError otherwise).
    /// The results sum exactly to `bill` of all the days together less its commitment lines
    /// (a cycle's minimums and maximums are settled on its last day by the caller who knows
    /// the cycle); the included AI amount goes to the earliest days' AI usage, allowances and
    /// tiers (of meters and filters) to the earliest days' usage.
    std::vector<Decimal> dailyCosts(std::span<const std::vector<UsageTotal>> days,
                                    std::span<const std::vector<ModelUsageTotal>> model_days = {},
                                    std::span<const std::vector<FilterUsageTotal>> filter_days = {}) const;

    /// The bill of a span of days priced as the parts of the billing cycles it covers: for
    /// each slice, the cycle's bill through the slice minus its bill before it, line by
    /// line, summed over the slices. Allowances and tiers apply once per cycle, to the
    /// cycle's earliest usage (marginally, as in dailyCosts), never once per span. Amounts
    /// are differences of rounded amounts, so a span's total is exactly the sum of its
    /// days' dailyCosts, the parts of a cycle sum exactly to the cycle's bill, and one
    /// slice at the cycle's start is exactly `bill(through)` less its commitment lines. In a difference, a tier
    /// charge may be negative (a volume tier re-pricing the cycle's earlier units). AI lines
    /// and the AI credit are differences in the same way (the included amount is consumed
    /// by the cycle's earliest AI usage); an AI line whose difference is all zero is left out.
    /// No commitment lines: a cycle's are settled by the caller who knows the cycle.
    Bill billSlices(std::span<const CycleSlice> slices) const;

private:
    Bill billUsage(std::span<const UsageTotal> totals, std::span<const ModelUsageTotal> model_totals,
                   std::span<const FilterUsageTotal> filter_totals) const;
    LineItem priceFilter(const Meter& meter, const ChargeFilter& filter, const Decimal& quantity,
                         std::int64_t events) const;

    Plan plan_;
};

}  // namespace metered
