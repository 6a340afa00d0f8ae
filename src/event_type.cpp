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

EventType::EventType(Builtin, std::string_view name) noexcept {
    std::copy(name.begin(), name.end(), name_.begin());
    length_ = static_cast<std::uint8_t>(name.size());
}

bool EventType::isBuiltin() const noexcept {
    return *this == apiCall() || *this == voiceMinute() || *this == aiQuery() || *this == storageMb();
}

bool EventType::isRateCard() const noexcept {
    return *this == llmCall() || *this == transcription() || *this == speech();
}

std::ostream& operator<<(std::ostream& os, const EventType& type) { return os << type.name(); }

}  // namespace metered
