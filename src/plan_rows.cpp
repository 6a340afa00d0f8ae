// SPDX-License-Identifier: MIT
#include "plan_rows.h"

#include <unordered_map>

#include "ai_billing_json.h"
#include "exact_json.h"

#include "store_text.h"

namespace metered::detail {
namespace {}  // namespace

MeterRow toRow(const Meter& meter) {
    MeterRow row;
    row.event_type = meter.type.toString();
    row.unit = meter.unit;
    row.included_quantity = meter.included.toString();
    row.pricing_model = std::string(toString(meter.model));
    row.overage_price_cents = toCents(meter.unit_price).toString();
    if (!meter.tiers.empty()) {
        Json tiers = Json::array();
        for (const Tier& tier : meter.tiers) {
            tiers.push_back({{"up_to", tier.up_to ? Json(tier.up_to->toString()) : Json()},
                             {"unit_price", tier.unit_price.toString()},
                             {"flat_fee", tier.flat_fee.toString()}});
        }
        row.tiers = tiers.dump();
    }
    if (meter.model == PricingModel::package) {
        row.package_size = meter.package_size.toString();
        row.package_price = meter.package_price.toString();
    }
    if (meter.quota) {
        row.quota_limit = meter.quota->limit.toString();
        row.quota_hard = meter.quota->hard;
    }
    return row;
}

Meter fromRow(const MeterRow& row) {
    Meter meter;
    meter.type = EventType(row.event_type);
    meter.unit = row.unit;
    meter.included = Decimal::parse(row.included_quantity, "usage_quotas.included_quantity");
    meter.model = parsePricingModel(row.pricing_model, "usage_quotas.pricing_model");
    meter.unit_price = fromCents(Decimal::parse(row.overage_price_cents, "usage_quotas.overage_price_cents"));
    if (row.tiers) {
        for (const auto& json : parseExactJson(*row.tiers, "usage_quotas.tiers")) {
            Tier tier;
            if (!json["up_to"].is_null()) tier.up_to = readDecimal(json["up_to"], "tiers.up_to");
            tier.unit_price = readDecimal(json["unit_price"], "tiers.unit_price");
            tier.flat_fee = readDecimal(json["flat_fee"], "tiers.flat_fee");
            meter.tiers.push_back(tier);
        }
    }
    if (row.package_size) meter.package_size = Decimal::parse(*row.package_size, "usage_quotas.package_size");
    if (row.package_price) meter.package_price = Decimal::parse(*row.package_price, "usage_quotas.package_price");
    if (row.quota_limit)
        meter.quota = Quota{Decimal::parse(*row.quota_limit, "usage_quotas.quota_limit"), row.quota_hard};
    return meter;
}

std::string aiBillingColumn(const Plan& plan) {
    // "null": the plan does not bill rate-card usage. A NULL column (a plan stored before
    // the column existed) reads as the default, at cost.
    return plan.ai ? dumpExact(writeAiBilling(*plan.ai)) : "null";
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
