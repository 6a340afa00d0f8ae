// SPDX-License-Identifier: MIT
// Budgets and hard caps: hand-worked numbers with a small rate card and a fixed clock.
#include <catch2/catch.hpp>

#include <thread>

#include "budget_table.h"
#include "decimal_access.h"
#include "metered/errors.h"
#include "metered/json.h"
#include "metered/memory_store.h"
#include "metered/usage_recorder.h"
#include "store_doubles.h"
#include "test_support.h"

using namespace metered;
using namespace metered::testing;
using namespace date::literals;
using std::chrono::hours;

namespace {

// gpt-4o: $2.50 per million input tokens, $10 per million output; Sonnet 4: $3 per million input.
constexpr std::string_view budgets_card_json = R"({"models": {
  "openai/gpt-4o": {"prices": [{"from": "2024-10-01", "per": "1M", "input": "2.50", "output": "10.00"}]},
  "anthropic/claude-sonnet-4": {"prices": [{"from": "2024-01-01", "per": "1M", "input": "3", "output": "15"}]}}})";

LlmUsage call(std::string_view provider, std::string_view model, std::int64_t input, std::int64_t output = 0) {
    LlmUsage usage;
    usage.provider = provider;
    usage.model = model;
    usage.input_tokens = input;
    usage.output_tokens = output;
    return usage;
}

// $3 of Sonnet 4.
LlmUsage sonnet3() { return call("anthropic", "claude-sonnet-4", 1'000'000); }

RecorderOptions withCard(RecorderOptions options, const FixedClock& clock) {
    options.clock = clock;
    options.rate_card = std::make_shared<const RateCard>(RateCard::fromJson(budgets_card_json));
    return options;
}

struct BudgetSetup {
    std::shared_ptr<MemoryStore> store = std::make_shared<MemoryStore>();
    FixedClock clock;
    Account business = account("Acme Pizza");

    BudgetSetup() {
        *clock.now = at(2024_y / 12 / 5, hours(12));  // cycle Dec 1 – Jan 1: 31 days, 5 elapsed
        store->saveAccount(business);
    }
    Budget budget(std::string id, const char* amount, BudgetKind kind,
                  std::optional<std::string> model = std::nullopt) const {
        Budget b;
        b.id = std::move(id);
        b.business = business.id;
        b.model = std::move(model);
        b.amount = num(amount);
        b.kind = kind;
        return b;
    }
    RecorderOptions options(RecorderOptions base = {}) const {
        base.budget_refresh = std::chrono::milliseconds(0);
        return withCard(base, clock);
    }
};

// Polls checkBudget for up to 2 s: true once it refuses.
bool refusedWithin2s(UsageRecorder& recorder, const BusinessId& business) {
    for (int i = 0; i < 400; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        try {
            recorder.checkBudget(business);
        } catch (const BudgetExceededError&) {
            return true;
        }
    }
    return false;
}

}  // namespace

TEST_CASE("a hard budget refuses the calls after the one that reaches it; a soft one never refuses", "[budgets]") {
    BudgetSetup setup;
    setup.store->saveBudget(setup.budget("cap", "5.00", BudgetKind::hard));
    setup.store->saveBudget(setup.budget("watch", "1", BudgetKind::soft));
    UsageRecorder recorder(setup.store, setup.options());
    recorder.recordLlmCall(setup.business.id, gpt250());
    recorder.recordLlmCall(setup.business.id, gpt250());  // reaches 5.00: recorded
    try {
        recorder.recordLlmCall(setup.business.id, gpt250());
        FAIL("not refused");
    } catch (const BudgetExceededError& e) {
        CHECK(e.budgetId() == "cap");
        CHECK(e.amount() == num("5"));
        CHECK(e.spent() == num("5"));
    }
    CHECK_THROWS_AS(recorder.checkBudget(setup.business.id), BudgetExceededError);
    CHECK(setup.store->events(setup.business.id).size() == 2);
    // Other event types are not capped; another business is not affected.
    CHECK_NOTHROW(recorder.recordApiCall(setup.business.id));
    const Account other = account("Other");
    setup.store->saveAccount(other);
    CHECK_NOTHROW(recorder.recordLlmCall(other.id, gpt250()));

    // Soft only: nothing refused.
    setup.store->deleteBudget(setup.business.id, "cap");
    recorder.refreshBudgets();
    CHECK_NOTHROW(recorder.recordLlmCall(setup.business.id, gpt250()));
}

