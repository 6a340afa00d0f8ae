// SPDX-License-Identifier: MIT
// The UsageStore contract, run against every backend.
#include <catch2/catch.hpp>

#include <date/tz.h>
#include <nlohmann/json.hpp>
#include <map>
#include <thread>

#include "metered/errors.h"
#include "store_fixtures.h"
#include "test_support.h"

using namespace metered;
using namespace metered::testing;
using namespace date::literals;
using std::chrono::hours;
using std::chrono::minutes;

namespace {

Decimal totalOf(const std::vector<UsageTotal>& totals, const EventType& type) {
    for (const auto& t : totals) {
        if (t.type == type) return t.quantity;
    }
    return Decimal();
}

}  // namespace

TEMPLATE_TEST_CASE("a store is migrated with the basic plan and keeps accounts and plans", "[store]", STORE_FIXTURES) {
    TestType fixture;
    auto& store = *fixture.store;
    store.migrate();  // idempotent
    const auto plans = store.loadPlans();
    REQUIRE(plans.size() == 1);
    CHECK(plans[0] == Plan::basic());

    Plan pro = Plan::basic();
    pro.id = "pro";
    pro.name = "Pro";
    pro.meter(EventType::apiCall())->included = num("50000");
    pro.meter(EventType::aiQuery())->model = PricingModel::graduated;
    pro.meter(EventType::aiQuery())->tiers = {Tier{num("1000"), num("0.05"), num("0")},
                                              Tier{std::nullopt, num("0.04"), num("2.5")}};
    pro.meter(EventType::voiceMinute())->quota = Quota{num("1000.5"), true};
    store.savePlan(pro);
    store.savePlan(pro);
    const auto reloaded = store.loadPlans();
    REQUIRE(reloaded.size() == 2);
    CHECK(std::find(reloaded.begin(), reloaded.end(), pro) != reloaded.end());

    // How a plan bills rate-card usage is kept exactly; a plan without it stays without.
    Plan ai = Plan::basic();
    ai.id = "ai";
    ai.ai->markup_percent = num("12.5");
    ai.ai->included_amount = num("5.00");
    ModelPricing claude;
    claude.model = "anthropic/claude-sonnet-4";
    claude.markup_percent = num("10");
    claude.price(UsagePart::input) = num("0.0000035");
    claude.price(UsagePart::requests) = num("0.01");
    ai.ai->models = {claude, ModelPricing{"openai/gpt-4o", std::nullopt, {}}};
    Plan no_ai = Plan::basic();
    no_ai.id = "no_ai";
    no_ai.ai.reset();
    store.savePlan(ai);
    store.savePlan(no_ai);
    const auto with_ai = store.loadPlans();
    REQUIRE(with_ai.size() == 4);
    CHECK(std::find(with_ai.begin(), with_ai.end(), ai) != with_ai.end());
    CHECK(std::find(with_ai.begin(), with_ai.end(), no_ai) != with_ai.end());
    ai.ai->included_amount = num("0");
    store.savePlan(ai);  // replaced
    const auto replaced = store.loadPlans();
    CHECK(std::find(replaced.begin(), replaced.end(), ai) != replaced.end());

    const auto acme = account("Acme Pizza", "America/New_York", "pro", 15);
    const auto bistro = account("Bistro", "Asia/Kolkata");
    store.saveAccount(bistro);
    store.saveAccount(acme);
    CHECK(store.findAccount(acme.id) == acme);
    CHECK_FALSE(store.findAccount(BusinessId(Uuid::generateV7())).has_value());
    auto renamed = acme;
    renamed.name = "Acme Pizza & Pasta";
    store.saveAccount(renamed);
    const auto all = store.listAccounts();
    REQUIRE(all.size() == 2);
    CHECK(all[0] == renamed);
    CHECK(all[1] == bistro);

    auto bad = acme;
    bad.time_zone = "Not/AZone";
    CHECK_THROWS_AS(store.saveAccount(bad), ValidationError);
    Plan broken = pro;
    broken.meter(EventType::apiCall())->unit_price = num("-1");
    CHECK_THROWS_AS(store.savePlan(broken), ValidationError);
}

TEMPLATE_TEST_CASE("appending is idempotent per event id", "[store]", STORE_FIXTURES) {
    TestType fixture;
    auto& store = *fixture.store;
    const auto biz = account("Acme");
    store.saveAccount(biz);
    const auto when = at(2024_y / 3 / 5, hours(12));
    std::vector<UsageEvent> batch = {event(biz.id, EventType::apiCall(), "1", when),
                                     event(biz.id, EventType::voiceMinute(), "2.5", when),
                                     event(biz.id, EventType::storageMb(), "0.001", when)};
    auto first = store.append(batch);
    CHECK(first.stored == 3);
    CHECK(first.duplicates == 0);
    auto again = store.append(batch);
    CHECK(again.stored == 0);
    CHECK(again.duplicates == 3);

    // A repeat inside one batch counts once too.
    auto repeat = event(biz.id, EventType::apiCall(), "1", when);
    std::vector<UsageEvent> twice = {repeat, repeat};
    auto inner = store.append(twice);
    CHECK(inner.stored == 1);
    CHECK(inner.duplicates == 1);

    const auto totals = store.totals(biz.id, march2024);
    CHECK(totalOf(totals, EventType::apiCall()) == num("2"));
    CHECK(totalOf(totals, EventType::voiceMinute()) == num("2.5"));
    CHECK(totalOf(totals, EventType::storageMb()) == num("0.001"));
    for (const auto& t : totals) {
        if (t.type == EventType::apiCall()) {
            CHECK(t.events == 2);
            CHECK(t.list_cost == num("0.02"));
        }
    }
}

TEMPLATE_TEST_CASE("a large batch is counted exactly whether all new, half repeated or with a conflict", "[store]",
                   STORE_FIXTURES) {
    // Large enough for PostgreSQL's bulk way (COPY); a repeat sends it the careful way.
    // Both must give what the memory store gives, day by local day.
    TestType fixture;
    auto& store = *fixture.store;
    const auto ny = account("New York", "America/New_York");
    const auto lhi = account("Lord Howe", "Australia/Lord_Howe");
    store.saveAccount(ny);
    store.saveAccount(lhi);
    std::vector<UsageEvent> first;
    std::map<std::pair<BusinessId, date::local_days>, std::int64_t> expected;  // events per local day
    for (int i = 0; i < 200; ++i) {
        const auto& business = i % 2 == 0 ? ny : lhi;
        const auto when = at(2024_y / 3 / 9, minutes(17 * i));  // across two days and NY's DST change
        first.push_back(event(business.id, i % 3 == 0 ? EventType::voiceMinute() : EventType::apiCall(),
                              i % 3 == 0 ? "0.25" : "1", when));
        const auto day = date::floor<date::days>(date::locate_zone(business.time_zone)->to_local(when));
        ++expected[{business.id, day}];
    }
    const auto all = store.append(first);
    CHECK(all.stored == 200);
    CHECK(all.duplicates == 0);
    CHECK(all.rejected.empty());

    std::vector<UsageEvent> second(first.begin(), first.begin() + 100);
    for (int i = 0; i < 100; ++i) second.push_back(event(ny.id, EventType::apiCall(), "1", at(2024_y / 3 / 12)));
    const auto half = store.append(second);
    CHECK(half.stored == 100);
    CHECK(half.duplicates == 100);
    CHECK(half.rejected.empty());
    expected[{ny.id, date::local_days(2024_y / 3 / 11)}] += 100;  // 00:00 UTC is 20:00 EDT the day before

    std::vector<UsageEvent> third = first;
    third[7].quantity = num("2");
    third[7].list_cost = third[7].quantity * third[7].unit_price;
    const auto conflict = store.append(third);
    CHECK(conflict.stored == 0);
    CHECK(conflict.duplicates == 199);
    REQUIRE(conflict.rejected.size() == 1);
    CHECK(conflict.rejected[0].index == 7);
    CHECK(conflict.rejected[0].kind == RejectionKind::idempotency_conflict);

    std::map<std::pair<BusinessId, date::local_days>, std::int64_t> stored;
    for (const auto& business : {ny, lhi}) {
        for (const auto& day : store.daily(business.id, march2024)) stored[{business.id, day.day}] += day.total.events;
    }
    CHECK(stored == expected);
    const auto totals = store.totals(ny.id, march2024);
    CHECK(totalOf(totals, EventType::apiCall()) == num("166"));      // 66 + 100
    CHECK(totalOf(totals, EventType::voiceMinute()) == num("8.5"));  // 34 × 0.25
}

