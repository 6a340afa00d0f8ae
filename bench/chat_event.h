// SPDX-License-Identifier: MIT
// The event recordApiCall makes for a chat completion (the record section's fields), built
// as the recorder builds it, for the benchmarks that time a part of the record path alone.
#pragma once

#include <metered/metered.h>

#include <cstdint>

#include "event_draft.h"
#include "draft_fields.h"

namespace metered::bench {

/// A chat completion's draft with its metadata in `fields` (which must outlive it).
inline detail::EventDraft chatCompletionDraft(detail::DraftFields& fields, std::int64_t tokens) {
    fields.text("operation", "chat_completion");
    fields.text("model", "gpt-4o-mini");
    fields.integer("tokens", tokens);
    fields.text("intent", "order");
    fields.text("sessionId", "session-42");
    detail::EventDraft draft;
    draft.business = BusinessId(Uuid::generateV7());
    draft.quantity = Decimal(1);
    draft.id = EventId::generate();
    fields.setIn(draft);
    return draft;
}

}  // namespace metered::bench
