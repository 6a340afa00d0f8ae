// SPDX-License-Identifier: MIT
// Meters as the text columns of a usage_quotas row, a plan's later versions as a
// metered_plan_versions column, a closed dimension's values as a metered_dimensions column,
// for the database stores; and the currency rule of plan versions every store keeps (private).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "metered/dimension.h"
#include "metered/plan.h"

namespace metered::detail {

/// One usage_quotas row; every number is exact decimal text. Prices are in hundredths
/// of the currency unit (the seed's *_cents columns); tiers and package prices in units.
struct MeterRow {
    std::string event_type;
    std::string unit;
    std::string included_quantity;
    std::string pricing_model;
    std::string overage_price_cents;
    std::optional<std::string> tiers;  ///< JSON array of {up_to, unit_price, flat_fee, block_size?} strings
    std::optional<std::string> package_size;
    std::optional<std::string> package_price;
    std::optional<std::string> quota_limit;
    bool quota_hard = false;
    /// JSON array of the meter's charge filters ({dimension, values, included, model,
    /// unit_price, tiers, package_size, package_price, and the options below that are not
    /// their defaults}, numbers as exact strings), or NULL.
    std::optional<std::string> filters;
    /// JSON object of the meter's options that are not their defaults (aggregation, package_rounding,
    /// flat_fee_at_zero, transaction_fee, free_transactions, minimum, maximum), or NULL.
    std::optional<std::string> options;
};

MeterRow toRow(const Meter& meter);
/// Throws ValidationError for a row no Meter could have written.
Meter fromRow(const MeterRow& row);

/// The metered_dimensions.values column of `dimension`: the JSON array of its closed set,
/// or NULL for an open dimension.
std::optional<std::string> dimensionValuesColumn(const Dimension& dimension);
/// The closed set of a metered_dimensions.values column (empty for NULL). Throws
/// ValidationError for a column no store wrote.
std::vector<std::string> dimensionValuesFrom(const std::optional<std::string>& column);

/// One metered_plans row.
struct PlanRow {
    std::string id;
    std::string name;
    std::string currency;
    int minor_units = 2;
    std::string rounding;
    std::optional<std::string> ai_billing;   ///< the exact JSON of Plan::ai, or NULL (no rate-card billing)
    std::optional<std::string> commitments;  ///< JSON {minimum, maximum} of the plan, or NULL for neither
};

/// The commitments column of `plan`: its fee, minimum and maximum, or NULL for none of them.
std::optional<std::string> commitmentsColumn(const Plan& plan);

/// The ai_billing column of `plan`: the exact JSON of its AiBilling, or nothing.
std::string aiBillingColumn(const Plan& plan);

/// What every store checks in savePlan beyond Plan::validate: a later version needs its
/// plan's first version stored (`first`: that version's currency, or nothing) and bills in
/// its currency; a first version bills in the currency of its stored later versions
/// (`versions`). Throws ValidationError("plan.effective" or "plans.<id>.currency").
void checkPlanCurrency(const Plan& plan, const std::optional<Currency>& first, const std::vector<Currency>& versions);

/// The plan_versions.plan column of a later version: the version as a one-plan price book's
/// JSON (its charge filters' dimensions declared from their values), and back; the version's
/// day is the row's own column. planVersionFrom throws ValidationError for text no store wrote.
std::string planVersionColumn(const Plan& version);
Plan planVersionFrom(std::string_view column, date::local_days effective);

/// The plans of `plans` rows, each with the meters of `meters` (plan id, row) that name
/// it, in the order given; meters of other plans are ignored.
std::vector<Plan> assemblePlans(const std::vector<PlanRow>& plans,
                                const std::vector<std::pair<std::string, MeterRow>>& meters);

}  // namespace metered::detail
