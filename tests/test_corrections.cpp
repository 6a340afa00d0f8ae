// SPDX-License-Identifier: MIT
// Corrections: a void or an amendment of a stored event, on every store: the event stays
// stored, the correction is kept with its reason and actor, and every rollup moves by
// exactly the correction's delta.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <tuple>

#include <nlohmann/json.hpp>

#include "metered/errors.h"
#include "metered/json.h"
#include "metered/usage_reports.h"
#include "store_doubles.h"
#include "store_fixtures.h"
#include "test_support.h"

using namespace metered;
using namespace metered::testing;
using namespace date::literals;
using std::chrono::hours;

namespace {

const Timestamp march5_noon = at(2024_y / 3 / 5, hours(12));

using Part = std::tuple<UsagePart, const char*, const char*>;  // part, quantity, cost

UsageEvent llmCall(const BusinessId& business, const std::vector<Part>& parts, std::vector<EventDimension> dims = {}) {
    UsageEvent e;
    e.id = EventId::generate();
    e.business = business;
    e.type = EventType::llmCall();
    e.quantity = Decimal(1);
    for (const auto& [part, quantity, cost] : parts) {
        e.parts.push_back({part, num(quantity), num(cost)});
        e.list_cost += num(cost);
    }
    e.unit_price = e.list_cost;
    e.model = "openai/gpt-4o";
    e.occurred_at = march5_noon;
    e.dimensions = std::move(dims);
    return e;
}

// type name -> (quantity, events, list cost)
using Sums = std::map<std::string, std::tuple<Decimal, std::int64_t, Decimal>>;

Sums byType(const std::vector<UsageTotal>& totals) {
    Sums result;
    for (const auto& t : totals) result[t.type.toString()] = {t.quantity, t.events, t.list_cost};
    return result;
}

// "value/type" -> (quantity, events, list cost), from dimensionTotals.
Sums byValueAndType(const std::vector<DimensionUsageTotal>& totals) {
    Sums result;
    for (const auto& t : totals) {
        result[t.value + "/" + t.total.type.toString()] = {t.total.quantity, t.total.events, t.total.list_cost};
    }
    return result;
}

// "part" -> (quantity, events, cost), from modelTotals.
Sums byPart(const std::vector<ModelUsageTotal>& totals) {
    Sums result;
    for (const auto& t : totals) result[std::string(toString(t.part))] = {t.quantity, t.events, t.cost};
    return result;
}

std::tuple<Decimal, std::int64_t, Decimal> sums(const char* quantity, std::int64_t events, const char* cost) {
    return {num(quantity), events, num(cost)};
}

}  // namespace

