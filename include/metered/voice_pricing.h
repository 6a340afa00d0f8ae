// SPDX-License-Identifier: MIT
// The exact cost of a transcription (per second of audio) and of a speech synthesis (per character).
#pragma once

#include <date/date.h>

#include <cstdint>
#include <string_view>

#include "metered/decimal.h"
#include "metered/export.h"
#include "metered/rate_card.h"
#include "metered/time.h"

namespace metered {

/// The longest audio one transcription may be priced for: 10^7 seconds (115 days), to
/// the microsecond (6 fractional digits). A cost stays exact within a Decimal.
inline constexpr std::int64_t max_transcription_seconds = 10'000'000;
/// The most characters one speech synthesis may be priced for (as max_llm_count).
inline constexpr std::int64_t max_speech_characters = max_llm_count;

/// The exact cost of a speech-to-text call, not rounded (a bill rounds once per line).
///
/// `provider` and `model` name the card entry that priced it (after alias or fallback) and
/// point into the card: they are valid while the card lives. Computing a cost allocates nothing.
struct METERED_API TranscriptionCost {
    std::string_view provider;
    std::string_view model;
    date::sys_days effective_from{};
    Decimal seconds;         ///< as given
    Decimal billed_seconds;  ///< after the minimum and the billing increment (ModelRates::billedSeconds)
    Decimal cost;            ///< billed_seconds × per_second
    Decimal per_request;     ///< the model's per-request fee (one request), or 0
    Decimal total;           ///< cost + per_request
    /// The call's model was not priced: PricingFallback's model priced it.
    bool fallback_model = false;
};

/// The exact cost of a text-to-speech call, not rounded. `provider` and `model` as in
/// TranscriptionCost.
struct METERED_API SpeechCost {
    std::string_view provider;
    std::string_view model;
    date::sys_days effective_from{};
    std::int64_t characters = 0;  ///< as given
    Decimal cost;                 ///< characters × per_character
    Decimal per_request;          ///< the model's per-request fee (one request), or 0
    Decimal total;                ///< cost + per_request
    bool fallback_model = false;
};

/// The cost of transcribing `seconds` of audio with `model` of `provider` at the card price
/// in effect at `at`: ModelRates::billedSeconds(seconds) × per_second, plus the per-request
/// fee once. Throws ValidationError: "seconds" for seconds negative, above
/// max_transcription_seconds or with more than 6 fractional digits; "model" for a model the
/// card does not price at `at` (and no fallback model, or that one unpriced too);
/// "seconds" for a model without a per_second price. Only PricingFallback's model applies
/// (a voice price has no parent rate). No allocation unless it throws.
METERED_API TranscriptionCost priceTranscription(const RateCard& card, std::string_view provider,
                                                 std::string_view model, const Decimal& seconds, Timestamp at,
                                                 const PricingFallback& fallback = {});

/// The cost of synthesizing `characters` characters of text with `model` of `provider` at
/// `at`: characters × per_character, plus the per-request fee once. Throws
/// ValidationError: "characters" for a count below 0 or above max_speech_characters, or a
/// model without a per_character price; "model" as priceTranscription. No allocation
/// unless it throws.
METERED_API SpeechCost priceSpeech(const RateCard& card, std::string_view provider, std::string_view model,
                                   std::int64_t characters, Timestamp at, const PricingFallback& fallback = {});

}  // namespace metered
