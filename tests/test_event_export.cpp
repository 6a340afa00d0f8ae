// SPDX-License-Identifier: MIT
// A business's stored events read back page by page on every store, and exported as CSV
// with what corrections did to them: the rows every store writes alike, the quantities
// adding up to the rollups, host text kept as text.
#include <catch2/catch.hpp>
#include <date/tz.h>

#include <algorithm>
#include <map>
#include <sstream>

#include "metered/csv.h"
#include "metered/errors.h"
#include "store_fixtures.h"
#include "test_support.h"

using namespace metered;
using namespace metered::testing;
using namespace date::literals;
using std::chrono::hours;

namespace {

const date::local_days d1 = date::local_days(2026_y / 11 / 1), d2 = d1 + date::days(1), d3 = d1 + date::days(2);

// The events of a business around November 1st-2nd: before, on and after the days read.
std::vector<UsageEvent> history(const BusinessId& business) {
    std::vector<UsageEvent> events = {
        event(business, EventType::apiCall(), "1", nyc(d1, hours(23))),  // 23:00 of the 25-hour day
        event(business, EventType::voiceMinute(), "2.50", nyc(d1, hours(1))),
        event(business, EventType::apiCall(), "1", nyc(d2, hours(3))),
        event(business, EventType::aiQuery(), "3", nyc(d2, hours(3))),  // the same microsecond: by id
        event(business, EventType::apiCall(), "1", nyc(d1) - std::chrono::microseconds(1)),  // October 31st
        event(business, EventType::apiCall(), "1", nyc(d3)),                                 // November 3rd
    };
    events[0].metadata.set("note", "=HYPERLINK(\"http://evil\"), line\nbreak");
    events[1].dimensions = {{"end_user", "=u-1"}};
    UsageEvent llm;
    llm.id = EventId::generate();
    llm.business = business;
    llm.type = EventType::llmCall();
    llm.quantity = Decimal(1);
    llm.parts = {{UsagePart::input, num("1200"), num("0.003")}, {UsagePart::requests, num("1"), num("0")}};
    llm.list_cost = llm.unit_price = num("0.003");
    llm.model = "openai/gpt-4o";
    llm.occurred_at = nyc(d2, hours(9));
    events.push_back(llm);
    return events;
}

// The events of `history` on November 1st-2nd, in the order they happened.
std::vector<EventId> expectedOrder(const std::vector<UsageEvent>& events) {
    std::vector<const UsageEvent*> within;
    for (std::size_t i = 0; i < 4; ++i) within.push_back(&events[i]);
    within.push_back(&events[6]);
    std::sort(within.begin(), within.end(), [](const UsageEvent* a, const UsageEvent* b) {
        return std::tie(a->occurred_at, a->id) < std::tie(b->occurred_at, b->id);
    });
    std::vector<EventId> ids(within.size());
    std::transform(within.begin(), within.end(), ids.begin(), [](const UsageEvent* e) { return e->id; });
    return ids;
}

}  // namespace

TEMPLATE_TEST_CASE("every store reads a business's events back in pages, in the order they happened", "[store][export]",
                   STORE_FIXTURES) {
    TestType fixture;
    const Account business = account("Acme Export", new_york);
    const Account other = account("Other", new_york);
    fixture.store->saveAccount(business);
    fixture.store->saveAccount(other);
    const auto events = history(business.id);
    REQUIRE(fixture.store->append(events).stored == events.size());
    REQUIRE(fixture.store->append(std::vector{event(other.id, EventType::apiCall(), "1", nyc(d1, hours(5)))}).stored ==
            1);

    // Pages of two: every event of the days once, in time order, as appended.
    std::vector<RecordedEvent> read;
    const RecordedEvent* after = nullptr;
    for (int pages = 0;; ++pages) {
        REQUIRE(pages < 10);
        auto page = fixture.store->recordedEvents(business.id, {d1, d3}, 2, after);
        REQUIRE(page.size() <= 2);
        if (page.empty()) break;
        read.insert(read.end(), page.begin(), page.end());
        after = &read.back();
    }
    std::vector<EventId> ids(read.size());
    std::transform(read.begin(), read.end(), ids.begin(), [](const RecordedEvent& r) { return r.event.id; });
    CHECK(ids == expectedOrder(events));
    for (const RecordedEvent& r : read) {
        const auto original =
            std::find_if(events.begin(), events.end(), [&](const UsageEvent& e) { return e.id == r.event.id; });
        REQUIRE(original != events.end());
        CHECK(r.day == date::floor<date::days>(date::locate_zone(new_york)->to_local(original->occurred_at)));
        CHECK(r.event.business == original->business);
        CHECK(r.event.type == original->type);
        CHECK(r.event.quantity == original->quantity);
        CHECK(r.event.unit_price == original->unit_price);
        CHECK(r.event.list_cost == original->list_cost);
        CHECK(r.event.occurred_at == original->occurred_at);
        CHECK(r.event.model == original->model);
        CHECK(r.event.parts == original->parts);
        CHECK(r.event.dimensions == original->dimensions);
        CHECK(r.event.metadata.toJson() == original->metadata.toJson());  // one field: no key order to differ
    }
    CHECK(fixture.store->recordedEvents(business.id, {d1, d3}, 100, nullptr).size() == 5);
    CHECK(fixture.store->recordedEvents(business.id, {d3, d3 + date::days(1)}, 100, nullptr).size() == 1);
    CHECK(fixture.store->recordedEvents(business.id, {d1, d3}, 0, nullptr).empty());
}

