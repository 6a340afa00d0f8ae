// SPDX-License-Identifier: MIT
#include "level_measure.h"

#include <algorithm>

#include "decimal_access.h"
#include "metered/errors.h"

namespace metered::detail {
namespace {

// Fractional digits of a day's level-days before they are summed and divided by the cycle's
// days (six more than the quantity's, so that sum is exact in all but contrived cases).
constexpr int level_days_scale = level_months_scale + 6;

// dividend / divisor (> 0) to `digits` fractional digits, rounded half to even, by long
// division (no intermediate product past the result's own size).
Decimal quotient(const Decimal& dividend, std::int64_t divisor, int digits) {
    const int128 m = DecimalAccess::mantissa(dividend);
    const int128 magnitude = m < 0 ? -m : m;
    int128 d = divisor;
    for (int s = dividend.scale(); s > digits; --s) d *= 10;  // fewer digits than the dividend has
    int128 q = magnitude / d;
    int128 r = magnitude % d;
    for (int s = dividend.scale(); s < digits; ++s) {
        r *= 10;
        q = q * 10 + r / d;
        r %= d;
    }
    if (2 * r > d || (2 * r == d && q % 2 != 0)) ++q;
    return DecimalAccess::make(m < 0 ? -q : q, digits);
}

Decimal times(const Decimal& level, std::chrono::microseconds duration) {
    return duration.count() > 0 ? level * Decimal(duration.count()) : Decimal(0);
}

}  // namespace

std::vector<Decimal> levelThrough(Aggregation aggregation, std::span<const DailyLevel> rows, const DayRange& cycle,
                                  std::string_view time_zone, Timestamp now) {
    const auto days = static_cast<std::size_t>((cycle.end - cycle.first).count());
    std::vector<Decimal> through(days);
    auto row = rows.begin();
    Decimal level;  // held at the start of the day (none reported yet: 0)
    for (; row != rows.end() && row->day < cycle.first; ++row) level = row->closing;
    Decimal level_days;  // time_weighted: Σ level × (held time / day length)
    Decimal highest = level;
    Timestamp start = startOfDay(cycle.first, time_zone);
    for (std::size_t i = 0; i < days; ++i) {
        const auto day = cycle.first + date::days(static_cast<int>(i));
        const Timestamp end = startOfDay(day + date::days(1), time_zone);
        const bool reported = row != rows.end() && row->day == day;
        // Up to now (a report dated later counts from its time to it).
        const Timestamp until = std::min(end, std::max(now, reported ? row->last_at : now));
        if (until > start) {
            Decimal held;
            if (reported) {
                held = times(level, row->first_at - start) + row->held + times(row->closing, until - row->last_at);
                highest = max(highest, row->peak);
                level = row->closing;
            } else {
                held = times(level, until - start);
            }
            level_days += quotient(held, (end - start).count(), level_days_scale);
        }
        if (reported) ++row;
        if (until <= start) {  // a day to come: nothing more
            through[i] = i == 0 ? Decimal(0) : through[i - 1];
        } else if (aggregation == Aggregation::time_weighted) {
            through[i] = quotient(level_days, static_cast<std::int64_t>(days), level_months_scale);
        } else if (aggregation == Aggregation::maximum) {
            through[i] = highest;
        } else if (aggregation == Aggregation::latest) {
            through[i] = level;
        } else {
            throw ValidationError("aggregation", "'" + std::string(toString(aggregation)) + "' is not a level's");
        }
        start = end;
    }
    return through;
}

}  // namespace metered::detail
