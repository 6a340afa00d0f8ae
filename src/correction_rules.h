// SPDX-License-Identifier: MIT
// What a void, an amendment or a backfill does to a stored event, decided once for every
// store (private): the checks, and the deltas its rollups are adjusted by.
#pragma once

#include <date/date.h>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "metered/correction.h"
#include "metered/usage_event.h"
#include "metered/usage_total.h"

namespace metered::detail {

/// What a store reads of an event to correct it: the event as appended (type, quantity,
/// prices, model, parts, dimensions) and its local day.
struct StoredEvent {
    EventType type = EventType::apiCall();
    Decimal quantity;
    Decimal unit_price;
    Decimal list_cost;
    date::local_days day;
    std::vector<PricedPart> parts;
    std::vector<EventDimension> dimensions;
};

/// ValidationError naming "reason" or "actor" (after `prefix`, e.g. "backfill."): empty,
/// longer than max_correction_text_bytes, or not UTF-8 without U+0000.
void checkCorrectionText(std::string_view reason, std::string_view actor, std::string_view prefix = {});

/// ValidationError naming "quantity" for a quantity a record call refuses: negative, above
/// 10^12, more than 9 fractional digits.
void checkAmendedQuantity(const Decimal& quantity);

/// The void of `event` (stored as `stored`, corrected by `earlier` so far, in sequence
/// order): -1 event, minus the quantity and list cost it counts with. ValidationError
/// "event" when `earlier` voided it.
Correction planVoid(const BusinessId& business, const EventId& event, const StoredEvent& stored,
                    std::span<const Correction> earlier, std::string reason, std::string actor, Timestamp at);

/// The amendment of `event` to `quantity`: the difference with the quantity and list cost
/// it counts with (list cost = quantity × its unit price). ValidationError "event" for a
/// voided or rate-card event, "quantity" for a list cost above 10^13.
Correction planAmend(const BusinessId& business, const EventId& event, const StoredEvent& stored,
                     std::span<const Correction> earlier, const Decimal& quantity, std::string reason,
                     std::string actor, Timestamp at);

/// The amendment of `event`'s metadata: no delta. ValidationError "event" for a voided
/// event, "metadata" above max_stored_metadata_bytes.
Correction planAmendMetadata(const BusinessId& business, const EventId& event, const StoredEvent& stored,
                             std::span<const Correction> earlier, const Metadata& metadata, std::string reason,
                             std::string actor, Timestamp at);

/// The backfill of `event` (just appended, to the rollups of local day `day`): sequence 1,
/// the event's quantity as new_quantity, +quantity, +list cost and +1 event, as the append
/// added them.
Correction planBackfill(const UsageEvent& event, date::local_days day, std::string reason, std::string actor,
                        Timestamp at);

/// The new_metadata column of a correction: its JSON text, or nothing.
std::optional<std::string> newMetadataText(const Correction& correction);

/// ValidationError "quantity" when `correction` would take the day's rollup `total` past
/// max_day_quantity or max_day_list_cost.
void checkCorrectedRollup(const UsageTotal& total, const Correction& correction);

/// The message of the NotFoundError for an event a store does not have.
std::string unknownEvent(const BusinessId& business, const EventId& event);

/// "void", "amend", "metadata" or "backfill" back to a kind; StoreError (permanent, naming `store`) otherwise.
CorrectionKind correctionKindFrom(std::string_view text, std::string_view store);

/// Sorts corrections as listCorrections returns them: by `at`, then event, then sequence.
void sortCorrections(std::vector<Correction>& corrections);

}  // namespace metered::detail
