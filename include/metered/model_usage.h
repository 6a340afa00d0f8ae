// SPDX-License-Identifier: MIT
// How much of one part of one model a business used over some days, read from rollups.
#pragma once

#include <cstdint>
#include <string>

#include <date/date.h>

#include "metered/decimal.h"
#include "metered/event_type.h"
#include "metered/usage_part.h"

namespace metered {

/// The sum of one part of one model's usage over a span of days: e.g. the cached input
/// tokens of openai/gpt-4o in a billing period, and what they cost at the rate card.
struct ModelUsageTotal {
    EventType type = EventType::llmCall();  ///< llm_call, transcription or speech
    std::string model;                      ///< "provider/model", the card entry that priced it
    UsagePart part = UsagePart::requests;
    Decimal quantity;         ///< sum of the part's quantities
    std::int64_t events = 0;  ///< events with this part
    Decimal cost;             ///< sum of the part's exact costs

    friend bool operator==(const ModelUsageTotal&, const ModelUsageTotal&) = default;
};

/// One local day of a ModelUsageTotal.
struct DailyModelUsage {
    date::local_days day;
    ModelUsageTotal total;

    friend bool operator==(const DailyModelUsage&, const DailyModelUsage&) = default;
};

}  // namespace metered
