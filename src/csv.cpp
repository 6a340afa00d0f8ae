// SPDX-License-Identifier: MIT
#include "metered/csv.h"

#include <algorithm>
#include <array>
#include <optional>
#include <ostream>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "exact_json.h"
#include "metered/errors.h"
#include "store_text.h"
#include "text_format.h"

namespace metered {
namespace {

using detail::Json;

// One field as RFC 4180 writes it.
void field(std::string& out, std::string_view text) {
    if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
        out += text;
        return;
    }
    out += '"';
    for (char c : text) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
}

// Host text a spreadsheet would evaluate ("=HYPERLINK(…)") kept as text (OWASP's advice).
std::string text(std::string value) {
    if (!value.empty() && std::string_view("=+-@\t\r").find(value.front()) != std::string_view::npos) {
        value.insert(value.begin(), '\'');
    }
    return value;
}

// A number of the stored document, as its digits.
std::string number(const Json& value) {
    if (value.is_null()) return {};
    return detail::readDecimal(value, "document").toString();
}

// The event type a `breakdown` key stands for (the seed's keys for its four types).
std::string typeOfKey(const std::string& key) {
    constexpr std::array<std::pair<std::string_view, std::string_view>, 4> seed = {{{"apiCalls", "api_call"},
                                                                                    {"voiceMinutes", "voice_minute"},
                                                                                    {"aiQueries", "ai_query"},
                                                                                    {"storage", "storage_mb"}}};
    for (const auto& [k, type] : seed) {
        if (key == k) return std::string(type);
    }
    return key;
}

class Writer {
public:
    explicit Writer(const Statement& statement) {
        prefix_ = statement.business.toString() + "," + detail::isoDay(statement.cycle.first) + "," +
                  detail::isoDay(statement.cycle.end) + ",";
        field(prefix_, text(statement.currency));
        prefix_ += ',';
        field(prefix_, text(statement.plan_id));
        prefix_ += ',';
    }

    void line(std::string_view kind, const std::string& item, const std::string& quantity, const Decimal& amount) {
        out += prefix_;
        out += kind;
        out += ',';
        field(out, text(item));
        out += ',' + quantity + ',' + amount.toString() + "\r\n";
    }