TEMPLATE_TEST_CASE("a poison event is rejected with its reason and the rest of the batch is stored", "[store]",
                   STORE_FIXTURES) {
    TestType fixture;
    auto& store = *fixture.store;
    const auto biz = account("Acme");
    store.saveAccount(biz);
    const auto when = at(2024_y / 3 / 5, hours(12));
    const BusinessId stranger(Uuid::generateV7());
    auto negative = event(biz.id, EventType::voiceMinute(), "1", when);
    negative.quantity = num("-1");
    negative.list_cost = negative.quantity * negative.unit_price;
    std::vector<UsageEvent> batch = {event(biz.id, EventType::apiCall(), "1", when),
                                     event(stranger, EventType::apiCall(), "1", when), negative,
                                     event(biz.id, EventType::apiCall(), "1", when)};
    const auto result = store.append(batch);
    CHECK(result.stored == 2);
    REQUIRE(result.rejected.size() == 2);
    CHECK(result.rejected[0].index == 1);
    CHECK(result.rejected[0].id == batch[1].id);
    CHECK(result.rejected[0].reason.find("unknown business") != std::string::npos);
    CHECK(result.rejected[1].index == 2);
    CHECK(result.rejected[1].reason.find("negative") != std::string::npos);
    CHECK(totalOf(store.totals(biz.id, march2024), EventType::apiCall()) == num("2"));
    CHECK(store.totals(stranger, march2024).empty());
}

TEMPLATE_TEST_CASE("usage is bucketed into the business's local days", "[store]", STORE_FIXTURES) {
    TestType fixture;
    auto& store = *fixture.store;
    const auto ny = account("New York", "America/New_York");
    const auto lhi = account("Lord Howe", "Australia/Lord_Howe");
    store.saveAccount(ny);
    store.saveAccount(lhi);
    std::vector<UsageEvent> batch = {
        // 04:30 UTC on March 10th is 23:30 on March 9th in New York (EST, before the change).
        event(ny.id, EventType::apiCall(), "1", at(2024_y / 3 / 10, hours(4) + minutes(30))),
        // 07:30 UTC is 03:30 EDT on March 10th, after the change.
        event(ny.id, EventType::apiCall(), "1", at(2024_y / 3 / 10, hours(7) + minutes(30))),
        event(ny.id, EventType::voiceMinute(), "0.5", at(2024_y / 3 / 10, hours(7) + minutes(30))),
        // 13:15 UTC on April 6th is 00:15 on April 7th at Lord Howe (+11).
        event(lhi.id, EventType::aiQuery(), "1", at(2024_y / 4 / 6, hours(13) + minutes(15))),
        // 13:15 UTC on April 7th is 23:45 on April 7th (+10:30 after DST ended).
        event(lhi.id, EventType::aiQuery(), "1", at(2024_y / 4 / 7, hours(13) + minutes(15))),
    };
    REQUIRE(store.append(batch).stored == 5);

    const auto days = store.daily(ny.id, march2024);
    REQUIRE(days.size() == 3);
    CHECK(days[0].day == date::local_days(2024_y / 3 / 9));
    CHECK(days[0].total.type == EventType::apiCall());
    CHECK(days[1].day == date::local_days(2024_y / 3 / 10));
    CHECK(days[1].total.type == EventType::apiCall());
    CHECK(days[2].day == date::local_days(2024_y / 3 / 10));
    CHECK(days[2].total.type == EventType::voiceMinute());
    CHECK(days[2].total.quantity == num("0.5"));

    const auto lord_howe = store.daily(lhi.id, {date::local_days(2024_y / 4 / 1), date::local_days(2024_y / 5 / 1)});
    REQUIRE(lord_howe.size() == 1);
    CHECK(lord_howe[0].day == date::local_days(2024_y / 4 / 7));
    CHECK(lord_howe[0].total.quantity == num("2"));
    CHECK(lord_howe[0].total.events == 2);

    // Ranges are half-open: [first, end).
    CHECK(store.totals(ny.id, {date::local_days(2024_y / 3 / 9), date::local_days(2024_y / 3 / 10)}).size() == 1);
    CHECK(store.totals(ny.id, {date::local_days(2024_y / 3 / 11), date::local_days(2024_y / 3 / 31)}).empty());
}

TEMPLATE_TEST_CASE("metadata is stored verbatim, injection text included", "[store]", STORE_FIXTURES) {
    TestType fixture;
    auto& store = *fixture.store;
    const auto biz = account("Acme");
    store.saveAccount(biz);
    auto e = event(biz.id, EventType::apiCall(), "1", at(2024_y / 3 / 5));
    e.metadata.set("intent", "'; DROP TABLE usage_events; --").set("tokens", 12).set("sessionId", "s\"1\\");
    std::vector<UsageEvent> batch = {e};
    REQUIRE(store.append(batch).stored == 1);
    const auto stored = fixture.metadataJson(biz.id, e.id);
    REQUIRE(stored.has_value());
    CHECK(nlohmann::json::parse(*stored) == nlohmann::json::parse(e.metadata.toJson()));
    CHECK(stored->find("'; DROP TABLE usage_events; --") != std::string::npos);
}

TEMPLATE_TEST_CASE("concurrent appenders of overlapping batches end with exact totals", "[store]", STORE_FIXTURES) {
    TestType fixture;
    auto& store = *fixture.store;
    std::vector<Account> businesses = {account("A"), account("B"), account("C")};
    for (const auto& b : businesses) store.saveAccount(b);
    // 600 distinct events, each appended by two of four threads.
    std::vector<UsageEvent> events;
    for (int i = 0; i < 600; ++i) {
        events.push_back(event(businesses[i % 3].id, i % 2 ? EventType::apiCall() : EventType::voiceMinute(), "0.25",
                               at(date::sys_days(2024_y / 3 / 1) + date::days(i % 28), hours(12))));
    }
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            std::vector<UsageEvent> mine;
            for (std::size_t i = 0; i < events.size(); ++i) {
                if (static_cast<int>(i % 2) == t % 2) mine.push_back(events[i]);
            }
            if (t >= 2) std::reverse(mine.begin(), mine.end());
            for (std::size_t from = 0; from < mine.size(); from += 50) {
                store.append(
                    std::span<const UsageEvent>(mine).subspan(from, std::min<std::size_t>(50, mine.size() - from)));
            }
        });
    }
    for (auto& th : threads) th.join();
    Decimal sum;
    for (const auto& b : businesses) {
        for (const auto& total : store.totals(b.id, march2024)) sum += total.quantity;
    }
    CHECK(sum == num("150"));  // 600 × 0.25, each counted once
}

