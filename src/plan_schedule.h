// SPDX-License-Identifier: MIT
// Which plan version prices each local day of a business (private).
#pragma once

#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "metered/account.h"
#include "metered/billing_period.h"
#include "metered/pricing.h"

namespace metered::detail {

/// A run of days priced with one plan version.
struct PlanSegment {
    DayRange days;
    const Plan* plan = nullptr;
};

/// The version of plan `id` in effect on `day`, or nullptr when there is none.
using PlanLookup = std::function<const Plan*(std::string_view id, date::local_days day)>;

/// The runs of `days` that one plan version prices, in order, for a business on plan
/// `base_plan` until the first of `changes` (earliest first) and on each change's plan from
/// its day on; a run ends where the plan or the plan's version changes. Throws
/// NotFoundError for a plan `lookup` does not know.
std::vector<PlanSegment> planSegments(const PlanLookup& lookup, std::string_view base_plan,
                                      std::span<const PlanChange> changes, const DayRange& days);

/// The plan `base_plan` or a change moves the business to on `day` (as planSegments).
std::string_view planIdOn(std::string_view base_plan, std::span<const PlanChange> changes, date::local_days day);

/// One bill of the bills of `segments` (each priced by its own version, in order): lines
/// and AI lines of every part, each marked with the first day its part prices
/// (LineItem::from, AiLine::from) when there is more than one part; the AI credits and the
/// totals summed; the plan of the last part. One part is returned as it is.
Bill joinBills(std::vector<Bill> parts, std::span<const PlanSegment> segments);

}  // namespace metered::detail
