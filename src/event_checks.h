// SPDX-License-Identifier: MIT
// What is accepted: the checks a record call applies on the host's thread, and those
// every store applies to an appended event, in one order, so that all stores accept
// exactly the same events (private). The bounds themselves are in precision.h.
#pragma once

#include <array>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "event_draft.h"
#include "metered/price_book.h"
#include "metered/usage_event.h"
#include "metered/usage_store.h"
#include "metered/model_usage.h"
#include "metered/usage_total.h"
#include "precision.h"

namespace metered::detail {

/// Why a record call must refuse `draft` (ValidationError naming the field): the nil
/// business, a negative, too large or too precise quantity, a list cost past its bound,
/// metadata over `max_metadata_bytes`, occurred_at out of bounds. The same bounds as
/// eventProblem, checked on the host's thread without allocating.
void checkDraft(const EventDraft& draft, std::size_t max_metadata_bytes);

/// The dimension values of a record call, checked against the price book and sorted by
/// name into `sorted` (no allocation unless it throws). ValidationError: more than
/// max_event_dimensions ("dimensions"); a name not declared, `model`, or given twice, an
/// empty or too long value, a value that is not UTF-8 without U+0000 or is the overflow
/// value, a value a closed dimension does not list ("dimensions.<name>", the name
/// sanitised). Returns the sorted values.
std::span<const DimensionValue> checkDimensions(std::span<const DimensionValue> given, const PriceBook& book,
                                                std::array<DimensionValue, max_event_dimensions>& sorted);

/// Why a store must refuse `event` on its own (before looking at what it has), or
/// nothing: nil ids, a negative or too large quantity, too many fractional digits, a
/// negative price, a list cost that is not quantity × price, occurred_at out of bounds,
/// oversized metadata; for a rate-card event (EventType::isRateCard()) a quantity other
/// than 1, malformed dimensions ("dimensions: …": more than max_event_dimensions, a bad
/// name or `model`, out of order or repeated, an empty, too long (256 bytes) or non-UTF-8
/// value, the overflow value), a malformed model ("model: …") or parts ("parts[2].cost: …"; see
/// rateCardProblem); for any other event a model or parts. Every store asks this first, then whether the business is
/// known, then whether the id is already stored (duplicate, or conflict), then rollupProblem.
std::optional<std::string> eventProblem(const UsageEvent& event);

/// The positions of the events of `events` that eventProblem finds nothing wrong with;
/// the others are added to `rejected` (kind `invalid`).
std::vector<std::size_t> wellFormed(std::span<const UsageEvent> events, std::vector<Rejection>& rejected);

/// Why adding `event` to the rollup `total` (of its business, local day and type) would
/// take it past max_day_quantity or max_day_list_cost, or nothing.
std::optional<std::string> rollupProblem(const UsageTotal& total, const UsageEvent& event);

/// Why adding `part` of `event` to the model rollup `total` (of its business, local day,
/// type, model and part) would take it past max_day_quantity or max_day_list_cost, or
/// nothing. Asked after rollupProblem, for each part of a rate-card event in order.
std::optional<std::string> modelRollupProblem(const ModelUsageTotal& total, const UsageEvent& event,
                                              const PricedPart& part);

/// The reason given for an event whose id is stored with another type or quantity.
std::string idempotencyConflict(const UsageEvent& event, const EventType& stored_type, const Decimal& stored_quantity);

/// The reason given for an event of a business the store does not know.
std::string unknownBusiness(const BusinessId& business);

}  // namespace metered::detail