TEMPLATE_TEST_CASE("every store refuses the same events, first for the event itself, in the same words", "[store]",
                   STORE_FIXTURES) {
    TestType fixture;
    auto& store = *fixture.store;
    const auto biz = account("Acme");
    store.saveAccount(biz);
    const auto when = at(2024_y / 3 / 5, hours(12));
    const BusinessId stranger(Uuid::generateV7());
    auto with_quantity = [&](const char* quantity, const BusinessId& business) {
        auto e = event(business, EventType::storageMb(), "1", when);
        e.quantity = num(quantity);
        e.list_cost = e.quantity * e.unit_price;
        return e;
    };
    auto at_time = [&](Timestamp t) { return event(biz.id, EventType::apiCall(), "1", t); };
    std::vector<UsageEvent> batch = {
        with_quantity("1000000000000", biz.id),               // 0: the largest quantity: stored
        with_quantity("1000000000000.000000001", biz.id),     // 1: above it
        with_quantity("-1", stranger),                        // 2: negative AND unknown business: the event first
        with_quantity("1", stranger),                         // 3: unknown business
        at_time(Timestamp(date::sys_days(1_y / 1 / 1))),      // 4: year 1
        at_time(Timestamp(date::sys_days(20000_y / 1 / 1))),  // 5: year 20000
        at_time(Timestamp(date::sys_days(2000_y / 1 / 1))),   // 6: the first instant accepted
        at_time(Timestamp(date::sys_days(2200_y / 1 / 1)) - std::chrono::microseconds(1)),  // 7: the last
        at_time(Timestamp(date::sys_days(2200_y / 1 / 1))),                                 // 8: just past it
        at_time(Timestamp(date::sys_days(1999_y / 12 / 31))),                               // 9: just before
    };
    const auto result = store.append(batch);
    CHECK(result.stored == 3);
    std::map<std::size_t, std::pair<RejectionKind, std::string>> refused;
    for (const auto& r : result.rejected) refused[r.index] = {r.kind, r.reason};
    const std::map<std::size_t, std::pair<RejectionKind, std::string>> expected = {
        {1, {RejectionKind::invalid, "quantity above the limit of 1000000000000"}},
        {2, {RejectionKind::invalid, "negative quantity"}},
        {3, {RejectionKind::unknown_business, "unknown business " + stranger.toString()}},
        {4, {RejectionKind::invalid, "occurred_at outside 2000-01-01 to 2199-12-31 (UTC)"}},
        {5, {RejectionKind::invalid, "occurred_at outside 2000-01-01 to 2199-12-31 (UTC)"}},
        {8, {RejectionKind::invalid, "occurred_at outside 2000-01-01 to 2199-12-31 (UTC)"}},
        {9, {RejectionKind::invalid, "occurred_at outside 2000-01-01 to 2199-12-31 (UTC)"}},
    };
    CHECK(refused == expected);
    // The day texts of the extremes still read back as days.
    CHECK(store.daily(biz.id, {date::local_days(2000_y / 1 / 1), date::local_days(2000_y / 1 / 2)}).size() == 1);
    CHECK(store.daily(biz.id, {date::local_days(2199_y / 12 / 31), date::local_days(2200_y / 1 / 1)}).size() == 1);
}

TEMPLATE_TEST_CASE("a day's rollup is bounded: the event past the bound is refused alone, atomically", "[store]",
                   STORE_FIXTURES) {
    TestType fixture;
    auto& store = *fixture.store;
    const auto a = account("A");
    const auto b = account("B");
    store.saveAccount(a);
    store.saveAccount(b);
    const auto when = at(2024_y / 3 / 5, hours(12));
    // A's thousand API calls share a batch with B's 1001 storage events of 10^12 MB: the
    // last of those would take B's day past 10^15.
    std::vector<UsageEvent> batch;
    for (int i = 0; i < 1000; ++i) {
        batch.push_back(event(a.id, EventType::apiCall(), "1", when));
        batch.push_back(event(b.id, EventType::storageMb(), "1000000000000", when));
    }
    batch.push_back(event(b.id, EventType::storageMb(), "1000000000000", when));
    const auto result = store.append(batch);
    CHECK(result.stored == 2000);
    REQUIRE(result.rejected.size() == 1);
    CHECK(result.rejected[0].kind == RejectionKind::over_limit);
    CHECK(result.rejected[0].reason == "the day's storage_mb quantity would exceed 1000000000000000");
    CHECK(totalOf(store.totals(a.id, march2024), EventType::apiCall()) == num("1000"));
    CHECK(totalOf(store.totals(b.id, march2024), EventType::storageMb()) == num("1000000000000000"));
    // A small event on the full day is refused too; the next day has room; reads still work.
    std::vector<UsageEvent> more = {event(b.id, EventType::storageMb(), "0.001", when),
                                    event(b.id, EventType::storageMb(), "0.001", at(2024_y / 3 / 6))};
    const auto later = store.append(more);
    CHECK(later.stored == 1);
    REQUIRE(later.rejected.size() == 1);
    CHECK(later.rejected[0].index == 0);
    CHECK(totalOf(store.totals(b.id, march2024), EventType::storageMb()) == num("1000000000000000.001"));
}

TEMPLATE_TEST_CASE("an id stored with another type or quantity is an idempotency conflict, not a duplicate", "[store]",
                   STORE_FIXTURES) {
    TestType fixture;
    auto& store = *fixture.store;
    const auto biz = account("Acme");
    store.saveAccount(biz);
    const auto when = at(2024_y / 3 / 5, hours(12));
    const auto call = event(biz.id, EventType::apiCall(), "1", when);
    REQUIRE(store.append(std::vector<UsageEvent>{call}).stored == 1);

    auto retry = call;  // the same usage, retried later with other metadata: a duplicate
    retry.occurred_at += std::chrono::seconds(3);
    retry.metadata.set("attempt", 2);
    auto other_type = event(biz.id, EventType::aiQuery(), "1", when);
    other_type.id = call.id;
    auto other_quantity = event(biz.id, EventType::apiCall(), "2", when);
    other_quantity.id = call.id;
    auto same_value = event(biz.id, EventType::apiCall(), "1.000", when);  // equal by value
    same_value.id = call.id;
    const auto fresh = event(biz.id, EventType::voiceMinute(), "2", when);
    auto fresh_conflict = event(biz.id, EventType::voiceMinute(), "3", when);  // conflicts within the batch
    fresh_conflict.id = fresh.id;
    const auto result =
        store.append(std::vector<UsageEvent>{retry, other_type, other_quantity, same_value, fresh, fresh_conflict});
    CHECK(result.stored == 1);
    CHECK(result.duplicates == 2);
    REQUIRE(result.rejected.size() == 3);
    CHECK(result.rejected[0].index == 1);
    CHECK(result.rejected[1].index == 2);
    CHECK(result.rejected[2].index == 5);
    for (const auto& r : result.rejected) CHECK(r.kind == RejectionKind::idempotency_conflict);
    CHECK(result.rejected[0].reason ==
          "idempotency conflict: event " + call.id.toString() + " is stored as api_call x 1, not ai_query x 1");
    const auto totals = store.totals(biz.id, march2024);
    CHECK(totalOf(totals, EventType::apiCall()) == num("1"));
    CHECK(totalOf(totals, EventType::aiQuery()) == num("0"));
    CHECK(totalOf(totals, EventType::voiceMinute()) == num("2"));
}

TEMPLATE_TEST_CASE("a figure has the same digits whichever store it comes from", "[store]", STORE_FIXTURES) {
    TestType fixture;
    auto& store = *fixture.store;
    const auto biz = account("Acme");
    store.saveAccount(biz);
    const auto when = at(2024_y / 3 / 5, hours(12));
    std::vector<UsageEvent> batch = {event(biz.id, EventType::voiceMinute(), "1.5100", when),
                                     event(biz.id, EventType::voiceMinute(), "0.25", when)};
    REQUIRE(store.append(batch).stored == 2);
    const auto totals = store.totals(biz.id, march2024);
    REQUIRE(totals.size() == 1);
    CHECK(totals[0].quantity.toString() == "1.76");
    CHECK(totals[0].list_cost.toString() == "0.0352");
    const auto days = store.daily(biz.id, march2024);
    REQUIRE(days.size() == 1);
    CHECK(days[0].total.quantity.toString() == "1.76");
    CHECK(days[0].total.list_cost.toString() == "0.0352");
}

