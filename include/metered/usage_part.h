// SPDX-License-Identifier: MIT
// What a rate-card event is made of: tokens of each type, requests, audio seconds, characters.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "metered/decimal.h"
#include "metered/export.h"

namespace metered {

/// One priced part of a rate-card event (an LLM call, a transcription, a speech synthesis).
/// The first eleven are the token types of TokenType, in the same order.
enum class UsagePart : std::uint8_t {
    input,
    cached_input,
    cache_write,
    cache_write_1h,
    output,
    reasoning,
    audio_input,
    cached_audio_input,
    audio_output,
    image_input,
    cached_image_input,
    requests,       ///< provider requests (a per-request fee; present on every rate-card event)
    audio_seconds,  ///< billed seconds of audio (speech-to-text, after minimum and increment)
    characters,     ///< characters of text (text-to-speech)
};

/// How many parts there are.
inline constexpr std::size_t usage_part_count = 14;

/// The part's name, as stored and shown: the TokenType names, "requests", "audio_seconds", "characters".
METERED_API std::string_view toString(UsagePart part) noexcept;
/// The part named `name`, or nothing.
METERED_API std::optional<UsagePart> parseUsagePart(std::string_view name) noexcept;

/// A part of one event: how much of it, and its exact cost (not rounded).
struct PricedPart {
    UsagePart part = UsagePart::requests;
    Decimal quantity;
    Decimal cost;

    friend bool operator==(const PricedPart&, const PricedPart&) = default;
};

}  // namespace metered
