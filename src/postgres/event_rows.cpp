// SPDX-License-Identifier: MIT
#include "event_rows.h"

#include <map>
#include <tuple>

#include "../store_text.h"
#include "../text_format.h"

namespace metered::detail::pg {
namespace {

// COPY text format: a backslash, tab, newline or carriage return inside a value is escaped.
void appendCopyText(std::string& out, std::string_view text) {
    for (char c : text) {
        if (!appendCommonEscape(out, c)) out.push_back(c);
    }
}

}  // namespace

void ArrayText::addQuoted(std::string_view value) {
    std::string& out = next();
    out.push_back('"');
    for (char c : value) {
        if (c == '"' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    out.push_back('"');
}

void copyRows(const BatchView& batch, const std::function<void(std::string_view)>& send) {
    constexpr std::size_t rows_per_send = 64;  // ~20 kB: past libpq's 8 kB, so each is sent
    std::string rows;
    rows.reserve(rows_per_send * 400);
    std::string stamp;
    std::size_t pending = 0;
    for (std::size_t i : batch.indices) {
        const UsageEvent& e = batch.events[i];
        appendUuid(rows, e.business.uuid());
        rows += '\t';
        appendUuid(rows, e.id.uuid());
        rows += '\t';
        appendCopyText(rows, e.type.name());
        rows += '\t';
        appendDecimal(rows, e.quantity);
        rows += '\t';
        appendDecimal(rows, toCents(e.unit_price));
        rows += '\t';
        appendDecimal(rows, toCents(e.list_cost));
        rows += '\t';
        appendCopyText(rows, e.metadata.toJson());
        rows += '\t';
        stamp.clear();
        appendIsoTimestamp(stamp, e.occurred_at, true);
        rows += stamp;
        rows += '\t';
        rows += dayText(batch.days[i]);
        rows += '\t';
        rows += stamp;  // created_at, as the seed's column
        rows += '\t';
        appendCopyText(rows, e.model);
        rows += '\t';
        if (e.parts.empty()) {
            rows += "\\N";
        } else {
            rows += partsText(e.parts);  // part names and decimals: nothing to escape
        }
        rows += '\t';
        if (e.dimensions.empty()) {
            rows += "\\N";
        } else {
            appendCopyText(rows, dimensionsText(e.dimensions));
        }
        rows += '\n';
        if (++pending == rows_per_send) {
            send(rows);
            rows.clear();
            pending = 0;
        }
    }
    if (!rows.empty()) send(rows);
}

PgParams keyParams(const BatchView& batch) {
    ArrayText businesses, ids, days;
    for (auto* array : {&businesses, &ids}) array->reserve(batch.indices.size() * 37 + 2);
    for (std::size_t i : batch.indices) {
        appendUuid(businesses.next(), batch.events[i].business.uuid());
        appendUuid(ids.next(), batch.events[i].id.uuid());
        days.next() += dayText(batch.days[i]);
    }
    return PgParams().add(std::move(businesses).done()).add(std::move(ids).done()).add(std::move(days).done());
}

PgParams appendParams(const BatchView& batch) {
    ArrayText businesses, ids, types, quantities, prices, costs, metadata, times, days, models, parts, dimensions;
    for (auto* array : {&businesses, &ids}) array->reserve(batch.indices.size() * 37 + 2);
    metadata.reserve(batch.indices.size() * 160);
    for (std::size_t i : batch.indices) {
        const UsageEvent& e = batch.events[i];
        appendUuid(businesses.next(), e.business.uuid());
        appendUuid(ids.next(), e.id.uuid());
        types.addQuoted(e.type.name());
        appendDecimal(quantities.next(), e.quantity);
        appendDecimal(prices.next(), toCents(e.unit_price));
        appendDecimal(costs.next(), toCents(e.list_cost));
        metadata.addQuoted(e.metadata.toJson());
        std::string& time = times.next();
        time.push_back('"');
        appendIsoTimestamp(time, e.occurred_at, true);
        time.push_back('"');
        days.next() += dayText(batch.days[i]);
        models.addQuoted(e.model);
        if (e.parts.empty()) {
            parts.next() += "NULL";
        } else {
            parts.addQuoted(partsText(e.parts));
        }
        if (e.dimensions.empty()) {
            dimensions.next() += "NULL";
        } else {
            dimensions.addQuoted(dimensionsText(e.dimensions));
        }
    }
    return PgParams()
        .add(std::move(businesses).done())
        .add(std::move(ids).done())
        .add(std::move(types).done())
        .add(std::move(quantities).done())
        .add(std::move(prices).done())
        .add(std::move(costs).done())
        .add(std::move(metadata).done())
        .add(std::move(times).done())
        .add(std::move(days).done())
        .add(std::move(models).done())
        .add(std::move(parts).done())
        .add(std::move(dimensions).done());
}

std::optional<PgParams> dimensionRollupParams(const BatchView& batch) {
    ArrayText businesses, days, names, values, types, quantities, costs;
    bool any = false;
    for (std::size_t i : batch.indices) {
        const UsageEvent& e = batch.events[i];
        for (const EventDimension& d : e.dimensions) {
            any = true;
            appendUuid(businesses.next(), e.business.uuid());
            days.next() += dayText(batch.days[i]);
            names.addQuoted(d.name);
            values.addQuoted(d.value);
            types.addQuoted(e.type.name());
            appendDecimal(quantities.next(), e.quantity);
            appendDecimal(costs.next(), e.list_cost);
        }
    }
    if (!any) return std::nullopt;
    return PgParams()
        .add(std::move(businesses).done())
        .add(std::move(days).done())
        .add(std::move(names).done())
        .add(std::move(values).done())
        .add(std::move(types).done())
        .add(std::move(quantities).done())
        .add(std::move(costs).done());
}

PgParams rollupParams(const BatchView& batch) {
    struct Sum {
        Decimal quantity;
        std::int64_t events = 0;
        Decimal list_cost;
    };
    std::map<std::tuple<BusinessId, date::local_days, EventType>, Sum> sums;
    for (std::size_t i : batch.indices) {
        const UsageEvent& e = batch.events[i];
        Sum& sum = sums[{e.business, batch.days[i], e.type}];
        sum.quantity += e.quantity;
        ++sum.events;
        sum.list_cost += e.list_cost;
    }
    ArrayText businesses, days, types, quantities, counts, costs;
    for (const auto& [key, sum] : sums) {
        appendUuid(businesses.next(), std::get<0>(key).uuid());
        days.next() += dayText(std::get<1>(key));
        types.addQuoted(std::get<2>(key).name());
        appendDecimal(quantities.next(), sum.quantity);
        counts.next() += std::to_string(sum.events);
        appendDecimal(costs.next(), toCents(sum.list_cost));
    }
    return PgParams()
        .add(std::move(businesses).done())
        .add(std::move(days).done())
        .add(std::move(types).done())
        .add(std::move(quantities).done())
        .add(std::move(counts).done())
        .add(std::move(costs).done());
}

std::optional<PgParams> modelRollupParams(const BatchView& batch) {
    struct Sum {
        Decimal quantity;
        std::int64_t events = 0;
        Decimal cost;
    };
    std::map<std::tuple<BusinessId, date::local_days, ModelKey>, Sum> sums;
    for (std::size_t i : batch.indices) {
        const UsageEvent& e = batch.events[i];
        for (const PricedPart& part : e.parts) {
            Sum& sum = sums[{e.business, batch.days[i], ModelKey{e.type, e.model, part.part}}];
            sum.quantity += part.quantity;
            ++sum.events;
            sum.cost += part.cost;
        }
    }
    if (sums.empty()) return std::nullopt;
    ArrayText businesses, days, types, models, parts, quantities, counts, costs;
    for (const auto& [key, sum] : sums) {
        const auto& [type, model, part] = std::get<2>(key);
        appendUuid(businesses.next(), std::get<0>(key).uuid());
        days.next() += dayText(std::get<1>(key));
        types.addQuoted(type.name());
        models.addQuoted(model);
        parts.addQuoted(toString(part));
        appendDecimal(quantities.next(), sum.quantity);
        counts.next() += std::to_string(sum.events);
        appendDecimal(costs.next(), sum.cost);
    }
    return PgParams()
        .add(std::move(businesses).done())
        .add(std::move(days).done())
        .add(std::move(types).done())
        .add(std::move(models).done())
        .add(std::move(parts).done())
        .add(std::move(quantities).done())
        .add(std::move(counts).done())
        .add(std::move(costs).done());
}

}  // namespace metered::detail::pg