// Rate-card events: their model and parts, and the per-model rollups.

namespace {

using PartSpec = std::tuple<UsagePart, const char*, const char*>;  // part, quantity, cost

/// A rate-card event as the recorder makes one: quantity 1, its cost as unit price and
/// list cost, the sum of its parts' costs.
UsageEvent rateCardEvent(const BusinessId& business, EventType type, std::string model, Timestamp when,
                         const std::vector<PartSpec>& parts) {
    UsageEvent e;
    e.id = EventId::generate();
    e.business = business;
    e.type = type;
    e.quantity = Decimal(1);
    for (const auto& [part, quantity, cost] : parts) {
        e.parts.push_back({part, num(quantity), num(cost)});
        e.list_cost += num(cost);
    }
    e.unit_price = e.list_cost;
    e.model = std::move(model);
    e.occurred_at = when;
    return e;
}

ModelUsageTotal modelTotal(EventType type, std::string model, UsagePart part, const char* quantity, std::int64_t events,
                           const char* cost) {
    return {type, std::move(model), part, num(quantity), events, num(cost)};
}

}  // namespace

TEMPLATE_TEST_CASE("rate-card events are stored with model and parts and summed per model, part and day", "[store]",
                   STORE_FIXTURES) {
    TestType fixture;
    auto& store = *fixture.store;
    const auto biz = account("Acme");
    store.saveAccount(biz);
    const auto llm = EventType::llmCall();
    const std::string gpt = "openai/gpt-4o", claude = "anthropic/claude-sonnet-4";
    using enum UsagePart;
    std::vector<UsageEvent> batch = {
        rateCardEvent(biz.id, llm, gpt, at(2024_y / 3 / 5, hours(9)),
                      {{input, "1200", "0.003"}, {output, "300", "0.003"}, {requests, "1", "0"}}),
        rateCardEvent(
            biz.id, llm, gpt, at(2024_y / 3 / 5, hours(17)),
            {{input, "800", "0.002"}, {cached_input, "400", "0.0005"}, {output, "100", "0.001"}, {requests, "1", "0"}}),
        rateCardEvent(biz.id, llm, claude, at(2024_y / 3 / 6, hours(1)),
                      {{input, "1000", "0.003"}, {output, "50", "0.00075"}, {requests, "1", "0"}}),
        rateCardEvent(biz.id, EventType::transcription(), "openai/whisper-1", at(2024_y / 3 / 6, hours(2)),
                      {{requests, "1", "0"}, {audio_seconds, "61.5", "0.00615"}}),
        rateCardEvent(biz.id, EventType::speech(), "openai/tts-1", at(2024_y / 3 / 7),
                      {{requests, "1", "0.0001"}, {characters, "1000", "0.015"}}),
        rateCardEvent(biz.id, llm, gpt, at(2024_y / 4 / 1), {{input, "10", "0.000025"}, {requests, "1", "0"}}),
        event(biz.id, EventType::apiCall(), "1", at(2024_y / 3 / 5)),
    };
    const auto first = store.append(batch);
    CHECK(first.stored == 7);
    CHECK(first.rejected.empty());
    // Repeats, from another batch and within one, add nothing.
    std::vector<UsageEvent> again = {batch[0], batch[1], batch[0], batch[4]};
    const auto repeated = store.append(again);
    CHECK(repeated.stored == 0);
    CHECK(repeated.duplicates == 4);

    const std::vector<ModelUsageTotal> expected = {
        modelTotal(llm, claude, input, "1000", 1, "0.003"),
        modelTotal(llm, claude, output, "50", 1, "0.00075"),
        modelTotal(llm, claude, requests, "1", 1, "0"),
        modelTotal(llm, gpt, input, "2000", 2, "0.005"),
        modelTotal(llm, gpt, cached_input, "400", 1, "0.0005"),
        modelTotal(llm, gpt, output, "400", 2, "0.004"),
        modelTotal(llm, gpt, requests, "2", 2, "0"),
        modelTotal(EventType::speech(), "openai/tts-1", requests, "1", 1, "0.0001"),
        modelTotal(EventType::speech(), "openai/tts-1", characters, "1000", 1, "0.015"),
        modelTotal(EventType::transcription(), "openai/whisper-1", requests, "1", 1, "0"),
        modelTotal(EventType::transcription(), "openai/whisper-1", audio_seconds, "61.5", 1, "0.00615"),
    };
    CHECK(store.modelTotals(biz.id, march2024) == expected);

    const auto daily = store.modelDaily(biz.id, march2024);
    REQUIRE(daily.size() == 11);
    const auto march5 = date::local_days(2024_y / 3 / 5), march6 = date::local_days(2024_y / 3 / 6);
    const std::vector<DailyModelUsage> on_march5 = {
        {march5, modelTotal(llm, gpt, input, "2000", 2, "0.005")},
        {march5, modelTotal(llm, gpt, cached_input, "400", 1, "0.0005")},
        {march5, modelTotal(llm, gpt, output, "400", 2, "0.004")},
        {march5, modelTotal(llm, gpt, requests, "2", 2, "0")},
    };
    CHECK(std::vector<DailyModelUsage>(daily.begin(), daily.begin() + 4) == on_march5);
    CHECK(daily[4] == DailyModelUsage{march6, modelTotal(llm, claude, input, "1000", 1, "0.003")});
    CHECK(daily[7] ==
          DailyModelUsage{march6, modelTotal(EventType::transcription(), "openai/whisper-1", requests, "1", 1, "0")});
    CHECK(daily[10].day == date::local_days(2024_y / 3 / 7));
    CHECK(daily[10].total.part == characters);

    const std::vector<ModelUsageTotal> in_april = {modelTotal(llm, gpt, input, "10", 1, "0.000025"),
                                                   modelTotal(llm, gpt, requests, "1", 1, "0")};
    CHECK(store.modelTotals(biz.id, april2024) == in_april);
    CHECK(store.modelDaily(biz.id, april2024).size() == 2);
    CHECK(store.modelTotals(BusinessId(Uuid::generateV7()), march2024).empty());

    // The per-type rollups count rate-card events like any other: calls, and their cost.
    const auto totals = store.totals(biz.id, march2024);
    const std::vector<UsageTotal> expected_totals = {
        {EventType::apiCall(), num("1"), 1, num("0.01")},
        {llm, num("3"), 3, num("0.01325")},
        {EventType::speech(), num("1"), 1, num("0.0151")},
        {EventType::transcription(), num("1"), 1, num("0.00615")},
    };
    CHECK(totals == expected_totals);

    // Model and parts read back as appended.
    for (const auto& e : batch) {
        const auto stored = fixture.modelAndParts(biz.id, e.id);
        REQUIRE(stored.has_value());
        CHECK(stored->first == e.model);
        CHECK(stored->second == e.parts);
    }
}

