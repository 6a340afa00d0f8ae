// SPDX-License-Identifier: MIT
// What every store accepts: the checks and bounds each one applies to an appended event,
// in one order, so that all stores accept exactly the same events (private).
#pragma once

#include <optional>
#include <string>

#include "metered/usage_event.h"
#include "metered/usage_total.h"

namespace metered::detail {

/// Largest metadata a store accepts, whatever the recorder's own limit.
inline constexpr std::size_t max_stored_metadata_bytes = 1 << 20;

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

/// Why a store must refuse `event` on its own (before looking at what it has), or
/// nothing: nil ids, a negative or too large quantity, too many fractional digits, a
/// negative price, a list cost that is not quantity × price, occurred_at out of bounds,
/// oversized metadata. Every store asks this first, then whether the business is known,
/// then whether the id is already stored (duplicate, or conflict), then rollupProblem.
std::optional<std::string> eventProblem(const UsageEvent& event);

/// Why adding `event` to the rollup `total` (of its business, local day and type) would
/// take it past max_day_quantity or max_day_list_cost, or nothing.
std::optional<std::string> rollupProblem(const UsageTotal& total, const UsageEvent& event);

/// The reason given for an event whose id is stored with another type or quantity.
std::string idempotencyConflict(const UsageEvent& event, const EventType& stored_type, const Decimal& stored_quantity);

/// The reason given for an event of a business the store does not know.
std::string unknownBusiness(const BusinessId& business);

}  // namespace metered::detail
