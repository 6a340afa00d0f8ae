// SPDX-License-Identifier: MIT
// Rate-card JSON and LiteLLM's format: any text is a card (and a report) or a
// metered::Error with a valid UTF-8 message; a card that loads writes JSON that loads back
// to the same card, and prices a call (LLM, transcription, speech) to its model without crashing.
#include <chrono>
#include <cstdint>

#include "fuzz_check.h"
#include "metered/errors.h"
#include "metered/rate_card.h"
#include "metered/voice_pricing.h"

using namespace metered;

namespace {

void priceEach(const RateCard& card) {
    for (const RateCardEntry& entry : card.entries()) {
        LlmUsage usage;
        usage.provider = entry.provider;
        usage.model = entry.model;
        usage.input_tokens = 1000;
        usage.cached_input_tokens = 200'000;
        usage.output_tokens = 10;
        usage.reasoning_tokens = 5;
        try {
            PricingFallback fallback;
            fallback.parent_rates = true;
            const LlmCost cost = priceLlmCall(card, usage, Timestamp(entry.effective_from), fallback);
            fuzz::require(!cost.total.isNegative(), "a negative cost");
        } catch (const ValidationError& e) {
            fuzz::requireValidMessage(e.what());
        }
        // Voice: every entry, priced or not by the second and the character.
        try {
            const TranscriptionCost cost = priceTranscription(
                card, entry.provider, entry.model, Decimal::fromMantissa(15'001, 3), Timestamp(entry.effective_from));
            fuzz::require(!cost.total.isNegative(), "a negative transcription cost");
            fuzz::require(cost.billed_seconds >= cost.seconds, "fewer seconds billed than given");
        } catch (const ValidationError& e) {
            fuzz::requireValidMessage(e.what());
        }
        try {
            const SpeechCost cost =
                priceSpeech(card, entry.provider, entry.model, 1'000'000, Timestamp(entry.effective_from));
            fuzz::require(!cost.total.isNegative(), "a negative speech cost");
        } catch (const ValidationError& e) {
            fuzz::requireValidMessage(e.what());
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = fuzz::textOf(data, size);
    try {
        const RateCard card = RateCard::fromJson(text);
        const RateCard again = RateCard::fromJson(card.toJson());
        fuzz::require(again.entries() == card.entries(), "fromJson(toJson(card)) differs");
        fuzz::require(again.aliases().size() == card.aliases().size(), "the aliases differ");
        priceEach(card);
    } catch (const ValidationError& e) {
        fuzz::requireValidMessage(e.what());
        fuzz::requireValidMessage(e.field());
    } catch (const Error& e) {
        fuzz::requireValidMessage(e.what());
    }
    try {
        const LiteLlmImport imported = RateCard::fromLiteLlm(text);
        for (const LiteLlmProblem& p : imported.problems) fuzz::requireValidMessage(p.problem);
        priceEach(imported.card);
    } catch (const ValidationError& e) {
        fuzz::requireValidMessage(e.what());
        fuzz::requireValidMessage(e.field());
    } catch (const Error& e) {
        fuzz::requireValidMessage(e.what());
    }
    return 0;
}
