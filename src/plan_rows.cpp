// SPDX-License-Identifier: MIT
#include "plan_rows.h"

#include <algorithm>
#include <unordered_map>

#include "ai_billing_json.h"
#include "exact_json.h"
#include "metered/errors.h"
#include "metered/price_book.h"

#include "store_text.h"
#include "untrusted_text.h"

namespace metered::detail {
namespace {

Json tiersJson(const std::vector<Tier>& tiers) {
    Json json = Json::array();
    for (const Tier& tier : tiers) {
        json.push_back({{"up_to", tier.up_to ? Json(tier.up_to->toString()) : Json()},
                        {"unit_price", tier.unit_price.toString()},
                        {"flat_fee", tier.flat_fee.toString()}});
        if (!tier.block_size.isZero()) json.back()["block_size"] = tier.block_size.toString();
    }
    return json;
}

std::vector<Tier> tiersFrom(const Json& json) {
    std::vector<Tier> tiers;
    for (const auto& item : json) {
        Tier tier;
        if (!item["up_to"].is_null()) tier.up_to = readDecimal(item["up_to"], "tiers.up_to");
        tier.unit_price = readDecimal(item["unit_price"], "tiers.unit_price");
        tier.flat_fee = readDecimal(item["flat_fee"], "tiers.flat_fee");
        if (item.contains("block_size")) tier.block_size = readDecimal(item["block_size"], "tiers.block_size");
        tiers.push_back(tier);
    }
    return tiers;
}

// The options of a charge (a meter or a filter) that differ from their defaults, into
// `json` (columns written before an option existed read as its default).
template <class Charge>
void writeOptions(const Charge& charge, Json& json) {
    if (charge.package_rounding != PackageRounding::up) json["package_rounding"] = toString(charge.package_rounding);
    if (charge.flat_fee_at_zero) json["flat_fee_at_zero"] = true;
    if (!charge.transaction_fee.isZero()) json["transaction_fee"] = charge.transaction_fee.toString();
    if (charge.free_transactions != 0) json["free_transactions"] = charge.free_transactions;
}

template <class Charge>
void readOptions(Charge& charge, const Json& json, const std::string& at) {
    if (json.contains("package_rounding")) {
        charge.package_rounding = parsePackageRounding(readString(json["package_rounding"], at + ".package_rounding"),
                                                       at + ".package_rounding");
    }
    if (json.contains("flat_fee_at_zero")) {
        if (!json["flat_fee_at_zero"].is_boolean())
            throw ValidationError(at + ".flat_fee_at_zero", "must be a boolean");
        charge.flat_fee_at_zero = json["flat_fee_at_zero"].get<bool>();
    }
    if (json.contains("transaction_fee")) {
        charge.transaction_fee = readDecimal(json["transaction_fee"], at + ".transaction_fee");
    }
    if (json.contains("free_transactions")) {
        if (!json["free_transactions"].is_number_integer()) {
            throw ValidationError(at + ".free_transactions", "must be an integer");
        }
        charge.free_transactions = json["free_transactions"].get<std::int64_t>();
    }
}

std::optional<Decimal> optionalDecimal(const Json& json, const char* key, const std::string& at) {
    if (!json.contains(key)) return std::nullopt;
    return readDecimal(json[key], at + "." + key);
}

Json filtersJson(const std::vector<ChargeFilter>& filters) {
    Json json = Json::array();
    for (const ChargeFilter& f : filters) {
        json.push_back({{"dimension", f.dimension},
                        {"values", f.values},
                        {"included", f.included.toString()},
                        {"model", std::string(toString(f.model))},
                        {"unit_price", f.unit_price.toString()},
                        {"tiers", tiersJson(f.tiers)},
                        {"package_size", f.package_size.toString()},
                        {"package_price", f.package_price.toString()}});
        writeOptions(f, json.back());
    }
    return json;
}

std::vector<ChargeFilter> filtersFrom(const std::string& text) {
    const Json json = parseExactJson(text, "usage_quotas.filters");
    if (!json.is_array()) throw ValidationError("usage_quotas.filters", "must be a JSON array");
    std::vector<ChargeFilter> filters;
    for (const auto& item : json) {
        const auto field = [&](const char* key) -> const Json& {
            if (!item.is_object() || !item.contains(key)) {
                throw ValidationError(std::string("usage_quotas.filters.") + key, "missing");
            }
            return item[key];
        };
        ChargeFilter f;
        f.dimension = readString(field("dimension"), "filters.dimension");
        const Json& values = field("values");
        if (!values.is_array()) throw ValidationError("usage_quotas.filters.values", "must be an array");
        for (const auto& value : values) f.values.push_back(readString(value, "filters.values"));
        f.included = readDecimal(field("included"), "filters.included");
        f.model = parsePricingModel(readString(field("model"), "filters.model"), "filters.model");
        f.unit_price = readDecimal(field("unit_price"), "filters.unit_price");
        const Json& tiers = field("tiers");
        if (!tiers.is_array()) throw ValidationError("usage_quotas.filters.tiers", "must be an array");
        f.tiers = tiersFrom(tiers);
        f.package_size = readDecimal(field("package_size"), "filters.package_size");
        f.package_price = readDecimal(field("package_price"), "filters.package_price");
        readOptions(f, item, "usage_quotas.filters");
        filters.push_back(std::move(f));
    }
    return filters;
}

}  // namespace

MeterRow toRow(const Meter& meter) {
    MeterRow row;
    row.event_type = meter.type.toString();
    row.unit = meter.unit;
    row.included_quantity = meter.included.toString();
    row.pricing_model = std::string(toString(meter.model));
    row.overage_price_cents = toCents(meter.unit_price).toString();
    if (!meter.tiers.empty()) row.tiers = tiersJson(meter.tiers).dump();
    if (!meter.filters.empty()) row.filters = filtersJson(meter.filters).dump();
    if (meter.model == PricingModel::package) {
        row.package_size = meter.package_size.toString();
        row.package_price = meter.package_price.toString();
    }
    if (meter.quota) {
        row.quota_limit = meter.quota->limit.toString();
        row.quota_hard = meter.quota->hard;
    }
    Json options = Json::object();
    if (meter.aggregation != Aggregation::sum) options["aggregation"] = toString(meter.aggregation);
    if (!meter.unique_dimension.empty()) options["unique_dimension"] = meter.unique_dimension;
    writeOptions(meter, options);
    if (meter.minimum) options["minimum"] = meter.minimum->toString();
    if (meter.maximum) options["maximum"] = meter.maximum->toString();
    if (meter.transaction_minimum) options["transaction_minimum"] = meter.transaction_minimum->toString();
    if (meter.transaction_maximum) options["transaction_maximum"] = meter.transaction_maximum->toString();
    if (!options.empty()) row.options = options.dump();
    return row;
}

Meter fromRow(const MeterRow& row) {
    Meter meter;
    meter.type = EventType(row.event_type);
    meter.unit = row.unit;
    meter.included = Decimal::parse(row.included_quantity, "usage_quotas.included_quantity");
    meter.model = parsePricingModel(row.pricing_model, "usage_quotas.pricing_model");
    meter.unit_price = fromCents(Decimal::parse(row.overage_price_cents, "usage_quotas.overage_price_cents"));
    if (row.tiers) meter.tiers = tiersFrom(parseExactJson(*row.tiers, "usage_quotas.tiers"));
    if (row.filters) meter.filters = filtersFrom(*row.filters);
    if (row.package_size) meter.package_size = Decimal::parse(*row.package_size, "usage_quotas.package_size");
    if (row.package_price) meter.package_price = Decimal::parse(*row.package_price, "usage_quotas.package_price");
    if (row.quota_limit)
        meter.quota = Quota{Decimal::parse(*row.quota_limit, "usage_quotas.quota_limit"), row.quota_hard};
    if (row.options) {
        const std::string at = "usage_quotas.charge_options";
        const Json options = parseExactJson(*row.options, at);
        if (!options.is_object()) throw ValidationError(at, "must be a JSON object");
        readOptions(meter, options, at);
        if (options.contains("aggregation")) {
            meter.aggregation =
                parseAggregation(readString(options["aggregation"], at + ".aggregation"), at + ".aggregation");
        }
        if (options.contains("unique_dimension")) {
            meter.unique_dimension = readString(options["unique_dimension"], at + ".unique_dimension");
        }
        meter.minimum = optionalDecimal(options, "minimum", at);
        meter.maximum = optionalDecimal(options, "maximum", at);
        meter.transaction_minimum = optionalDecimal(options, "transaction_minimum", at);
        meter.transaction_maximum = optionalDecimal(options, "transaction_maximum", at);
    }
    return meter;
}

std::optional<std::string> commitmentsColumn(const Plan& plan) {
    if (!plan.fee && !plan.minimum && !plan.maximum) return std::nullopt;
    Json json = Json::object();
    if (plan.fee) json["fee"] = plan.fee->toString();
    if (plan.minimum) json["minimum"] = plan.minimum->toString();
    if (plan.maximum) json["maximum"] = plan.maximum->toString();
    return json.dump();
}

std::optional<std::string> dimensionValuesColumn(const Dimension& dimension) {
    if (!dimension.closed()) return std::nullopt;
    return Json(dimension.values).dump();
}

std::vector<std::string> dimensionValuesFrom(const std::optional<std::string>& column) {
    std::vector<std::string> values;
    if (!column) return values;
    const Json json = parseExactJson(*column, "metered_dimensions.values");
    if (!json.is_array()) throw ValidationError("metered_dimensions.values", "must be a JSON array");
    for (const auto& value : json) values.push_back(readString(value, "metered_dimensions.values"));
    return values;
}

std::string aiBillingColumn(const Plan& plan) {
    // "null": the plan does not bill rate-card usage. A NULL column (a plan stored before
    // the column existed) reads as the default, at cost.
    return plan.ai ? dumpExact(writeAiBilling(*plan.ai)) : "null";
}

void checkPlanCurrency(const Plan& plan, const std::optional<Currency>& first, const std::vector<Currency>& versions) {
    const std::string at = "plans." + plan.id + ".currency";
    if (plan.effective) {
        if (!first)
            throw ValidationError("plan.effective", "plan " + detail::quoted(plan.id) + " has no first version stored");
        if (*first != plan.currency) {
            throw ValidationError(at, "every version of a plan bills in one currency (" + first->code + ")");
        }
        return;
    }
    for (const Currency& currency : versions) {
        if (currency != plan.currency) {
            throw ValidationError(
                at, "every version of a plan bills in one currency (its later versions: " + currency.code + ")");
        }
    }
}

std::string planVersionColumn(const Plan& version) {
    Plan plan = version;
    plan.effective.reset();
    std::vector<Dimension> dimensions;  // closed, each holding the values the filters name
    for (const Meter& meter : plan.meters) {
        for (const ChargeFilter& filter : meter.filters) {
            auto found = std::find_if(dimensions.begin(), dimensions.end(),
                                      [&](const Dimension& d) { return d.name == filter.dimension; });
            if (found == dimensions.end())
                found = dimensions.insert(dimensions.end(), Dimension{filter.dimension, Dimension::max_value_bytes,
                                                                      Dimension::max_values_limit});
            found->values.insert(found->values.end(), filter.values.begin(), filter.values.end());
        }
    }
    for (Dimension& d : dimensions) {
        std::sort(d.values.begin(), d.values.end());
        d.values.erase(std::unique(d.values.begin(), d.values.end()), d.values.end());
    }
    return PriceBook({plan}, plan.id, std::move(dimensions)).toJson();
}

Plan planVersionFrom(std::string_view column, date::local_days effective) {
    Plan plan = PriceBook::fromJson(column).defaultPlan();
    plan.effective = effective;
    return plan;
}

std::vector<Plan> assemblePlans(const std::vector<PlanRow>& plans,
                                const std::vector<std::pair<std::string, MeterRow>>& meters) {
    std::vector<Plan> result;
    std::unordered_map<std::string, std::size_t> index;
    for (const auto& row : plans) {
        Plan plan;
        plan.id = row.id;
        plan.name = row.name;
        plan.currency = Currency{row.currency, row.minor_units};
        plan.rounding = parseRounding(row.rounding);
        if (row.ai_billing) {
            const Json ai = parseExactJson(*row.ai_billing, "metered_plans.ai_billing");
            plan.ai =
                ai.is_null() ? std::nullopt : std::optional<AiBilling>(readAiBilling(ai, "metered_plans.ai_billing"));
        }
        if (row.commitments) {
            const std::string at = "metered_plans.commitments";
            const Json json = parseExactJson(*row.commitments, at);
            if (!json.is_object()) throw ValidationError(at, "must be a JSON object");
            plan.fee = optionalDecimal(json, "fee", at);
            plan.minimum = optionalDecimal(json, "minimum", at);
            plan.maximum = optionalDecimal(json, "maximum", at);
        }
        index[plan.id] = result.size();
        result.push_back(std::move(plan));
    }
    for (const auto& [plan_id, row] : meters) {
        if (auto found = index.find(plan_id); found != index.end())
            result[found->second].meters.push_back(fromRow(row));
    }
    return result;
}

}  // namespace metered::detail
