// SPDX-License-Identifier: MIT
#include "metered/time.h"

#include <fmt/format.h>

#include <ctime>
#include <iterator>

#include "iso_date.h"
#include "text_format.h"

namespace metered {

Timestamp systemNow() {
    // What system_clock::now() reads (CLOCK_REALTIME, through the vDSO), without its call.
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    return Timestamp(std::chrono::microseconds(std::int64_t{now.tv_sec} * 1'000'000 + now.tv_nsec / 1000));
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

std::optional<Timestamp> parseIsoTimestamp(std::string_view text) noexcept {
    // 2024-03-05T12:00:00.000001Z
    if (text.size() != 27 || text[10] != 'T' || text[13] != ':' || text[16] != ':' || text[19] != '.' ||
        text[26] != 'Z') {
        return std::nullopt;
    }
    const auto day = parseIsoDate(text.substr(0, 10));
    const auto field = [&](std::size_t at, std::size_t digits, std::int64_t limit) -> std::optional<std::int64_t> {
        std::int64_t value = 0;
        for (std::size_t i = at; i < at + digits; ++i) {
            if (text[i] < '0' || text[i] > '9') return std::nullopt;
            value = value * 10 + (text[i] - '0');
        }
        if (value >= limit) return std::nullopt;
        return value;
    };
    const auto hours = field(11, 2, 24), minutes = field(14, 2, 60), seconds = field(17, 2, 60),
               micros = field(20, 6, 1'000'000);
    if (!day || !hours || !minutes || !seconds || !micros) return std::nullopt;
    return Timestamp(date::sys_days(*day)) + std::chrono::hours(*hours) + std::chrono::minutes(*minutes) +
           std::chrono::seconds(*seconds) + std::chrono::microseconds(*micros);
}

}  // namespace detail
}  // namespace metered