TEST_CASE("checkBudget refuses an estimate that would pass the amount", "[budgets]") {
    BudgetSetup setup;
    setup.store->saveBudget(setup.budget("cap", "5", BudgetKind::hard));
    UsageRecorder recorder(setup.store, setup.options());
    recorder.recordLlmCall(setup.business.id, gpt250());
    CHECK_NOTHROW(recorder.checkBudget(setup.business.id));
    CHECK_NOTHROW(recorder.checkBudget(setup.business.id, num("2.50")));  // exactly to the amount
    CHECK_THROWS_AS(recorder.checkBudget(setup.business.id, num("2.500000001")), BudgetExceededError);
    CHECK(errorField([&] { recorder.checkBudget(setup.business.id, num("-1")); }) == "estimate");
}

TEST_CASE("a model budget counts and caps that model only", "[budgets]") {
    BudgetSetup setup;
    setup.store->saveBudget(setup.budget("sonnet", "1", BudgetKind::hard, "anthropic/claude-sonnet-4"));
    UsageRecorder recorder(setup.store, setup.options());
    recorder.recordLlmCall(setup.business.id, gpt250());
    recorder.recordLlmCall(setup.business.id, gpt250());
    CHECK_NOTHROW(recorder.checkBudget(setup.business.id, num("0"), "anthropic/claude-sonnet-4"));
    recorder.recordLlmCall(setup.business.id, sonnet3());  // crosses: recorded
    CHECK_THROWS_AS(recorder.recordLlmCall(setup.business.id, sonnet3()), BudgetExceededError);
    CHECK_THROWS_AS(recorder.checkBudget(setup.business.id, num("0"), "anthropic/claude-sonnet-4"),
                    BudgetExceededError);
    CHECK_NOTHROW(recorder.checkBudget(setup.business.id));
    CHECK_NOTHROW(recorder.recordLlmCall(setup.business.id, gpt250()));

    const auto statuses = recorder.budgetStatus(setup.business.id);
    REQUIRE(statuses.size() == 1);
    CHECK(statuses[0].spent == num("3"));
    CHECK(statuses[0].exceeded);
    CHECK(statuses[0].remaining == num("0"));
    CHECK(statuses[0].percent == num("300"));
}

TEST_CASE("a refresh picks up what another recorder on the same store recorded", "[budgets]") {
    BudgetSetup setup;
    setup.store->saveBudget(setup.budget("cap", "5", BudgetKind::hard));
    UsageRecorder here(setup.store, setup.options());
    UsageRecorder elsewhere(setup.store, setup.options());  // "another process"
    elsewhere.recordLlmCall(setup.business.id, gpt250());
    elsewhere.recordLlmCall(setup.business.id, gpt250());
    CHECK_NOTHROW(here.checkBudget(setup.business.id));  // not yet refreshed: the overshoot bound
    here.refreshBudgets();
    CHECK_THROWS_AS(here.checkBudget(setup.business.id), BudgetExceededError);
    CHECK_THROWS_AS(here.recordLlmCall(setup.business.id, gpt250()), BudgetExceededError);

    // Raising the amount lifts the cap at the next refresh.
    setup.store->saveBudget(setup.budget("cap", "7.50", BudgetKind::hard));
    here.refreshBudgets();
    CHECK_NOTHROW(here.recordLlmCall(setup.business.id, gpt250()));
    CHECK_THROWS_AS(here.recordLlmCall(setup.business.id, gpt250()), BudgetExceededError);
}

TEST_CASE("a synchronous recorder refreshes by itself after the interval", "[budgets]") {
    BudgetSetup setup;
    setup.store->saveBudget(setup.budget("cap", "5", BudgetKind::hard));
    RecorderOptions options = withCard({}, setup.clock);
    options.budget_refresh = std::chrono::milliseconds(1);
    UsageRecorder here(setup.store, options);
    UsageRecorder elsewhere(setup.store, setup.options());
    elsewhere.recordLlmCall(setup.business.id, gpt250());
    elsewhere.recordLlmCall(setup.business.id, gpt250());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    CHECK_THROWS_AS(here.checkBudget(setup.business.id), BudgetExceededError);
}

