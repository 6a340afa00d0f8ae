// SPDX-License-Identifier: MIT
#include "level_rollup.h"

namespace metered::detail {

std::optional<DailyLevel> levelDay(const EventType& type, date::local_days day, std::vector<LevelReport> reports,
                                   std::span<const QuantityCorrection> corrections) {
    applyCorrections(reports, corrections, &LevelReport::level);
    if (reports.empty()) return std::nullopt;
    sortByTime(reports);
    DailyLevel row{type,
                   day,
                   reports.front().at,
                   reports.back().at,
                   reports.back().level,
                   reports.front().level,
                   Decimal(0),
                   static_cast<std::int64_t>(reports.size())};
    for (std::size_t i = 0; i + 1 < reports.size(); ++i) {
        row.peak = max(row.peak, reports[i].level);
        row.held += reports[i].level * Decimal((reports[i + 1].at - reports[i].at).count());
    }
    row.peak = max(row.peak, reports.back().level);
    return row;
}

}  // namespace metered::detail
