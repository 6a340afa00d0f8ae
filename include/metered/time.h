// SPDX-License-Identifier: MIT
// Instants, and where the library reads "now" from.
#pragma once

#include <date/date.h>

#include <chrono>
#include <functional>

#include "metered/export.h"

namespace metered {

/// A point in time, in UTC, to the microsecond (PostgreSQL's timestamptz resolution).
/// `std::chrono::sys_time` of any finer or coarser duration converts to it with
/// `std::chrono::time_point_cast<std::chrono::microseconds>` (or `floor`).
using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;

/// A source of "now": the system clock by default; tests and back-fills pass their own
/// (RecorderOptions::clock, UsageReports). Called from any thread.
using Clock = std::function<Timestamp()>;

/// The system clock, to the microsecond.
METERED_API Timestamp systemNow();

/// Calendar days: the library's headers use Howard Hinnant's date types (C++20's
/// std::chrono calendar, available on every compiler). These convert a C++20 day to and
/// from them, exactly; PeriodSpec::custom also takes std::chrono::year_month_day.
inline date::local_days toDateDays(std::chrono::local_days day) noexcept {
    return date::local_days(date::days(day.time_since_epoch().count()));
}
/// Field by field, so an invalid date (February 30th) stays invalid (`ok()` is false).
inline date::year_month_day toDate(std::chrono::year_month_day day) noexcept {
    return date::year_month_day(date::year(static_cast<int>(day.year())),
                                date::month(static_cast<unsigned>(day.month())),
                                date::day(static_cast<unsigned>(day.day())));
}
inline std::chrono::local_days toChronoDays(date::local_days day) noexcept {
    return std::chrono::local_days(std::chrono::days(day.time_since_epoch().count()));
}
inline std::chrono::year_month_day toChrono(date::year_month_day day) noexcept {
    return std::chrono::year_month_day(std::chrono::year(static_cast<int>(day.year())),
                                       std::chrono::month(static_cast<unsigned>(day.month())),
                                       std::chrono::day(static_cast<unsigned>(day.day())));
}

}  // namespace metered