    std::string out;

private:
    std::string prefix_;
};

void writeStatement(const Statement& statement, std::string& out) {
    Writer w(statement);
    const Json usage = detail::parseExactJson(statement.document, "document");  // to_json(BillingUsage)
    for (const auto& [key, entry] : usage.at("breakdown").items()) {
        Decimal count = detail::readDecimal(entry.at("count"), "document");
        Decimal cost = detail::readDecimal(entry.at("cost"), "document");
        if (entry.contains("filters")) {
            for (const Json& filter : entry.at("filters")) {
                count -= detail::readDecimal(filter.at("count"), "document");
                cost -= detail::readDecimal(filter.at("cost"), "document");
            }
        }
        w.line("usage", typeOfKey(key), count.toString(), cost);
        if (!entry.contains("filters")) continue;
        for (const Json& filter : entry.at("filters")) {
            w.line("filter", filter.at("label").get<std::string>(), number(filter.at("count")),
                   detail::readDecimal(filter.at("cost"), "document"));
        }
    }
    if (usage.contains("aiUsage")) {
        for (const Json& ai : usage.at("aiUsage")) {
            w.line("ai", ai.at("type").get<std::string>() + " " + ai.at("model").get<std::string>(),
                   ai.contains("calls") ? number(ai.at("calls")) : std::string(),
                   detail::readDecimal(ai.at("amount"), "document"));
        }
    }
    if (usage.contains("aiIncluded")) {
        const Json& included = usage.at("aiIncluded");
        w.line("ai_included", "", number(included.at("includedAmount")),
               detail::readDecimal(included.at("amount"), "document"));
    }
    if (usage.contains("commitments")) {
        for (const Json& c : usage.at("commitments")) {
            const std::string of = c.at("type").is_null() ? "plan" : c.at("type").get<std::string>();
            w.line("commitment", c.at("kind").get<std::string>() + " " + of, number(c.at("limit")),
                   detail::readDecimal(c.at("amount"), "document"));
        }
    }
    if (usage.contains("fees")) {
        for (const Json& fee : usage.at("fees"))
            w.line("fee", "", "", detail::readDecimal(fee.at("amount"), "document"));
    }
    w.line("total", "", "", statement.total);
    for (const StatementAdjustment& adjustment : statement.adjustments) {
        w.line("adjustment", detail::isoDay(adjustment.cycle.first) + ".." + detail::isoDay(adjustment.cycle.end), "",
               adjustment.amount);
    }
    for (const CreditApplied& credit : statement.credits) w.line("credit", credit.grant, "", -credit.amount);
    w.line("amount_due", "", "", statement.amountDue());
    out += w.out;
}

// What an event's corrections came to (its status and what it counts with now).
struct Corrected {
    bool voided = false;
    bool amended = false;
    bool backfilled = false;
    std::optional<Decimal> quantity;
    std::optional<Metadata> metadata;
};

std::unordered_map<EventId, Corrected> correctionsByEvent(UsageStore& store, const BusinessId& business,
                                                          const DayRange& days) {
    auto corrections = store.listCorrections(business, days);
    std::sort(corrections.begin(), corrections.end(),
              [](const Correction& a, const Correction& b) { return a.sequence < b.sequence; });
    std::unordered_map<EventId, Corrected> by_event;
    for (Correction& c : corrections) {
        Corrected& to = by_event[c.event];
        switch (c.kind) {
            case CorrectionKind::void_event:
                to.voided = true;
                break;
            case CorrectionKind::amend_quantity:
                to.amended = true;
                to.quantity = std::move(c.new_quantity);
                break;
            case CorrectionKind::amend_metadata:
                to.amended = true;
                to.metadata = std::move(c.new_metadata);
                break;
            case CorrectionKind::backfill:
                to.backfilled = true;
                break;
        }
    }
    return by_event;
}

void writeEvent(const RecordedEvent& recorded, const Corrected* corrected, EventsExport& summary, std::string& out) {
    const UsageEvent& e = recorded.event;
    const std::string_view status = corrected == nullptr    ? "recorded"
                                    : corrected->voided     ? "voided"
                                    : corrected->amended    ? "amended"
                                    : corrected->backfilled ? "backfilled"
                                                            : "recorded";
    summary.voided += status == "voided" ? 1 : 0;
    summary.amended += status == "amended" ? 1 : 0;
    summary.backfilled += status == "backfilled" ? 1 : 0;
    ++summary.events;
    const Decimal quantity = status == "voided"                            ? Decimal(0)
                             : corrected != nullptr && corrected->quantity ? *corrected->quantity
                                                                           : e.quantity;
    const Metadata& metadata = corrected != nullptr && corrected->metadata ? *corrected->metadata : e.metadata;
    out += e.business.toString();
    out += ',';
    out += e.id.toString();
    out += ',';
    out += detail::isoTimestamp(e.occurred_at);
    out += ',';
    out += detail::isoDay(recorded.day);
    out += ',';
    field(out, text(e.type.toString()));
    out += ',';
    out += status;
    out += ',';
    // Normalized: the same digits from every store (one keeps cents, another the scale written).
    for (const Decimal* figure : {&quantity, &e.quantity, &e.unit_price, &e.list_cost}) {
        out += figure->normalized().toString();
        out += ',';
    }
    field(out, text(e.model));
    out += ',';
    field(out, detail::partsText(e.parts));
    out += ',';
    field(out, detail::dimensionsText(e.dimensions));
    out += ',';
    field(out, metadata.toJson());
    out += "\r\n";
}

}  // namespace

EventsExport exportEventsCsv(UsageStore& store, const BusinessId& business, const DayRange& days, std::ostream& out,
                             const std::function<void(std::int64_t)>& progress, std::size_t page_size) {
    if (page_size == 0) throw ValidationError("page_size", "must be positive");
    const auto corrections = correctionsByEvent(store, business, days);
    EventsExport summary;
    std::string text =
        "business_id,event_id,occurred_at,local_day,event_type,status,quantity,recorded_quantity,unit_price,"
        "list_cost,model,parts,dimensions,metadata\r\n";
    std::vector<RecordedEvent> page = store.recordedEvents(business, days, page_size, nullptr);
    while (!page.empty()) {
        for (const RecordedEvent& recorded : page) {
            const auto found = corrections.find(recorded.event.id);
            writeEvent(recorded, found == corrections.end() ? nullptr : &found->second, summary, text);
        }
        out << text;
        text.clear();
        if (progress) progress(summary.events);
        if (page.size() < page_size) break;
        page = store.recordedEvents(business, days, page_size, &page.back());
    }
    out << text;
    out.flush();
    return summary;
}

std::string statementsCsv(std::span<const Statement> statements) {
    std::string out = "business_id,cycle_from,cycle_to,currency,plan_id,line,item,quantity,amount\r\n";
    for (const Statement& statement : statements) {
        try {
            writeStatement(statement, out);
        } catch (const std::exception& e) {  // nlohmann's, or ValidationError: not a document we write
            throw StoreError("the statement of " + statement.business.toString() + " for " +
                                 detail::isoDay(statement.cycle.first) + " has a malformed document: " + e.what(),
                             false);
        }
    }
    return out;
}

}  // namespace metered
