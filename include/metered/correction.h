// SPDX-License-Identifier: MIT
// A correction: a stored event voided or amended, or an event backfilled, with a reason and an actor.
#pragma once

#include <date/date.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "metered/decimal.h"
#include "metered/event_type.h"
#include "metered/export.h"
#include "metered/ids.h"
#include "metered/metadata.h"
#include "metered/time.h"

namespace metered {

/// What a correction does to its event.
enum class CorrectionKind : std::uint8_t {
    void_event,      ///< the event no longer counts anywhere (written "void")
    amend_quantity,  ///< the event counts with another quantity (written "amend")
    amend_metadata,  ///< the event's metadata reads otherwise; no rollup changes (written "metadata")
    backfill,        ///< the event was stored on purpose after the fact (UsageStore::backfill; written "backfill")
};

/// "void", "amend", "metadata" or "backfill".
METERED_API std::string_view toString(CorrectionKind kind) noexcept;

/// Longest reason and actor a correction keeps, in bytes.
inline constexpr std::size_t max_correction_text_bytes = 1024;

/// One correction of one stored event (UsageStore::voidEvent, amendQuantity, amendMetadata),
/// or the record of its backfill (UsageStore::backfill).
///
/// Nothing is deleted: the event keeps its stored row as it was appended, and the
/// correction is stored beside it; the rollups the reads answer from (per day and type,
/// per model and part, per dimension value) are adjusted by `quantity_delta`,
/// `cost_delta` and `events_delta` in the same transaction as the correction row.
/// A voided event cannot be corrected again; an event can be amended several times (each
/// amendment from the quantity the one before left). An amendment of metadata changes no
/// rollup (its deltas are zero): the audit read is where the new metadata is kept.
///
/// A backfill (usage that happened long ago, stored on purpose with UsageStore::backfill)
/// is stored in the same transaction as its event, as that event's correction sequence 1:
/// `new_quantity` the event's quantity, `quantity_delta` +quantity, `cost_delta` +its list
/// cost, `events_delta` +1 (what the append added to the rollups), `type` and `day` the
/// event's. A later void or amendment of the event is its sequence 2, 3, …, and starts from
/// the quantity the event was stored with (the backfill's deltas are that append, not a
/// change on top of it).
struct Correction {
    BusinessId business;
    EventId event;
    int sequence = 0;  ///< 1 for an event's first correction, 2 for its second, …
    CorrectionKind kind = CorrectionKind::void_event;
    EventType type = EventType::apiCall();  ///< the corrected event's type
    date::local_days day;                   ///< the corrected event's local day (the rollup adjusted)
    std::optional<Decimal> new_quantity;    ///< amend_quantity, backfill: the quantity it counts with now
    std::optional<Metadata> new_metadata;   ///< amend_metadata: the metadata it reads with now
    std::string reason;                     ///< why (1 to max_correction_text_bytes of UTF-8)
    std::string actor;                      ///< who (1 to max_correction_text_bytes of UTF-8)
    Timestamp at;                           ///< when it was stored (the store's clock)
    Decimal quantity_delta;                 ///< added to the day's quantity (negative for a void, + for a backfill)
    Decimal cost_delta;                     ///< added to the day's list cost, in currency units
    std::int64_t events_delta = 0;          ///< -1 for a void, 0 for an amendment, +1 for a backfill

    friend bool operator==(const Correction&, const Correction&) = default;
};

}  // namespace metered
