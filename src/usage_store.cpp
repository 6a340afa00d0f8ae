// SPDX-License-Identifier: MIT
#include "metered/usage_store.h"

#include <map>

#include "metered/errors.h"
#include "store_text.h"
#include "untrusted_text.h"

namespace metered {

void UsageStore::saveDimensions(std::span<const Dimension> /*dimensions*/) {
    throw StoreError("this store keeps no dimensions", false);
}

std::vector<Dimension> UsageStore::listDimensions() { throw StoreError("this store keeps no dimensions", false); }

Statement UsageStore::saveStatement(const Statement& /*statement*/) {
    throw StoreError("this store keeps no statements", false);
}

std::optional<Statement> UsageStore::findStatement(const BusinessId& /*business*/, date::local_days /*cycle_first*/) {
    throw StoreError("this store keeps no statements", false);
}

std::vector<Statement> UsageStore::listStatements(const BusinessId& /*business*/) {
    throw StoreError("this store keeps no statements", false);
}

PlanChange UsageStore::savePlanChange(const PlanChange& /*change*/) {
    throw StoreError("this store keeps no plan changes", false);
}

std::vector<PlanChange> UsageStore::listPlanChanges(const BusinessId& /*business*/) { return {}; }

CreditGrant UsageStore::saveCreditGrant(const CreditGrant& /*grant*/) {
    throw StoreError("this store keeps no credits", false);
}

std::vector<CreditGrant> UsageStore::listCreditGrants(const BusinessId& /*business*/) {
    throw StoreError("this store keeps no credits", false);
}

Correction UsageStore::voidEvent(const BusinessId& /*business*/, const EventId& /*id*/, const std::string& /*reason*/,
                                 const std::string& /*actor*/) {
    throw StoreError("this store keeps no corrections", false);
}

Correction UsageStore::amendQuantity(const BusinessId& /*business*/, const EventId& /*id*/, const Decimal& /*quantity*/,
                                     const std::string& /*reason*/, const std::string& /*actor*/) {
    throw StoreError("this store keeps no corrections", false);
}

Correction UsageStore::amendMetadata(const BusinessId& /*business*/, const EventId& /*id*/,
                                     const Metadata& /*metadata*/, const std::string& /*reason*/,
                                     const std::string& /*actor*/) {
    throw StoreError("this store keeps no corrections", false);
}

AppendResult UsageStore::backfill(const UsageEvent& /*event*/, const std::string& /*reason*/,
                                  const std::string& /*actor*/) {
    throw StoreError("this store keeps no corrections", false);
}

std::vector<Correction> UsageStore::listCorrections(const BusinessId& /*business*/, const DayRange& /*days*/) {
    throw StoreError("this store keeps no corrections", false);
}

std::vector<DailyDimensionUsage> UsageStore::dimensionRollups(const BusinessId& /*business*/, const DayRange& /*days*/,
                                                              std::string_view /*dimension*/) {
    throw StoreError("this store keeps no dimensions", false);
}

std::vector<DailyLevel> UsageStore::levels(const BusinessId& /*business*/, const DayRange& /*days*/) {
    throw StoreError("this store keeps no level rollups", false);
}

std::vector<TransactionAmount> UsageStore::transactions(const BusinessId& /*business*/, const EventType& /*type*/,
                                                        const DayRange& /*days*/) {
    throw StoreError("this store does not read events one by one", false);
}

std::vector<RecordedEvent> UsageStore::recordedEvents(const BusinessId& /*business*/, const DayRange& /*days*/,
                                                      std::size_t /*limit*/, const RecordedEvent* /*after*/) {
    throw StoreError("this store does not read events back", false);
}

std::vector<DimensionUsageTotal> UsageStore::dimensionTotals(const BusinessId& business, const DayRange& days,
                                                             std::string_view dimension) {
    return detail::sumByDimension(dimensionDaily(business, days, dimension));
}

std::vector<DailyDimensionUsage> UsageStore::dimensionDaily(const BusinessId& business, const DayRange& days,
                                                            std::string_view dimension) {
    if (!isDimensionName(dimension)) {
        throw ValidationError("dimension", detail::quoted(dimension) + " is not a dimension name");
    }
    std::vector<DailyDimensionUsage> rows;
    if (dimension == model_dimension) {
        // Per day, type and model: the events of the requests part (every rate-card event
        // has one; quantity 1 each) and the cost of all parts.
        std::map<std::tuple<date::local_days, std::string, EventType>, UsageTotal> sums;
        for (const DailyModelUsage& row : modelDaily(business, days)) {
            const ModelUsageTotal& m = row.total;
            auto [slot, fresh] = sums.try_emplace({row.day, m.model, m.type}, UsageTotal{m.type, {}, 0, {}});
            if (m.part == UsagePart::requests) {
                slot->second.events += m.events;
                slot->second.quantity += Decimal(m.events);
            }
            slot->second.list_cost += m.cost;
        }
        rows.reserve(sums.size());
        for (auto& [key, total] : sums) rows.push_back({std::get<0>(key), {std::get<1>(key), std::move(total)}});
    } else {
        rows = dimensionRollups(business, days, dimension);
    }
    for (auto& row : rows) row = detail::normalized(std::move(row));
    detail::sortDimensionDaily(rows);
    return rows;
}

}  // namespace metered
