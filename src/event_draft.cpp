// SPDX-License-Identifier: MIT
#include "event_draft.h"

#include <string>

#include "metadata_encoding.h"

namespace metered::detail {

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
    event.metadata = MetadataEncoding::fromBytes(draft.encoded_metadata);
    return event;
}

}  // namespace metered::detail
