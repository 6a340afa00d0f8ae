// SPDX-License-Identifier: MIT
#include "metered/plan.h"

#include <algorithm>
#include <array>
#include <set>

#include "metered/dimension.h"
#include "metered/errors.h"
#include "precision.h"
#include "utf8.h"
#include "untrusted_text.h"

namespace metered {
namespace {

struct KnownCurrency {
    std::string_view code;
    int minor_units;
};
constexpr std::array<KnownCurrency, 24> known_currencies{{
    {"USD", 2}, {"EUR", 2}, {"GBP", 2}, {"CHF", 2}, {"CAD", 2}, {"AUD", 2}, {"NZD", 2}, {"SEK", 2},
    {"NOK", 2}, {"DKK", 2}, {"PLN", 2}, {"CZK", 2}, {"INR", 2}, {"CNY", 2}, {"SGD", 2}, {"HKD", 2},
    {"BRL", 2}, {"MXN", 2}, {"ZAR", 2}, {"JPY", 0}, {"KRW", 0}, {"KWD", 3}, {"BHD", 3}, {"TND", 3},
}};

void requireNonNegative(const Decimal& value, const std::string& field, int max_digits) {
    if (value.isNegative()) throw ValidationError(field, "must not be negative");
    if (value.significantScale() > max_digits) {
        throw ValidationError(field, "has more than " + std::to_string(max_digits) + " fractional digits");
    }
}

// Names shown to people: short UTF-8 text without control characters.
void checkLabel(const std::string& text, const std::string& field) {
    if (text.size() > 200 || !detail::isValidUtf8(text) ||
        std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; })) {
        throw ValidationError(field, "must be at most 200 bytes of UTF-8 without control characters");
    }
}

void validateTiers(const std::vector<Tier>& tiers, const std::string& at) {
    if (tiers.empty()) throw ValidationError(at + ".tiers", "a tiered meter needs at least one tier");
    std::optional<Decimal> previous;
    for (std::size_t i = 0; i < tiers.size(); ++i) {
        const Tier& tier = tiers[i];
        const std::string field = at + ".tiers[" + std::to_string(i) + "]";
        const bool last = i + 1 == tiers.size();
        requireNonNegative(tier.unit_price, field + ".unit_price", detail::max_price_scale);
        requireNonNegative(tier.flat_fee, field + ".flat_fee", detail::max_price_scale);
        requireNonNegative(tier.block_size, field + ".block_size", detail::max_quantity_scale);
        if (!tier.up_to) {
            if (!last) throw ValidationError(field + ".up_to", "only the last tier may be open-ended");
            continue;
        }
        if (last) throw ValidationError(field + ".up_to", "the last tier must be open-ended (up_to: null)");
        requireNonNegative(*tier.up_to, field + ".up_to", detail::max_quantity_scale);
        if (tier.up_to->signum() <= 0 || (previous && *tier.up_to <= *previous)) {
            throw ValidationError(field + ".up_to", "tier bounds must be positive and increasing");
        }
        previous = tier.up_to;
    }
}

bool isTiered(PricingModel model) noexcept {
    return model == PricingModel::graduated || model == PricingModel::volume ||
           model == PricingModel::graduated_percentage;
}

// The pricing fields a Meter and a ChargeFilter share: allowance, price, model, tiers, packages.
template <class Charge>
void validateCharge(const Charge& charge, const std::string& m) {
    requireNonNegative(charge.included, m + ".included", detail::max_quantity_scale);
    requireNonNegative(charge.unit_price, m + ".unit_price", detail::max_price_scale);
    const std::string model(toString(charge.model));
    if (isTiered(charge.model)) {
        validateTiers(charge.tiers, m);
    } else if (!charge.tiers.empty()) {
        throw ValidationError(m + ".tiers", model + " pricing takes no tiers");
    }
    if (charge.model == PricingModel::graduated_percentage) {
        for (std::size_t i = 0; i < charge.tiers.size(); ++i) {
            if (!charge.tiers[i].block_size.isZero()) {
                throw ValidationError(m + ".tiers[" + std::to_string(i) + "].block_size",
                                      "a rate is not charged in blocks (graduated and volume tiers only)");
            }
        }
    }
    if (charge.flat_fee_at_zero && !isTiered(charge.model)) {
        throw ValidationError(m + ".flat_fee_at_zero", "only tiers have flat fees (" + model + " pricing)");
    }
    if (charge.model == PricingModel::package) {
        requireNonNegative(charge.package_size, m + ".package_size", detail::max_quantity_scale);
        requireNonNegative(charge.package_price, m + ".package_price", detail::max_price_scale);
        if (charge.package_size.isZero()) throw ValidationError(m + ".package_size", "must be positive");
    } else if (charge.package_rounding != PackageRounding::up) {
        throw ValidationError(m + ".package_rounding", "only the package model rounds packages");
    }
}

