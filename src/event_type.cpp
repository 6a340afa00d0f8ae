// SPDX-License-Identifier: MIT
#include "metered/event_type.h"

#include <algorithm>
#include <ostream>

#include "metered/errors.h"
#include "untrusted_text.h"

namespace metered {

EventType::EventType(std::string_view name) {
    const bool well_formed = !name.empty() && name.size() <= max_length && name.front() >= 'a' && name.front() <= 'z' &&
                             std::all_of(name.begin(), name.end(), [](char c) {
                                 return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
                             });
    if (!well_formed) {
        throw ValidationError("event_type", detail::quoted(name, 40) +
                                                " is not a type name (1-31 of a-z, 0-9, _; "
                                                "starting with a letter)");
    }
    std::copy(name.begin(), name.end(), name_.begin());
    length_ = static_cast<std::uint8_t>(name.size());
}

// The types as constants: each comparison is four word compares.
bool EventType::isBuiltin() const noexcept {
    static constexpr EventType api = apiCall(), voice = voiceMinute(), query = aiQuery(), storage = storageMb();
    return *this == api || *this == voice || *this == query || *this == storage;
}

// Asked on every record call: the length picks the one rate-card type it could be.
bool EventType::isRateCard() const noexcept {
    static constexpr EventType llm = llmCall(), transcribed = transcription(), spoken = speech();
    static_assert(llm.length_ != transcribed.length_ && llm.length_ != spoken.length_ &&
                  transcribed.length_ != spoken.length_);
    if (length_ == llm.length_) return *this == llm;
    if (length_ == transcribed.length_) return *this == transcribed;
    return length_ == spoken.length_ && *this == spoken;
}

bool EventType::isLevel() const noexcept {
    constexpr std::string_view suffix = "_level";
    return name().ends_with(suffix);
}

std::ostream& operator<<(std::ostream& os, const EventType& type) { return os << type.name(); }

}  // namespace metered