TEMPLATE_TEST_CASE("a void takes an event out of every rollup and keeps it stored", "[store][corrections]",
                   STORE_FIXTURES) {
    TestType fixture;
    UsageStore& store = *fixture.store;
    const Account acme = account("Acme Pizza");
    store.saveAccount(acme);
    using P = UsagePart;
    const std::vector<UsageEvent> batch = {
        withDimensions(event(acme.id, EventType::apiCall(), "3", march5_noon), {{"end_user", "u-1"}}),
        withDimensions(event(acme.id, EventType::apiCall(), "2", march5_noon), {{"end_user", "u-1"}}),
        withDimensions(event(acme.id, EventType::voiceMinute(), "2.5", march5_noon), {{"end_user", "u-2"}}),
        llmCall(acme.id, {{P::input, "1000", "0.0025"}, {P::output, "200", "0.002"}, {P::requests, "1", "0"}},
                {{"end_user", "u-1"}}),
        llmCall(acme.id, {{P::input, "500", "0.00125"}, {P::requests, "1", "0"}}),
    };
    REQUIRE(store.append(batch).stored == 5);
    REQUIRE(byType(store.totals(acme.id, march2024)) == Sums{{"api_call", sums("5", 2, "0.05")},
                                                             {"voice_minute", sums("2.5", 1, "0.05")},
                                                             {"llm_call", sums("2", 2, "0.00575")}});

    // An api call: its quantity, count and list cost leave the day and its dimension value.
    const Correction first = store.voidEvent(acme.id, batch[1].id, "duplicate webhook", "ops@acme");
    CHECK(first.business == acme.id);
    CHECK(first.event == batch[1].id);
    CHECK(first.sequence == 1);
    CHECK(first.kind == CorrectionKind::void_event);
    CHECK(first.type == EventType::apiCall());
    CHECK(first.day == date::local_days(2024_y / 3 / 5));
    CHECK_FALSE(first.new_quantity.has_value());
    CHECK(first.quantity_delta == num("-2"));
    CHECK(first.cost_delta == num("-0.02"));
    CHECK(first.events_delta == -1);
    CHECK(byType(store.totals(acme.id, march2024)).at("api_call") == sums("3", 1, "0.03"));
    CHECK(byValueAndType(store.dimensionTotals(acme.id, march2024, "end_user")).at("u-1/api_call") ==
          sums("3", 1, "0.03"));

    // A rate-card call: its parts leave the model rollups too (a part only it had is gone).
    const Correction second = store.voidEvent(acme.id, batch[3].id, "test traffic", "ops@acme");
    CHECK(second.quantity_delta == num("-1"));
    CHECK(second.cost_delta == num("-0.0045"));
    CHECK(byType(store.totals(acme.id, march2024)).at("llm_call") == sums("1", 1, "0.00125"));
    CHECK(byPart(store.modelTotals(acme.id, march2024)) ==
          Sums{{"input", sums("500", 1, "0.00125")}, {"requests", sums("1", 1, "0")}});
    const auto by_model = byValueAndType(store.dimensionTotals(acme.id, march2024, "model"));
    CHECK(by_model.at("openai/gpt-4o/llm_call") == sums("1", 1, "0.00125"));
    CHECK(byValueAndType(store.dimensionTotals(acme.id, march2024, "end_user")).count("u-1/llm_call") == 0);

    // The only event of its type and value: the type is absent from every read.
    store.voidEvent(acme.id, batch[2].id, "wrong tenant", "support: Zoë");
    CHECK(byType(store.totals(acme.id, march2024)) ==
          Sums{{"api_call", sums("3", 1, "0.03")}, {"llm_call", sums("1", 1, "0.00125")}});
    CHECK(byValueAndType(store.dimensionTotals(acme.id, march2024, "end_user")) ==
          Sums{{"u-1/api_call", sums("3", 1, "0.03")}});
    for (const auto& day : store.daily(acme.id, march2024)) CHECK(day.total.type != EventType::voiceMinute());

    // Refusals: a second void, an amendment of a voided event, unknown ids, bad text.
    CHECK(errorField([&] { store.voidEvent(acme.id, batch[1].id, "again", "ops"); }) == "event");
    CHECK(errorField([&] { store.amendQuantity(acme.id, batch[1].id, num("1"), "again", "ops"); }) == "event");
    CHECK_THROWS_AS(store.voidEvent(acme.id, EventId::generate(), "r", "a"), NotFoundError);
    CHECK_THROWS_AS(store.voidEvent(BusinessId(Uuid::generateV7()), batch[0].id, "r", "a"), NotFoundError);
    CHECK(errorField([&] { store.voidEvent(acme.id, batch[0].id, "", "ops"); }) == "reason");
    CHECK(errorField([&] { store.voidEvent(acme.id, batch[0].id, "r", ""); }) == "actor");
    CHECK(errorField([&] { store.voidEvent(acme.id, batch[0].id, "bad \xff", "ops"); }) == "reason");
    CHECK(errorField([&] { store.voidEvent(acme.id, batch[0].id, "r", std::string(1025, 'a')); }) == "actor");
    CHECK(byType(store.totals(acme.id, march2024)).at("api_call") == sums("3", 1, "0.03"));

    // The voided events are still stored, and appending them again is still a duplicate.
    CHECK(fixture.metadataJson(acme.id, batch[1].id).has_value());
    const AppendResult again = store.append(batch);
    CHECK(again.duplicates == 5);
    CHECK(again.stored == 0);
    CHECK(byType(store.totals(acme.id, march2024)) ==
          Sums{{"api_call", sums("3", 1, "0.03")}, {"llm_call", sums("1", 1, "0.00125")}});

    // The audit read: every correction of the period, with its reason and actor.
    const auto listed = store.listCorrections(acme.id, march2024);
    REQUIRE(listed.size() == 3);
    std::map<EventId, Correction> by_event;
    for (const Correction& c : listed) by_event.emplace(c.event, c);
    CHECK(by_event.at(batch[1].id) == first);
    CHECK(by_event.at(batch[3].id) == second);
    CHECK(by_event.at(batch[2].id).reason == "wrong tenant");
    CHECK(by_event.at(batch[2].id).actor == "support: Zoë");
    CHECK(store.listCorrections(acme.id, april2024).empty());

    if constexpr (requires { fixture.sql(std::string()); }) {
        CHECK_THROWS(fixture.sql("UPDATE metered_corrections SET reason = 'x'"));
        CHECK_THROWS(fixture.sql("DELETE FROM metered_corrections"));
    }
}