// The percentage model's fee per transaction (of a meter or a charge filter).
template <class Charge>
void validateTransactionFee(const Charge& charge, const std::string& m) {
    requireNonNegative(charge.transaction_fee, m + ".transaction_fee", detail::max_price_scale);
    if (charge.free_transactions < 0) throw ValidationError(m + ".free_transactions", "must not be negative");
    if (charge.transaction_fee.isZero() && charge.free_transactions == 0) return;
    if (charge.model != PricingModel::percentage) {
        throw ValidationError(m + (charge.transaction_fee.isZero() ? ".free_transactions" : ".transaction_fee"),
                              "only the percentage model charges per transaction");
    }
}

// A percentage meter's per-transaction minimum and maximum: money, the minimum not above
// the maximum, on a meter whose events each are one transaction priced by the meter itself.
void validateTransactionBounds(const Meter& meter, const Currency& currency, const std::string& m) {
    const auto& minimum = meter.transaction_minimum;
    const auto& maximum = meter.transaction_maximum;
    if (!minimum && !maximum) return;
    const std::string field = m + (minimum ? ".transaction_minimum" : ".transaction_maximum");
    if (meter.model != PricingModel::percentage) {
        throw ValidationError(field, "only the percentage model bounds each transaction");
    }
    if (meter.aggregation != Aggregation::sum) throw ValidationError(field, "needs the sum aggregation");
    if (!meter.filters.empty()) throw ValidationError(field, "a meter with charge filters has no transaction bounds");
    if (minimum) requireNonNegative(*minimum, m + ".transaction_minimum", currency.minor_units);
    if (maximum) requireNonNegative(*maximum, m + ".transaction_maximum", currency.minor_units);
    if (minimum && maximum && *minimum > *maximum) {
        throw ValidationError(m + ".transaction_minimum",
                              "must not be above the transaction maximum (" + maximum->toPlainString() + ")");
    }
}

// A meter's charge filters (their dimensions and values against the price book's
// declarations are PriceBook's to check).
void validateFilters(const Meter& meter, const std::string& m) {
    std::set<std::string_view> values;
    for (std::size_t i = 0; i < meter.filters.size(); ++i) {
        const ChargeFilter& filter = meter.filters[i];
        const std::string f = m + ".filters[" + std::to_string(i) + "]";
        if (!isDimensionName(filter.dimension) || filter.dimension == model_dimension) {
            throw ValidationError(f + ".dimension", "must be a declared dimension (not 'model')");
        }
        if (filter.dimension != meter.filters.front().dimension) {
            throw ValidationError(f + ".dimension", "all filters of a meter use one dimension ('" +
                                                        meter.filters.front().dimension + "')");
        }
        if (filter.values.empty()) throw ValidationError(f + ".values", "a filter needs at least one value");
        for (std::size_t v = 0; v < filter.values.size(); ++v) {
            const std::string field = f + ".values[" + std::to_string(v) + "]";
            if (filter.values[v].empty()) throw ValidationError(field, "must not be empty");
            if (!values.insert(filter.values[v]).second) {
                throw ValidationError(field, detail::quoted(filter.values[v], 64) + " is in another filter already");
            }
        }
        validateCharge(filter, f);
        validateTransactionFee(filter, f);
    }
}

// What the meter counts: a unique count names a dimension (which PriceBook checks is declared).
void validateAggregation(const Meter& meter, const std::string& m) {
    if (meter.type.isLevel() != isLevelAggregation(meter.aggregation)) {
        throw ValidationError(m + ".aggregation",
                              meter.type.isLevel()
                                  ? "a level type is billed \"time_weighted\", \"max\" or \"latest\", not \"" +
                                        std::string(toString(meter.aggregation)) + "\""
                                  : "\"" + std::string(toString(meter.aggregation)) +
                                        "\" bills a level type (a name ending in _level), not '" +
                                        meter.type.toString() + "'");
    }
    if (isLevelAggregation(meter.aggregation) && !meter.filters.empty()) {
        throw ValidationError(m + ".filters", "a level meter has no charge filters");
    }
    if (meter.aggregation != Aggregation::unique) {
        if (!meter.unique_dimension.empty()) {
            throw ValidationError(m + ".unique_dimension",
                                  "only a meter with aggregation \"unique\" counts the values of a dimension");
        }
        return;
    }
    if (!isDimensionName(meter.unique_dimension) || meter.unique_dimension == model_dimension) {
        throw ValidationError(m + ".unique_dimension", "must be a declared dimension (not 'model')");
    }
    if (!meter.filters.empty()) {
        throw ValidationError(m + ".filters", "a meter counting unique values has no charge filters");
    }
}

