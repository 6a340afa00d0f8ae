// SPDX-License-Identifier: MIT
#include "metered/price_book.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "ai_billing_json.h"
#include "exact_json.h"
#include "iso_date.h"
#include "precision.h"
#include "metered/errors.h"
#include "text_format.h"
#include "untrusted_text.h"

namespace metered {
namespace {

using detail::Json;
using detail::onlyKeys;
using detail::readDecimal;
using detail::readString;
using detail::requireObject;

// An integer in [lowest, highest], read without narrowing (4294967298 is not 2).
int readInteger(const Json& value, const std::string& field, int lowest, int highest) {
    const auto problem = fmt::format("must be an integer between {} and {}", lowest, highest);
    if (value.is_number_unsigned()) {
        const auto v = value.get<std::uint64_t>();
        if (v > static_cast<std::uint64_t>(highest) || static_cast<std::int64_t>(v) < lowest) {
            throw ValidationError(field, problem);
        }
        return static_cast<int>(v);
    }
    if (value.is_number_integer()) {
        const auto v = value.get<std::int64_t>();
        if (v < lowest || v > highest) throw ValidationError(field, problem);
        return static_cast<int>(v);
    }
    throw ValidationError(field, problem);
}

bool isPercentage(PricingModel model) noexcept {
    return model == PricingModel::percentage || model == PricingModel::graduated_percentage;
}

// A rate in percent (2.9) as the fraction prices hold (0.029), exactly.
Decimal readRate(const Json& json, const std::string& field) {
    const Decimal percent = readDecimal(json, field);
    if (percent.isNegative()) throw ValidationError(field, "must not be negative");
    if (percent.significantScale() > detail::max_price_scale - 2) {
        throw ValidationError(field,
                              "has more than " + std::to_string(detail::max_price_scale - 2) + " fractional digits");
    }
    return percent * Decimal::fromMantissa(1, 2);
}

Json rateJson(const Decimal& fraction) { return detail::exactNumber((fraction * Decimal(100)).normalized()); }

bool readBool(const Json& json, const std::string& field) {
    if (!json.is_boolean()) throw ValidationError(field, "must be true or false");
    return json.get<bool>();
}

// Percentage models are priced by `rate` (percent), the others by `unit_price`.
void checkPriceKey(const Json& json, const std::string& at, PricingModel model) {
    const bool percent = isPercentage(model);
    const char* other = percent ? "unit_price" : "rate";
    if (json.contains(other)) {
        throw ValidationError(at + "." + other, percent ? "percentage pricing takes a rate (percent), not a unit_price"
                                                        : "only percentage pricing takes a rate");
    }
}

// A minimum and a maximum per billing cycle, each absent or null for none.
void readLimits(std::optional<Decimal>& minimum, std::optional<Decimal>& maximum, const Json& json,
                const std::string& at) {
    if (json.contains("minimum") && !json["minimum"].is_null()) minimum = readDecimal(json["minimum"], at + ".minimum");
    if (json.contains("maximum") && !json["maximum"].is_null()) maximum = readDecimal(json["maximum"], at + ".maximum");
}

void writeLimits(const std::optional<Decimal>& minimum, const std::optional<Decimal>& maximum, Json& json) {
    if (minimum) json["minimum"] = detail::exactNumber(*minimum);
    if (maximum) json["maximum"] = detail::exactNumber(*maximum);
}

// A tier's price: `unit_price`, or for percentage models `rate` (percent).
Tier readTier(const Json& json, const std::string& at, PricingModel model) {
    requireObject(json, at);
    checkPriceKey(json, at, model);
    const char* price = isPercentage(model) ? "rate" : "unit_price";
    onlyKeys(json, {"up_to", price, "flat_fee", "block_size"}, at);
    Tier tier;
    if (!json.contains("up_to")) throw ValidationError(at + ".up_to", "missing (use null for the last tier)");
    if (!json["up_to"].is_null()) tier.up_to = readDecimal(json["up_to"], at + ".up_to");
    if (!json.contains(price)) throw ValidationError(at + "." + price, "missing");
    tier.unit_price =
        isPercentage(model) ? readRate(json[price], at + ".rate") : readDecimal(json[price], at + ".unit_price");
    if (json.contains("flat_fee")) tier.flat_fee = readDecimal(json["flat_fee"], at + ".flat_fee");
    if (json.contains("block_size")) tier.block_size = readDecimal(json["block_size"], at + ".block_size");
    return tier;
}

std::vector<std::string> readStrings(const Json& json, const std::string& at) {
    if (!json.is_array()) throw ValidationError(at, "must be an array of strings");
    std::vector<std::string> strings;
    for (std::size_t i = 0; i < json.size(); ++i) {
        strings.push_back(readString(json[i], at + "[" + std::to_string(i) + "]"));
    }
    return strings;
}

// The pricing fields a meter and a charge filter share.
template <class Charge>
void readCharge(Charge& charge, const Json& json, const std::string& at) {
    if (json.contains("included")) charge.included = readDecimal(json["included"], at + ".included");
    if (json.contains("model"))
        charge.model = parsePricingModel(readString(json["model"], at + ".model"), at + ".model");
    if (json.contains("tiers")) {
        const Json& tiers = json["tiers"];
        if (!tiers.is_array()) throw ValidationError(at + ".tiers", "must be an array");
        for (std::size_t i = 0; i < tiers.size(); ++i) {
            charge.tiers.push_back(readTier(tiers[i], at + ".tiers[" + std::to_string(i) + "]", charge.model));
        }
    }
    // The price of one unit (the list price of an event): `unit_price`, or a percentage
    // model's `rate`; a tiered model's first tier's when not given.
    const bool percent = isPercentage(charge.model);
    const char* price = percent ? "rate" : "unit_price";
    checkPriceKey(json, at, charge.model);
    if (json.contains(price)) {
        charge.unit_price =
            percent ? readRate(json[price], at + ".rate") : readDecimal(json[price], at + ".unit_price");
    } else if (!charge.tiers.empty()) {
        charge.unit_price = charge.tiers.front().unit_price;
    } else {
        throw ValidationError(at + "." + price, "missing");
    }
    if (charge.model == PricingModel::package) {
        if (!json.contains("package_size")) throw ValidationError(at + ".package_size", "missing");
        if (!json.contains("package_price")) throw ValidationError(at + ".package_price", "missing");
        charge.package_size = readDecimal(json["package_size"], at + ".package_size");
        charge.package_price = readDecimal(json["package_price"], at + ".package_price");
    }
    if (json.contains("package_rounding")) {
        charge.package_rounding = parsePackageRounding(readString(json["package_rounding"], at + ".package_rounding"),
                                                       at + ".package_rounding");
    }
    if (json.contains("flat_fee_at_zero")) {
        charge.flat_fee_at_zero = readBool(json["flat_fee_at_zero"], at + ".flat_fee_at_zero");
    }
    if (json.contains("transaction_fee")) {
        charge.transaction_fee = readDecimal(json["transaction_fee"], at + ".transaction_fee");
    }
    if (json.contains("free_transactions")) {
        charge.free_transactions =
            readInteger(json["free_transactions"], at + ".free_transactions", 0, std::numeric_limits<int>::max());
    }
}

ChargeFilter readFilter(const Json& json, const std::string& at) {
    requireObject(json, at);
    onlyKeys(json,
             {"dimension", "values", "included", "model", "unit_price", "rate", "tiers", "package_size",
              "package_price", "package_rounding", "flat_fee_at_zero", "transaction_fee", "free_transactions"},
             at);
    ChargeFilter filter;
    if (!json.contains("dimension")) throw ValidationError(at + ".dimension", "missing");
    filter.dimension = readString(json["dimension"], at + ".dimension");
    if (!json.contains("values")) throw ValidationError(at + ".values", "missing");
    filter.values = readStrings(json["values"], at + ".values");
    readCharge(filter, json, at);
    return filter;
}

Meter readMeter(const std::string& type, const Json& json, const std::string& at) {
    requireObject(json, at);
    onlyKeys(json,
             {"unit",
              "aggregation",
              "unique_dimension",
              "included",
              "model",
              "unit_price",
              "rate",
              "tiers",
              "package_size",
              "package_price",
              "package_rounding",
              "flat_fee_at_zero",
              "transaction_fee",
              "free_transactions",
              "transaction_minimum",
              "transaction_maximum",
              "minimum",
              "maximum",
              "quota",
              "filters"},
             at);
    Meter meter;
    meter.type = EventType(type);
    if (json.contains("unit")) meter.unit = readString(json["unit"], at + ".unit");
    if (json.contains("aggregation")) {
        meter.aggregation = parseAggregation(readString(json["aggregation"], at + ".aggregation"), at + ".aggregation");
    }
    if (json.contains("unique_dimension")) {
        meter.unique_dimension = readString(json["unique_dimension"], at + ".unique_dimension");
    }
    readCharge(meter, json, at);
    readLimits(meter.minimum, meter.maximum, json, at);
    if (json.contains("transaction_minimum") && !json["transaction_minimum"].is_null()) {
        meter.transaction_minimum = readDecimal(json["transaction_minimum"], at + ".transaction_minimum");
    }
    if (json.contains("transaction_maximum") && !json["transaction_maximum"].is_null()) {
        meter.transaction_maximum = readDecimal(json["transaction_maximum"], at + ".transaction_maximum");
    }
    if (json.contains("filters")) {
        const Json& filters = json["filters"];
        if (!filters.is_array()) throw ValidationError(at + ".filters", "must be an array");
        for (std::size_t i = 0; i < filters.size(); ++i) {
            meter.filters.push_back(readFilter(filters[i], at + ".filters[" + std::to_string(i) + "]"));
        }
    }
    if (json.contains("quota") && !json["quota"].is_null()) {
        const Json& quota = requireObject(json["quota"], at + ".quota");
        onlyKeys(quota, {"limit", "hard"}, at + ".quota");
        if (!quota.contains("limit")) throw ValidationError(at + ".quota.limit", "missing");
        Quota q{readDecimal(quota["limit"], at + ".quota.limit"), false};
        if (quota.contains("hard")) {
            if (!quota["hard"].is_boolean()) throw ValidationError(at + ".quota.hard", "must be true or false");
            q.hard = quota["hard"].get<bool>();
        }
        meter.quota = q;
    }
    return meter;
}

Plan readPlan(const Json& json, const std::string& at) {
    requireObject(json, at);
    onlyKeys(
        json,
        {"id", "effective", "name", "currency", "minor_units", "rounding", "meters", "ai", "fee", "minimum", "maximum"},
        at);
    Plan plan;
    if (!json.contains("id")) throw ValidationError(at + ".id", "missing");
    plan.id = readString(json["id"], at + ".id");
    if (json.contains("effective")) {
        const auto day = detail::parseIsoDate(readString(json["effective"], at + ".effective"));
        if (!day) throw ValidationError(at + ".effective", "must be a date written YYYY-MM-DD");
        plan.effective = date::local_days(*day);
    }
    plan.name = json.contains("name") ? readString(json["name"], at + ".name") : plan.id;
    const std::string code = json.contains("currency") ? readString(json["currency"], at + ".currency") : "USD";
    if (json.contains("minor_units")) {
        plan.currency =
            Currency{code, readInteger(json["minor_units"], at + ".minor_units", 0, Currency::max_minor_units)};
    } else {
        plan.currency = Currency::of(code);
    }
    if (json.contains("rounding")) {
        plan.rounding = parseRounding(readString(json["rounding"], at + ".rounding"), at + ".rounding");
    }
    if (!json.contains("meters")) throw ValidationError(at + ".meters", "missing");
    for (const auto& [type, meter] : requireObject(json["meters"], at + ".meters").items()) {
        plan.meters.push_back(readMeter(type, meter, at + ".meters." + type));
    }
    // Absent: at cost (the Plan default); null: the plan does not bill rate-card usage.
    if (json.contains("ai")) {
        plan.ai = json["ai"].is_null() ? std::nullopt
                                       : std::optional<AiBilling>(detail::readAiBilling(json["ai"], at + ".ai"));
    }
    if (json.contains("fee") && !json["fee"].is_null()) plan.fee = readDecimal(json["fee"], at + ".fee");
    readLimits(plan.minimum, plan.maximum, json, at);
    return plan;
}

template <class Charge>
void writeCharge(const Charge& meter, Json& json) {
    const bool percent = isPercentage(meter.model);
    const auto price = [percent](const Decimal& value) {
        return percent ? rateJson(value) : detail::exactNumber(value);
    };
    const char* price_key = percent ? "rate" : "unit_price";
    json["included"] = detail::exactNumber(meter.included);
    json["model"] = std::string(toString(meter.model));
    json[price_key] = price(meter.unit_price);
    if (!meter.tiers.empty()) {
        json["tiers"] = Json::array();
        for (const Tier& tier : meter.tiers) {
            Json t = {{"up_to", tier.up_to ? detail::exactNumber(*tier.up_to) : Json()},
                      {price_key, price(tier.unit_price)},
                      {"flat_fee", detail::exactNumber(tier.flat_fee)}};
            if (!tier.block_size.isZero()) t["block_size"] = detail::exactNumber(tier.block_size);
            json["tiers"].push_back(std::move(t));
        }
    }
    if (meter.flat_fee_at_zero) json["flat_fee_at_zero"] = true;
    if (meter.model == PricingModel::package) {
        json["package_size"] = detail::exactNumber(meter.package_size);
        json["package_price"] = detail::exactNumber(meter.package_price);
        json["package_rounding"] = std::string(toString(meter.package_rounding));
    }
    if (meter.model == PricingModel::percentage) {
        json["transaction_fee"] = detail::exactNumber(meter.transaction_fee);
        json["free_transactions"] = meter.free_transactions;
    }
}

Json writeMeter(const Meter& meter) {
    Json json = Json::object();
    json["unit"] = meter.unit;
    if (meter.aggregation != Aggregation::sum) json["aggregation"] = std::string(toString(meter.aggregation));
    if (!meter.unique_dimension.empty()) json["unique_dimension"] = meter.unique_dimension;
    writeCharge(meter, json);
    if (meter.transaction_minimum) json["transaction_minimum"] = detail::exactNumber(*meter.transaction_minimum);
    if (meter.transaction_maximum) json["transaction_maximum"] = detail::exactNumber(*meter.transaction_maximum);
    writeLimits(meter.minimum, meter.maximum, json);
    if (!meter.filters.empty()) {
        json["filters"] = Json::array();
        for (const ChargeFilter& filter : meter.filters) {
            Json f = {{"dimension", filter.dimension}, {"values", filter.values}};
            writeCharge(filter, f);
            json["filters"].push_back(std::move(f));
        }
    }
    json["quota"] =
        meter.quota ? Json{{"limit", detail::exactNumber(meter.quota->limit)}, {"hard", meter.quota->hard}} : Json();
    return json;
}

std::vector<Dimension> readDimensions(const Json& json) {
    requireObject(json, "dimensions");
    std::vector<Dimension> dimensions;
    for (const auto& [name, fields] : json.items()) {
        const std::string at = "dimensions." + detail::clipped(name);
        requireObject(fields, at);
        onlyKeys(fields, {"max_length", "max_values", "values"}, at);
        Dimension dimension{name};
        if (fields.contains("values")) {
            dimension.values = readStrings(fields["values"], at + ".values");
            // A closed set larger than the default bound raises it: no value ever overflows.
            dimension.max_values =
                std::max(dimension.max_values,
                         static_cast<int>(std::min<std::size_t>(dimension.values.size(), Dimension::max_values_limit)));
        }
        if (fields.contains("max_length")) {
            dimension.max_length = readInteger(fields["max_length"], at + ".max_length", 1, Dimension::max_value_bytes);
        }
        if (fields.contains("max_values")) {
            dimension.max_values =
                readInteger(fields["max_values"], at + ".max_values", 1, Dimension::max_values_limit);
        }
        dimension.validate();
        dimensions.push_back(std::move(dimension));
    }
    return dimensions;
}

const Dimension* declared(const std::vector<Dimension>& dimensions, std::string_view name) {
    for (const Dimension& d : dimensions) {
        if (d.name == name) return &d;
    }
    return nullptr;
}

// Each charge filter's dimension is declared and closed, and each of its values one of the
// dimension's values; the dimension a meter counts unique values of is declared.
void checkDimensions(const Plan& plan, const std::vector<Dimension>& dimensions) {
    for (const Meter& meter : plan.meters) {
        if (!meter.unique_dimension.empty() && declared(dimensions, meter.unique_dimension) == nullptr) {
            throw ValidationError(
                "plans." + plan.id + ".meters." + meter.type.toString() + ".unique_dimension",
                detail::quoted(meter.unique_dimension, 32) + " is not declared in the price book's dimensions");
        }
        for (std::size_t i = 0; i < meter.filters.size(); ++i) {
            const ChargeFilter& filter = meter.filters[i];
            const std::string f =
                "plans." + plan.id + ".meters." + meter.type.toString() + ".filters[" + std::to_string(i) + "]";
            const Dimension* dimension = declared(dimensions, filter.dimension);
            if (dimension == nullptr) {
                throw ValidationError(f + ".dimension", detail::quoted(filter.dimension, 32) +
                                                            " is not declared in the price book's dimensions");
            }
            if (!dimension->closed()) {
                throw ValidationError(f + ".dimension", detail::quoted(filter.dimension, 32) +
                                                            " is not a closed dimension (declare its values)");
            }
            for (std::size_t v = 0; v < filter.values.size(); ++v) {
                if (!dimension->admits(filter.values[v])) {
                    throw ValidationError(f + ".values[" + std::to_string(v) + "]",
                                          detail::quoted(filter.values[v], 64) + " is not one of the values of '" +
                                              filter.dimension + "'");
                }
            }
        }
    }
}

}  // namespace

PriceBook::PriceBook() : PriceBook({Plan::basic()}, "basic") {}

PriceBook::PriceBook(std::vector<Plan> plans, std::string_view default_plan, std::vector<Dimension> dimensions)
    : plans_(std::move(plans)), dimensions_(std::move(dimensions)) {
    std::set<std::string> names;
    for (const Dimension& dimension : dimensions_) {
        dimension.validate();
        if (!names.insert(dimension.name).second)
            throw ValidationError("dimensions." + dimension.name, "declared twice");
    }
    if (plans_.empty()) throw ValidationError("plans", "a price book needs at least one plan");
    std::set<std::pair<std::string, date::local_days>> versions;
    for (const Plan& plan : plans_) {
        plan.validate();
        const std::string at = "plans." + plan.id;
        if (!versions.insert({plan.id, plan.effective.value_or(date::local_days::min())}).second) {
            throw ValidationError(
                plan.effective ? at + ".effective" : at,
                plan.effective ? "two versions take effect on " + detail::isoDay(*plan.effective) : "defined twice");
        }
        const Plan* first = findPlan(plan.id);
        if (first == nullptr) throw ValidationError(at, "has versions but no first version (one without `effective`)");
        if (first->currency != plan.currency) {
            throw ValidationError(at + ".currency",
                                  "every version of a plan bills in one currency (" + first->currency.code + ")");
        }
    }
    for (const Plan& plan : plans_) checkDimensions(plan, dimensions_);
    const Plan* found = findPlan(default_plan);
    if (found == nullptr) throw ValidationError("default_plan", "no plan " + detail::quoted(default_plan));
    default_index_ = static_cast<std::size_t>(found - plans_.data());
    // Every plan prices exactly the recordable types, so every bill is complete.
    for (const Plan& plan : plans_) {
        for (const Meter& meter : defaultPlan().meters) {
            if (plan.meter(meter.type) == nullptr) {
                throw ValidationError("plans." + plan.id + ".meters." + meter.type.toString(),
                                      "missing (every plan prices every event type of the default plan)");
            }
        }
        for (const Meter& meter : plan.meters) {
            if (defaultPlan().meter(meter.type) == nullptr) {
                throw ValidationError("plans." + plan.id + ".meters." + meter.type.toString(),
                                      "not priced by the default plan '" + defaultPlan().id + "', so never recordable");
            }
        }
    }
}

PriceBook PriceBook::fromJson(std::string_view json_text) {
    if (json_text.size() > max_json_bytes) {
        throw ValidationError("price book", fmt::format("JSON text of {} bytes is longer than the limit of {}",
                                                        json_text.size(), max_json_bytes));
    }
    const Json json = detail::parseExactJson(json_text, "price book", max_json_depth);
    requireObject(json, "price book");
    onlyKeys(json, {"default_plan", "plans", "dimensions"}, "price book");
    if (!json.contains("plans") || !json["plans"].is_array()) throw ValidationError("plans", "missing array of plans");
    std::vector<Plan> plans;
    for (std::size_t i = 0; i < json["plans"].size(); ++i) {
        plans.push_back(readPlan(json["plans"][i], "plans[" + std::to_string(i) + "]"));
    }
    std::string default_plan = plans.empty() ? "" : plans.front().id;
    if (json.contains("default_plan")) default_plan = readString(json["default_plan"], "default_plan");
    std::vector<Dimension> dimensions;
    if (json.contains("dimensions")) dimensions = readDimensions(json["dimensions"]);
    return PriceBook(std::move(plans), default_plan, std::move(dimensions));
}

PriceBook PriceBook::load(const std::filesystem::path& path) {
    const std::string name = detail::quoted(path.string(), 256);
    std::error_code error;
    const auto status = std::filesystem::status(path, error);
    if (error || !std::filesystem::exists(status)) {
        throw ValidationError("price book", "cannot read " + name + ": " + (error ? error.message() : "no such file"));
    }
    if (!std::filesystem::is_regular_file(status)) {
        throw ValidationError("price book", name + " is not a regular file");
    }
    const auto size = std::filesystem::file_size(path, error);
    if (!error && size > max_json_bytes) {
        throw ValidationError("price book",
                              fmt::format("{} has {} bytes, more than the limit of {}", name, size, max_json_bytes));
    }
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    if (in) text << in.rdbuf();
    if (!in || in.bad()) throw ValidationError("price book", "cannot read " + name);
    return fromJson(text.str());
}

std::string PriceBook::toJson() const {
    Json plans = Json::array();
    for (const Plan& plan : plans_) {
        Json meters = Json::object();
        for (const Meter& meter : plan.meters) meters[meter.type.toString()] = writeMeter(meter);
        plans.push_back({{"id", plan.id},
                         {"name", plan.name},
                         {"currency", plan.currency.code},
                         {"minor_units", plan.currency.minor_units},
                         {"rounding", std::string(toString(plan.rounding))},
                         {"meters", std::move(meters)}});
        plans.back()["ai"] = plan.ai ? detail::writeAiBilling(*plan.ai) : nullptr;
        if (plan.effective) plans.back()["effective"] = detail::isoDay(*plan.effective);
        if (plan.fee) plans.back()["fee"] = detail::exactNumber(*plan.fee);
        writeLimits(plan.minimum, plan.maximum, plans.back());
    }
    Json book{{"default_plan", defaultPlan().id}, {"plans", std::move(plans)}};
    if (!dimensions_.empty()) {
        Json dimensions = Json::object();
        for (const Dimension& d : dimensions_) {
            dimensions[d.name] = {{"max_length", d.max_length}, {"max_values", d.max_values}};
            if (d.closed()) dimensions[d.name]["values"] = d.values;
        }
        book["dimensions"] = std::move(dimensions);
    }
    return detail::dumpExact(book, 2);
}

const Plan* PriceBook::findPlan(std::string_view id) const noexcept {
    for (const Plan& plan : plans_) {
        if (plan.id == id && !plan.effective) return &plan;
    }
    return nullptr;
}

const Plan* PriceBook::findPlan(std::string_view id, date::local_days day) const noexcept {
    const Plan* found = nullptr;
    for (const Plan& plan : plans_) {
        if (plan.id != id || (plan.effective && *plan.effective > day)) continue;
        if (found == nullptr || found->effective < plan.effective) found = &plan;
    }
    return found;
}

std::vector<date::local_days> PriceBook::versionDays(std::string_view id) const {
    std::vector<date::local_days> days;
    for (const Plan& plan : plans_) {
        if (plan.id == id && plan.effective) days.push_back(*plan.effective);
    }
    std::sort(days.begin(), days.end());
    return days;
}

const Dimension* PriceBook::findDimension(std::string_view name) const noexcept {
    for (const Dimension& dimension : dimensions_) {
        if (dimension.name == name) return &dimension;
    }
    return nullptr;
}

const Plan& PriceBook::plan(std::string_view id) const {
    if (const Plan* found = findPlan(id)) return *found;
    throw NotFoundError("no plan " + detail::quoted(id) + " in the price book");
}

const Meter& PriceBook::listMeter(const EventType& type) const {
    if (const Meter* meter = defaultPlan().meter(type)) return *meter;
    throw ValidationError("event_type", "'" + type.toString() + "' is not a recordable type (the default plan '" +
                                            defaultPlan().id + "' does not price it)");
}

}  // namespace metered
