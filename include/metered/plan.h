// SPDX-License-Identifier: MIT
// Plans: what each event type costs a business, with allowances, tiers and quotas.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "metered/decimal.h"
#include "metered/event_type.h"
#include "metered/export.h"
#include "metered/time.h"
#include "metered/usage_part.h"

namespace metered {

/// A currency and the number of digits of its minor unit (USD: 2, JPY: 0, KWD: 3).
struct METERED_API Currency {
    /// Most fractional digits of a minor unit a plan may use.
    static constexpr int max_minor_units = 6;

    std::string code = "USD";
    int minor_units = 2;  ///< 0 to max_minor_units

    /// The ISO 4217 currency `code` with its usual minor unit (USD, EUR, GBP, JPY, …).
    /// Throws ValidationError("currency", …) for a code it does not know; give
    /// `minor_units` explicitly in a plan for others.
    static Currency of(std::string_view code);
    friend bool operator==(const Currency&, const Currency&) = default;
};

/// How a meter turns the billable quantity of a period into an amount
/// (docs/pricing.md#charge-models).
enum class PricingModel : std::uint8_t {
    per_unit,   ///< billable × unit_price (the seed's overage pricing)
    graduated,  ///< each tier prices the units that fall in it; flat fee of every tier reached
    volume,     ///< the tier the whole quantity falls in prices every billable unit; its flat fee once
    package,    ///< whole packages of package_size (package_rounding: up or down) at package_price each
    /// A rate of an amount (a payment's): billable × rate, plus a fixed fee per event beyond
    /// the free ones (Lago's percentage model), each event bounded on its own when the meter
    /// has a transaction minimum or maximum. `unit_price` holds the rate as a fraction
    /// (2.9 % is 0.029); in price-book JSON it is written `"rate": 2.9`.
    percentage,
    /// Graduated, each tier's price a rate of the amount in it (Lago's graduated percentage):
    /// the tiers' `unit_price` hold rates as fractions, written `"rate"` in JSON.
    graduated_percentage,
};

/// What a meter prices of a period's events of its type.
enum class Aggregation : std::uint8_t {
    sum,    ///< the sum of their quantities (the seed's meters)
    count,  ///< the number of events, whatever their quantities ("first 100 events free")
    /// The number of distinct values of Meter::unique_dimension among the events (monthly
    /// active end users), read from the dimension's rollups; events without a value of it
    /// are not counted.
    unique,
    /// A level type's level (EventType::isLevel) integrated over the cycle, in level-months:
    /// 10,000 MB held for the whole cycle is 10,000; for its first half, 5,000. Each local
    /// day of the business's time zone is 1/N of a cycle of N days, however many hours it
    /// has (23 or 25 across a DST change); within a day, by elapsed time. Up to now in the
    /// current cycle; 9 fractional digits (docs/pricing.md, "Storage billed as a level").
    time_weighted,
    /// A level type's highest level held in the cycle (up to now), counting the level
    /// carried into it.
    maximum,
    /// A level type's level at the end of the cycle (now, in the current one), carried from
    /// the last report before it when the cycle has none.
    latest,
};

METERED_API std::string_view toString(Aggregation aggregation) noexcept;
/// True for the aggregations of a level type (time_weighted, maximum, latest).
METERED_API bool isLevelAggregation(Aggregation aggregation) noexcept;
/// Throws ValidationError naming `field` for a name other than "sum", "count", "unique",
/// "time_weighted", "max" or "latest".
METERED_API Aggregation parseAggregation(std::string_view name, std::string_view field = "aggregation");

/// How the package model counts a partial package (Stripe's transform_quantity.round).
enum class PackageRounding : std::uint8_t {
    up,    ///< a partial package is charged as a whole one (201 units in 100s: 3 packages)
    down,  ///< only whole packages are charged (201 units in 100s: 2 packages)
};

METERED_API std::string_view toString(PricingModel model) noexcept;
/// Throws ValidationError naming `field` for an unknown name.
METERED_API PricingModel parsePricingModel(std::string_view name, std::string_view field = "model");
METERED_API std::string_view toString(PackageRounding rounding) noexcept;
/// Throws ValidationError naming `field` for a name other than "up" or "down".
METERED_API PackageRounding parsePackageRounding(std::string_view name, std::string_view field = "package_rounding");

/// One price tier, Stripe/Lago style. Tiers are on the period's total quantity: a tier
/// covers quantities above the previous tier's `up_to` up to and including its own.
/// Fractional quantities are continuous (a tier ending at 100 and the next one split
/// 100.5 as 100 + 0.5).
struct Tier {
    std::optional<Decimal> up_to;  ///< inclusive upper bound; empty for the last, open-ended tier
    Decimal unit_price;            ///< per unit, per block when block_size is set, a rate (percentage models)
    Decimal flat_fee;              ///< charged once when the tier holds billable units
    /// Graduated and volume: when positive, the tier charges `unit_price` per block of this
    /// many units, a partial block as a whole one (units 1–100 in blocks of 25 at $2: 37
    /// units are 2 blocks, $4).
    Decimal block_size;
    friend bool operator==(const Tier&, const Tier&) = default;
};

/// A usage limit. A hard quota is a gate: `checkQuota` reports `exceeded` once usage
/// reaches the limit, and the host should refuse more. A soft quota is informational:
/// usage above it is billed as overage at the meter's prices.
struct Quota {
    Decimal limit;
    bool hard = false;
    friend bool operator==(const Quota&, const Quota&) = default;
};

/// A charge filter (Lago's): the price of the part of a meter's usage whose value of
/// `dimension` is one of `values` (`cloud=aws` at 0.08 while the rest of the meter's usage
/// is at 0.12). The filter prices its own quantity (the events with those values) exactly
/// as a meter prices its quantity, with its own allowance, model, tiers or packages; the
/// meter's own fields price the rest (total − filtered). The dimension must be declared
/// closed in the price book (Dimension::values) and every value one of its values; a value
/// is in at most one filter of a meter, and all filters of a meter use one dimension.
struct ChargeFilter {
    std::string dimension;            ///< a closed dimension of the price book (not `model`)
    std::vector<std::string> values;  ///< at least one, each a value of the dimension
    Decimal included;                 ///< free allowance of the filtered usage per billing period
    PricingModel model = PricingModel::per_unit;
    Decimal unit_price;       ///< per_unit price; the list price of the filtered usage otherwise
    std::vector<Tier> tiers;  ///< graduated and volume models
    Decimal package_size;     ///< package model
    Decimal package_price;    ///< package model
    PackageRounding package_rounding = PackageRounding::up;  ///< package model
    bool flat_fee_at_zero = false;                           ///< as Meter::flat_fee_at_zero
    Decimal transaction_fee;             ///< percentage model: as Meter::transaction_fee, for the filter's events
    std::int64_t free_transactions = 0;  ///< percentage model: as Meter::free_transactions