// A minimum and a maximum per billing cycle: money in the plan's currency, the minimum not above the maximum.
void validateLimits(const std::optional<Decimal>& minimum, const std::optional<Decimal>& maximum,
                    const Currency& currency, const std::string& at) {
    if (minimum) requireNonNegative(*minimum, at + ".minimum", currency.minor_units);
    if (maximum) requireNonNegative(*maximum, at + ".maximum", currency.minor_units);
    if (minimum && maximum && *minimum > *maximum) {
        throw ValidationError(at + ".minimum", "must not be above the maximum (" + maximum->toPlainString() + ")");
    }
}

bool isModelName(const std::string& model) noexcept {
    const std::size_t slash = model.find('/');
    return slash != std::string::npos && slash != 0 && slash + 1 != model.size();
}

void validateAi(const AiBilling& ai, const Currency& currency, const std::string& at) {
    requireNonNegative(ai.markup_percent, at + ".markup_percent", AiBilling::max_markup_scale);
    requireNonNegative(ai.included_amount, at + ".included_amount", currency.minor_units);
    std::set<std::string_view> seen;
    for (std::size_t i = 0; i < ai.models.size(); ++i) {
        const ModelPricing& pricing = ai.models[i];
        const std::string m = at + ".models[" + std::to_string(i) + "]";
        checkLabel(pricing.model, m + ".model");
        if (!isModelName(pricing.model)) throw ValidationError(m + ".model", "a model is \"provider/model\"");
        if (!seen.insert(pricing.model).second) {
            throw ValidationError(m + ".model", detail::quoted(pricing.model, 64) + " is priced twice");
        }
        if (pricing.markup_percent) {
            requireNonNegative(*pricing.markup_percent, m + ".markup_percent", AiBilling::max_markup_scale);
        }
        for (std::size_t part = 0; part < usage_part_count; ++part) {
            if (pricing.prices[part]) {
                requireNonNegative(*pricing.prices[part],
                                   m + ".prices." + std::string(toString(static_cast<UsagePart>(part))),
                                   AiBilling::max_price_scale);
            }
        }
    }
}

}  // namespace

const ModelPricing* AiBilling::pricing(std::string_view model) const noexcept {
    for (const ModelPricing& m : models) {
        if (m.model == model) return &m;
    }
    return nullptr;
}

Decimal AiBilling::charge(std::string_view model, UsagePart part, const Decimal& quantity, const Decimal& cost) const {
    const ModelPricing* own = pricing(model);
    if (own != nullptr && own->price(part)) return quantity * *own->price(part);
    const Decimal& markup = own != nullptr && own->markup_percent ? *own->markup_percent : markup_percent;
    if (markup.isZero()) return cost;
    // cost × (1 + markup / 100), exactly: cost + cost × markup × 0.01.
    return cost + cost.normalized() * markup.normalized() * Decimal::fromMantissa(1, 2);
}

Currency Currency::of(std::string_view code) {
    for (const auto& known : known_currencies) {
        if (known.code == code) return Currency{std::string(code), known.minor_units};
    }
    throw ValidationError("currency",
                          "unknown currency " + detail::quoted(code, 16) + " (give minor_units explicitly)");
}

std::string_view toString(PricingModel model) noexcept {
    switch (model) {
        case PricingModel::per_unit:
            return "per_unit";
        case PricingModel::graduated:
            return "graduated";
        case PricingModel::volume:
            return "volume";
        case PricingModel::package:
            return "package";
        case PricingModel::percentage:
            return "percentage";
        case PricingModel::graduated_percentage:
            return "graduated_percentage";
    }
    return "per_unit";
}

PricingModel parsePricingModel(std::string_view name, std::string_view field) {
    for (auto model : {PricingModel::per_unit, PricingModel::graduated, PricingModel::volume, PricingModel::package,
                       PricingModel::percentage, PricingModel::graduated_percentage}) {
        if (toString(model) == name) return model;
    }
    throw ValidationError(field, "unknown pricing model " + detail::quoted(name, 32) +
                                     " (per_unit, graduated, volume, package, percentage or graduated_percentage)");
}

