// SPDX-License-Identifier: MIT
#include "iso_date.h"

namespace metered::detail {
namespace {

int digits(std::string_view text) {
    int value = 0;
    for (char c : text) value = value * 10 + (c - '0');
    return value;
}

}  // namespace

std::optional<date::year_month_day> parseIsoDate(std::string_view text) noexcept {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
    for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u}) {
        if (text[i] < '0' || text[i] > '9') return std::nullopt;
    }
    const date::year_month_day ymd{date::year(digits(text.substr(0, 4))),
                                   date::month(static_cast<unsigned>(digits(text.substr(5, 2)))),
                                   date::day(static_cast<unsigned>(digits(text.substr(8, 2))))};
    if (!ymd.ok()) return std::nullopt;
    return ymd;
}

}  // namespace metered::detail