TEMPLATE_TEST_CASE("a mixed batch of ordinary and rate-card events gives the memory store's answers", "[store]",
                   STORE_FIXTURES) {
    // Large enough for PostgreSQL's COPY; the second batch repeats half of the first, which
    // sends it (and the next chunks) the careful way. Every store must agree with memory.
    TestType fixture;
    auto& store = *fixture.store;
    MemoryStore reference;
    const auto ny = account("New York", "America/New_York");
    const auto lhi = account("Lord Howe", "Australia/Lord_Howe");
    for (auto* s : {static_cast<UsageStore*>(&store), static_cast<UsageStore*>(&reference)}) {
        s->saveAccount(ny);
        s->saveAccount(lhi);
    }
    const std::vector<std::string> models = {"openai/gpt-4o", "openai/gpt-4o-mini", "anthropic/claude-3-5-haiku",
                                             "vertex_ai/gemini-2.0-flash"};
    int serial = 0;
    const auto mixed = [&](int count, int hour_offset) {
        std::vector<UsageEvent> batch;
        for (int i = 0; i < count; ++i, ++serial) {
            const auto& business = serial % 2 == 0 ? ny : lhi;
            const auto when = at(2024_y / 3 / 9, minutes(37 * i) + hours(hour_offset));
            const std::string tokens = std::to_string(100 + serial * 7);
            switch (serial % 5) {
                case 0:
                    batch.push_back(event(business.id, EventType::apiCall(), "1", when));
                    break;
                case 1:
                    batch.push_back(rateCardEvent(business.id, EventType::llmCall(), models[serial % 4], when,
                                                  {{UsagePart::input, tokens.c_str(), "0.00025"},
                                                   {UsagePart::output, "17", "0.000170000000000001"},
                                                   {UsagePart::requests, "1", "0"}}));
                    break;
                case 2:
                    batch.push_back(rateCardEvent(business.id, EventType::llmCall(), models[serial % 4], when,
                                                  {{UsagePart::input, tokens.c_str(), "0.0001"},
                                                   {UsagePart::cached_input, "64", "0.000008"},
                                                   {UsagePart::reasoning, "12", "0.00012"},
                                                   {UsagePart::requests, "1", "0.001"}}));
                    break;
                case 3:
                    batch.push_back(rateCardEvent(
                        business.id, EventType::transcription(), "openai/whisper-1", when,
                        {{UsagePart::requests, "1", "0"}, {UsagePart::audio_seconds, "15.25", "0.001525"}}));
                    break;
                default:
                    batch.push_back(event(business.id, EventType::voiceMinute(), "0.5", when));
                    break;
            }
        }
        return batch;
    };
    const auto both = [&](const std::vector<UsageEvent>& batch) {
        const auto got = store.append(batch);
        const auto want = reference.append(batch);
        CHECK(got.stored == want.stored);
        CHECK(got.duplicates == want.duplicates);
        CHECK(got.rejected.size() == want.rejected.size());
        return got;
    };
    const auto first = mixed(200, 0);
    CHECK(both(first).stored == 200);
    std::vector<UsageEvent> second(first.begin() + 50, first.begin() + 150);  // repeats: the careful way
    for (auto& e : mixed(80, 30)) second.push_back(e);
    second.push_back(second[3]);  // and a repeat within the batch
    const auto again = both(second);
    CHECK(again.stored == 80);
    CHECK(again.duplicates == 101);
    both(mixed(120, 60));  // after a repeat, PostgreSQL goes the careful way for a while
    both(mixed(10, 90));   // a small chunk: the careful statement

    for (const auto& business : {ny, lhi}) {
        CHECK(store.modelTotals(business.id, march2024) == reference.modelTotals(business.id, march2024));
        CHECK(store.modelDaily(business.id, march2024) == reference.modelDaily(business.id, march2024));
        CHECK(store.totals(business.id, march2024) == reference.totals(business.id, march2024));
        CHECK(store.daily(business.id, march2024) == reference.daily(business.id, march2024));
        CHECK(store.modelDaily(business.id, march2024).size() > 10);
    }
}

TEMPLATE_TEST_CASE("a malformed rate-card event is refused naming its field, the rest of the batch is stored",
                   "[store]", STORE_FIXTURES) {
    TestType fixture;
    auto& store = *fixture.store;
    const auto biz = account("Acme");
    store.saveAccount(biz);
    const auto when = at(2024_y / 3 / 5, hours(12));
    using enum UsagePart;
    const std::vector<PartSpec> good = {{input, "1200", "0.003"}, {output, "300", "0.003"}, {requests, "1", "0"}};
    const auto llm = [&](std::string model, const std::vector<PartSpec>& parts) {
        return rateCardEvent(biz.id, EventType::llmCall(), std::move(model), when, parts);
    };
    auto twice = llm("openai/gpt-4o", good);
    twice.quantity = num("2");
    twice.unit_price = num("0.003");  // quantity x unit price is still the list cost
    auto unknown_part = llm("openai/gpt-4o", good);
    unknown_part.parts[2].part = static_cast<UsagePart>(20);
    auto sum_off = llm("openai/gpt-4o", good);
    sum_off.list_cost = sum_off.unit_price = num("0.0061");
    auto with_model = event(biz.id, EventType::apiCall(), "1", when);
    with_model.model = "openai/gpt-4o";
    auto with_parts = event(biz.id, EventType::apiCall(), "1", when);
    with_parts.parts = {{requests, num("1"), num("0")}};
    with_parts.list_cost = num("0.01");
    std::vector<UsageEvent> batch = {
        llm("openai/gpt-4o", good),               // 0: stored
        twice,                                    // 1
        llm("", good),                            // 2
        llm("gpt-4o", good),                      // 3
        llm("a/" + std::string(511, 'x'), good),  // 4: 513 bytes: stored
        llm("a/" + std::string(512, 'x'), good),  // 5: 514
        llm("openai/gpt\xff", good),              // 6
        llm("openai/gpt\n4o", good),              // 7
        llm("openai/gpt\xc2\x85", good),          // 8: U+0085
        llm("openai/gpt-4o", {}),                 // 9
        llm("openai/gpt-4o", {{output, "300", "0.003"}, {input, "1200", "0.003"}, {requests, "1", "0"}}),  // 10
        llm("openai/gpt-4o", {{input, "1200", "0.003"}, {input, "300", "0.003"}, {requests, "1", "0"}}),   // 11
        llm("openai/gpt-4o", {{input, "1200", "0.003"}, {output, "300", "0.003"}}),                        // 12
        llm("openai/gpt-4o", {{input, "-1", "0.003"}, {requests, "1", "0"}}),                              // 13
        llm("openai/gpt-4o", {{input, "1", "-0.001"}, {output, "1", "0.007"}, {requests, "1", "0"}}),      // 14
        llm("openai/gpt-4o", {{input, "1000000000001", "0.003"}, {requests, "1", "0"}}),                   // 15
        llm("openai/gpt-4o", {{audio_input, "0.0000000001", "0.003"}, {requests, "1", "0"}}),              // 16
        llm("openai/gpt-4o", {{input, "1", "0.0000000000000000001"},                                       // 17
                              {requests, "1", "0.0000000000000000009"}}),
        unknown_part,                                                     // 18
        sum_off,                                                          // 19
        with_model,                                                       // 20
        with_parts,                                                       // 21
        rateCardEvent(biz.id, EventType::speech(), "openai/tts-1", when,  // 22: stored
                      {{requests, "1", "0"}, {characters, "1000", "0.000000000000000015"}}),
    };
    const auto result = store.append(batch);
    CHECK(result.stored == 3);
    std::map<std::size_t, std::pair<RejectionKind, std::string>> refused;
    for (const auto& r : result.rejected) refused[r.index] = {r.kind, r.reason};
    const auto invalid = [](std::string reason) { return std::pair(RejectionKind::invalid, std::move(reason)); };
    const std::map<std::size_t, std::pair<RejectionKind, std::string>> expected = {
        {1, invalid("quantity: must be 1 for a rate-card event")},
        {2, invalid("model: must not be empty for a rate-card event")},
        {3, invalid("model: must be \"provider/model\"")},
        {5, invalid("model: 514 bytes exceed the limit of 513")},
        {6, invalid("model: not valid UTF-8")},
        {7, invalid("model: contains a control character")},
        {8, invalid("model: contains a control character")},
        {9, invalid("parts: must not be empty for a rate-card event")},
        {10, invalid("parts[1].part: input is out of order or repeated")},
        {11, invalid("parts[1].part: input is out of order or repeated")},
        {12, invalid("parts: no requests part")},
        {13, invalid("parts[0].quantity: negative")},
        {14, invalid("parts[0].cost: negative")},
        {15, invalid("parts[0].quantity: above the limit of 1000000000000")},
        {16, invalid("parts[0].quantity: more than 9 fractional digits")},
        {17, invalid("parts[0].cost: more than 18 fractional digits")},
        {18, invalid("parts[2].part: unknown part")},
        {19, invalid("parts: costs sum to 0.006, not the list cost 0.0061")},
        {20, invalid("model: must be empty (api_call is not a rate-card type)")},
        {21, invalid("parts: must be empty (api_call is not a rate-card type)")},
    };
    CHECK(refused == expected);
    const auto totals = store.modelTotals(biz.id, march2024);
    REQUIRE(totals.size() == 8);  // two models of three parts, tts-1's two
    CHECK(totals[0] == modelTotal(EventType::llmCall(), "a/" + std::string(511, 'x'), input, "1200", 1, "0.003"));
    CHECK(totals[3] == modelTotal(EventType::llmCall(), "openai/gpt-4o", input, "1200", 1, "0.003"));
    CHECK(totals[7] == modelTotal(EventType::speech(), "openai/tts-1", characters, "1000", 1, "0.000000000000000015"));
}

