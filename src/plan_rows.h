// SPDX-License-Identifier: MIT
// Meters as the text columns of a usage_quotas row, for the database stores (private).
#pragma once

#include <optional>
#include <string>

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
    std::optional<std::string> tiers;  ///< JSON array of {up_to, unit_price, flat_fee} strings
    std::optional<std::string> package_size;
    std::optional<std::string> package_price;
    std::optional<std::string> quota_limit;
    bool quota_hard = false;
};

MeterRow toRow(const Meter& meter);
/// Throws ValidationError for a row no Meter could have written.
Meter fromRow(const MeterRow& row);

}  // namespace metered::detail