TEMPLATE_TEST_CASE("an amendment moves quantity and list cost by the exact difference", "[store][corrections]",
                   STORE_FIXTURES) {
    TestType fixture;
    UsageStore& store = *fixture.store;
    const Account acme = account("Acme Pizza");
    store.saveAccount(acme);
    const UsageEvent voice =
        withDimensions(event(acme.id, EventType::voiceMinute(), "10", march5_noon), {{"end_user", "u-1"}});
    const UsageEvent call = llmCall(acme.id, {{UsagePart::input, "10", "0.000025"}, {UsagePart::requests, "1", "0"}});
    REQUIRE(store.append(std::vector{voice, call, event(acme.id, EventType::voiceMinute(), "1", march5_noon)}).stored ==
            3);

    // 10 -> 12.5 minutes at $0.02: +2.5 and +$0.05.
    const Correction up = store.amendQuantity(acme.id, voice.id, num("12.5"), "meter fixed", "billing-bot");
    CHECK(up.kind == CorrectionKind::amend_quantity);
    CHECK(up.new_quantity == num("12.5"));
    CHECK(up.quantity_delta == num("2.5"));
    CHECK(up.cost_delta == num("0.05"));
    CHECK(up.events_delta == 0);
    CHECK(byType(store.totals(acme.id, march2024)).at("voice_minute") == sums("13.5", 2, "0.27"));
    CHECK(byValueAndType(store.dimensionTotals(acme.id, march2024, "end_user")).at("u-1/voice_minute") ==
          sums("12.5", 1, "0.25"));

    // Then 12.5 -> 4: from the quantity it counts with now.
    const Correction down = store.amendQuantity(acme.id, voice.id, num("4"), "meter fixed again", "billing-bot");
    CHECK(down.sequence == 2);
    CHECK(down.quantity_delta == num("-8.5"));
    CHECK(down.cost_delta == num("-0.17"));
    CHECK(byType(store.totals(acme.id, march2024)).at("voice_minute") == sums("5", 2, "0.10"));

    // Refusals: a rate-card event, quantities a record call refuses.
    CHECK(errorField([&] { store.amendQuantity(acme.id, call.id, num("2"), "r", "a"); }) == "event");
    CHECK(errorField([&] { store.amendQuantity(acme.id, voice.id, num("-1"), "r", "a"); }) == "quantity");
    CHECK(errorField([&] { store.amendQuantity(acme.id, voice.id, num("0.0000000001"), "r", "a"); }) == "quantity");
    CHECK(errorField([&] { store.amendQuantity(acme.id, voice.id, num("1000000000001"), "r", "a"); }) == "quantity");
    CHECK_THROWS_AS(store.amendQuantity(acme.id, EventId::generate(), num("1"), "r", "a"), NotFoundError);
    CHECK(byType(store.totals(acme.id, march2024)).at("voice_minute") == sums("5", 2, "0.10"));

    // A void after amendments takes out what the event counts with now.
    const Correction gone = store.voidEvent(acme.id, voice.id, "not ours", "ops");
    CHECK(gone.sequence == 3);
    CHECK(gone.quantity_delta == num("-4"));
    CHECK(gone.cost_delta == num("-0.08"));
    CHECK(byType(store.totals(acme.id, march2024)).at("voice_minute") == sums("1", 1, "0.02"));
    CHECK(store.dimensionTotals(acme.id, march2024, "end_user").empty());

    // Appending the original again (quantity 10) is a duplicate, not a conflict.
    const AppendResult again = store.append(std::vector{voice});
    CHECK(again.duplicates == 1);
    CHECK(again.rejected.empty());

    const auto listed = store.listCorrections(acme.id, march2024);
    REQUIRE(listed.size() == 3);
    std::vector<int> sequences;
    for (const Correction& c : listed) sequences.push_back(c.sequence);
    CHECK(sequences == std::vector<int>{1, 2, 3});
    CHECK(listed[0].reason == "meter fixed");
    CHECK(listed[0].actor == "billing-bot");

    // Metadata: kept with the correction, no rollup moves; a rate-card call may have it.
    Metadata session;
    session.set("session_id", "s-42").set("tokens", 12).set("note", "Grüße \"quoted\"");
    const Correction noted = store.amendMetadata(acme.id, call.id, session, "wrong session", "support");
    CHECK(noted.kind == CorrectionKind::amend_metadata);
    CHECK(noted.new_metadata == session);
    CHECK_FALSE(noted.new_quantity.has_value());
    CHECK(noted.quantity_delta == Decimal(0));
    CHECK(noted.cost_delta == Decimal(0));
    CHECK(noted.events_delta == 0);
    CHECK(byType(store.totals(acme.id, march2024)).at("llm_call") == sums("1", 1, "0.000025"));
    CHECK(errorField([&] { store.amendMetadata(acme.id, voice.id, session, "r", "a"); }) == "event");
    const auto all = store.listCorrections(acme.id, march2024);
    REQUIRE(all.size() == 4);
    CHECK(all[3].event == call.id);
    CHECK(all[3].new_metadata.has_value());
    CHECK(all[3].new_metadata->toJson() == session.toJson());
}

