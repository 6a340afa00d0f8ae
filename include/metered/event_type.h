// SPDX-License-Identifier: MIT
// What kind of usage an event measures.
#pragma once

#include <array>
#include <compare>
#include <cstring>
#include <type_traits>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

#include "metered/export.h"

namespace metered {

/// The kind of usage an event measures: one of the four built-ins (`api_call`,
/// `voice_minute`, `ai_query`, `storage_mb`), one of the three rate-card types
/// (`llm_call`, `transcription`, `speech`: priced per model by the rate card, recorded by
/// recordLlmCall, recordTranscription and recordSpeech), or a host-defined type, which
/// becomes recordable once the price book's default plan gives it a price.
///
/// A name is 1–31 characters of [a-z0-9_], starting with a letter. A small value type
/// stored inline (no allocation); safe to copy and to share between threads.
class METERED_API EventType {
public:
    static constexpr std::size_t max_length = 31;

    /// Throws ValidationError("event_type", …) for a malformed name.
    explicit EventType(std::string_view name);

    static constexpr EventType apiCall() noexcept { return EventType(Builtin{}, "api_call"); }
    static constexpr EventType voiceMinute() noexcept { return EventType(Builtin{}, "voice_minute"); }
    static constexpr EventType aiQuery() noexcept { return EventType(Builtin{}, "ai_query"); }
    static constexpr EventType storageMb() noexcept { return EventType(Builtin{}, "storage_mb"); }
    static constexpr EventType llmCall() noexcept { return EventType(Builtin{}, "llm_call"); }
    static constexpr EventType transcription() noexcept { return EventType(Builtin{}, "transcription"); }
    static constexpr EventType speech() noexcept { return EventType(Builtin{}, "speech"); }
    /// The stored amount of a business in megabytes, reported as a level
    /// (UsageRecorder::setStorageLevel) and billed over time (Aggregation::time_weighted).
    static constexpr EventType storageLevel() noexcept { return EventType(Builtin{}, "storage_level"); }

    /// True for the four built-in types.
    bool isBuiltin() const noexcept;
    /// True for the three rate-card types (llm_call, transcription, speech).
    bool isRateCard() const noexcept;
    /// True for a level type: a name ending in `_level` (`storage_level`, or a host's
    /// `seats_level`). Each event of a level type reports the level from its time on (its
    /// quantity is the new level, not an amount used), and stores keep per-day level
    /// rollups for it (DailyLevel, UsageStore::levels).
    bool isLevel() const noexcept;
    std::string_view name() const noexcept { return {name_.data(), length_}; }
    std::string toString() const { return std::string(name()); }

    /// Unused name bytes are zero, so equal types are equal byte for byte.
    friend bool operator==(const EventType& a, const EventType& b) noexcept {
        std::uint64_t x[4], y[4];
        std::memcpy(x, &a, sizeof x);
        std::memcpy(y, &b, sizeof y);
        return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3])) == 0;
    }
    friend std::strong_ordering operator<=>(const EventType& a, const EventType& b) noexcept {
        return a.name().compare(b.name()) <=> 0;
    }

private:
    struct Builtin {};
    constexpr EventType(Builtin, std::string_view name) noexcept : length_(static_cast<std::uint8_t>(name.size())) {
        for (std::size_t i = 0; i < name.size(); ++i) name_[i] = name[i];
    }

    std::array<char, max_length> name_{};
    std::uint8_t length_ = 0;
};
static_assert(sizeof(EventType) == 32 && std::is_trivially_copyable_v<EventType>);

METERED_API std::ostream& operator<<(std::ostream& os, const EventType& type);

}  // namespace metered

template <>
struct std::hash<metered::EventType> {
    std::size_t operator()(const metered::EventType& type) const noexcept {
        return std::hash<std::string_view>{}(type.name());
    }
};
