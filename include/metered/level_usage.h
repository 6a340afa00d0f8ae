// SPDX-License-Identifier: MIT
// One local day of a level (an amount held over time, such as storage), read from rollups.
#pragma once

#include <cstdint>

#include <date/date.h>

#include "metered/decimal.h"
#include "metered/event_type.h"
#include "metered/time.h"

namespace metered {

/// The reports of one level type (EventType::isLevel) on one local day of a business: each
/// report sets the level from its time until the next report. A day without reports holds
/// the level of the last report before it all day, and has no row.
///
/// `held` is the exact integral of the level between the day's first and last report, in
/// level × microseconds (10 GB held for an hour is 10,000 × 3,600,000,000); what the level
/// was before `first_at` and after `last_at` comes from the report before the day and from
/// `closing`, so a report stored late changes only the row of its own day.
struct DailyLevel {
    EventType type = EventType::storageLevel();
    date::local_days day;
    Timestamp first_at;        ///< the day's first report
    Timestamp last_at;         ///< the day's last report
    Decimal closing;           ///< the level the last report set, held until the next report
    Decimal peak;              ///< the highest level reported that day
    Decimal held;              ///< level × microseconds from first_at to last_at
    std::int64_t reports = 0;  ///< how many reports (voided ones not counted)

    friend bool operator==(const DailyLevel&, const DailyLevel&) = default;
};

}  // namespace metered
