// SPDX-License-Identifier: MIT
#include "metered/voice_pricing.h"

#include <fmt/format.h>

#include <string>

#include "metered/errors.h"
#include "rate_card_lookup.h"
#include "untrusted_text.h"

namespace metered {
namespace {

constexpr int max_seconds_scale = 6;

[[noreturn]] void unpriced(std::string_view field, std::string_view price, std::string_view model,
                           const RateCardEntry& entry) {
    throw ValidationError(field, fmt::format("{} has no {} price for {} (from {})", detail::quoted(model), price,
                                             detail::quoted(detail::modelKey(entry.provider, entry.model)),
                                             date::format("%F", entry.effective_from)));
}

}  // namespace

TranscriptionCost priceTranscription(const RateCard& card, std::string_view provider, std::string_view model,
                                     const Decimal& seconds, Timestamp at, const PricingFallback& fallback) {
    if (seconds.isNegative()) throw ValidationError("seconds", "must not be negative");
    if (seconds > Decimal(max_transcription_seconds)) {
        throw ValidationError("seconds", fmt::format("above {} seconds", max_transcription_seconds));
    }
    if (seconds.significantScale() > max_seconds_scale) {
        throw ValidationError("seconds", fmt::format("more than {} fractional digits", max_seconds_scale));
    }
    TranscriptionCost cost;
    const RateCardEntry& entry = detail::pricingEntry(card, provider, model, at, fallback, cost.fallback_model);
    const ModelRates& rates = entry.rates;
    if (!rates.per_second) unpriced("seconds", "per_second", model, entry);
    cost.provider = entry.provider;
    cost.model = entry.model;
    cost.effective_from = entry.effective_from;
    cost.seconds = seconds;
    cost.billed_seconds = rates.billedSeconds(seconds);
    cost.cost = *rates.per_second * cost.billed_seconds;
    if (rates.prices.per_request) cost.per_request = *rates.prices.per_request;
    cost.total = cost.cost + cost.per_request;
    return cost;
}

SpeechCost priceSpeech(const RateCard& card, std::string_view provider, std::string_view model, std::int64_t characters,
                       Timestamp at, const PricingFallback& fallback) {
    if (characters < 0 || characters > max_speech_characters) {
        throw ValidationError("characters", fmt::format("must be a count from 0 to {}", max_speech_characters));
    }
    SpeechCost cost;
    const RateCardEntry& entry = detail::pricingEntry(card, provider, model, at, fallback, cost.fallback_model);
    const ModelRates& rates = entry.rates;
    if (!rates.per_character) unpriced("characters", "per_character", model, entry);
    cost.provider = entry.provider;
    cost.model = entry.model;
    cost.effective_from = entry.effective_from;
    cost.characters = characters;
    cost.cost = *rates.per_character * Decimal(characters);
    if (rates.prices.per_request) cost.per_request = *rates.prices.per_request;
    cost.total = cost.cost + cost.per_request;
    return cost;
}

}  // namespace metered
