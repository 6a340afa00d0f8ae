// SPDX-License-Identifier: MIT
// Budget alerts: threshold crossings claimed once by the store (every store), delivered at
// least once to the recorder's callback.
#include <catch2/catch.hpp>

#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "metered/errors.h"
#include "metered/usage_recorder.h"
#include "store_doubles.h"
#include "store_fixtures.h"
#include "test_support.h"

using namespace metered;
using namespace metered::testing;
using namespace date::literals;
using std::chrono::hours;

namespace {

// An LLM call of `model` costing `cost` (all of it input), at `when`.
UsageEvent llmCall(const BusinessId& business, const char* cost, Timestamp when, std::string model = "openai/gpt-4o") {
    UsageEvent e;
    e.id = EventId::generate();
    e.business = business;
    e.type = EventType::llmCall();
    e.quantity = Decimal(1);
    e.parts = {{UsagePart::input, num("1000"), num(cost)}, {UsagePart::requests, num("1"), num("0")}};
    e.list_cost = num(cost);
    e.unit_price = e.list_cost;
    e.model = std::move(model);
    e.occurred_at = when;
    return e;
}

Budget budget(const BusinessId& business, std::string id, const char* amount,
              std::optional<std::string> model = std::nullopt) {
    Budget b;
    b.id = std::move(id);
    b.business = business;
    b.model = std::move(model);
    b.amount = num(amount);
    return b;
}

std::vector<int> thresholdsOf(const std::vector<BudgetCrossing>& crossings, std::string_view budget_id = {}) {
    std::vector<int> thresholds;
    for (const auto& c : crossings) {
        if (budget_id.empty() || c.budget_id == budget_id) thresholds.push_back(c.threshold_percent);
    }
    std::sort(thresholds.begin(), thresholds.end());
    return thresholds;
}

void append(UsageStore& store, const UsageEvent& e) { store.append(std::span<const UsageEvent>(&e, 1)); }

}  // namespace

TEMPLATE_TEST_CASE("a store claims each budget threshold once, in the append that reaches it",
                   "[store][budgets][alerts]", STORE_FIXTURES) {
    TestType fixture;
    auto& store = *fixture.store;
    const auto biz = account("Acme");
    store.saveAccount(biz);
    store.saveBudget(budget(biz.id, "monthly", "10"));
    const auto day = at(2024_y / 3 / 9, hours(10));

    SECTION("one append at a time: 40 %, 55 %, 85 %, 105 %") {
        std::vector<UsageEvent> appended;
        const auto step = [&](const char* cost) {
            appended.push_back(llmCall(biz.id, cost, day));
            append(store, appended.back());
            return thresholdsOf(store.listCrossings(biz.id));
        };
        CHECK(step("4").empty());
        CHECK(step("1.5") == std::vector<int>{50});
        CHECK(step("3") == std::vector<int>{50, 80});
        CHECK(step("2") == std::vector<int>{50, 80, 100});

        const auto crossings = store.listCrossings(biz.id);
        REQUIRE(crossings.size() == 3);
        std::map<int, BudgetCrossing> by_threshold;
        for (const auto& c : crossings) by_threshold[c.threshold_percent] = c;
        const BudgetCrossing& fifty = by_threshold.at(50);
        CHECK(fifty.key == biz.id.toString() + "/monthly/2024-03-01/50");
        CHECK(fifty.business == biz.id);
        CHECK(fifty.budget_id == "monthly");
        CHECK(fifty.cycle == march2024);
        CHECK(fifty.amount == num("10"));
        CHECK(fifty.spent == num("5.5"));  // what the append that reached it made it
        CHECK(by_threshold.at(80).spent == num("8.5"));
        CHECK(by_threshold.at(100).spent == num("10.5"));

        // The same events again (a retry, a replay, another process): nothing new.
        const auto again = store.append(appended);
        CHECK(again.duplicates == appended.size());
        CHECK(store.listCrossings(biz.id) == crossings);
        // More usage past 100 %: nothing new either.
        append(store, llmCall(biz.id, "5", day));
        CHECK(store.listCrossings(biz.id) == crossings);
    }
    SECTION("one large batch reaching every threshold claims each once (PostgreSQL: the COPY path)") {
        std::vector<UsageEvent> batch;
        for (int i = 0; i < 40; ++i) batch.push_back(llmCall(biz.id, "0.3", day));  // 12 in all
        CHECK(store.append(batch).stored == 40);
        const auto crossings = store.listCrossings(biz.id);
        CHECK(thresholdsOf(crossings) == std::vector<int>{50, 80, 100});
        for (const auto& c : crossings) CHECK(c.spent == num("12"));
        CHECK(store.append(batch).duplicates == 40);
        CHECK(store.listCrossings(biz.id) == crossings);
    }
    SECTION("ordinary events and other businesses claim nothing") {
        const auto other = account("Other");
        store.saveAccount(other);
        append(store, event(biz.id, EventType::apiCall(), "100000", day));
        append(store, llmCall(other.id, "50", day));
        CHECK(store.listCrossings(biz.id).empty());
        CHECK(store.listCrossings(other.id).empty());
        CHECK(store.pendingCrossings(100).empty());
    }
}

