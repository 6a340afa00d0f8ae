// SPDX-License-Identifier: MIT
// Billing periods: spans of whole days in a business's own time zone.
#pragma once

#include <date/date.h>

#include <string>
#include <string_view>
#include <vector>

#include "metered/export.h"
#include "metered/time.h"

namespace metered {

struct Account;

/// A half-open span of local calendar days [first, end).
struct DayRange {
    date::local_days first;
    date::local_days end;  ///< the day after the last day

    int count() const noexcept { return static_cast<int>((end - first).count()); }
    bool contains(date::local_days day) const noexcept { return first <= day && day < end; }
    friend bool operator==(const DayRange&, const DayRange&) = default;
};

/// Which period a report covers, before it is resolved against a business and a clock.
class METERED_API PeriodSpec {
public:
    enum class Kind : std::uint8_t {
        current_month,   ///< the business's current billing month: the cycle containing today
        previous_month,  ///< the cycle before it
        current_cycle,   ///< the same days as current_month (the explicit name)
        previous_cycle,  ///< the same days as previous_month
        calendar_month,  ///< the calendar month containing today, in the business's zone
        custom,          ///< explicit local days [from, to)
    };

    /// The seed's "current month" is the month a business is billed for: its current billing
    /// cycle (the calendar month when the anchor day is 1).
    static PeriodSpec currentMonth() noexcept { return PeriodSpec(Kind::current_month); }
    /// The previous billing cycle (the previous calendar month when the anchor day is 1).
    static PeriodSpec previousMonth() noexcept { return PeriodSpec(Kind::previous_month); }
    static PeriodSpec currentCycle() noexcept { return PeriodSpec(Kind::current_cycle); }
    static PeriodSpec previousCycle() noexcept { return PeriodSpec(Kind::previous_cycle); }
    /// The calendar month containing today. Unless the anchor day is 1 it covers parts of two
    /// cycles, and is priced as those parts (see UsageReports::getBillingUsage).
    static PeriodSpec calendarMonth() noexcept { return PeriodSpec(Kind::calendar_month); }
    /// Local days [from, to); throws ValidationError("period", …) unless from < to and the
    /// span is at most 1830 days (five years).
    static PeriodSpec custom(date::year_month_day from, date::year_month_day to);
    /// The same, with C++20's calendar types: `custom(2024y / 3 / 1, 2024y / 4 / 1)`.
    static PeriodSpec custom(std::chrono::year_month_day from, std::chrono::year_month_day to) {
        return custom(toDate(from), toDate(to));
    }
    /// "current_month", "previous_month", "current_cycle", "previous_cycle", "calendar_month",
    /// or "2024-01-01..2024-02-01" (custom, end exclusive). Throws ValidationError("period", …).
    static PeriodSpec parse(std::string_view text);

    Kind kind() const noexcept { return kind_; }
    const DayRange& customDays() const noexcept { return custom_; }
    std::string toString() const;

private:
    explicit PeriodSpec(Kind kind) noexcept : kind_(kind) {}
    Kind kind_;
    DayRange custom_{};
};

/// A resolved billing period: local days in a named IANA zone, and the UTC instants
/// where they begin and end. Midnight is taken in the zone's own rules, so a period is
/// correct across DST changes (a day may last 23, 23.5, 24, 24.5 or 25 hours); where a
/// DST gap swallows midnight, the day begins at the first instant that exists.
struct METERED_API BillingPeriod {
    DayRange days;
    std::string time_zone = "UTC";
    Timestamp start;  ///< first instant of days.first
    Timestamp end;    ///< first instant of days.end

    /// Resolves `spec` for `account` at the instant `now`. Cycles follow the account's
    /// anchor day: a cycle starts on that day of each month, or on the month's last day
    /// when the month is shorter (an anchor of 31 gives Jan 31, Feb 28/29, Mar 31, …).
    static BillingPeriod resolve(const PeriodSpec& spec, const Account& account, Timestamp now);
    /// The period of `days` in `time_zone`. Throws ValidationError for an unknown zone.
    static BillingPeriod ofDays(DayRange days, std::string_view time_zone);
    /// The billing cycle that contains `day`, for an anchor day of month (1–31).
    static DayRange cycleContaining(date::local_days day, int anchor_day);
    /// The billing cycles that `days` overlaps, in order, each whole (the first may begin
    /// before days.first, the last end after days.end).
    static std::vector<DayRange> cyclesOverlapping(const DayRange& days, int anchor_day);

    bool contains(Timestamp t) const noexcept { return start <= t && t < end; }
    friend bool operator==(const BillingPeriod&, const BillingPeriod&) = default;
};

/// The local calendar day of the instant `t` in `time_zone`; throws ValidationError for an
/// unknown zone.
METERED_API date::local_days localDay(Timestamp t, std::string_view time_zone);

/// The first instant of local day `day` in `time_zone`.
METERED_API Timestamp startOfDay(date::local_days day, std::string_view time_zone);

/// True when `name` is an IANA time zone known to this machine's tz database.
METERED_API bool isKnownTimeZone(std::string_view name) noexcept;

}  // namespace metered
