// SPDX-License-Identifier: MIT
// Events as bytes in the event log (private).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "../metadata_encoding.h"
#include "metered/usage_event.h"

namespace metered::detail {

/// One metadata field given by a typed record call (string or JSON text value).
struct DraftField {
    FieldKind kind;
    std::string_view key;
    std::string_view value;
};

/// What a record call knows about an event before it is stored: validated, priced at
/// list, metadata as fields (typed calls) or already encoded (generic calls).
struct EventDraft {
    BusinessId business;
    EventType type = EventType::apiCall();
    Decimal quantity;
    Decimal unit_price;
    EventId id;
    Timestamp occurred_at;
    std::span<const DraftField> fields;
    std::string_view encoded_metadata;

    /// Encoded size of the metadata part (fields or pre-encoded), computed once.
    std::size_t metadataBytes() const noexcept;

private:
    mutable std::size_t metadata_bytes_ = SIZE_MAX;
};

/// Bytes `encodeEvent` writes for `draft`.
std::size_t encodedEventSize(const EventDraft& draft) noexcept;
/// Writes `draft` at `out` (exactly encodedEventSize bytes).
void encodeEvent(const EventDraft& draft, std::byte* out) noexcept;
/// The event encoded in `bytes` (with its list cost computed). Throws ValidationError when the bytes are not an encoded event.
UsageEvent decodeEvent(std::span<const std::byte> bytes);
/// The event a draft stands for (what decodeEvent(encodeEvent(draft)) gives).
UsageEvent toEvent(const EventDraft& draft);

}  // namespace metered::detail
