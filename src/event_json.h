// SPDX-License-Identifier: MIT
// One usage event as a JSON object, exactly, both ways (private): what the dead-letter file
// keeps of an event, and what reading it back gives.
#pragma once

#include <string>

#include "exact_json.h"
#include "metered/usage_event.h"

namespace metered::detail {

/// `{"id", "business_id", "event_type", "quantity", "unit_price", "list_cost", "occurred_at",
/// "metadata"}`, then `"model"` and `"parts"` for a rate-card event and `"dimensions"`
/// (`[{"name", "value"}]`) for an event with dimension values. Decimals are exact strings,
/// the time an ISO 8601 UTC timestamp with microseconds, metadata its JSON object with
/// numbers as written.
Json eventJson(const UsageEvent& event);

/// The event `object` holds, as eventJson wrote it. Throws ValidationError naming the field
/// as "<at>.quantity" (a missing, unknown or malformed field; a negative quantity, price or
/// cost; parts without a model). `list_cost` may be absent (files written before it was
/// kept): quantity × unit_price. Checks only the form: what a store accepts is its own check.
UsageEvent eventFromJson(const Json& object, const std::string& at);

}  // namespace metered::detail