TEMPLATE_TEST_CASE("a backfill stores its event and a correction, and every rollup grows by exactly the event",
                   "[store][corrections][backfill]", STORE_FIXTURES) {
    TestType fixture;
    UsageStore& store = *fixture.store;
    const Account acme = account("Acme Pizza");
    store.saveAccount(acme);
    using P = UsagePart;
    REQUIRE(store
                .append(std::vector{
                    withDimensions(event(acme.id, EventType::apiCall(), "3", march5_noon), {{"end_user", "u-1"}})})
                .stored == 1);

    // An api call with a dimension value: the day, the totals and the value grow by it.
    const UsageEvent late =
        withDimensions(event(acme.id, EventType::apiCall(), "2", march5_noon + hours(30)), {{"end_user", "u-1"}});
    const AppendResult stored = store.backfill(late, "meter outage in March", "ops@acme");
    CHECK(stored.stored == 1);
    CHECK(stored.duplicates == 0);
    CHECK(stored.rejected.empty());
    CHECK(fixture.metadataJson(acme.id, late.id).has_value());
    CHECK(byType(store.totals(acme.id, march2024)) == Sums{{"api_call", sums("5", 2, "0.05")}});
    const auto days = store.daily(acme.id, march2024);
    REQUIRE(days.size() == 2);
    CHECK(days[1].day == date::local_days(2024_y / 3 / 6));
    CHECK(days[1].total.quantity == num("2"));
    CHECK(days[1].total.events == 1);
    CHECK(byValueAndType(store.dimensionTotals(acme.id, march2024, "end_user")) ==
          Sums{{"u-1/api_call", sums("5", 2, "0.05")}});

    // A rate-card call: its parts go into the model rollups as an append puts them.
    const UsageEvent call = llmCall(acme.id, {{P::input, "1000", "0.0025"}, {P::requests, "1", "0"}});
    REQUIRE(store.backfill(call, "imported from the gateway's log", "billing-bot").stored == 1);
    CHECK(byType(store.totals(acme.id, march2024)).at("llm_call") == sums("1", 1, "0.0025"));
    CHECK(byPart(store.modelTotals(acme.id, march2024)) ==
          Sums{{"input", sums("1000", 1, "0.0025")}, {"requests", sums("1", 1, "0")}});
    CHECK(byValueAndType(store.dimensionTotals(acme.id, march2024, "model")).at("openai/gpt-4o/llm_call") ==
          sums("1", 1, "0.0025"));

    // The audit read: each backfill is its event's correction sequence 1.
    const auto listed = store.listCorrections(acme.id, march2024);
    REQUIRE(listed.size() == 2);
    std::map<EventId, Correction> by_event;
    for (const Correction& c : listed) by_event.emplace(c.event, c);
    const Correction& first = by_event.at(late.id);
    CHECK(first.business == acme.id);
    CHECK(first.sequence == 1);
    CHECK(first.kind == CorrectionKind::backfill);
    CHECK(toString(first.kind) == "backfill");
    CHECK(first.type == EventType::apiCall());
    CHECK(first.day == date::local_days(2024_y / 3 / 6));
    CHECK(first.new_quantity == num("2"));
    CHECK_FALSE(first.new_metadata.has_value());
    CHECK(first.quantity_delta == num("2"));
    CHECK(first.cost_delta == num("0.02"));
    CHECK(first.events_delta == 1);
    CHECK(first.reason == "meter outage in March");
    CHECK(first.actor == "ops@acme");
    CHECK(by_event.at(call.id).cost_delta == num("0.0025"));
    CHECK(by_event.at(call.id).type == EventType::llmCall());

    // Again, by backfill or by append: a duplicate, nothing added, no second correction.
    const AppendResult again = store.backfill(late, "again", "ops");
    CHECK(again.stored == 0);
    CHECK(again.duplicates == 1);
    CHECK(store.append(std::vector{late}).duplicates == 1);
    CHECK(store.listCorrections(acme.id, march2024).size() == 2);
    CHECK(byType(store.totals(acme.id, march2024)).at("api_call") == sums("5", 2, "0.05"));

    // Refusals store nothing: bad reason or actor (checked first), an unknown business, an
    // idempotency conflict, an invalid event.
    const UsageEvent refused = event(acme.id, EventType::apiCall(), "7", march5_noon);
    CHECK(errorField([&] { store.backfill(refused, "", "ops"); }) == "reason");
    CHECK(errorField([&] { store.backfill(refused, "r", ""); }) == "actor");
    CHECK(errorField([&] { store.backfill(refused, "bad \xff", "ops"); }) == "reason");
    CHECK(errorField([&] { store.backfill(refused, "r", std::string(1025, 'a')); }) == "actor");
    CHECK(errorField([&] {
              store.backfill(event(BusinessId(Uuid::generateV7()), EventType::apiCall(), "1", march5_noon), "", "ops");
          }) == "reason");
    CHECK_FALSE(fixture.metadataJson(acme.id, refused.id).has_value());
    const AppendResult stranger =
        store.backfill(event(BusinessId(Uuid::generateV7()), EventType::apiCall(), "1", march5_noon), "r", "a");
    REQUIRE(stranger.rejected.size() == 1);
    CHECK(stranger.rejected[0].kind == RejectionKind::unknown_business);
    CHECK(stranger.stored == 0);
    UsageEvent conflicting = event(acme.id, EventType::apiCall(), "9", march5_noon);
    conflicting.id = late.id;
    const AppendResult conflict = store.backfill(conflicting, "r", "a");
    REQUIRE(conflict.rejected.size() == 1);
    CHECK(conflict.rejected[0].kind == RejectionKind::idempotency_conflict);
    UsageEvent invalid = event(acme.id, EventType::apiCall(), "1", march5_noon);
    invalid.quantity = num("-1");
    const AppendResult bad = store.backfill(invalid, "r", "a");
    REQUIRE(bad.rejected.size() == 1);
    CHECK(bad.rejected[0].kind == RejectionKind::invalid);
    CHECK(store.listCorrections(acme.id, march2024).size() == 2);
    CHECK(byType(store.totals(acme.id, march2024)) ==
          Sums{{"api_call", sums("5", 2, "0.05")}, {"llm_call", sums("1", 1, "0.0025")}});

    // A backfilled event is corrected like any other, from the quantity it was stored with.
    const Correction gone = store.voidEvent(acme.id, late.id, "not ours after all", "ops");
    CHECK(gone.sequence == 2);
    CHECK(gone.quantity_delta == num("-2"));
    CHECK(gone.cost_delta == num("-0.02"));
    CHECK(gone.events_delta == -1);
    CHECK(byType(store.totals(acme.id, march2024)).at("api_call") == sums("3", 1, "0.03"));
    CHECK(byValueAndType(store.dimensionTotals(acme.id, march2024, "end_user")) ==
          Sums{{"u-1/api_call", sums("3", 1, "0.03")}});
    CHECK(errorField([&] { store.voidEvent(acme.id, late.id, "again", "ops"); }) == "event");
    const Correction call_gone = store.voidEvent(acme.id, call.id, "test traffic", "ops");
    CHECK(call_gone.sequence == 2);
    CHECK(call_gone.quantity_delta == num("-1"));
    CHECK(call_gone.cost_delta == num("-0.0025"));
    CHECK(store.modelTotals(acme.id, march2024).empty());
    const UsageEvent voice = event(acme.id, EventType::voiceMinute(), "10", march5_noon);
    REQUIRE(store.backfill(voice, "call recordings found", "ops").stored == 1);
    const Correction up = store.amendQuantity(acme.id, voice.id, num("12.5"), "meter fixed", "ops");
    CHECK(up.sequence == 2);
    CHECK(up.quantity_delta == num("2.5"));
    CHECK(up.cost_delta == num("0.05"));
    CHECK(byType(store.totals(acme.id, march2024)) ==
          Sums{{"api_call", sums("3", 1, "0.03")}, {"voice_minute", sums("12.5", 1, "0.25")}});

    const auto all = store.listCorrections(acme.id, march2024);
    CHECK(all.size() == 6);
    std::map<CorrectionKind, int> kinds;
    for (const Correction& c : all) ++kinds[c.kind];
    CHECK(kinds == std::map<CorrectionKind, int>{{CorrectionKind::void_event, 2},
                                                 {CorrectionKind::amend_quantity, 1},
                                                 {CorrectionKind::backfill, 3}});
    CHECK(store.listCorrections(acme.id, april2024).empty());
}

