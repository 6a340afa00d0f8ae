// SPDX-License-Identifier: MIT
#include "event_checks.h"

#include "precision.h"

namespace metered::detail {

std::optional<std::string> eventProblem(const UsageEvent& event) {
    if (event.id.uuid().isNil()) return "nil event id";
    if (event.business.uuid().isNil()) return "nil business id";
    if (event.quantity.isNegative()) return "negative quantity";
    if (event.quantity.significantScale() > max_quantity_scale) return "quantity has too many fractional digits";
    if (event.unit_price.isNegative()) return "negative unit price";
    if (event.unit_price.significantScale() > max_price_scale) return "unit price has too many fractional digits";
    if (event.list_cost != event.quantity * event.unit_price) return "list cost is not quantity x unit price";
    if (event.metadata.byteSize() > max_stored_metadata_bytes) return "metadata too large";
    return std::nullopt;
}

}  // namespace metered::detail
