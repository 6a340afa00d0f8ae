// SPDX-License-Identifier: MIT
// An event as a record call knows it, before it is stored (private).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "metered/usage_event.h"

namespace metered::detail {

/// What a record call knows about an event before it is stored: validated, priced at
/// list, its metadata in the event log's encoding (MetadataEncoding).
struct EventDraft {
    BusinessId business;
    EventType type = EventType::apiCall();
    Decimal quantity;
    Decimal unit_price;
    EventId id;
    Timestamp occurred_at;
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

    /// Bytes of the metadata: encoded_metadata's, unless setMetadata said more.
    std::size_t metadataBytes() const noexcept {
        return metadata_bytes_ == SIZE_MAX ? encoded_metadata.size() : metadata_bytes_;
    }

    /// Sets the metadata, and its size: more than `encoded.size()` only for metadata over
    /// the recorder's limit that was counted, not written (DraftFields), which checkDraft
    /// refuses before anything reads it.
    void setMetadata(std::string_view encoded, std::size_t encoded_bytes) noexcept {
        encoded_metadata = encoded;
        metadata_bytes_ = encoded_bytes;
    }

private:
    std::size_t metadata_bytes_ = SIZE_MAX;
};

/// The event a draft stands for (what the event log's decodeEvent(encodeEvent(draft)) gives).
UsageEvent toEvent(const EventDraft& draft);

}  // namespace metered::detail