TEMPLATE_TEST_CASE("a day's model rollup is bounded like the per-type one", "[store]", STORE_FIXTURES) {
    TestType fixture;
    auto& store = *fixture.store;
    const auto biz = account("Acme");
    store.saveAccount(biz);
    const auto when = at(2024_y / 3 / 5, hours(12));
    // 1001 calls of 10^12 input tokens each: the last would take the day's input past 10^15.
    std::vector<UsageEvent> batch;
    for (int i = 0; i < 1001; ++i) {
        batch.push_back(rateCardEvent(biz.id, EventType::llmCall(), "openai/gpt-4o", when,
                                      {{UsagePart::input, "1000000000000", "0"}, {UsagePart::requests, "1", "0"}}));
    }
    batch.push_back(event(biz.id, EventType::apiCall(), "1", when));
    const auto result = store.append(batch);
    CHECK(result.stored == 1001);
    REQUIRE(result.rejected.size() == 1);
    CHECK(result.rejected[0].index == 1000);
    CHECK(result.rejected[0].kind == RejectionKind::over_limit);
    CHECK(result.rejected[0].reason ==
          "the day's llm_call 'openai/gpt-4o' input quantity would exceed 1000000000000000");
    const auto totals = store.modelTotals(biz.id, march2024);
    REQUIRE(totals.size() == 2);
    CHECK(totals[0].quantity == num("1000000000000000"));
    CHECK(totals[1] == modelTotal(EventType::llmCall(), "openai/gpt-4o", UsagePart::requests, "1000", 1000, "0"));
    CHECK(totalOf(store.totals(biz.id, march2024), EventType::llmCall()) == num("1000"));
    // The next day has room.
    const std::vector<UsageEvent> next_day = {
        rateCardEvent(biz.id, EventType::llmCall(), "openai/gpt-4o", at(2024_y / 3 / 6),
                      {{UsagePart::input, "1000000000000", "0"}, {UsagePart::requests, "1", "0"}})};
    CHECK(store.append(next_day).stored == 1);
}

TEMPLATE_TEST_CASE("a store keeps budgets per business: saved, replaced, listed in id order, deleted",
                   "[store][budgets]", STORE_FIXTURES) {
    TestType fixture;
    auto& store = *fixture.store;
    const Account acme = account("Acme"), other = account("Other");
    store.saveAccount(acme);
    store.saveAccount(other);
    Budget cap{
        .id = "cap", .business = acme.id, .model = std::nullopt, .amount = num("5.00"), .kind = BudgetKind::hard};
    Budget sonnet{.id = "Sonnet-4.x",
                  .business = acme.id,
                  .model = "anthropic/claude-sonnet-4",
                  .amount = num("0.123456789"),
                  .thresholds_percent = {25, 100, 150},
                  .kind = BudgetKind::soft};
    Budget theirs{.id = "a", .business = other.id, .model = std::nullopt, .amount = num("1"), .kind = BudgetKind::soft};
    store.saveBudget(cap);
    store.saveBudget(sonnet);
    store.saveBudget(theirs);
    CHECK(store.listBudgets(acme.id) == std::vector<Budget>{sonnet, cap});  // bytewise: 'S' < 'c'
    CHECK(store.listBudgets(acme.id)[1].amount.toString() == "5.00");
    CHECK(store.listBudgets(other.id) == std::vector<Budget>{theirs});
    CHECK(store.listAllBudgets().size() == 3);

    cap.amount = num("7.5");
    cap.thresholds_percent = {};
    store.saveBudget(cap);  // replaces
    CHECK(store.listBudgets(acme.id) == std::vector<Budget>{sonnet, cap});

    CHECK(store.deleteBudget(acme.id, "cap"));
    CHECK_FALSE(store.deleteBudget(acme.id, "cap"));
    CHECK(store.listBudgets(acme.id) == std::vector<Budget>{sonnet});

    Budget stranger = cap;
    stranger.business = BusinessId(Uuid::generateV7());
    CHECK_THROWS_AS(store.saveBudget(stranger), NotFoundError);
    cap.amount = num("-1");
    CHECK(errorField([&] { store.saveBudget(cap); }) == "amount");
}

TEMPLATE_TEST_CASE("a store keeps a budget's dimension value: saved, listed, replaced", "[store][budgets][dimensions]",
                   STORE_FIXTURES) {
    TestType fixture;
    auto& store = *fixture.store;
    const Account acme = account("Acme");
    store.saveAccount(acme);
    Budget user{.id = "u42",
                .business = acme.id,
                .model = std::nullopt,
                .dimension = EventDimension{"end_user", "\xc3\xa9l\xc3\xa8ve \"'; DROP TABLE x; --"},
                .amount = num("2.5"),
                .kind = BudgetKind::hard};
    Budget whole{.id = "all", .business = acme.id, .model = std::nullopt, .amount = num("9"), .kind = BudgetKind::soft};
    store.saveBudget(user);
    store.saveBudget(whole);
    CHECK(store.listBudgets(acme.id) == std::vector<Budget>{whole, user});
    CHECK(store.listAllBudgets() == std::vector<Budget>{whole, user});
    user.dimension = EventDimension{"feature", "search"};
    store.saveBudget(user);  // replaces the value
    CHECK(store.listBudgets(acme.id) == std::vector<Budget>{whole, user});
    user.dimension.reset();
    user.model = "openai/gpt-4o";
    store.saveBudget(user);  // a model budget now
    CHECK(store.listBudgets(acme.id) == std::vector<Budget>{whole, user});
    user.dimension = EventDimension{"model", "openai/gpt-4o"};
    user.model.reset();
    CHECK(errorField([&] { store.saveBudget(user); }) == "dimension.name");
}

namespace {

// value -> (type name -> quantity, events, list cost), from dimensionTotals.
std::map<std::string, std::map<std::string, std::tuple<Decimal, std::int64_t, Decimal>>> byValue(
    const std::vector<DimensionUsageTotal>& totals) {
    std::map<std::string, std::map<std::string, std::tuple<Decimal, std::int64_t, Decimal>>> result;
    for (const auto& t : totals) {
        result[t.value][t.total.type.toString()] = {t.total.quantity, t.total.events, t.total.list_cost};
    }
    return result;
}

}  // namespace