TEMPLATE_TEST_CASE("a business's events export as CSV with their corrections, adding up to the rollups",
                   "[store][export][csv]", STORE_FIXTURES) {
    TestType fixture;
    const Account business = account("Acme Export", new_york);
    fixture.store->saveAccount(business);
    const auto events = history(business.id);
    REQUIRE(fixture.store->append(events).stored == events.size());
    fixture.store->voidEvent(business.id, events[2].id, "test traffic", "ops");
    fixture.store->amendQuantity(business.id, events[1].id, num("3"), "rounded wrong", "ops");
    fixture.store->amendMetadata(business.id, events[3].id, Metadata().set("intent", "order"), "tagged", "ops");
    const UsageEvent late = event(business.id, EventType::apiCall(), "4", nyc(d2, hours(20)));
    REQUIRE(fixture.store->backfill(late, "outage import", "ops").stored == 1);

    std::ostringstream out;
    std::vector<std::int64_t> progress;
    const auto summary = exportEventsCsv(
        *fixture.store, business.id, {d1, d3}, out, [&](std::int64_t rows) { progress.push_back(rows); }, 2);
    CHECK(summary.events == 6);
    CHECK(summary.voided == 1);
    CHECK(summary.amended == 2);
    CHECK(summary.backfilled == 1);
    CHECK(progress == std::vector<std::int64_t>{2, 4, 6});

    const auto rows = csvRows(out.str());
    REQUIRE(rows.size() == 7);
    CHECK(rows[0] == std::vector<std::string>{"business_id", "event_id", "occurred_at", "local_day", "event_type",
                                              "status", "quantity", "recorded_quantity", "unit_price", "list_cost",
                                              "model", "parts", "dimensions", "metadata"});
    std::map<std::string, std::vector<std::string>> by_id;
    std::map<std::string, Decimal> quantity_by_type;
    for (std::size_t i = 1; i < rows.size(); ++i) {
        REQUIRE(rows[i].size() == 14);
        CHECK(rows[i][0] == business.id.toString());
        by_id[rows[i][1]] = rows[i];
        quantity_by_type[rows[i][4]] += num(rows[i][6].c_str());
    }
    // The quantities as counted now sum to the rollups', type by type.
    const auto totals = fixture.store->totals(business.id, {d1, d3});
    REQUIRE(totals.size() == quantity_by_type.size());
    for (const UsageTotal& total : totals) CHECK(quantity_by_type[total.type.toString()] == total.quantity);

    const auto& voided = by_id.at(events[2].id.toString());
    CHECK(voided[5] == "voided");
    CHECK(voided[6] == "0");
    CHECK(voided[7] == "1");
    const auto& amended = by_id.at(events[1].id.toString());
    CHECK(amended[2] == "2026-11-01T05:00:00.000000Z");  // 01:00 EDT
    CHECK(amended[3] == "2026-11-01");
    CHECK(amended[5] == "amended");
    CHECK(amended[6] == "3");
    CHECK(amended[7] == "2.5");
    CHECK(amended[8] == "0.02");  // the basic plan's list price of a voice minute
    CHECK(amended[9] == "0.05");
    CHECK(amended[12] == R"({"end_user":"=u-1"})");  // JSON: starts with a brace, never a formula
    CHECK(by_id.at(events[3].id.toString())[13] == R"({"intent":"order"})");
    CHECK(by_id.at(late.id.toString())[5] == "backfilled");
    const auto& night = by_id.at(events[0].id.toString());
    CHECK(night[3] == "2026-11-01");  // 23:00 of the 25-hour day is still November 1st
    CHECK(night[5] == "recorded");
    CHECK(Metadata::fromJson(night[13]) == events[0].metadata);  // quotes, commas, a line break: one field
    const auto& llm = by_id.at(events[6].id.toString());
    CHECK(llm[10] == "openai/gpt-4o");
    CHECK(llm[11] == R"([["input","1200","0.003"],["requests","1","0"]])");
    CHECK(llm[12].empty());

    // Nothing in the days: the header alone; a page size of 0 is refused.
    std::ostringstream empty;
    CHECK(exportEventsCsv(*fixture.store, business.id, {d3 + date::days(30), d3 + date::days(31)}, empty).events == 0);
    CHECK(csvRows(empty.str()).size() == 1);
    CHECK(errorField([&] { exportEventsCsv(*fixture.store, business.id, {d1, d3}, empty, {}, 0); }) == "page_size");
}

TEST_CASE("host text in an exported event that a spreadsheet would evaluate is kept as text", "[export][csv]") {
    auto store = std::make_shared<MemoryStore>();
    const Account business = account("Acme");
    store->saveAccount(business);
    UsageEvent llm;
    llm.id = EventId::generate();
    llm.business = business.id;
    llm.type = EventType::llmCall();
    llm.quantity = Decimal(1);
    llm.parts = {{UsagePart::requests, num("1"), num("0.01")}};
    llm.list_cost = llm.unit_price = num("0.01");
    llm.model = "=HYPERLINK(\"http://evil/x\",\"Refund\")";  // a valid "provider/model" name
    llm.occurred_at = at(2026_y / 11 / 5, hours(1));
    REQUIRE(store->append(std::vector{llm}).stored == 1);
    std::ostringstream out;
    exportEventsCsv(*store, business.id, {date::local_days(2026_y / 11 / 1), date::local_days(2026_y / 12 / 1)}, out);
    const auto rows = csvRows(out.str());
    REQUIRE(rows.size() == 2);
    CHECK(rows[1][10] == "'" + llm.model);
    CHECK(rows[1][4] == "llm_call");
}
