// SPDX-License-Identifier: MIT
// A level type's rollup of one local day from its reports, computed once for every store
// (private).
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "metered/ids.h"
#include "metered/level_usage.h"
#include "quantity_corrections.h"

namespace metered::detail {

/// One stored report of a level: when, its event id (which orders two reports of the same
/// microsecond: the larger id is the later) and the level it set when appended (its quantity).
struct LevelReport {
    Timestamp at;
    EventId id;
    Decimal level;
};

/// The rollup of `reports` (in any order) of `type` on local day `day`, as `corrections`
/// (of those reports, in any order) left them; nothing when no report is left.
std::optional<DailyLevel> levelDay(const EventType& type, date::local_days day, std::vector<LevelReport> reports,
                                   std::span<const QuantityCorrection> corrections);

}  // namespace metered::detail