TEMPLATE_TEST_CASE("events keep their dimensions and are summed per dimension value, day and type",
                   "[store][dimensions]", STORE_FIXTURES) {
    TestType fixture;
    auto& store = *fixture.store;
    const auto biz = account("Acme");
    store.saveAccount(biz);
    const auto day5 = at(2024_y / 3 / 5, hours(12));
    const auto day6 = at(2024_y / 3 / 6, hours(12));
    const std::vector<UsageEvent> batch = {
        withDimensions(event(biz.id, EventType::apiCall(), "1", day5), {{"end_user", "u-1"}, {"feature", "search"}}),
        withDimensions(event(biz.id, EventType::apiCall(), "1", day5), {{"end_user", "u-1"}}),
        withDimensions(event(biz.id, EventType::voiceMinute(), "2.5", day6), {{"end_user", "u-2"}}),
        withDimensions(event(biz.id, EventType::apiCall(), "1", day6),
                       {{"end_user", "\xc3\xa9l\xc3\xa8ve \"'; DROP TABLE x; --"}}),
        event(biz.id, EventType::apiCall(), "1", day6),  // no dimensions
    };
    CHECK(store.append(batch).stored == 5);
    // Read back as recorded (sorted by name).
    CHECK(fixture.dimensions(biz.id, batch[0].id) ==
          std::vector<EventDimension>{{"end_user", "u-1"}, {"feature", "search"}});
    CHECK(fixture.dimensions(biz.id, batch[3].id) == batch[3].dimensions);
    CHECK(fixture.dimensions(biz.id, batch[4].id) == std::vector<EventDimension>{});

    const auto totals = byValue(store.dimensionTotals(biz.id, march2024, "end_user"));
    REQUIRE(totals.size() == 3);
    CHECK(totals.at("u-1").at("api_call") == std::tuple(num("2"), std::int64_t{2}, num("0.02")));
    CHECK(totals.at("u-2").at("voice_minute") == std::tuple(num("2.5"), std::int64_t{1}, num("0.05")));
    CHECK(totals.at(batch[3].dimensions[0].value).at("api_call") == std::tuple(num("1"), std::int64_t{1}, num("0.01")));
    CHECK(byValue(store.dimensionTotals(biz.id, march2024, "feature")).size() == 1);
    CHECK(store.dimensionTotals(biz.id, march2024, "region").empty());

    const auto daily = store.dimensionDaily(biz.id, march2024, "end_user");
    REQUIRE(daily.size() == 3);
    CHECK(daily[0].day == date::local_days(2024_y / 3 / 5));
    CHECK(daily[0].total.value == "u-1");
    CHECK(daily[1].day == date::local_days(2024_y / 3 / 6));
    CHECK(daily[1].total.value == "u-2");  // bytewise: "u-2" < "\xc3…"
    CHECK(daily[2].total.value == batch[3].dimensions[0].value);
    // Days outside the range are not read.
    CHECK(
        store.dimensionTotals(biz.id, {date::local_days(2024_y / 3 / 6), date::local_days(2024_y / 3 / 7)}, "end_user")
            .size() == 2);

    // Appending again (a retry, a replay) adds nothing to the dimension rollups.
    const auto again = store.append(batch);
    CHECK(again.duplicates == 5);
    CHECK(byValue(store.dimensionTotals(biz.id, march2024, "end_user")) == totals);
    CHECK(errorField([&] { store.dimensionTotals(biz.id, march2024, "Bad Name"); }) == "dimension");
}

TEMPLATE_TEST_CASE("a dimension admits max_values values per business and cycle; the rest roll up as overflow",
                   "[store][dimensions]", STORE_FIXTURES) {
    TestType fixture;
    auto& store = *fixture.store;
    const std::vector<Dimension> declared = {{"end_user", 64, 3}, {"feature", 16, 1}};
    store.saveDimensions(declared);
    store.saveDimensions(declared);  // idempotent
    CHECK(store.listDimensions() == declared);
    const auto biz = account("Acme");
    const auto other = account("Other");
    store.saveAccount(biz);
    store.saveAccount(other);
    const auto when = at(2024_y / 3 / 5, hours(12));
    std::vector<UsageEvent> batch;
    for (const char* user : {"u-1", "u-2", "u-3", "u-4", "u-5", "u-1", "u-5"}) {
        batch.push_back(withDimensions(event(biz.id, EventType::apiCall(), "1", when), {{"end_user", user}}));
    }
    // Admitted in the order appended: the first batch admits u-1 and u-2 only ...
    appendInBatches(store, std::span(batch).first(2), 2);
    // ... the rest come one by one.
    for (std::size_t i = 2; i < batch.size(); ++i) store.append(std::span(batch).subspan(i, 1));
    auto totals = byValue(store.dimensionTotals(biz.id, march2024, "end_user"));
    REQUIRE(totals.size() == 4);
    CHECK(std::get<1>(totals.at("u-1").at("api_call")) == 2);
    CHECK(std::get<1>(totals.at("u-2").at("api_call")) == 1);
    CHECK(std::get<1>(totals.at("u-3").at("api_call")) == 1);
    CHECK(totals.at(std::string(dimension_overflow_value)).at("api_call") ==
          std::tuple(num("3"), std::int64_t{3}, num("0.03")));  // u-4, u-5, u-5
    // The events keep their real values.
    CHECK(fixture.dimensions(biz.id, batch[4].id) == std::vector<EventDimension>{{"end_user", "u-5"}});
    // Re-appending everything changes nothing.
    store.append(batch);
    CHECK(byValue(store.dimensionTotals(biz.id, march2024, "end_user")) == totals);

    // The bound is per business and per cycle: another business, or the next month, starts afresh.
    const auto april = at(2024_y / 4 / 2, hours(12));
    std::vector<UsageEvent> fresh;
    for (const char* user : {"u-4", "u-5", "u-6", "u-7"}) {
        fresh.push_back(withDimensions(event(biz.id, EventType::apiCall(), "1", april), {{"end_user", user}}));
        fresh.push_back(withDimensions(event(other.id, EventType::apiCall(), "1", when), {{"end_user", user}}));
    }
    CHECK(store.append(fresh).stored == 8);
    const auto next = byValue(store.dimensionTotals(biz.id, april2024, "end_user"));
    CHECK(next.size() == 4);
    CHECK(next.count("u-4") == 1);
    CHECK(next.count("u-7") == 0);
    CHECK(std::get<1>(next.at(std::string(dimension_overflow_value)).at("api_call")) == 1);
    CHECK(byValue(store.dimensionTotals(other.id, march2024, "end_user")).count("u-6") == 1);
    CHECK(byValue(store.dimensionTotals(biz.id, march2024, "end_user")) == totals);

    // A dimension the store has no declaration for admits 1000 values.
    std::vector<UsageEvent> regions;
    for (int i = 0; i < 5; ++i) {
        regions.push_back(withDimensions(event(biz.id, EventType::apiCall(), "1", when),
                                         {{"feature", "f" + std::to_string(i)}, {"region", "r" + std::to_string(i)}}));
    }
    store.append(regions);
    CHECK(store.dimensionTotals(biz.id, march2024, "region").size() == 5);
    const auto features = byValue(store.dimensionTotals(biz.id, march2024, "feature"));
    CHECK(features.size() == 2);  // f0, then the overflow
    CHECK(std::get<1>(features.at(std::string(dimension_overflow_value)).at("api_call")) == 4);
}