TEST_CASE("budget status: spent, remaining, percent, thresholds and forecast, exact", "[budgets]") {
    BudgetSetup setup;
    setup.store->saveBudget(setup.budget("month", "10", BudgetKind::soft));
    UsageRecorder recorder(setup.store, setup.options());
    recorder.recordLlmCall(setup.business.id, gpt250());
    recorder.recordLlmCall(setup.business.id, gpt250());
    recorder.recordLlmCall(setup.business.id, call("openai", "gpt-4o", 0, 100'000));  // $1.00
    // Not a rate-card call: not spent.
    recorder.recordApiCall(setup.business.id);
    auto statuses = recorder.budgetStatus(setup.business.id);
    REQUIRE(statuses.size() == 1);
    const BudgetStatus& status = statuses[0];
    CHECK(status.budget.id == "month");
    CHECK(status.cycle == DayRange{date::local_days(2024_y / 12 / 1), date::local_days(2025_y / 1 / 1)});
    CHECK(status.spent == num("6"));
    CHECK(status.remaining == num("4"));
    CHECK(status.percent == num("60"));
    CHECK(status.crossed_thresholds == std::vector<int>{50});
    CHECK(status.forecast == num("37.20"));  // 6 / 5 days × 31 days
    CHECK(status.forecast.toString() == "37.20");
    CHECK_FALSE(status.exceeded);

    // On Dec 3: 1.00 / 3 × 31 = 10.333… → 10.33; 2/3 of 10 is 6.66…% → 6.66 (down).
    Budget b = setup.budget("b", "15", BudgetKind::hard);
    const DayRange december{date::local_days(2024_y / 12 / 1), date::local_days(2025_y / 1 / 1)};
    const auto third = budgetStatusOf(b, num("1"), december, date::local_days(2024_y / 12 / 3), 2);
    CHECK(third.forecast == num("10.33"));
    CHECK(third.percent == num("6.66"));
    CHECK(third.crossed_thresholds.empty());
    const auto full = budgetStatusOf(b, num("15"), december, date::local_days(2024_y / 12 / 31), 2);
    CHECK(full.crossed_thresholds == std::vector<int>{50, 80, 100});
    CHECK(full.forecast == num("15"));
    CHECK(full.exceeded);
    CHECK_THROWS_AS(recorder.budgetStatus(BusinessId(Uuid::generateV7())), NotFoundError);
}

TEST_CASE("a budget names the field it gets wrong", "[budgets]") {
    BudgetSetup setup;
    const auto field = [&](auto change) {
        Budget b = setup.budget("ok", "5", BudgetKind::hard);
        change(b);
        return errorField([&] { b.validate(); });
    };
    CHECK(field([](Budget&) {}).empty());
    CHECK(field([](Budget& b) { b.id = ""; }) == "id");
    CHECK(field([](Budget& b) { b.id = "has space"; }) == "id");
    CHECK(field([](Budget& b) { b.model = "gpt-4o"; }) == "model");
    CHECK(field([](Budget& b) { b.model = "openai/gpt-\xff"; }) == "model");
    CHECK(field([](Budget& b) { b.amount = num("0"); }) == "amount");
    CHECK(field([](Budget& b) { b.amount = num("0.0000000001"); }) == "amount");
    CHECK(field([](Budget& b) { b.amount = num("1000000001"); }) == "amount");
    CHECK(field([](Budget& b) { b.thresholds_percent = {50, 50}; }) == "thresholds_percent[1]");
    CHECK(field([](Budget& b) { b.thresholds_percent = {0}; }) == "thresholds_percent[0]");
    CHECK(errorField([] { parseBudgetKind("firm"); }) == "kind");
    CHECK(errorField([&] { setup.store->saveBudget(setup.budget("", "5", BudgetKind::hard)); }) == "id");
}

TEST_CASE("a new billing cycle starts the budget from zero", "[budgets]") {
    BudgetSetup setup;
    setup.store->saveBudget(setup.budget("cap", "5", BudgetKind::hard));
    UsageRecorder recorder(setup.store, setup.options());
    recorder.recordLlmCall(setup.business.id, gpt250());
    recorder.recordLlmCall(setup.business.id, gpt250());
    CHECK_THROWS_AS(recorder.recordLlmCall(setup.business.id, gpt250()), BudgetExceededError);
    *setup.clock.now = at(2025_y / 1 / 2, hours(1));
    CHECK_NOTHROW(recorder.checkBudget(setup.business.id));  // the old cycle's total says nothing now
    recorder.refreshBudgets();
    recorder.recordLlmCall(setup.business.id, gpt250());
    const auto statuses = recorder.budgetStatus(setup.business.id);
    REQUIRE(statuses.size() == 1);
    CHECK(statuses[0].spent == num("2.5"));
    CHECK(statuses[0].cycle.first == date::local_days(2025_y / 1 / 1));
    recorder.recordLlmCall(setup.business.id, gpt250());
    CHECK_THROWS_AS(recorder.recordLlmCall(setup.business.id, gpt250()), BudgetExceededError);
}

TEST_CASE("asynchronous recording caps in memory and refreshes after a flush", "[budgets][async]") {
    BudgetSetup setup;
    setup.store->saveBudget(setup.budget("cap", "5", BudgetKind::hard));
    UsageRecorder recorder(setup.store, setup.options(asyncInMemory()));
    CHECK(recorder.recordLlmCall(setup.business.id, gpt250()).outcome == RecordOutcome::queued);
    recorder.recordLlmCall(setup.business.id, gpt250());
    CHECK_THROWS_AS(recorder.recordLlmCall(setup.business.id, gpt250()), BudgetExceededError);
    recorder.refreshBudgets();  // flushes, reads 5.00 back: still refused, not counted twice
    CHECK(setup.store->events(setup.business.id).size() == 2);
    CHECK_THROWS_AS(recorder.checkBudget(setup.business.id), BudgetExceededError);
    setup.store->saveBudget(setup.budget("cap", "7.50", BudgetKind::hard));
    recorder.refreshBudgets();
    CHECK_NOTHROW(recorder.recordLlmCall(setup.business.id, gpt250()));
    CHECK_THROWS_AS(recorder.recordLlmCall(setup.business.id, gpt250()), BudgetExceededError);
    REQUIRE(recorder.flush());
    CHECK(setup.store->events(setup.business.id).size() == 3);
}

TEST_CASE("many small calls on several threads: refused only once the exact running total reaches the cap",
          "[budgets][async]") {
    // 10,003 calls of $0.000025 reach $0.250075. The decision reads only the published share
    // of the running total (written about every 1/1024 of the amount: here every 10 calls of
    // a thread) until it is near the amount, then the exact sum: no call is refused before
    // 10,003 are recorded, and at most one more per other thread gets through (a check and
    // an add are not one atomic step).
    BudgetSetup setup;
    setup.store->saveBudget(setup.budget("cap", "0.250075", BudgetKind::hard));
    RecorderOptions options = setup.options(asyncInMemory());
    options.budget_refresh = std::chrono::hours(1);  // no refresh: only the running total decides
    UsageRecorder recorder(setup.store, options);
    constexpr int threads = 4;
    std::atomic<int> recorded{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&] {
            for (;;) {
                try {
                    recorder.recordLlmCall(setup.business.id, call("openai", "gpt-4o", 10));
                    recorded.fetch_add(1);
                } catch (const BudgetExceededError&) {
                    return;
                }
            }
        });
    }
    for (std::thread& worker : workers) worker.join();
    CHECK(recorded.load() >= 10'003);
    CHECK(recorded.load() <= 10'003 + threads - 1);
    CHECK_THROWS_AS(recorder.checkBudget(setup.business.id), BudgetExceededError);
    REQUIRE(recorder.flush());
    CHECK(setup.store->events(setup.business.id).size() == static_cast<std::size_t>(recorded.load()));
}

TEST_CASE("the asynchronous refresher thread picks up another recorder's spend", "[budgets][async]") {
    BudgetSetup setup;
    setup.store->saveBudget(setup.budget("cap", "5", BudgetKind::hard));
    RecorderOptions options = withCard(asyncInMemory(), setup.clock);
    options.budget_refresh = std::chrono::milliseconds(5);
    UsageRecorder here(setup.store, options);
    UsageRecorder elsewhere(setup.store, setup.options());
    elsewhere.recordLlmCall(setup.business.id, gpt250());
    elsewhere.recordLlmCall(setup.business.id, gpt250());
    CHECK(refusedWithin2s(here, setup.business.id));
}

TEST_CASE("a refresh whose flush cannot finish still picks up another recorder's spend", "[budgets][async]") {
    // This recorder's appends hang (its queue never drains, so every flush times out);
    // the store's reads work. Others' spend must still reach the cap decision.
    BudgetSetup setup;
    auto slow = std::make_shared<UnreliableStore>();
    slow->inner = setup.store;
    setup.store->saveBudget(setup.budget("cap", "5", BudgetKind::hard));
    RecorderOptions options = withCard(asyncInMemory(), setup.clock);
    options.budget_refresh = std::chrono::milliseconds(5);
    UsageRecorder here(slow, options);
    slow->closeGate();
    here.recordLlmCall(setup.business.id, call("openai", "gpt-4o", 1000));  // queued, never stored meanwhile
    UsageRecorder elsewhere(setup.store, setup.options());
    elsewhere.recordLlmCall(setup.business.id, gpt250());
    elsewhere.recordLlmCall(setup.business.id, gpt250());
    CHECK(refusedWithin2s(here, setup.business.id));
    slow->openGate();
    CHECK(here.flush(std::chrono::seconds(10)));
    CHECK(here.stats().stored == 1);
}

TEST_CASE("a running total counts a cost below a nano-unit as a whole one: never below the exact spend", "[budgets]") {
    BudgetSetup setup;
    setup.store->saveBudget(setup.budget("tiny", "0.000000002", BudgetKind::hard));
    // $0.00000000015 a token: one token is 0.15 of a nano-dollar, counted as 1.
    auto card = std::make_shared<const RateCard>(RateCard::fromJson(
        R"({"models": {"x/tiny": {"prices": [{"from": "2024-01-01", "input": "0.00000000015"}]}}})"));
    RecorderOptions options = setup.options();
    options.rate_card = card;
    UsageRecorder recorder(setup.store, options);
    recorder.recordLlmCall(setup.business.id, call("x", "tiny", 1));  // 1 nano counted
    recorder.recordLlmCall(setup.business.id, call("x", "tiny", 1));  // 2: the amount is reached
    CHECK_THROWS_AS(recorder.recordLlmCall(setup.business.id, call("x", "tiny", 1)), BudgetExceededError);
    CHECK(setup.store->events(setup.business.id).size() == 2);
    // The store's exact spend (0.3 nano) is what a refresh reads: below the amount again.
    recorder.refreshBudgets();
    CHECK_NOTHROW(recorder.checkBudget(setup.business.id));
}

namespace {

Budget endUserBudget(const BudgetSetup& setup, std::string id, const char* amount, BudgetKind kind, std::string user) {
    Budget b = setup.budget(std::move(id), amount, kind);
    b.dimension = EventDimension{"end_user", std::move(user)};
    return b;
}

RecorderOptions withEndUsers(RecorderOptions options) {
    options.price_book = PriceBook({Plan::basic()}, "basic", {{"end_user", 16, 2}});
    return options;
}

}  // namespace

TEST_CASE("an end user's hard budget refuses that user's calls, not another's", "[budgets][dimensions]") {
    BudgetSetup setup;
    setup.store->saveBudget(endUserBudget(setup, "u1-cap", "4", BudgetKind::hard, "u-1"));
    setup.store->saveBudget(endUserBudget(setup, "u2-soft", "1", BudgetKind::soft, "u-2"));
    UsageRecorder recorder(setup.store, setup.options(withEndUsers({})));
    const std::array<DimensionValue, 1> u1 = {{{"end_user", "u-1"}}};
    const std::array<DimensionValue, 1> u2 = {{{"end_user", "u-2"}}};
    const std::array<DimensionValue, 1> u3 = {{{"end_user", "u-3"}}};
    recorder.recordLlmCall(setup.business.id, gpt250(), {.dimensions = u1});
    CHECK_NOTHROW(recorder.checkBudget(setup.business.id, num("1.5"), {}, u1));
    CHECK_THROWS_AS(recorder.checkBudget(setup.business.id, num("1.51"), {}, u1), BudgetExceededError);
    recorder.recordLlmCall(setup.business.id, gpt250(), {.dimensions = u1});  // $5 ≥ $4: crosses, recorded
    CHECK_THROWS_AS(recorder.recordLlmCall(setup.business.id, gpt250(), {.dimensions = u1}), BudgetExceededError);
    CHECK_THROWS_AS(recorder.checkBudget(setup.business.id, num("0"), {}, u1), BudgetExceededError);
    // Another user, no user, and checkBudget without the value: not this budget's calls.
    CHECK_NOTHROW(recorder.recordLlmCall(setup.business.id, gpt250(), {.dimensions = u2}));
    CHECK_NOTHROW(recorder.recordLlmCall(setup.business.id, gpt250(), {.dimensions = u3}));
    CHECK_NOTHROW(recorder.recordLlmCall(setup.business.id, gpt250()));
    CHECK_NOTHROW(recorder.checkBudget(setup.business.id));
    CHECK_NOTHROW(recorder.checkBudget(setup.business.id, num("0"), {}, u2));  // soft: never refuses
    try {
        recorder.recordLlmCall(setup.business.id, sonnet3(), {.dimensions = u1});
        FAIL("u-1's call was recorded past its cap");
    } catch (const BudgetExceededError& e) {
        CHECK(e.budgetId() == "u1-cap");
    }

    // A refresh reads each value's spend from the store: the same figures.
    recorder.refreshBudgets();
    CHECK_THROWS_AS(recorder.checkBudget(setup.business.id, num("0"), {}, u1), BudgetExceededError);
    CHECK_NOTHROW(recorder.recordLlmCall(setup.business.id, gpt250(), {.dimensions = u2}));

    const auto statuses = recorder.budgetStatus(setup.business.id);
    REQUIRE(statuses.size() == 2);
    CHECK(statuses[0].budget.id == "u1-cap");
    CHECK(statuses[0].spent == num("5"));  // u-1's two calls only
    CHECK(statuses[0].exceeded);
    CHECK(statuses[0].crossed_thresholds == std::vector<int>{50, 80, 100});
    CHECK(statuses[1].budget.id == "u2-soft");
    CHECK(statuses[1].spent == num("5"));  // u-2's two calls
    CHECK(statuses[1].percent == num("500"));
    CHECK_FALSE(statuses[1].exceeded);
}

TEST_CASE("a dimension budget names the field it gets wrong", "[budgets][dimensions]") {
    BudgetSetup setup;
    const auto field = [&](auto change) {
        Budget b = endUserBudget(setup, "ok", "5", BudgetKind::hard, "u-42");
        change(b);
        return errorField([&] { b.validate(); });
    };
    CHECK(field([](Budget&) {}).empty());
    CHECK(field([](Budget& b) { b.model = "openai/gpt-4o"; }) == "dimension");
    CHECK(field([](Budget& b) { b.dimension->name = "model"; }) == "dimension.name");
    CHECK(field([](Budget& b) { b.dimension->name = "End User"; }) == "dimension.name");
    CHECK(field([](Budget& b) { b.dimension->name = ""; }) == "dimension.name");
    CHECK(field([](Budget& b) { b.dimension->value = ""; }) == "dimension.value");
    CHECK(field([](Budget& b) { b.dimension->value = std::string(257, 'x'); }) == "dimension.value");
    CHECK(field([](Budget& b) { b.dimension->value = "u-\xff"; }) == "dimension.value");
    CHECK(field([](Budget& b) { b.dimension->value = std::string("u\0x", 3); }) == "dimension.value");
    CHECK(field([](Budget& b) { b.dimension->value = "(other)"; }) == "dimension.value");
    CHECK(field([](Budget& b) { b.dimension->value = std::string(256, 'x'); }).empty());
    // JSON: the key only for a dimension budget.
    const Budget user = endUserBudget(setup, "u42", "5", BudgetKind::hard, "u-42");
    CHECK(to_json(user).ends_with(R"("kind":"hard","dimension":{"end_user":"u-42"}})"));
    CHECK(to_json(setup.budget("all", "5", BudgetKind::soft)).find("dimension") == std::string::npos);
    CHECK(errorField([&] { setup.store->saveBudget(endUserBudget(setup, "bad", "5", BudgetKind::hard, "")); }) ==
          "dimension.value");
}

TEST_CASE("a refresh reads an end user's spend that another recorder stored", "[budgets][dimensions]") {
    BudgetSetup setup;
    setup.store->saveBudget(endUserBudget(setup, "u1-cap", "4", BudgetKind::hard, "u-1"));
    UsageRecorder first(setup.store, setup.options(withEndUsers({})));
    UsageRecorder second(setup.store, setup.options(withEndUsers({})));
    const std::array<DimensionValue, 1> u1 = {{{"end_user", "u-1"}}};
    const std::array<DimensionValue, 1> u2 = {{{"end_user", "u-2"}}};
    second.recordLlmCall(setup.business.id, gpt250(), {.dimensions = u2});
    second.recordLlmCall(setup.business.id, gpt250(), {.dimensions = u1});
    second.recordLlmCall(setup.business.id, gpt250(), {.dimensions = u1});
    CHECK_NOTHROW(first.checkBudget(setup.business.id, num("0"), {}, u1));  // not refreshed yet
    first.refreshBudgets();
    CHECK_THROWS_AS(first.checkBudget(setup.business.id, num("0"), {}, u1), BudgetExceededError);
    CHECK_THROWS_AS(first.recordLlmCall(setup.business.id, gpt250(), {.dimensions = u1}), BudgetExceededError);
    CHECK_NOTHROW(first.checkBudget(setup.business.id, num("0"), {}, u2));
    CHECK(first.budgetStatus(setup.business.id).at(0).spent == num("5"));
}

TEST_CASE("a budget counts in nanos: amounts rounded up, saturated, never negative", "[budgets]") {
    using detail::ceilNanos;
    constexpr std::int64_t limit = INT64_MAX / 4;  // 2305843009213693951
    CHECK(ceilNanos(Decimal(0)) == 0);
    CHECK(ceilNanos(Decimal::parse("-3.5")) == 0);
    CHECK(ceilNanos(Decimal::parse("0.25")) == 250'000'000);
    CHECK(ceilNanos(Decimal(1)) == 1'000'000'000);
    CHECK(ceilNanos(Decimal::parse("0.000000001")) == 1);
    CHECK(ceilNanos(Decimal::parse("0.0000000001")) == 1);  // rounded up
    CHECK(ceilNanos(Decimal::parse("0.0000000015")) == 2);
    CHECK(ceilNanos(Decimal::parse("0.000000002000000000000")) == 2);
    CHECK(ceilNanos(Decimal::parse("2305843009.213693951")) == limit);
    CHECK(ceilNanos(Decimal::parse("2305843009.213693950")) == limit - 1);
    CHECK(ceilNanos(Decimal::parse("2305843009.2136939509")) == limit);
    CHECK(ceilNanos(Decimal::parse("2305843009.213693952")) == limit);  // saturated
    CHECK(ceilNanos(Decimal(2'305'843'009)) == 2'305'843'009'000'000'000);
    CHECK(ceilNanos(Decimal(2'305'843'010)) == limit);
    CHECK(ceilNanos(Decimal::parse("99999999999999999999999999999999999999")) == limit);
    // Every scale up to 9 against the product in 128 bits, at and around each saturation point.
    for (int scale = 0; scale <= 9; ++scale) {
        std::int64_t factor = 1;
        for (int k = scale; k < 9; ++k) factor *= 10;
        for (const std::int64_t m :
             {std::int64_t{1}, limit / factor - 1, limit / factor, limit / factor + 1, std::int64_t{INT64_MAX}}) {
            INFO("mantissa " << m << ", scale " << scale);
            const detail::int128 product = static_cast<detail::int128>(m) * factor;
            CHECK(ceilNanos(Decimal::fromMantissa(m, scale)) ==
                  (product > limit ? limit : static_cast<std::int64_t>(product)));
        }
    }
}