    /// True when `value` is one of `values`.
    bool matches(std::string_view value) const noexcept {
        for (const std::string& v : values) {
            if (v == value) return true;
        }
        return false;
    }
    friend bool operator==(const ChargeFilter&, const ChargeFilter&) = default;
};

/// The price of one event type in a plan.
///
/// Usage up to `included` in a period is free (never billed, under any model, including
/// tier flat fees unless `flat_fee_at_zero` says so). What lies above it is billable and priced by `model`. Tier bounds
/// count the included units too, so "first 1000 free, then $0.01 up to 5000, then
/// $0.008" is `included = 1000` with tiers up to 5000 and open-ended.
struct Meter {
    EventType type = EventType::apiCall();
    std::string unit;  ///< display name of one unit: "call", "minute", "query", "MB"
    /// What the meter prices: the events' quantities summed (the default), the number of
    /// events, or the number of distinct values of a dimension (`included`, tiers and quotas
    /// then count events or values; an event's list cost stays its quantity × unit_price, so
    /// hosts record such events with quantity 1).
    Aggregation aggregation = Aggregation::sum;
    /// Aggregation::unique: the dimension whose distinct values the meter counts
    /// ("end_user"), declared in the price book; empty otherwise. Values past the
    /// dimension's max_values in a billing cycle share one overflow value and count as one,
    /// so declare max_values above the most values a cycle may bill (docs/pricing.md#charge-models-and-options).
    std::string unique_dimension;
    Decimal included;  ///< free allowance per billing period
    PricingModel model = PricingModel::per_unit;
    Decimal unit_price;       ///< price of one unit (per_unit); always the list price of an event
    std::vector<Tier> tiers;  ///< graduated and volume models
    Decimal package_size;     ///< package model
    Decimal package_price;    ///< package model
    PackageRounding package_rounding = PackageRounding::up;  ///< package model
    /// Graduated, volume and graduated percentage: the first tier's flat fee is charged every
    /// period, even one with no billable usage (Lago's convention: a base fee that comes with
    /// the tiers). False (the default, Stripe's convention): a tier's flat fee is charged only
    /// in a period in which the tier holds billable units.
    bool flat_fee_at_zero = false;
    /// Percentage model: a fixed fee per event (per transaction: $0.30), charged for every
    /// event of the period beyond the first `free_transactions` (a meter with charge filters:
    /// of the events no filter prices; each filter has its own).
    Decimal transaction_fee;
    std::int64_t free_transactions = 0;  ///< percentage model: events of a period without the fixed fee
    /// Percentage model, a meter without filters: the least one transaction is charged (its
    /// rate charge plus its fixed fee; a card network's $0.50 minimum). Applied to each event
    /// the model charges anything, in the order the events happened
    /// (docs/pricing.md#per-transaction-minimum-and-maximum).
    std::optional<Decimal> transaction_minimum;
    /// Percentage model, a meter without filters: the most one transaction is charged ($5.00 cap).
    std::optional<Decimal> transaction_maximum;
    /// The least the meter's lines (its default and filter lines) come to per billing cycle:
    /// a true-up line charges the difference (Lago's spending minimum). Money, prorated by
    /// the days of the cycle the plan version covers (docs/pricing.md#minimums-and-maximums).
    std::optional<Decimal> minimum;
    /// The most the meter's lines come to per billing cycle: a cap line takes off the excess.
    std::optional<Decimal> maximum;
    std::optional<Quota> quota;
    /// Prices of parts of the usage by dimension value; the fields above price the rest.
    std::vector<ChargeFilter> filters;

