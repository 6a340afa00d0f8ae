// SPDX-License-Identifier: MIT
// An event as a record call knows it, before it is stored (private).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "metadata_encoding.h"
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
    /// Rate-card events: the entry that priced it (stored as "provider/model") and what
    /// the cost is made of; unit_price is the exact cost.
    std::string_view model_provider;
    std::string_view model_name;
    std::span<const PricedPart> parts;
    /// Dimension values, checked and sorted by name (checkDimensions).
    std::span<const DimensionValue> dimensions;

    /// Bytes of the dimension values as the event log encodes them.
    std::size_t dimensionBytes() const noexcept {
        std::size_t size = 0;
        for (const DimensionValue& d : dimensions) size += 3 + d.name.size() + d.value.size();
        return size;
    }

    /// Bytes of the stored model name ("provider/model"), 0 for other events.
    std::size_t modelBytes() const noexcept {
        return model_provider.empty() ? 0 : model_provider.size() + 1 + model_name.size();
    }

    /// Encoded size of the metadata part (fields or pre-encoded), computed once.
    std::size_t metadataBytes() const noexcept {
        if (metadata_bytes_ == SIZE_MAX) metadata_bytes_ = computeMetadataBytes();
        return metadata_bytes_;
    }

    /// Sets `fields` with their encoded size, known to the caller (the sum of their
    /// encodedFieldSize): metadataBytes then need not add it up again.
    void setFields(std::span<const DraftField> given, std::size_t encoded_bytes) noexcept {
        fields = given;
        metadata_bytes_ = encoded_bytes;
    }

private:
    std::size_t computeMetadataBytes() const noexcept;

    mutable std::size_t metadata_bytes_ = SIZE_MAX;
};

/// The event a draft stands for (what the event log's decodeEvent(encodeEvent(draft)) gives).
UsageEvent toEvent(const EventDraft& draft);

}  // namespace metered::detail