TEMPLATE_TEST_CASE("a model budget counts only its model's costs", "[store][budgets][alerts]", STORE_FIXTURES) {
    TestType fixture;
    auto& store = *fixture.store;
    const auto biz = account("Acme");
    store.saveAccount(biz);
    store.saveBudget(budget(biz.id, "gpt4o", "1", "openai/gpt-4o"));
    store.saveBudget(budget(biz.id, "all", "100"));
    const auto day = at(2024_y / 3 / 9, hours(10));
    append(store, llmCall(biz.id, "5", day, "anthropic/claude-sonnet-4"));
    CHECK(store.listCrossings(biz.id).empty());
    append(store, llmCall(biz.id, "0.6", day, "openai/gpt-4o"));
    const auto crossings = store.listCrossings(biz.id);
    CHECK(thresholdsOf(crossings, "gpt4o") == std::vector<int>{50});
    CHECK(thresholdsOf(crossings, "all").empty());
    REQUIRE(crossings.size() == 1);
    CHECK(crossings[0].spent == num("0.6"));
    append(store, llmCall(biz.id, "45", day, "anthropic/claude-sonnet-4"));  // all: 50.6 %
    CHECK(thresholdsOf(store.listCrossings(biz.id), "all") == std::vector<int>{50});
    CHECK(thresholdsOf(store.listCrossings(biz.id), "gpt4o") == std::vector<int>{50});
}

TEMPLATE_TEST_CASE("a dimension budget counts only its value's costs, claims each threshold once, past max_values",
                   "[store][budgets][alerts][dimensions]", STORE_FIXTURES) {
    TestType fixture;
    auto& store = *fixture.store;
    store.saveDimensions(std::vector<Dimension>{{"end_user", 64, 2}});
    const auto biz = account("Acme");
    store.saveAccount(biz);
    Budget u4 = budget(biz.id, "u4", "10");
    u4.dimension = EventDimension{"end_user", "u-4"};
    store.saveBudget(u4);
    store.saveBudget(budget(biz.id, "all", "1000"));
    const auto day = at(2024_y / 3 / 9, hours(10));
    const auto of = [&](const char* user, const char* cost) {
        UsageEvent e = llmCall(biz.id, cost, day);
        e.dimensions = {{"end_user", user}};
        return e;
    };
    // u-1 and u-2 fill max_values; u-3 overflows; u-4 has a budget and is admitted anyway.
    append(store, of("u-1", "6"));
    append(store, of("u-2", "6"));
    append(store, of("u-3", "6"));
    append(store, of("u-4", "4"));              // 40 %
    append(store, llmCall(biz.id, "20", day));  // no value: the business's spend only
    UsageEvent api = event(biz.id, EventType::apiCall(), "1", day);
    api.dimensions = {{"end_user", "u-4"}};
    append(store, api);  // not a rate-card event: not spent
    CHECK(store.listCrossings(biz.id).empty());
    append(store, of("u-4", "1.5"));  // 55 %
    CHECK(thresholdsOf(store.listCrossings(biz.id), "u4") == std::vector<int>{50});

    // One large batch (PostgreSQL: the COPY path) of u-4 and u-3: 55 % + 40 × 0.1 = 95 %.
    std::vector<UsageEvent> batch;
    for (int i = 0; i < 40; ++i) batch.push_back(of("u-4", "0.1"));
    for (int i = 0; i < 10; ++i) batch.push_back(of("u-3", "5"));
    CHECK(store.append(batch).stored == 50);
    auto crossings = store.listCrossings(biz.id);
    CHECK(thresholdsOf(crossings, "u4") == std::vector<int>{50, 80});
    CHECK(thresholdsOf(crossings, "all").empty());
    for (const auto& c : crossings) {
        if (c.threshold_percent == 50) CHECK(c.spent == num("5.5"));
        if (c.threshold_percent == 80) CHECK(c.spent == num("9.5"));
    }
    // Re-appended: nothing new.
    CHECK(store.append(batch).duplicates == 50);
    CHECK(store.listCrossings(biz.id) == crossings);
    append(store, of("u-4", "0.5"));  // 100 %
    CHECK(thresholdsOf(store.listCrossings(biz.id), "u4") == std::vector<int>{50, 80, 100});
    append(store, of("u-4", "0.5"));
    CHECK(store.listCrossings(biz.id).size() == 3);

    // The rollups: u-4 under its own value (max_values + 1 values), u-3 under the overflow.
    std::map<std::string, Decimal> llm;
    for (const auto& t : store.dimensionTotals(biz.id, march2024, "end_user")) {
        if (t.total.type == EventType::llmCall()) llm[t.value] = t.total.list_cost;
    }
    const std::map<std::string, Decimal> expected{
        {"u-1", num("6")}, {"u-2", num("6")}, {"u-4", num("10.5")}, {std::string(dimension_overflow_value), num("56")}};
    CHECK(llm == expected);
}