TEMPLATE_TEST_CASE("every store refuses the same malformed dimensions in the same words", "[store][dimensions]",
                   STORE_FIXTURES) {
    TestType fixture;
    auto& store = *fixture.store;
    const auto biz = account("Acme");
    store.saveAccount(biz);
    const auto when = at(2024_y / 3 / 5, hours(12));
    const auto with = [&](std::vector<EventDimension> dimensions) {
        return withDimensions(event(biz.id, EventType::apiCall(), "1", when), std::move(dimensions));
    };
    std::vector<EventDimension> nine;
    for (char c = 'a'; c < 'a' + 9; ++c) nine.push_back({std::string(1, c), "v"});
    const std::vector<UsageEvent> batch = {
        with({{"end_user", "ok"}}),                            // 0: stored
        with({{"End_user", "x"}}),                             // 1: bad name
        with({{"model", "openai/gpt-4o"}}),                    // 2: the built-in
        with({{"b", "x"}, {"a", "y"}}),                        // 3: out of order
        with({{"a", "x"}, {"a", "y"}}),                        // 4: repeated
        with({{"a", ""}}),                                     // 5: empty
        with({{"a", std::string(257, 'x')}}),                  // 6: too long
        with({{"a", "\xff"}}),                                 // 7: not UTF-8
        with({{"a", std::string("x\0y", 3)}}),                 // 8: U+0000
        with({{"a", std::string(dimension_overflow_value)}}),  // 9: reserved
        with(nine),                                            // 10: too many
        with({{"a", std::string(256, 'x')}}),                  // 11: the longest: stored
    };
    const auto result = store.append(batch);
    CHECK(result.stored == 2);
    std::map<std::size_t, std::string> refused;
    for (const auto& r : result.rejected) {
        CHECK(r.kind == RejectionKind::invalid);
        refused[r.index] = r.reason;
    }
    const std::map<std::size_t, std::string> expected = {
        {1, "dimensions: 'End_user' is not a dimension name"},
        {2, "dimensions: 'model' is not a dimension name"},
        {3, "dimensions.a: out of order or repeated"},
        {4, "dimensions.a: out of order or repeated"},
        {5, "dimensions.a: empty value"},
        {6, "dimensions.a: value longer than 256 bytes"},
        {7, "dimensions.a: value is not valid UTF-8 without U+0000"},
        {8, "dimensions.a: value is not valid UTF-8 without U+0000"},
        {9, "dimensions.a: the overflow value is reserved"},
        {10, "dimensions: more than 8"},
    };
    CHECK(refused == expected);
    CHECK(store.dimensionTotals(biz.id, march2024, "end_user").size() == 1);
}

TEMPLATE_TEST_CASE("every charge model and option of a plan is kept exactly", "[store][models]", STORE_FIXTURES) {
    TestType fixture;
    auto& store = *fixture.store;
    Plan plan = Plan::basic();
    plan.id = "options";
    plan.minimum = num("100.50");
    plan.maximum = num("5000");
    Meter& api = *plan.meter(EventType::apiCall());
    api.model = PricingModel::graduated;
    api.flat_fee_at_zero = true;
    api.tiers = {Tier{num("1000"), num("1"), num("2.5"), num("100")}, Tier{std::nullopt, num("0.5"), {}, num("1000")}};
    api.minimum = num("30");
    Meter& voice = *plan.meter(EventType::voiceMinute());
    voice.aggregation = Aggregation::count;
    voice.model = PricingModel::package;
    voice.package_size = num("60");
    voice.package_price = num("1.20");
    voice.package_rounding = PackageRounding::down;
    voice.maximum = num("250");
    Meter payment_meter;
    payment_meter.type = EventType("payment");
    payment_meter.unit = "USD";
    payment_meter.model = PricingModel::percentage;
    payment_meter.unit_price = num("0.029");
    payment_meter.transaction_fee = num("0.30");
    payment_meter.free_transactions = 12;
    ChargeFilter amex;
    amex.dimension = "card";
    amex.values = {"amex"};
    amex.model = PricingModel::percentage;
    amex.unit_price = num("0.035");
    amex.transaction_fee = num("0.15");
    amex.free_transactions = 1;
    payment_meter.filters = {amex};
    Meter transfer;
    transfer.type = EventType("transfer");
    transfer.model = PricingModel::graduated_percentage;
    transfer.unit_price = num("0.0125");
    transfer.tiers = {Tier{num("1000"), num("0.0125"), num("2")}, Tier{std::nullopt, num("0.005"), {}}};
    ChargeFilter aws;
    aws.dimension = "cloud";
    aws.values = {"aws"};
    aws.model = PricingModel::package;
    aws.unit_price = num("0.01");
    aws.package_size = num("100");
    aws.package_price = num("1");
    aws.package_rounding = PackageRounding::down;
    plan.meter(EventType::storageMb())->filters = {aws};
    Meter seats;
    seats.type = EventType("session");
    seats.unit = "user";
    seats.aggregation = Aggregation::unique;
    seats.unique_dimension = "end_user";
    seats.unit_price = num("4");
    Meter card = payment_meter;  // bounded per transaction (no filters)
    card.type = EventType("card_payment");
    card.filters.clear();
    card.transaction_minimum = num("0.50");
    card.transaction_maximum = num("10");
    plan.meters.push_back(payment_meter);
    plan.meters.push_back(transfer);
    plan.meters.push_back(seats);
    plan.meters.push_back(card);
    store.savePlan(plan);
    auto plans = store.loadPlans();
    auto found = std::find_if(plans.begin(), plans.end(), [](const Plan& p) { return p.id == "options"; });
    REQUIRE(found != plans.end());
    CHECK(*found == plan);

    // Back to the defaults: nothing of the options is left.
    plan.minimum.reset();
    plan.maximum.reset();
    plan.meters = Plan::basic().meters;
    store.savePlan(plan);
    plans = store.loadPlans();
    found = std::find_if(plans.begin(), plans.end(), [](const Plan& p) { return p.id == "options"; });
    REQUIRE(found != plans.end());
    CHECK(*found == plan);
}

TEMPLATE_TEST_CASE("a plan's charge filters and a dimension's closed set are kept exactly", "[store][filters]",
                   STORE_FIXTURES) {
    TestType fixture;
    auto& store = *fixture.store;
    Plan plan = Plan::basic();
    plan.id = "cloudy";
    Meter& api = *plan.meter(EventType::apiCall());
    api.unit_price = num("0.12");
    ChargeFilter aws;
    aws.dimension = "cloud";
    aws.values = {"aws"};
    aws.unit_price = num("0.080");  // the scale is kept
    ChargeFilter others;
    others.dimension = "cloud";
    others.values = {"gcp", "azure"};
    others.included = num("100.5");
    others.model = PricingModel::graduated;
    others.unit_price = num("0.05");
    others.tiers = {Tier{num("1000"), num("0.05"), num("0")}, Tier{std::nullopt, num("0.0000004"), num("2.5")}};
    ChargeFilter packaged;
    packaged.dimension = "cloud";
    packaged.values = {"oracle"};
    packaged.model = PricingModel::package;
    packaged.unit_price = num("0.01");
    packaged.package_size = num("1000");
    packaged.package_price = num("7.25");
    api.filters = {aws, others, packaged};
    plan.meter(EventType::storageMb())->filters = {aws};
    store.savePlan(plan);
    auto plans = store.loadPlans();
    auto found = std::find_if(plans.begin(), plans.end(), [](const Plan& p) { return p.id == "cloudy"; });
    REQUIRE(found != plans.end());
    CHECK(*found == plan);
    CHECK(found->meter(EventType::apiCall())->filters[0].unit_price.toString() == "0.080");

    const std::vector<Dimension> declared = {
        {"cloud", 16, 10, {"aws", "gcp", "azure", "oracle", "z\xc3\xbcrich \"1\""}}, {"end_user", 64, 1000, {}}};
    store.saveDimensions(declared);
    CHECK(store.listDimensions() == declared);
    // The store's plans with its declarations make a price book (the filters' dimension is closed).
    CHECK(storedPriceBook(store).plan("cloudy") == plan);

    // Replaced: filters removed are gone.
    plan.meter(EventType::apiCall())->filters.clear();
    store.savePlan(plan);
    plans = store.loadPlans();
    found = std::find_if(plans.begin(), plans.end(), [](const Plan& p) { return p.id == "cloudy"; });
    REQUIRE(found != plans.end());
    CHECK(*found == plan);

    // Reopened: an open declaration replaces the closed set.
    const std::vector<Dimension> reopened = {{"cloud", 16, 10, {}}};
    store.saveDimensions(reopened);
    CHECK(store.listDimensions() == std::vector<Dimension>{reopened[0], declared[1]});
}
