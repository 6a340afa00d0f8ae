// SPDX-License-Identifier: MIT
// Plans: what each event type costs a business, with allowances, tiers and quotas.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "metered/decimal.h"
#include "metered/event_type.h"
#include "metered/export.h"

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

/// How a meter turns the billable quantity of a period into an amount.
enum class PricingModel : std::uint8_t {
    per_unit,   ///< billable × unit_price (the seed's overage pricing)
    graduated,  ///< each tier prices the units that fall in it; flat fee of every tier reached
    volume,     ///< the tier the whole quantity falls in prices every billable unit; its flat fee once
    package,    ///< whole packages of package_size, rounded up, at package_price each
};

METERED_API std::string_view toString(PricingModel model) noexcept;
/// Throws ValidationError naming `field` for an unknown name.
METERED_API PricingModel parsePricingModel(std::string_view name, std::string_view field = "model");

/// One price tier, Stripe/Lago style. Tiers are on the period's total quantity: a tier
/// covers quantities above the previous tier's `up_to` up to and including its own.
/// Fractional quantities are continuous (a tier ending at 100 and the next one split
/// 100.5 as 100 + 0.5).
struct Tier {
    std::optional<Decimal> up_to;  ///< inclusive upper bound; empty for the last, open-ended tier
    Decimal unit_price;
    Decimal flat_fee;  ///< charged once when the tier holds billable units
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

/// The price of one event type in a plan.
///
/// Usage up to `included` in a period is free (never billed, under any model, including
/// tier flat fees). What lies above it is billable and priced by `model`. Tier bounds
/// count the included units too, so "first 1000 free, then $0.01 up to 5000, then
/// $0.008" is `included = 1000` with tiers up to 5000 and open-ended.
struct Meter {
    EventType type = EventType::apiCall();
    std::string unit;  ///< display name of one unit: "call", "minute", "query", "MB"
    Decimal included;  ///< free allowance per billing period
    PricingModel model = PricingModel::per_unit;
    Decimal unit_price;       ///< price of one unit (per_unit); always the list price of an event
    std::vector<Tier> tiers;  ///< graduated and volume models
    Decimal package_size;     ///< package model
    Decimal package_price;    ///< package model
    std::optional<Quota> quota;

    friend bool operator==(const Meter&, const Meter&) = default;
};

/// A plan: a currency, the rounding applied once per line item, and a meter per event
/// type. The seed's `basic` plan is `Plan::basic()`.
struct METERED_API Plan {
    std::string id;
    std::string name;
    Currency currency;
    Rounding rounding = Rounding::half_even;
    std::vector<Meter> meters;

    /// The meter for `type`, or nullptr when the plan does not price it.
    const Meter* meter(const EventType& type) const noexcept;
    Meter* meter(const EventType& type) noexcept;
    /// Throws ValidationError naming the offending field ("plans.basic.meters.api_call.tiers[1].up_to")
    /// for a missing id, negative price or allowance, tiers out of order, a missing last
    /// open-ended tier, a non-positive package size, duplicate meters, a bad currency.
    void validate() const;

    /// The seed's plan: api_call 1000 included then $0.01, voice_minute 60 then $0.02,
    /// ai_query 100 then $0.05, storage_mb 1000 then $0.001; soft quotas at the
    /// allowances; USD, half-even rounding.
    static Plan basic();

    friend bool operator==(const Plan&, const Plan&) = default;
};

}  // namespace metered
