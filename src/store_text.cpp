// SPDX-License-Identifier: MIT
#include "store_text.h"

#include <map>

#include "iso_date.h"
#include "metered/errors.h"
#include "text_format.h"
#include "untrusted_text.h"

namespace metered::detail {

Decimal toCents(const Decimal& amount) { return amount * Decimal(100); }

Decimal fromCents(const Decimal& cents) { return cents * Decimal::fromMantissa(1, 2); }

std::string dayText(date::local_days day) { return isoDay(day); }

date::local_days dayFromText(std::string_view text, std::string_view store) {
    const auto day = parseIsoDate(text);
    if (!day) throw StoreError(std::string(store) + ": unexpected date " + quoted(text), false);
    return date::local_days(*day);
}

std::vector<UsageTotal> sumByType(const std::vector<DailyUsage>& days) {
    std::map<EventType, UsageTotal> sums;
    for (const auto& row : days) {
        auto [slot, fresh] = sums.try_emplace(row.total.type, UsageTotal{row.total.type, {}, 0, {}});
        slot->second.quantity += row.total.quantity;
        slot->second.events += row.total.events;
        slot->second.list_cost += row.total.list_cost;
    }
    std::vector<UsageTotal> result;
    result.reserve(sums.size());
    for (auto& [type, total] : sums) result.push_back(normalized(std::move(total)));
    return result;
}

UsageTotal normalized(UsageTotal total) {
    total.quantity = total.quantity.normalized();
    total.list_cost = total.list_cost.normalized();
    return total;
}

}  // namespace metered::detail
