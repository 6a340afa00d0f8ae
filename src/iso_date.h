// SPDX-License-Identifier: MIT
// YYYY-MM-DD dates (private).
#pragma once

#include <date/date.h>

#include <optional>
#include <string_view>

namespace metered::detail {

/// Parses a calendar date written YYYY-MM-DD; nothing for any other text or an
/// impossible date (2024-02-30).
std::optional<date::year_month_day> parseIsoDate(std::string_view text) noexcept;

}  // namespace metered::detail