    /// The filter whose values include `value` of `dimension`, or nullptr.
    const ChargeFilter* filter(std::string_view dimension, std::string_view value) const noexcept {
        for (const ChargeFilter& f : filters) {
            if (f.dimension == dimension && f.matches(value)) return &f;
        }
        return nullptr;
    }

    friend bool operator==(const Meter&, const Meter&) = default;
};

/// How a plan prices one model's rate-card usage (LLM calls, transcriptions, speech) instead
/// of the plan's general markup.
struct ModelPricing {
    std::string model;                      ///< "provider/model", as on the rate card
    std::optional<Decimal> markup_percent;  ///< for the parts without a price; absent: the plan's
    /// The plan's own price of one unit of a part (per token, per request, per audio second,
    /// per character), indexed by UsagePart; absent: the part is billed at its rate-card
    /// cost with the markup.
    std::array<std::optional<Decimal>, usage_part_count> prices{};

    /// The price of `part`, or nothing.
    const std::optional<Decimal>& price(UsagePart part) const noexcept {
        return prices[static_cast<std::size_t>(part)];
    }
    std::optional<Decimal>& price(UsagePart part) noexcept { return prices[static_cast<std::size_t>(part)]; }

    friend bool operator==(const ModelPricing&, const ModelPricing&) = default;
};

/// How a plan bills rate-card usage (ModelUsageTotal: a part of one model's usage and its
/// exact cost at the provider's rate card).
///
/// The charge of a part of a model's usage is exact: `quantity × price` when the model has
/// an entry in `models` with a price for the part, else `cost × (1 + markup / 100)` with the
/// entry's markup if it gives one, else the plan's. A bill has one line per (event type,
/// model), its parts' charges summed and rounded once; then, when `included_amount` is
/// positive and there is rate-card usage, one credit line of −min(the AI lines' rounded
/// amounts, included_amount): "the first $5.00 of AI usage is included".
struct METERED_API AiBilling {
    /// Most fractional digits of a markup percentage (12.5 %: 1).
    static constexpr int max_markup_scale = 4;
    /// Most fractional digits of a per-unit price (a per-token price such as $0.0000035).
    static constexpr int max_price_scale = 18;

