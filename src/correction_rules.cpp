// SPDX-License-Identifier: MIT
#include "correction_rules.h"

#include <algorithm>
#include <tuple>

#include "metered/errors.h"
#include "precision.h"
#include "untrusted_text.h"
#include "utf8.h"

namespace metered::detail {
namespace {

void checkText(std::string_view field, std::string_view text) {
    if (text.empty()) throw ValidationError(std::string(field), "must not be empty");
    if (text.size() > max_correction_text_bytes) {
        throw ValidationError(std::string(field),
                              "must be at most " + std::to_string(max_correction_text_bytes) + " bytes");
    }
    if (!isStorableText(text)) throw ValidationError(std::string(field), "must be UTF-8 without U+0000");
}

// The quantity and list cost the event counts with after `earlier`; false when voided.
// A backfill's deltas are the append that stored the event: already in `stored`.
bool standing(const StoredEvent& stored, std::span<const Correction> earlier, Decimal& quantity, Decimal& cost) {
    quantity = stored.quantity;
    cost = stored.list_cost;
    for (const Correction& c : earlier) {
        if (c.kind == CorrectionKind::void_event) return false;
        if (c.kind == CorrectionKind::backfill) continue;
        quantity += c.quantity_delta;
        cost += c.cost_delta;
    }
    return true;
}

Correction base(const BusinessId& business, const EventId& event, const StoredEvent& stored,
                std::span<const Correction> earlier, CorrectionKind kind, std::string reason, std::string actor,
                Timestamp at) {
    Correction c;
    c.business = business;
    c.event = event;
    c.sequence = static_cast<int>(earlier.size()) + 1;
    c.kind = kind;
    c.type = stored.type;
    c.day = stored.day;
    c.reason = std::move(reason);
    c.actor = std::move(actor);
    c.at = at;
    return c;
}

}  // namespace

void checkCorrectionText(std::string_view reason, std::string_view actor, std::string_view prefix) {
    checkText(std::string(prefix) + "reason", reason);
    checkText(std::string(prefix) + "actor", actor);
}

void checkAmendedQuantity(const Decimal& quantity) {
    if (quantity.isNegative()) throw ValidationError("quantity", "must not be negative");
    if (quantity > max_event_quantity) {
        throw ValidationError("quantity", "must not exceed 1000000000000 (10^12) per event");
    }
    if (quantity.scale() > max_quantity_scale && quantity.significantScale() > max_quantity_scale) {
        throw ValidationError("quantity", "has more than " + std::to_string(max_quantity_scale) + " fractional digits");
    }
}

Correction planVoid(const BusinessId& business, const EventId& event, const StoredEvent& stored,
                    std::span<const Correction> earlier, std::string reason, std::string actor, Timestamp at) {
    Decimal quantity, cost;
    if (!standing(stored, earlier, quantity, cost)) throw ValidationError("event", "is already voided");
    Correction c =
        base(business, event, stored, earlier, CorrectionKind::void_event, std::move(reason), std::move(actor), at);
    c.quantity_delta = -quantity;
    c.cost_delta = -cost;
    c.events_delta = -1;
    return c;
}

Correction planAmend(const BusinessId& business, const EventId& event, const StoredEvent& stored,
                     std::span<const Correction> earlier, const Decimal& quantity, std::string reason,
                     std::string actor, Timestamp at) {
    Decimal current_quantity, current_cost;
    if (!standing(stored, earlier, current_quantity, current_cost)) {
        throw ValidationError("event", "is voided: it cannot be amended");
    }
    if (stored.type.isRateCard()) {
        throw ValidationError("event",
                              "is a rate-card event (quantity 1, its cost in parts): void it and record "
                              "the call again");
    }
    Decimal cost;
    try {
        cost = quantity * stored.unit_price;
    } catch (const ArithmeticError&) {
        throw ValidationError("quantity", "its list cost exceeds 10000000000000 (10^13) per event");
    }
    if (cost > max_day_list_cost) {
        throw ValidationError("quantity", "its list cost exceeds 10000000000000 (10^13) per event");
    }
    Correction c =
        base(business, event, stored, earlier, CorrectionKind::amend_quantity, std::move(reason), std::move(actor), at);
    c.new_quantity = quantity;
    c.quantity_delta = quantity - current_quantity;
    c.cost_delta = cost - current_cost;
    return c;
}

Correction planAmendMetadata(const BusinessId& business, const EventId& event, const StoredEvent& stored,
                             std::span<const Correction> earlier, const Metadata& metadata, std::string reason,
                             std::string actor, Timestamp at) {
    Decimal quantity, cost;
    if (!standing(stored, earlier, quantity, cost)) throw ValidationError("event", "is voided: it cannot be amended");
    if (metadata.byteSize() > max_stored_metadata_bytes) throw ValidationError("metadata", "is larger than 1 MiB");
    Correction c =
        base(business, event, stored, earlier, CorrectionKind::amend_metadata, std::move(reason), std::move(actor), at);
    c.new_metadata = metadata;
    return c;
}

Correction planBackfill(const UsageEvent& event, date::local_days day, std::string reason, std::string actor,
                        Timestamp at) {
    Correction c;
    c.business = event.business;
    c.event = event.id;
    c.sequence = 1;
    c.kind = CorrectionKind::backfill;
    c.type = event.type;
    c.day = day;
    c.new_quantity = event.quantity;
    c.reason = std::move(reason);
    c.actor = std::move(actor);
    c.at = at;
    c.quantity_delta = event.quantity;
    c.cost_delta = event.list_cost;
    c.events_delta = 1;
    return c;
}

std::optional<std::string> newMetadataText(const Correction& correction) {
    if (!correction.new_metadata) return std::nullopt;
    return correction.new_metadata->toJson();
}

void checkCorrectedRollup(const UsageTotal& total, const Correction& correction) {
    if (total.quantity + correction.quantity_delta > max_day_quantity) {
        throw ValidationError("quantity", "would take the day's rollup past 10^15");
    }
    if (total.list_cost + correction.cost_delta > max_day_list_cost) {
        throw ValidationError("quantity", "would take the day's list cost past 10^13");
    }
}

std::string unknownEvent(const BusinessId& business, const EventId& event) {
    return "no event " + event.toString() + " of business " + business.toString();
}

CorrectionKind correctionKindFrom(std::string_view text, std::string_view store) {
    if (text == "void") return CorrectionKind::void_event;
    if (text == "amend") return CorrectionKind::amend_quantity;
    if (text == "metadata") return CorrectionKind::amend_metadata;
    if (text == "backfill") return CorrectionKind::backfill;
    throw StoreError(std::string(store) + ": unexpected correction kind " + quoted(text), false);
}

void sortCorrections(std::vector<Correction>& corrections) {
    std::sort(corrections.begin(), corrections.end(), [](const Correction& a, const Correction& b) {
        return std::tie(a.at, a.event, a.sequence) < std::tie(b.at, b.event, b.sequence);
    });
}

}  // namespace metered::detail
