// SPDX-License-Identifier: MIT
// A level type's rollup of one local day from its reports, computed once for every store
// (private).
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "metered/correction.h"
#include "metered/ids.h"
#include "metered/level_usage.h"

namespace metered::detail {

/// One stored report of a level: when, its event id (which orders two reports of the same
/// microsecond: the larger id is the later) and the level it set when appended (its quantity).
struct LevelReport {
    Timestamp at;
    EventId id;
    Decimal level;
};

/// What a correction of a report does to its level: an amendment moves it by
/// `quantity_delta`, a void removes the report; the other kinds change no level.
struct LevelCorrection {
    EventId event;
    CorrectionKind kind = CorrectionKind::amend_quantity;
    Decimal quantity_delta;
};

/// The rollup of `reports` (in any order) of `type` on local day `day`, as `corrections`
/// (of those reports, in any order) left them; nothing when no report is left.
std::optional<DailyLevel> levelDay(const EventType& type, date::local_days day, std::vector<LevelReport> reports,
                                   std::span<const LevelCorrection> corrections);

}  // namespace metered::detail
