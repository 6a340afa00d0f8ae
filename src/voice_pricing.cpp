// SPDX-License-Identifier: MIT
#include "metered/voice_pricing.h"

#include <fmt/format.h>

#include <string>

#include "metered/errors.h"
#include "precision.h"
#include "rate_card_lookup.h"
#include "untrusted_text.h"

namespace metered {
namespace {

[[noreturn]] void unpriced(std::string_view field, std::string_view price, std::string_view model,
                           const RateCardEntry& entry) {
    throw ValidationError(field, fmt::format("{} has no {} price for {} (from {})", detail::quoted(model), price,
                                             detail::quoted(detail::modelKey(entry.provider, entry.model)),
                                             date::format("%F", entry.effective_from)));
}

/// The rates of the card entry that prices a voice call: names the entry and its
/// per-request fee on `cost`; throws ValidationError naming `field` when the entry has no
/// `price`.
template <class Cost>
const ModelRates& rateFor(Cost& cost, const RateCard& card, std::string_view provider, std::string_view model,
                          Timestamp at, const PricingFallback& fallback, std::optional<Decimal> ModelRates::*price,
                          std::string_view field, std::string_view price_name) {
    const RateCardEntry& entry = detail::pricingEntry(card, provider, model, at, fallback, cost.fallback_model);
    if (!(entry.rates.*price)) unpriced(field, price_name, model, entry);
    cost.provider = entry.provider;
    cost.model = entry.model;
    cost.effective_from = entry.effective_from;
    if (entry.rates.prices.per_request) cost.per_request = *entry.rates.prices.per_request;
    return entry.rates;
}

}  // namespace

TranscriptionCost priceTranscription(const RateCard& card, std::string_view provider, std::string_view model,
                                     const Decimal& seconds, Timestamp at, const PricingFallback& fallback) {
    if (seconds.isNegative()) throw ValidationError("seconds", "must not be negative");
    if (seconds > Decimal(max_transcription_seconds)) {
        throw ValidationError("seconds", fmt::format("above {} seconds", max_transcription_seconds));
    }
    if (seconds.significantScale() > detail::max_seconds_scale) {
        throw ValidationError("seconds", fmt::format("more than {} fractional digits", detail::max_seconds_scale));
    }
    TranscriptionCost cost;
    const ModelRates& rates =
        rateFor(cost, card, provider, model, at, fallback, &ModelRates::per_second, "seconds", "per_second");
    cost.seconds = seconds;
    cost.billed_seconds = rates.billedSeconds(seconds);
    cost.cost = *rates.per_second * cost.billed_seconds;
    cost.total = cost.cost + cost.per_request;
    return cost;
}

SpeechCost priceSpeech(const RateCard& card, std::string_view provider, std::string_view model, std::int64_t characters,
                       Timestamp at, const PricingFallback& fallback) {
    if (characters < 0 || characters > max_speech_characters) {
        throw ValidationError("characters", fmt::format("must be a count from 0 to {}", max_speech_characters));
    }
    SpeechCost cost;
    const ModelRates& rates =
        rateFor(cost, card, provider, model, at, fallback, &ModelRates::per_character, "characters", "per_character");
    cost.characters = characters;
    cost.cost = *rates.per_character * Decimal(characters);
    cost.total = cost.cost + cost.per_request;
    return cost;
}

}  // namespace metered
