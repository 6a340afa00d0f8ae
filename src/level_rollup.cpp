// SPDX-License-Identifier: MIT
#include "level_rollup.h"

#include <algorithm>
#include <tuple>

namespace metered::detail {

std::optional<DailyLevel> levelDay(const EventType& type, date::local_days day, std::vector<LevelReport> reports,
                                   std::span<const LevelCorrection> corrections) {
    std::sort(reports.begin(), reports.end(), [](const LevelReport& a, const LevelReport& b) { return a.id < b.id; });
    for (const LevelCorrection& c : corrections) {
        auto report = std::lower_bound(reports.begin(), reports.end(), c.event,
                                       [](const LevelReport& r, const EventId& id) { return r.id < id; });
        if (report == reports.end() || report->id != c.event) continue;
        if (c.kind == CorrectionKind::void_event) {
            reports.erase(report);
        } else if (c.kind == CorrectionKind::amend_quantity) {
            report->level += c.quantity_delta;
        }
    }
    if (reports.empty()) return std::nullopt;
    std::sort(reports.begin(), reports.end(),
              [](const LevelReport& a, const LevelReport& b) { return std::tie(a.at, a.id) < std::tie(b.at, b.id); });
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
