// SPDX-License-Identifier: MIT
#include "metered/billing_period.h"

#include <date/tz.h>
#include <fmt/format.h>

#include "metered/account.h"
#include "iso_date.h"
#include "text_format.h"
#include "metered/errors.h"
#include "untrusted_text.h"

namespace metered {
namespace {

using date::local_days;

constexpr int max_custom_days = 1830;

const date::time_zone* zoneOrThrow(std::string_view name) {
    try {
        return date::locate_zone(name);
    } catch (const std::exception&) {
        throw ValidationError("time_zone", "unknown time zone " + detail::quoted(name));
    }
}

// The anchor day in month `ym`, clamped to the month's last day.
local_days anchorIn(date::year_month ym, int anchor_day) {
    const auto last = static_cast<unsigned>((ym / date::last).day());
    const auto day = std::min(static_cast<unsigned>(anchor_day), last);
    return local_days(ym / date::day(day));
}

date::year_month monthOf(local_days day) {
    return date::year_month_day(day).year() / date::year_month_day(day).month();
}

DayRange monthRange(date::year_month ym) {
    return {local_days(ym / date::day(1)), local_days((ym + date::months(1)) / date::day(1))};
}

}  // namespace

PeriodSpec PeriodSpec::custom(date::year_month_day from, date::year_month_day to) {
    if (!from.ok() || !to.ok()) throw ValidationError("period", "not a calendar date");
    PeriodSpec spec(Kind::custom);
    spec.custom_ = {local_days(from), local_days(to)};
    if (spec.custom_.count() < 1 || spec.custom_.count() > max_custom_days) {
        throw ValidationError("period", "a custom period runs from an earlier day to a later one, at most " +
                                            std::to_string(max_custom_days) + " days");
    }
    return spec;
}

PeriodSpec PeriodSpec::parse(std::string_view text) {
    for (Kind kind :
         {Kind::current_month, Kind::previous_month, Kind::current_cycle, Kind::previous_cycle, Kind::calendar_month}) {
        PeriodSpec spec(kind);
        if (spec.toString() == text) return spec;
    }
    const auto dots = text.find("..");
    if (dots != std::string_view::npos) {
        auto from = detail::parseIsoDate(text.substr(0, dots));
        auto to = detail::parseIsoDate(text.substr(dots + 2));
        if (from && to) return custom(*from, *to);
    }
    throw ValidationError("period", detail::quoted(text) +
                                        " is not current_month, previous_month, current_cycle, previous_cycle, "
                                        "calendar_month or YYYY-MM-DD..YYYY-MM-DD");
}

std::string PeriodSpec::toString() const {
    switch (kind_) {
        case Kind::current_month:
            return "current_month";
        case Kind::previous_month:
            return "previous_month";
        case Kind::current_cycle:
            return "current_cycle";
        case Kind::previous_cycle:
            return "previous_cycle";
        case Kind::calendar_month:
            return "calendar_month";
        case Kind::custom:
            break;
    }
    return detail::isoDay(custom_.first) + ".." + detail::isoDay(custom_.end);
}

DayRange BillingPeriod::cycleContaining(local_days day, int anchor_day) {
    if (anchor_day < 1 || anchor_day > 31) throw ValidationError("anchor_day", "must be between 1 and 31");
    const auto ym = monthOf(day);
    const local_days start = anchorIn(ym, anchor_day);
    if (day >= start) return {start, anchorIn(ym + date::months(1), anchor_day)};
    return {anchorIn(ym - date::months(1), anchor_day), start};
}

std::vector<DayRange> BillingPeriod::cyclesOverlapping(const DayRange& days, int anchor_day) {
    std::vector<DayRange> cycles;
    for (DayRange cycle = cycleContaining(days.first, anchor_day); cycle.first < days.end;
         cycle = cycleContaining(cycle.end, anchor_day)) {
        cycles.push_back(cycle);
    }
    return cycles;
}

BillingPeriod BillingPeriod::ofDays(DayRange days, std::string_view time_zone) {
    BillingPeriod period;
    period.days = days;
    period.time_zone = std::string(time_zone);
    period.start = startOfDay(days.first, time_zone);
    period.end = startOfDay(days.end, time_zone);
    return period;
}

BillingPeriod BillingPeriod::resolve(const PeriodSpec& spec, const Account& account, Timestamp now) {
    const local_days today = localDay(now, account.time_zone);
    DayRange days;
    switch (spec.kind()) {
        // A business's "month" is its billing cycle: with anchor day 1, the calendar month.
        case PeriodSpec::Kind::current_month:
        case PeriodSpec::Kind::current_cycle:
            days = cycleContaining(today, account.anchor_day);
            break;
        case PeriodSpec::Kind::previous_month:
        case PeriodSpec::Kind::previous_cycle:
            days =
                cycleContaining(cycleContaining(today, account.anchor_day).first - date::days(1), account.anchor_day);
            break;
        case PeriodSpec::Kind::calendar_month:
            days = monthRange(monthOf(today));
            break;
        case PeriodSpec::Kind::custom:
            days = spec.customDays();
            break;
    }
    return ofDays(days, account.time_zone);
}

local_days localDay(Timestamp t, std::string_view time_zone) {
    const auto local = zoneOrThrow(time_zone)->to_local(t);
    return date::floor<date::days>(local);
}

Timestamp startOfDay(local_days day, std::string_view time_zone) {
    const auto midnight = date::local_time<std::chrono::microseconds>(day);
    return zoneOrThrow(time_zone)->to_sys(midnight, date::choose::earliest);
}

bool isKnownTimeZone(std::string_view name) noexcept {
    try {
        date::locate_zone(name);
        return true;
    } catch (...) {
        return false;
    }
}

}  // namespace metered