TEST_CASE("a void changes the live bill, never a closed statement", "[corrections]") {
    auto store = std::make_shared<MemoryStore>();
    FixedClock clock;
    *clock.now = at(2024_y / 12 / 5, hours(12));
    const Account acme = account("Acme Pizza");
    store->saveAccount(acme);
    // 85.5 voice minutes in November: 25.5 above the 60 included, at $0.02: $0.51.
    const std::vector<UsageEvent> november = {
        event(acme.id, EventType::voiceMinute(), "75.5", at(2024_y / 11 / 3, hours(9))),
        event(acme.id, EventType::voiceMinute(), "10", at(2024_y / 11 / 28, hours(18))),
    };
    store->append(november);
    const UsageReports reports(store, PriceBook({Plan::basic()}, "basic"), clock);
    const Statement closed = reports.closeStatement(acme.id, PeriodSpec::previousCycle());
    CHECK(closed.total == num("0.51"));

    store->voidEvent(acme.id, november[1].id, "duplicate", "ops");
    CHECK(reports.getBillingUsage(acme.id, PeriodSpec::previousCycle()).bill.total == num("0.31"));
    CHECK(reports.getStatement(acme.id, PeriodSpec::previousCycle()) == closed);
}

// The sum of every statement's amount due: what the business has been told it owes.
Decimal statedSoFar(const UsageReports& reports, const BusinessId& business) {
    Decimal sum;
    for (const Statement& statement : reports.listStatements(business)) sum += statement.amountDue();
    return sum;
}