TEMPLATE_TEST_CASE("usage stored late for a previous cycle claims for that cycle", "[store][budgets][alerts]",
                   STORE_FIXTURES) {
    TestType fixture;
    auto& store = *fixture.store;
    const auto biz = account("Acme", "America/New_York", "basic", 15);  // cycles start on the 15th
    store.saveAccount(biz);
    store.saveBudget(budget(biz.id, "monthly", "10"));
    // March 20 (cycle Mar 15 – Apr 15): 60 %.
    append(store, llmCall(biz.id, "6", at(2024_y / 3 / 20, hours(15))));
    // March 10 (cycle Feb 15 – Mar 15), stored later: 90 % of that cycle.
    append(store, llmCall(biz.id, "9", at(2024_y / 3 / 10, hours(15))));
    // 03:00 UTC on March 15 is still March 14 in New York: the February cycle, now 100 %.
    append(store, llmCall(biz.id, "1", at(2024_y / 3 / 15, hours(3))));
    std::map<std::string, std::vector<int>> by_cycle;
    for (const auto& c : store.listCrossings(biz.id)) {
        by_cycle[date::format("%F", c.cycle.first) + ".." + date::format("%F", c.cycle.end)].push_back(
            c.threshold_percent);
    }
    for (auto& [cycle, thresholds] : by_cycle) std::sort(thresholds.begin(), thresholds.end());
    const std::map<std::string, std::vector<int>> expected{{"2024-02-15..2024-03-15", {50, 80, 100}},
                                                           {"2024-03-15..2024-04-15", {50}}};
    CHECK(by_cycle == expected);
}

TEMPLATE_TEST_CASE("pending crossings come oldest first; marking them delivered removes them",
                   "[store][budgets][alerts]", STORE_FIXTURES) {
    TestType fixture;
    auto& store = *fixture.store;
    const auto biz = account("Acme");
    store.saveAccount(biz);
    store.saveBudget(budget(biz.id, "monthly", "10"));
    const auto day = at(2024_y / 3 / 9, hours(10));
    append(store, llmCall(biz.id, "5", day));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // a later claim time
    append(store, llmCall(biz.id, "6", day));                   // 80 and 100 together
    const auto pending = store.pendingCrossings(10);
    REQUIRE(pending.size() == 3);
    CHECK(pending[0].threshold_percent == 50);
    CHECK(pending[0].crossed_at < pending[1].crossed_at);
    CHECK(pending[1].threshold_percent == 80);
    CHECK(pending[2].threshold_percent == 100);
    CHECK(store.pendingCrossings(2).size() == 2);

    const std::vector<std::string> first{pending[0].key, "no-such-key"};
    store.markCrossingsDelivered(first);
    const auto left = store.pendingCrossings(10);
    REQUIRE(left.size() == 2);
    CHECK(left[0].key == pending[1].key);
    CHECK(left[1].key == pending[2].key);
    CHECK(store.listCrossings(biz.id).size() == 3);  // delivered ones are still listed
    // Re-appending after delivery claims nothing again.
    append(store, llmCall(biz.id, "1", day));
    CHECK(store.pendingCrossings(10).size() == 2);
    std::vector<std::string> rest{left[0].key, left[1].key};
    store.markCrossingsDelivered(rest);
    CHECK(store.pendingCrossings(10).empty());
}

