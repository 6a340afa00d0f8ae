// SPDX-License-Identifier: MIT
#include "store_text.h"

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "iso_date.h"
#include "metered/errors.h"
#include "text_format.h"
#include "untrusted_text.h"

namespace metered::detail {

namespace {

void add(UsageTotal& sum, const UsageTotal& row) {
    sum.quantity += row.quantity;
    sum.events += row.events;
    sum.list_cost += row.list_cost;
}

void add(ModelUsageTotal& sum, const ModelUsageTotal& row) {
    sum.quantity += row.quantity;
    sum.events += row.events;
    sum.cost += row.cost;
}

// Daily rows summed per key (ordered by key), each sum normalized.
template <class Key, class Row, class KeyOf, class TotalOf>
auto sumRows(const std::vector<Row>& rows, KeyOf key_of, TotalOf total_of) {
    using Total = std::decay_t<std::invoke_result_t<TotalOf, const Row&>>;
    std::map<Key, Total> sums;
    for (const Row& row : rows) {
        auto [slot, fresh] = sums.try_emplace(key_of(row), total_of(row));
        if (!fresh) add(slot->second, total_of(row));
    }
    for (auto& [key, total] : sums) total = normalized(std::move(total));
    return sums;
}

}  // namespace

std::string dimensionsText(const std::vector<EventDimension>& dimensions) {
    if (dimensions.empty()) return {};
    nlohmann::ordered_json object = nlohmann::ordered_json::object();
    for (const EventDimension& d : dimensions) object[d.name] = d.value;
    return object.dump();
}

std::vector<EventDimension> dimensionsFromText(std::string_view text, std::string_view store) {
    std::vector<EventDimension> dimensions;
    if (text.empty()) return dimensions;
    const auto json = nlohmann::json::parse(text, nullptr, false);
    if (!json.is_object()) throw StoreError(std::string(store) + ": unexpected dimensions " + quoted(text), false);
    for (const auto& [name, value] : json.items()) {
        if (!value.is_string()) throw StoreError(std::string(store) + ": unexpected dimensions " + quoted(text), false);
        dimensions.push_back({name, value.get<std::string>()});
    }
    std::sort(dimensions.begin(), dimensions.end());
    return dimensions;
}

std::string adjustmentsText(const std::vector<StatementAdjustment>& adjustments) {
    auto json = nlohmann::json::array();
    for (const StatementAdjustment& adjustment : adjustments) {
        json.push_back({dayText(adjustment.cycle.first), dayText(adjustment.cycle.end), adjustment.amount.toString()});
    }
    return json.dump();
}

std::vector<StatementAdjustment> adjustmentsFromText(std::string_view text, std::string_view store) {
    const auto fail = [&] {
        return StoreError(std::string(store) + ": unexpected adjustments " + quoted(text), false);
    };
    const auto json = nlohmann::json::parse(text, nullptr, false);
    if (!json.is_array()) throw fail();
    std::vector<StatementAdjustment> adjustments;
    for (const auto& row : json) {
        if (!row.is_array() || row.size() != 3 ||
            !std::all_of(row.begin(), row.end(), [](const auto& cell) { return cell.is_string(); })) {
            throw fail();
        }
        const auto amount = Decimal::tryParse(row[2].get_ref<const std::string&>());
        if (!amount) throw fail();
        adjustments.push_back({DayRange{dayFromText(row[0].get_ref<const std::string&>(), store),
                                        dayFromText(row[1].get_ref<const std::string&>(), store)},
                               *amount});
    }
    return adjustments;
}

std::string creditsText(const std::vector<CreditApplied>& credits) {
    auto json = nlohmann::json::array();
    for (const CreditApplied& credit : credits) json.push_back({credit.grant, credit.amount.toString()});
    return json.dump();
}

std::vector<CreditApplied> creditsFromText(std::string_view text, std::string_view store) {
    const auto fail = [&] { return StoreError(std::string(store) + ": unexpected credits " + quoted(text), false); };
    const auto json = nlohmann::json::parse(text, nullptr, false);
    if (!json.is_array()) throw fail();
    std::vector<CreditApplied> credits;
    for (const auto& row : json) {
        if (!row.is_array() || row.size() != 2 || !row[0].is_string() || !row[1].is_string()) throw fail();
        const auto amount = Decimal::tryParse(row[1].get_ref<const std::string&>());
        if (!amount) throw fail();
        credits.push_back({row[0].get<std::string>(), *amount});
    }
    return credits;
}

date::local_days admissionCycle(date::local_days day, int anchor_day) {
    return BillingPeriod::cycleContaining(day, anchor_day).first;
}

DailyDimensionUsage normalized(DailyDimensionUsage row) {
    row.total.total = normalized(std::move(row.total.total));
    return row;
}

void sortDimensionDaily(std::vector<DailyDimensionUsage>& rows) {
    std::sort(rows.begin(), rows.end(), [](const DailyDimensionUsage& a, const DailyDimensionUsage& b) {
        return std::tie(a.day, a.total.value, a.total.total.type) < std::tie(b.day, b.total.value, b.total.total.type);
    });
}

std::vector<DimensionUsageTotal> sumByDimension(const std::vector<DailyDimensionUsage>& days) {
    const auto sums = sumRows<std::pair<std::string, EventType>>(
        days,
        [](const DailyDimensionUsage& row) {
            return std::pair{row.total.value, row.total.total.type};
        },
        [](const DailyDimensionUsage& row) -> const UsageTotal& { return row.total.total; });
    std::vector<DimensionUsageTotal> result;
    result.reserve(sums.size());
    for (const auto& [key, total] : sums) result.push_back({key.first, total});
    return result;
}

Decimal toCents(const Decimal& amount) { return amount * Decimal(100); }

Decimal fromCents(const Decimal& cents) { return cents * Decimal::fromMantissa(1, 2); }

std::string dayText(date::local_days day) { return isoDay(day); }

date::local_days dayFromText(std::string_view text, std::string_view store) {
    const auto day = parseIsoDate(text);
    if (!day) throw StoreError(std::string(store) + ": unexpected date " + quoted(text), false);
    return date::local_days(*day);
}

std::vector<UsageTotal> sumByType(const std::vector<DailyUsage>& days) {
    const auto sums = sumRows<EventType>(
        days, [](const DailyUsage& row) { return row.total.type; },
        [](const DailyUsage& row) -> const UsageTotal& { return row.total; });
    std::vector<UsageTotal> result;
    result.reserve(sums.size());
    for (const auto& [type, total] : sums) result.push_back(total);
    return result;
}

UsageTotal normalized(UsageTotal total) {
    total.quantity = total.quantity.normalized();
    total.list_cost = total.list_cost.normalized();
    return total;
}

std::string partsText(std::span<const PricedPart> parts) {
    if (parts.empty()) return {};
    std::string text = "[";
    for (const PricedPart& part : parts) {
        if (text.size() > 1) text += ',';
        // Part names are [a-z_] and decimals plain digits: nothing needs escaping.
        text += "[\"";
        text += toString(part.part);
        text += "\",\"";
        text += part.quantity.toString();
        text += "\",\"";
        text += part.cost.toString();
        text += "\"]";
    }
    text += ']';
    return text;
}

std::vector<PricedPart> partsFromText(std::string_view text, std::string_view store) {
    std::vector<PricedPart> parts;
    if (text.empty()) return parts;
    const auto fail = [&]() -> std::vector<PricedPart> {
        throw StoreError(std::string(store) + ": unexpected parts " + quoted(text), false);
    };
    std::string_view rest = text;
    const auto take = [&](std::string_view expected) {
        if (rest.substr(0, expected.size()) != expected) return false;
        rest.remove_prefix(expected.size());
        return true;
    };
    // The text of a "…" string without escapes, or nothing.
    const auto next_string = [&]() -> std::optional<std::string_view> {
        if (!take("\"")) return std::nullopt;
        const auto end = rest.find('"');
        if (end == std::string_view::npos) return std::nullopt;
        const auto value = rest.substr(0, end);
        rest.remove_prefix(end + 1);
        return value;
    };
    if (!take("[")) return fail();
    while (!take("]")) {
        if (!parts.empty() && !take(",")) return fail();
        if (!take("[")) return fail();
        const auto name = next_string();
        if (!name || !take(",")) return fail();
        const auto quantity = next_string();
        if (!quantity || !take(",")) return fail();
        const auto cost = next_string();
        if (!cost || !take("]")) return fail();
        const auto part = parseUsagePart(*name);
        auto q = Decimal::tryParse(*quantity), c = Decimal::tryParse(*cost);
        if (!part || !q || !c) return fail();
        parts.push_back({*part, *q, *c});
    }
    if (!rest.empty()) return fail();
    return parts;
}

ModelUsageTotal normalized(ModelUsageTotal total) {
    total.quantity = total.quantity.normalized();
    total.cost = total.cost.normalized();
    return total;
}

void sortModelDaily(std::vector<DailyModelUsage>& rows) {
    std::sort(rows.begin(), rows.end(), [](const DailyModelUsage& a, const DailyModelUsage& b) {
        return std::tie(a.day, a.total.type, a.total.model, a.total.part) <
               std::tie(b.day, b.total.type, b.total.model, b.total.part);
    });
}

std::vector<ModelUsageTotal> sumByModel(const std::vector<DailyModelUsage>& days) {
    const auto sums = sumRows<ModelKey>(
        days, [](const DailyModelUsage& row) { return modelKey(row.total); },
        [](const DailyModelUsage& row) -> const ModelUsageTotal& { return row.total; });
    std::vector<ModelUsageTotal> result;
    result.reserve(sums.size());
    for (const auto& [key, total] : sums) result.push_back(total);
    return result;
}

std::string thresholdsText(const std::vector<int>& thresholds) {
    std::string text;
    for (const int t : thresholds) {
        if (!text.empty()) text += ',';
        text += std::to_string(t);
    }
    return text;
}

Budget budgetFromRow(std::string_view business, std::string_view id, std::optional<std::string_view> model,
                     std::string_view amount, std::string_view thresholds, std::string_view kind,
                     std::string_view store, std::optional<std::string_view> dimension,
                     std::optional<std::string_view> dimension_value) {
    try {
        Budget budget;
        budget.business = BusinessId(Uuid::parse(business));
        budget.id = std::string(id);
        if (model) budget.model = std::string(*model);
        budget.amount = Decimal::parse(amount, "amount");
        budget.thresholds_percent.clear();
        std::size_t start = 0;
        while (start < thresholds.size()) {
            std::size_t end = thresholds.find(',', start);
            if (end == std::string_view::npos) end = thresholds.size();
            const auto value = Decimal::parse(thresholds.substr(start, end - start), "thresholds_percent").toInt64();
            if (!value || *value < 0 || *value > 100000) throw ValidationError("thresholds_percent", "not a percent");
            budget.thresholds_percent.push_back(static_cast<int>(*value));
            start = end + 1;
        }
        budget.kind = parseBudgetKind(kind);
        if (dimension.has_value() != dimension_value.has_value()) {
            throw ValidationError("dimension", "a dimension name without a value, or a value without one");
        }
        if (dimension) budget.dimension = EventDimension{std::string(*dimension), std::string(*dimension_value)};
        return budget;
    } catch (const Error& e) {
        throw StoreError(std::string(store) + ": a stored budget cannot be read (" + e.what() + ")", false);
    }
}

}  // namespace metered::detail
