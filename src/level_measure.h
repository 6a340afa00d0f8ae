// SPDX-License-Identifier: MIT
// What a level meter counts of a level type's rollups in a billing cycle (Aggregation::
// time_weighted, maximum, latest), said once for bills, trends and quotas (private).
#pragma once

#include <span>
#include <vector>

#include "metered/billing_period.h"
#include "metered/level_usage.h"
#include "metered/plan.h"

namespace metered::detail {

/// Fractional digits of a time-weighted quantity (level-months).
inline constexpr int level_months_scale = 9;

/// What a meter with level aggregation `aggregation` counts of one level type in billing
/// cycle `cycle` of a business in `time_zone`, through each of the cycle's days: entry i is
/// the quantity of the cycle's first i + 1 days (so a day's own quantity is entry i less
/// entry i - 1, and the entries of days after `now` repeat the last one). `rows` are the
/// type's level rollups in day order, starting with the last one before the cycle when
/// there is one (UsageStore::levels); rows after the cycle are ignored.
std::vector<Decimal> levelThrough(Aggregation aggregation, std::span<const DailyLevel> rows, const DayRange& cycle,
                                  std::string_view time_zone, Timestamp now);

}  // namespace metered::detail