TEMPLATE_TEST_CASE("a correction of a closed cycle is billed once, as an adjustment on the next statement",
                   "[store][corrections][statements]", STORE_FIXTURES) {
    TestType fixture;
    FixedClock clock;
    *clock.now = at(2024_y / 12 / 5, hours(12));
    const Account acme = account("Acme Pizza");
    fixture.store->saveAccount(acme);
    const DayRange october{date::local_days(2024_y / 10 / 1), date::local_days(2024_y / 11 / 1)};
    const DayRange november{october.end, date::local_days(2024_y / 12 / 1)};
    // Voice minutes, 60 included, then $0.02: October 85.5 ($0.51), November 70 ($0.20).
    const std::vector<UsageEvent> events = {
        event(acme.id, EventType::voiceMinute(), "75.5", at(2024_y / 10 / 3, hours(9))),
        event(acme.id, EventType::voiceMinute(), "10", at(2024_y / 10 / 28, hours(18))),
        event(acme.id, EventType::voiceMinute(), "70", at(2024_y / 11 / 3, hours(9))),
    };
    fixture.store->append(events);
    const UsageReports reports(fixture.store, PriceBook({Plan::basic()}, "basic"), clock);
    const Statement closed_october =
        reports.closeStatement(acme.id, PeriodSpec::custom(2024_y / 10 / 1, 2024_y / 11 / 1));
    CHECK(closed_october.total == num("0.51"));
    CHECK(closed_october.adjustments.empty());

    // October's second call was a duplicate; a late October event (within the window) arrives.
    fixture.store->voidEvent(acme.id, events[1].id, "duplicate", "ops");
    fixture.store->append(std::vector{event(acme.id, EventType::voiceMinute(), "4", at(2024_y / 10 / 30, hours(8)))});
    // October now: 79.5 minutes, $0.39: a credit of $0.12 on November's statement.
    const Statement closed_november = reports.closeStatement(acme.id, PeriodSpec::previousCycle());
    CHECK(closed_november.total == num("0.20"));
    REQUIRE(closed_november.adjustments == std::vector<StatementAdjustment>{{october, num("-0.12")}});
    CHECK(closed_november.amountDue() == num("0.08"));
    CHECK(reports.getStatement(acme.id, PeriodSpec::custom(2024_y / 10 / 1, 2024_y / 11 / 1)) == closed_october);
    CHECK(reports.getStatement(acme.id, PeriodSpec::previousCycle()) == closed_november);
    const auto json = nlohmann::json::parse(to_json(closed_november));
    CHECK(json["adjustments"] ==
          nlohmann::json::parse(R"([{"cycle": {"from": "2024-10-01", "to": "2024-11-01"}, "amount": -0.12}])"));
    CHECK(json["amountDue"].dump() == "0.08");

    // Corrected again in December: the next statement carries only what is new, for each cycle.
    *clock.now = at(2025_y / 1 / 6, hours(12));
    fixture.store->amendQuantity(acme.id, events[2].id, num("80"), "meter fixed", "ops");    // November: $0.40
    fixture.store->amendQuantity(acme.id, events[0].id, num("85.5"), "meter fixed", "ops");  // October: $0.59
    fixture.store->append(std::vector{event(acme.id, EventType::voiceMinute(), "1", at(2024_y / 12 / 9, hours(8)))});
    const Statement closed_december = reports.closeStatement(acme.id, PeriodSpec::previousCycle());
    CHECK(closed_december.total == num("0"));
    CHECK(closed_december.adjustments ==
          std::vector<StatementAdjustment>{{october, num("0.20")}, {november, num("0.20")}});
    // Told so far: each closed cycle's bill as priced now, every correction once.
    CHECK(statedSoFar(reports, acme.id) == num("0.59") + num("0.40") + num("0"));

    // Closing again changes nothing, and the stored statements are as closed.
    CHECK(reports.closeStatement(acme.id, PeriodSpec::previousCycle()) == closed_december);
    CHECK(reports.listStatements(acme.id) == std::vector<Statement>{closed_october, closed_november, closed_december});

    // A price change reaches no closed cycle: each is adjusted with the plan its statement kept.
    Plan dearer = Plan::basic();
    dearer.meter(EventType::voiceMinute())->unit_price = num("0.05");
    const UsageReports repriced(fixture.store, PriceBook({dearer}, "basic"), clock);
    *clock.now = at(2025_y / 2 / 6, hours(12));
    fixture.store->voidEvent(acme.id, events[2].id, "duplicate", "ops");  // November: 0 minutes, $0
    const Statement closed_january = repriced.closeStatement(acme.id, PeriodSpec::previousCycle());
    CHECK(closed_january.total == num("0"));
    CHECK(closed_january.adjustments == std::vector<StatementAdjustment>{{november, num("-0.40")}});
    CHECK(statedSoFar(reports, acme.id) == num("0.59"));
}