namespace {

// Collects what a callback receives; throws for the first `failures` calls of each key.
struct Inbox {
    std::mutex mutex;
    std::map<std::string, int> calls;      // key -> times called
    std::map<std::string, int> delivered;  // key -> times returned
    int failures = 0;

    std::function<void(const BudgetCrossing&)> callback() {
        return [this](const BudgetCrossing& crossing) {
            std::lock_guard lock(mutex);
            if (calls[crossing.key]++ < failures) throw std::runtime_error("webhook down (test)");
            ++delivered[crossing.key];
        };
    }
    std::size_t deliveredCount() {
        std::lock_guard lock(mutex);
        return delivered.size();
    }
    std::map<std::string, int> deliveredCopy() {
        std::lock_guard lock(mutex);
        return delivered;
    }
};

struct AlertSetup {
    std::shared_ptr<MemoryStore> store = std::make_shared<MemoryStore>();
    FixedClock clock;
    Account business = account("Acme Pizza");
    Inbox inbox;

    AlertSetup() {
        *clock.now = at(2024_y / 12 / 5, hours(12));
        store->saveAccount(business);
        store->saveBudget(budget(business.id, "monthly", "5"));  // 50 % at $2.50, 100 % at $5
    }
    RecorderOptions options(RecorderOptions base) {
        base.clock = clock;
        base.rate_card = std::make_shared<const RateCard>(RateCard::fromJson(gpt4o_card_json));
        base.on_budget_crossing = inbox.callback();
        return base;
    }
    std::set<std::string> expectedKeys() const {
        std::set<std::string> keys;
        for (int t : {50, 80, 100}) keys.insert(business.id.toString() + "/monthly/2024-12-01/" + std::to_string(t));
        return keys;
    }
};

std::set<std::string> keysOf(const std::map<std::string, int>& counts) {
    std::set<std::string> keys;
    for (const auto& [key, n] : counts) keys.insert(key);
    return keys;
}

}  // namespace

TEST_CASE("a synchronous recorder delivers each crossing once to its callback", "[budgets][alerts]") {
    AlertSetup setup;
    UsageRecorder recorder(setup.store, setup.options({.budget_refresh = std::chrono::milliseconds(0)}));
    recorder.recordLlmCall(setup.business.id, gpt250());  // 50 %
    recorder.deliverCrossings();
    CHECK(setup.inbox.deliveredCount() == 1);
    recorder.recordLlmCall(setup.business.id, gpt250());  // 100 %: 80 and 100
    recorder.recordLlmCall(setup.business.id, gpt250());  // 150 %: nothing new
    recorder.deliverCrossings();
    recorder.deliverCrossings();
    const auto delivered = setup.inbox.deliveredCopy();
    CHECK(keysOf(delivered) == setup.expectedKeys());
    for (const auto& [key, n] : delivered) CHECK(n == 1);
    CHECK(recorder.stats().crossings_delivered == 3);
    CHECK(recorder.stats().crossing_delivery_failures == 0);
    CHECK(setup.store->pendingCrossings(10).empty());
}

TEST_CASE("a synchronous recorder delivers at the record call that passes the refresh interval", "[budgets][alerts]") {
    AlertSetup setup;
    UsageRecorder recorder(setup.store, setup.options({.budget_refresh = std::chrono::milliseconds(1)}));
    recorder.recordLlmCall(setup.business.id, gpt250());
    recorder.recordLlmCall(setup.business.id, gpt250());
    // Each later call past the interval runs a round on its own thread.
    REQUIRE(eventually([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        recorder.checkBudget(setup.business.id);
        return setup.inbox.deliveredCount() == 3;
    }));
    CHECK(keysOf(setup.inbox.deliveredCopy()) == setup.expectedKeys());
    for (const auto& [key, n] : setup.inbox.deliveredCopy()) CHECK(n == 1);
}

