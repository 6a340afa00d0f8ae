// SPDX-License-Identifier: MIT
#include "event_draft.h"

#include <string>

namespace metered::detail {

std::size_t EventDraft::computeMetadataBytes() const noexcept {
    std::size_t size = encoded_metadata.size();
    if (encoded_metadata.empty()) {
        for (const auto& f : fields) size += encodedFieldSize(f.key, f.value);
    }
    return size;
}

UsageEvent toEvent(const EventDraft& draft) {
    UsageEvent event;
    event.id = draft.id;
    event.business = draft.business;
    event.type = draft.type;
    event.quantity = draft.quantity;
    event.unit_price = draft.unit_price;
    event.list_cost = draft.quantity * draft.unit_price;
    event.occurred_at = draft.occurred_at;
    if (!draft.model_provider.empty()) {
        event.model.reserve(draft.modelBytes());
        event.model.append(draft.model_provider).append(1, '/').append(draft.model_name);
    }
    event.parts.assign(draft.parts.begin(), draft.parts.end());
    event.dimensions.reserve(draft.dimensions.size());
    for (const DimensionValue& d : draft.dimensions) {
        event.dimensions.push_back({std::string(d.name), std::string(d.value)});
    }
    if (!draft.encoded_metadata.empty() || draft.fields.empty()) {
        event.metadata = MetadataEncoding::fromBytes(draft.encoded_metadata);
    } else {
        std::string encoded(draft.metadataBytes(), '\0');
        char* p = encoded.data();
        for (const auto& f : draft.fields) p = writeField(p, f.kind, f.key, f.value);
        event.metadata = MetadataEncoding::fromBytes(encoded);
    }
    return event;
}

}  // namespace metered::detail
