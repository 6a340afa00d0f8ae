// SPDX-License-Identifier: MIT
// Limits shared by validation, pricing and the stores (private).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <string_view>

#include "metered/decimal.h"
#include "metered/usage_event.h"

namespace metered::detail {

/// A plan id: 1-64 of A-Z a-z 0-9 _ - .
inline bool isPlanId(std::string_view id) noexcept {
    return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
               c == '.';
    });
}

/// Fractional digits a recorded quantity, allowance or tier bound may carry.
inline constexpr int max_quantity_scale = 9;
/// Fractional digits a unit price, flat fee or package price may carry
/// (per-token prices such as $0.00000015 need more than six).
inline constexpr int max_price_scale = 12;
/// Most fractional digits of a rate-card event's cost and of each of its parts' costs
/// (a per-token price of the rate card has at most 18; the event's quantity is 1).
inline constexpr int max_cost_scale = 18;

/// Fractional digits of a voice duration in seconds (a transcription's, a rate card's
/// minimum or increment): to the microsecond.
inline constexpr int max_seconds_scale = 6;

/// Largest metadata a store accepts, whatever the recorder's own limit.
inline constexpr std::size_t max_stored_metadata_bytes = 1 << 20;

/// Largest model name ("provider/model") a rate-card event may carry, in bytes.
inline constexpr std::size_t max_model_bytes = 513;

/// Largest quantity of one event: 10^12 (a trillion API calls, minutes or megabytes).
/// With at most 9 fractional digits it needs 21 of a Decimal's 38 digits.
inline constexpr Decimal max_event_quantity{1'000'000'000'000LL};
/// Largest quantity, and largest list cost in currency units, that one (business, local
/// day, event type) rollup may reach: 10^15 and 10^13 (also the largest list cost of one
/// event). An event that would take a rollup past either is refused, so that a period's
/// sums (a few hundred days at most) and its price stay exact and representable on every
/// store.
inline constexpr Decimal max_day_quantity{1'000'000'000'000'000LL};
inline constexpr Decimal max_day_list_cost{10'000'000'000'000LL};

/// The earliest and (exclusive) latest occurred_at a store accepts: 2000-01-01T00:00Z and
/// 2200-01-01T00:00Z, so that every local day is a four-digit-year date on every store.
inline constexpr Timestamp earliest_occurred_at{std::chrono::sys_days(std::chrono::days(10957))};
inline constexpr Timestamp latest_occurred_at{std::chrono::sys_days(std::chrono::days(84006))};

/// True for a local day a store can hold: 2000-01-01 to 2199-12-31 (the days of the
/// occurred_at range above).
inline bool isStorableDay(date::local_days day) noexcept {
    return day.time_since_epoch() >= earliest_occurred_at.time_since_epoch() &&
           day.time_since_epoch() < latest_occurred_at.time_since_epoch();
}

}  // namespace metered::detail