TEST_CASE("an asynchronous recorder delivers each crossing once from its refresh thread", "[budgets][alerts]") {
    AlertSetup setup;
    RecorderOptions base;
    base.mode = RecordMode::async;
    base.async.spool = SpoolMode::off;
    base.budget_refresh = std::chrono::milliseconds(5);
    UsageRecorder recorder(setup.store, setup.options(base));
    for (int i = 0; i < 3; ++i) recorder.recordLlmCall(setup.business.id, gpt250());
    REQUIRE(eventually([&] { return setup.inbox.deliveredCount() == 3; }));
    // More rounds deliver nothing again.
    REQUIRE(eventually([&] { return recorder.stats().crossings_delivered == 3; }));
    recorder.deliverCrossings();
    CHECK(keysOf(setup.inbox.deliveredCopy()) == setup.expectedKeys());
    for (const auto& [key, n] : setup.inbox.deliveredCopy()) CHECK(n == 1);
    CHECK(recorder.stats().crossings_delivered == 3);
}

TEST_CASE("a callback that throws gets the crossing again at the next round", "[budgets][alerts]") {
    SECTION("synchronous") {
        AlertSetup setup;
        setup.inbox.failures = 2;  // every key fails twice
        UsageRecorder recorder(setup.store, setup.options({.budget_refresh = std::chrono::milliseconds(0)}));
        recorder.recordLlmCall(setup.business.id, gpt250());
        recorder.recordLlmCall(setup.business.id, gpt250());
        recorder.deliverCrossings();
        CHECK(setup.inbox.deliveredCount() == 0);
        CHECK(setup.store->pendingCrossings(10).size() == 3);
        recorder.deliverCrossings();
        CHECK(setup.inbox.deliveredCount() == 0);
        recorder.deliverCrossings();
        CHECK(keysOf(setup.inbox.deliveredCopy()) == setup.expectedKeys());
        CHECK(recorder.stats().crossing_delivery_failures == 6);
        CHECK(recorder.stats().crossings_delivered == 3);
        CHECK(setup.store->pendingCrossings(10).empty());
        recorder.deliverCrossings();
        for (const auto& [key, n] : setup.inbox.deliveredCopy()) CHECK(n == 1);
    }
    SECTION("asynchronous") {
        AlertSetup setup;
        setup.inbox.failures = 1;
        RecorderOptions base;
        base.mode = RecordMode::async;
        base.async.spool = SpoolMode::off;
        base.budget_refresh = std::chrono::milliseconds(5);
        UsageRecorder recorder(setup.store, setup.options(base));
        for (int i = 0; i < 2; ++i) recorder.recordLlmCall(setup.business.id, gpt250());
        REQUIRE(eventually([&] { return recorder.stats().crossings_delivered == 3; }));
        CHECK(keysOf(setup.inbox.deliveredCopy()) == setup.expectedKeys());
        CHECK(recorder.stats().crossing_delivery_failures >= 3);
    }
}

TEST_CASE("a crossing claimed while the store then fails is delivered once it is back", "[budgets][alerts]") {
    auto store = std::make_shared<UnreliableStore>();
    FixedClock clock;
    *clock.now = at(2024_y / 12 / 5, hours(12));
    const auto biz = account("Acme");
    store->saveAccount(biz);
    store->saveBudget(budget(biz.id, "monthly", "5"));
    Inbox inbox;
    RecorderOptions options;
    options.clock = clock;
    options.rate_card = std::make_shared<const RateCard>(RateCard::fromJson(gpt4o_card_json));
    options.budget_refresh = std::chrono::milliseconds(0);
    options.on_budget_crossing = inbox.callback();
    UsageRecorder recorder(store, options);
    recorder.recordLlmCall(biz.id, gpt250());
    store->down = true;
    recorder.deliverCrossings();
    CHECK(inbox.deliveredCount() == 0);
    CHECK(recorder.stats().crossing_delivery_failures == 1);
    store->down = false;
    recorder.deliverCrossings();
    CHECK(inbox.deliveredCount() == 1);
}