TEST_CASE("a store that keeps no corrections refuses them", "[corrections]") {
    UnreliableStore store;  // implements none of them: the UsageStore defaults
    const BusinessId business(Uuid::generateV7());
    CHECK_THROWS_AS(store.voidEvent(business, EventId::generate(), "r", "a"), StoreError);
    CHECK_THROWS_AS(store.amendQuantity(business, EventId::generate(), num("1"), "r", "a"), StoreError);
    CHECK_THROWS_AS(store.backfill(event(business, EventType::apiCall(), "1", march5_noon), "r", "a"), StoreError);
    CHECK_THROWS_AS(store.listCorrections(business, march2024), StoreError);
}

#if defined(METERED_HAVE_SQLITE) || defined(METERED_HAVE_POSTGRES)
namespace {

// Two processes void the same event at once: exactly one correction is stored, the other
// process is refused ("event"), and the rollup loses the event once.
template <class Fixture, class Open>
void voidFromTwoProcesses(Fixture& fixture, Open open) {
    const Account acme = account("Acme Pizza");
    fixture.store->saveAccount(acme);
    const std::vector<UsageEvent> events = {event(acme.id, EventType::apiCall(), "2", march5_noon),
                                            event(acme.id, EventType::apiCall(), "3", march5_noon)};
    fixture.store->append(events);
    const TempDir dir;
    const auto failures = inChildProcesses(2, [&](int i) {
        const auto store = open();
        std::string outcome = "voided";
        try {
            store->voidEvent(acme.id, events[0].id, "duplicate " + std::to_string(i), "process " + std::to_string(i));
        } catch (const ValidationError& e) {
            if (e.field() != "event") throw;
            outcome = "refused";
        }
        std::ofstream(dir.path / std::to_string(i)) << outcome;
    });
    REQUIRE(failures.empty());
    std::multiset<std::string> outcomes;
    for (int i = 0; i < 2; ++i) {
        std::ifstream in(dir.path / std::to_string(i));
        std::string outcome;
        in >> outcome;
        outcomes.insert(outcome);
    }
    CHECK(outcomes == std::multiset<std::string>{"refused", "voided"});
    CHECK(fixture.store->listCorrections(acme.id, march2024).size() == 1);
    CHECK(byType(fixture.store->totals(acme.id, march2024)) == Sums{{"api_call", sums("3", 1, "0.03")}});
}

}  // namespace
#endif

#ifdef METERED_HAVE_SQLITE
TEST_CASE("two processes voiding one event of an SQLite file store one correction", "[corrections][sqlite]") {
    SqliteFixture fixture;
    voidFromTwoProcesses(fixture, [&] { return std::make_shared<SqliteStore>(SqliteOptions{.path = fixture.path}); });
}
#endif

#ifdef METERED_HAVE_POSTGRES
TEST_CASE("two processes voiding one event in PostgreSQL store one correction", "[corrections][postgres]") {
    PostgresFixture fixture;
    voidFromTwoProcesses(
        fixture, [&] { return std::make_shared<PostgresStore>(PostgresOptions{.conninfo = fixture.conninfo}); });
}
#endif