std::string_view toString(Aggregation aggregation) noexcept {
    switch (aggregation) {
        case Aggregation::count:
            return "count";
        case Aggregation::unique:
            return "unique";
        case Aggregation::time_weighted:
            return "time_weighted";
        case Aggregation::maximum:
            return "max";
        case Aggregation::latest:
            return "latest";
        case Aggregation::sum:
            break;
    }
    return "sum";
}

bool isLevelAggregation(Aggregation aggregation) noexcept {
    return aggregation == Aggregation::time_weighted || aggregation == Aggregation::maximum ||
           aggregation == Aggregation::latest;
}

Aggregation parseAggregation(std::string_view name, std::string_view field) {
    for (Aggregation a : {Aggregation::sum, Aggregation::count, Aggregation::unique, Aggregation::time_weighted,
                          Aggregation::maximum, Aggregation::latest}) {
        if (name == toString(a)) return a;
    }
    throw ValidationError(field,
                          "must be \"sum\", \"count\", \"unique\", \"time_weighted\", \"max\" or \"latest\", not " +
                              detail::quoted(name, 32));
}

std::string_view toString(PackageRounding rounding) noexcept {
    return rounding == PackageRounding::down ? "down" : "up";
}

PackageRounding parsePackageRounding(std::string_view name, std::string_view field) {
    if (name == "up") return PackageRounding::up;
    if (name == "down") return PackageRounding::down;
    throw ValidationError(field, "must be \"up\" or \"down\", not " + detail::quoted(name, 32));
}

const Meter* Plan::meter(const EventType& type) const noexcept {
    for (const Meter& m : meters) {
        if (m.type == type) return &m;
    }
    return nullptr;
}

Meter* Plan::meter(const EventType& type) noexcept {
    return const_cast<Meter*>(static_cast<const Plan&>(*this).meter(type));
}

void Plan::validate() const {
    if (!detail::isPlanId(id)) {
        throw ValidationError("plan.id", detail::quoted(id) + " is not a plan id (1-64 of A-Z a-z 0-9 _ - .)");
    }
    const std::string at = "plans." + id;
    if (effective && !detail::isStorableDay(*effective)) {
        throw ValidationError(at + ".effective", "must be from 2000-01-01 to 2199-12-31");
    }
    checkLabel(name, at + ".name");
    if (currency.code.size() != 3 ||
        !std::all_of(currency.code.begin(), currency.code.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
        throw ValidationError(at + ".currency", "must be a three-letter ISO 4217 code");
    }
    if (currency.minor_units < 0 || currency.minor_units > Currency::max_minor_units) {
        throw ValidationError(at + ".minor_units",
                              "must be between 0 and " + std::to_string(Currency::max_minor_units));
    }
    if (meters.empty()) throw ValidationError(at + ".meters", "a plan needs at least one meter");
    std::set<EventType> seen;
    for (const Meter& meter : meters) {
        const std::string m = at + ".meters." + meter.type.toString();
        if (!seen.insert(meter.type).second) throw ValidationError(m, "priced twice");
        if (meter.type.isRateCard()) {
            throw ValidationError(m,
                                  "rate-card usage is priced per model by the rate card and billed by `ai`, "
                                  "not by a meter");
        }
        checkLabel(meter.unit, m + ".unit");
        validateAggregation(meter, m);
        validateCharge(meter, m);
        validateTransactionFee(meter, m);
        validateLimits(meter.minimum, meter.maximum, currency, m);
        validateTransactionBounds(meter, currency, m);
        validateFilters(meter, m);
        if (meter.quota) requireNonNegative(meter.quota->limit, m + ".quota.limit", detail::max_quantity_scale);
    }
    if (ai) validateAi(*ai, currency, at + ".ai");
    if (fee) requireNonNegative(*fee, at + ".fee", currency.minor_units);
    validateLimits(minimum, maximum, currency, at);
}

Plan Plan::basic() {
    auto meter = [](EventType type, const char* unit, int included, const char* price) {
        Meter m;
        m.type = type;
        m.unit = unit;
        m.included = Decimal(included);
        m.unit_price = Decimal::parse(price);
        m.quota = Quota{Decimal(included), false};
        return m;
    };
    Plan plan;
    plan.id = "basic";
    plan.name = "Basic";
    plan.currency = Currency::of("USD");
    plan.meters = {
        meter(EventType::apiCall(), "call", 1000, "0.01"),
        meter(EventType::voiceMinute(), "minute", 60, "0.02"),
        meter(EventType::aiQuery(), "query", 100, "0.05"),
        meter(EventType::storageMb(), "MB", 1000, "0.001"),
    };
    plan.ai = AiBilling{};
    return plan;
}

}  // namespace metered
