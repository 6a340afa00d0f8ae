// SPDX-License-Identifier: MIT
#include "metered/time.h"

#include <fmt/format.h>

#include <iterator>

#include "text_format.h"

namespace metered {

Timestamp systemNow() {
    return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
}

namespace detail {

std::string isoDay(date::local_days day) {
    const date::year_month_day ymd(day);
    return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                       static_cast<unsigned>(ymd.day()));
}

std::string isoTimestamp(Timestamp t, bool postgres) {
    std::string out;
    appendIsoTimestamp(out, t, postgres);
    return out;
}

void appendIsoTimestamp(std::string& out, Timestamp t, bool postgres) {
    const auto day = date::floor<date::days>(t);
    const date::year_month_day ymd(day);
    const auto micros = (t - day).count();  // microseconds into the day
    const auto seconds = micros / 1'000'000;
    fmt::format_to(std::back_inserter(out), "{:04}-{:02}-{:02}{}{:02}:{:02}:{:02}.{:06}{}",
                   static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                   postgres ? ' ' : 'T', seconds / 3600, seconds / 60 % 60, seconds % 60, micros % 1'000'000,
                   postgres ? "+00" : "Z");
}

}  // namespace detail
}  // namespace metered