    Decimal markup_percent;            ///< on the rate-card cost; 0: at cost
    std::vector<ModelPricing> models;  ///< per-model overrides, each model once
    Decimal included_amount;           ///< money per billing period, at most the currency's minor digits

    /// The override for `model`, or nullptr.
    const ModelPricing* pricing(std::string_view model) const noexcept;
    /// The exact charge (not rounded) of `quantity` units of `part` of `model`'s usage that
    /// cost `cost` at the rate card. Throws ArithmeticError when it has more than
    /// Decimal::max_scale digits.
    Decimal charge(std::string_view model, UsagePart part, const Decimal& quantity, const Decimal& cost) const;

    friend bool operator==(const AiBilling&, const AiBilling&) = default;
};

/// A plan: a currency, the rounding applied once per line item, and a meter per event
/// type. The seed's `basic` plan is `Plan::basic()`.
///
/// A plan can have versions (docs/history.md#plan-and-price-versions): plans with one id and
/// different `effective` days. The version without one is the first; a later version prices
/// every business's usage from the start of its `effective` local day on, and usage before
/// it keeps the earlier version's prices. Every version of a plan bills in one currency.
struct METERED_API Plan {
    std::string id;
    /// The local day this version takes effect on; empty for a plan's first version.
    std::optional<date::local_days> effective;
    std::string name;
    Currency currency;
    Rounding rounding = Rounding::half_even;
    std::vector<Meter> meters;
    /// How the plan bills rate-card usage: at cost, nothing included, unless the plan says
    /// otherwise (recorded AI cost is never left off a bill by omission). Empty only when
    /// the plan explicitly does not bill it (`"ai": null`): its bills have no AI lines.
    std::optional<AiBilling> ai = AiBilling{};
    /// A recurring fee per billing cycle (a subscription's base fee: $49 a month), charged on
    /// the cycle's first day whatever the usage. Money (at most the currency's minor digits).
    /// A cycle several versions price is charged each version's fee for the days it prices,
    /// summed and rounded once (docs/pricing.md#a-plans-recurring-fee); the plan's minimum
    /// and maximum bound the usage charges, not the fee.
    std::optional<Decimal> fee;
    /// The least a billing cycle's bill comes to (a commitment): a true-up line charges the
    /// difference. Money, prorated by days as Meter::minimum.
    std::optional<Decimal> minimum;
    /// The most a billing cycle's bill comes to (a cap): a cap line takes off the excess.
    std::optional<Decimal> maximum;

    /// The meter for `type`, or nullptr when the plan does not price it.
    const Meter* meter(const EventType& type) const noexcept;
    Meter* meter(const EventType& type) noexcept;
    /// Throws ValidationError naming the offending field ("plans.basic.meters.api_call.tiers[1].up_to")
    /// for a missing id, negative price or allowance, tiers out of order, a missing last
    /// open-ended tier, a non-positive package size, duplicate meters, a bad currency; in a
    /// charge filter ("plans.pro.meters.api_call.filters[1].values[0]") the same, a bad or
    /// `model` dimension, a second dimension on one meter, no values, a value given twice
    /// (in one filter or two); a fee, minimum or maximum (of a meter or the plan) that is negative,
    /// has more digits than the currency's minor unit, or a minimum above the maximum; and
    /// in `ai` ("plans.pro.ai.models[1].prices.cached_input"): a negative or too precise
    /// markup, price or included amount, a model given twice, a model name that is not
    /// "provider/model".
    void validate() const;

    /// The seed's plan: api_call 1000 included then $0.01, voice_minute 60 then $0.02,
    /// ai_query 100 then $0.05, storage_mb 1000 then $0.001; soft quotas at the
    /// allowances; USD, half-even rounding; rate-card usage (llm_call, transcription,
    /// speech) at its rate-card cost, nothing included (`ai` = AiBilling{}).
    static Plan basic();

    friend bool operator==(const Plan&, const Plan&) = default;
};

}  // namespace metered
