// SPDX-License-Identifier: MIT
// What corrections do to the quantities of stored events, and the order events happened
// in, said once for every store and every read of events (level rollups, per-transaction
// charges) (private).
#pragma once

#include <algorithm>
#include <span>
#include <tuple>
#include <vector>

#include "metered/correction.h"
#include "metered/ids.h"

namespace metered::detail {

/// What a correction of an event does to its quantity: an amendment moves it by
/// `quantity_delta`, a void removes the event; the other kinds (metadata, backfill) change
/// no quantity.
struct QuantityCorrection {
    EventId event;
    CorrectionKind kind = CorrectionKind::amend_quantity;
    Decimal quantity_delta;
};

/// Applies `corrections` (in any order) to `events` (each with an `id`, its quantity in
/// member `quantity`); corrections of other events are ignored. Leaves `events` in id order.
template <class Event>
void applyCorrections(std::vector<Event>& events, std::span<const QuantityCorrection> corrections,
                      Decimal Event::*quantity) {
    std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) { return a.id < b.id; });
    for (const QuantityCorrection& c : corrections) {
        auto event = std::lower_bound(events.begin(), events.end(), c.event,
                                      [](const Event& e, const EventId& id) { return e.id < id; });
        if (event == events.end() || event->id != c.event) continue;
        if (c.kind == CorrectionKind::void_event) {
            events.erase(event);
        } else if (c.kind == CorrectionKind::amend_quantity) {
            (*event).*quantity += c.quantity_delta;
        }
    }
}

/// Sorts `events` (each with `at` and `id`) in the order they happened: by time, then id
/// (the larger id of two events of one microsecond is the later).
template <class Event>
void sortByTime(std::vector<Event>& events) {
    std::sort(events.begin(), events.end(),
              [](const Event& a, const Event& b) { return std::tie(a.at, a.id) < std::tie(b.at, b.id); });
}

}  // namespace metered::detail
