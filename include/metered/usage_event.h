// SPDX-License-Identifier: MIT
// One recorded unit of usage.
#pragma once

#include <string>
#include <vector>

#include "metered/decimal.h"
#include "metered/dimension.h"
#include "metered/event_type.h"
#include "metered/ids.h"
#include "metered/metadata.h"
#include "metered/time.h"
#include "metered/usage_part.h"

namespace metered {

/// One recorded usage, as stored in the seed's `usage_events` table.
///
/// `unit_price` and `list_cost` are the list price at the time of recording (the price
/// book's default plan: the seed's $0.01 per API call, …) and quantity × that price,
/// exactly. They show what the usage is worth before allowances; the bill itself is
/// computed from period totals under the business's plan (see PricingCalculator).
///
/// A rate-card event (EventType::isRateCard(): an LLM call, a transcription, a speech
/// synthesis) has quantity 1, the exact cost at the rate card as unit_price and list_cost,
/// the card entry that priced it as `model`, and what the cost is made of as `parts`
/// (their costs sum to list_cost). Other events have no model and no parts.
///
/// `dimensions` are the dimension values the record call passed (RecordOptions::dimensions),
/// sorted by name, each name once, at most max_event_dimensions; the event keeps its real
/// values even when a rollup counts one under dimension_overflow_value. The built-in `model`
/// dimension is `model`, never among them.
struct UsageEvent {
    EventId id;
    BusinessId business;
    EventType type = EventType::apiCall();
    Decimal quantity;
    Decimal unit_price;
    Decimal list_cost;
    Metadata metadata;
    Timestamp occurred_at;
    std::string model;                       ///< rate-card events: "provider/model"; otherwise empty
    std::vector<PricedPart> parts;           ///< rate-card events: by UsagePart, nonzero ones and requests
    std::vector<EventDimension> dimensions;  ///< sorted by name, unique; usually empty
};

}  // namespace metered
