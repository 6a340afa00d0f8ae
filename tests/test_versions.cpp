// SPDX-License-Identifier: MIT
// Plan and price versions, and plan changes of businesses, on every store: a change takes
// effect on a stated day, usage before it keeps the old prices, and a closed statement never
// moves.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "metered/errors.h"
#include "metered/json.h"
#include "metered/usage_reports.h"
#include "store_fixtures.h"
#include "test_support.h"

using namespace metered;
using namespace metered::testing;
using namespace date::literals;
using std::chrono::hours;

namespace {

const auto nov1 = date::local_days(2024_y / 11 / 1);
const auto nov16 = date::local_days(2024_y / 11 / 16);
const auto dec1 = date::local_days(2024_y / 12 / 1);

// basic with its api_call price changed to `price` from `effective` on.
Plan basicFrom(date::local_days effective, const char* price) {
    Plan plan = Plan::basic();
    plan.effective = effective;
    plan.meter(EventType::apiCall())->unit_price = num(price);
    return plan;
}

// A plan with 5000 api calls included at half a cent above them.
Plan pro(std::string_view currency = "USD") {
    Plan plan = Plan::basic();
    plan.id = "pro";
    plan.name = "Pro";
    plan.currency = Currency::of(currency);
    plan.meter(EventType::apiCall())->included = num("5000");
    plan.meter(EventType::apiCall())->unit_price = num("0.005");
    return plan;
}

template <class F>
void refusedWith(const char* field, F&& f) {
    INFO(field);
    try {
        f();
        FAIL("accepted");
    } catch (const ValidationError& e) {
        CHECK(e.field() == field);
    }
}

}  // namespace

TEST_CASE("a price book holds versions of a plan and finds the one in effect on a day", "[versions]") {
    const PriceBook book({Plan::basic(), basicFrom(nov16, "0.02"), basicFrom(dec1, "0.03")}, "basic");
    CHECK(book.findPlan("basic") == &book.plans()[0]);  // the first version
    CHECK(book.findPlan("basic", nov16 - date::days(1)) == &book.plans()[0]);
    CHECK(book.findPlan("basic", nov16) == &book.plans()[1]);
    CHECK(book.findPlan("basic", dec1 + date::days(40)) == &book.plans()[2]);
    CHECK(book.findPlan("gold", nov16) == nullptr);
    CHECK(book.versionDays("basic") == std::vector<date::local_days>{nov16, dec1});

    // JSON: `effective` on a plan object, read and written back exactly.
    const PriceBook again = PriceBook::fromJson(book.toJson());
    CHECK(again.plans() == book.plans());
    CHECK(nlohmann::json::parse(book.toJson())["plans"][1]["effective"] == "2024-11-16");

    refusedWith("plans.basic.effective", [] {
        PriceBook({Plan::basic(), basicFrom(nov16, "0.02"), basicFrom(nov16, "0.03")}, "basic");
    });
    refusedWith("plans.pro", [] {
        Plan later = pro();
        later.effective = nov16;
        PriceBook({Plan::basic(), later}, "basic");
    });
    refusedWith("plans.basic.currency", [] {
        Plan euro = basicFrom(nov16, "0.02");
        euro.currency = Currency::of("EUR");
        PriceBook({Plan::basic(), euro}, "basic");
    });
    refusedWith("plans.basic.effective", [] { basicFrom(date::local_days(1999_y / 12 / 31), "0.02").validate(); });
    refusedWith("plans[1].effective", [] {
        PriceBook::fromJson(R"({"plans": [{"id": "basic", "meters": {"api_call": {"unit_price": 0.01}}},
                                          {"id": "basic", "effective": "2024-02-30",
                                           "meters": {"api_call": {"unit_price": 0.02}}}]})");
    });
}

TEMPLATE_TEST_CASE("plan versions and plan changes are stored and read back on every store", "[store][versions]",
                   STORE_FIXTURES) {
    TestType fixture;
    UsageStore& store = *fixture.store;
    const Account acme = account("Acme Pizza");
    store.saveAccount(acme);

    store.savePlan(basicFrom(dec1, "0.03"));
    store.savePlan(basicFrom(nov16, "0.05"));
    store.savePlan(basicFrom(nov16, "0.02"));  // replaces the version of that day
    store.savePlan(pro());
    const auto plans = store.loadPlans();
    CHECK(plans == std::vector<Plan>{Plan::basic(), pro(), basicFrom(nov16, "0.02"), basicFrom(dec1, "0.03")});
    const PriceBook book = storedPriceBook(store);
    CHECK(book.findPlan("basic", nov16)->meter(EventType::apiCall())->unit_price == num("0.02"));

    refusedWith("plan.effective", [&] {
        Plan gold = pro();
        gold.id = "gold";
        gold.effective = nov16;
        store.savePlan(gold);
    });
    refusedWith("plans.basic.currency", [&] {
        Plan euro = basicFrom(dec1, "0.03");
        euro.currency = Currency::of("EUR");
        store.savePlan(euro);
    });
    refusedWith("plans.basic.currency", [&] {
        Plan euro = Plan::basic();
        euro.currency = Currency::of("EUR");
        store.savePlan(euro);
    });
    CHECK(store.loadPlans() == plans);  // nothing refused was stored

    // Plan changes: the first change of a day wins and never changes; earliest day first.
    const PlanChange to_pro{acme.id, dec1, "pro"};
    CHECK(store.savePlanChange(to_pro) == to_pro);
    CHECK(store.savePlanChange(PlanChange{acme.id, dec1, "basic"}) == to_pro);
    const PlanChange back{acme.id, nov16, "basic"};
    CHECK(store.savePlanChange(back) == back);
    CHECK(store.listPlanChanges(acme.id) == std::vector<PlanChange>{back, to_pro});
    CHECK(store.listPlanChanges(account("Other").id).empty());
    if constexpr (requires { fixture.sql(std::string()); }) {  // the database refuses changing one
        CHECK_THROWS(fixture.sql("UPDATE metered_plan_changes SET plan_id = 'basic'"));
        CHECK_THROWS(fixture.sql("DELETE FROM metered_plan_changes"));
        CHECK(store.listPlanChanges(acme.id) == std::vector<PlanChange>{back, to_pro});
    }
    CHECK_THROWS_AS(store.savePlanChange(PlanChange{account("Nobody").id, dec1, "pro"}), NotFoundError);
    refusedWith("plan_id", [&] { store.savePlanChange(PlanChange{acme.id, dec1, "a b"}); });
    refusedWith("effective", [&] {
        store.savePlanChange(PlanChange{acme.id, date::local_days(2200_y / 1 / 1), "pro"});
    });
}

TEMPLATE_TEST_CASE("usage before a price change keeps the old price; the cycle's allowance is used once",
                   "[store][versions][statements]", STORE_FIXTURES) {
    TestType fixture;
    UsageStore& store = *fixture.store;
    FixedClock clock;
    *clock.now = at(2024_y / 12 / 5, hours(12));
    const Account acme = account("Acme Pizza");
    store.saveAccount(acme);
    store.savePlan(basicFrom(nov16, "0.02"));
    const UsageReports reports(fixture.store, clock);

    // 1500 calls on Nov 3 (1000 included, 500 at $0.01), 500 on Nov 20 at the new $0.02.
    store.append(std::vector{event(acme.id, EventType::apiCall(), "1500", at(2024_y / 11 / 3, hours(9))),
                             event(acme.id, EventType::apiCall(), "500", at(2024_y / 11 / 20, hours(9)))});
    const BillingUsage november = reports.getBillingUsage(acme.id, PeriodSpec::previousCycle());
    CHECK(november.bill.total == num("15.00"));
    CHECK(november.cost(EventType::apiCall()) == num("15.00"));
    std::vector<std::pair<std::optional<date::local_days>, Decimal>> api_lines;
    for (const LineItem& line : november.bill.lines) {
        if (line.type == EventType::apiCall()) api_lines.emplace_back(line.from, line.amount);
    }
    CHECK(api_lines == decltype(api_lines){{nov1, num("5.00")}, {nov16, num("10.00")}});
    const auto json = nlohmann::json::parse(to_json(november));
    CHECK(json["breakdown"]["apiCalls"]["count"] == 2000);

    // Trends price each day at its own version, and sum to the bill.
    *clock.now = at(2024_y / 11 / 30, hours(12));
    Decimal trend_total;
    for (const TrendPoint& point : reports.getUsageTrends(acme.id, 30)) trend_total += point.cost;
    CHECK(trend_total == num("15.00"));

    // Closed, the statement keeps its prices: a later version reaching back into November
    // (saved after the close) changes neither it nor the next statement.
    *clock.now = at(2024_y / 12 / 5, hours(12));
    const Statement closed = reports.closeStatement(acme.id, PeriodSpec::previousCycle());
    CHECK(closed.total == num("15.00"));
    store.savePlan(basicFrom(date::local_days(2024_y / 11 / 20), "1.00"));
    const UsageReports repriced(fixture.store, clock);
    CHECK(repriced.getStatement(acme.id, PeriodSpec::previousCycle()) == closed);
    *clock.now = at(2025_y / 1 / 5, hours(12));
    CHECK(repriced.closeStatement(acme.id, PeriodSpec::previousCycle()).adjustments.empty());
    // A late event in the closed November is billed on the next statement at November's prices.
    store.append(std::vector{event(acme.id, EventType::apiCall(), "100", at(2024_y / 11 / 25, hours(9)))});
    *clock.now = at(2025_y / 2 / 5, hours(12));
    CHECK(repriced.closeStatement(acme.id, PeriodSpec::previousCycle()).adjustments ==
          std::vector<StatementAdjustment>{{{nov1, dec1}, num("2.00")}});  // 100 calls at $0.02
}

TEMPLATE_TEST_CASE("a plan change takes effect at the next cycle or at once", "[store][versions]", STORE_FIXTURES) {
    TestType fixture;
    UsageStore& store = *fixture.store;
    FixedClock clock;
    *clock.now = at(2024_y / 11 / 16, hours(12));
    const Account acme = account("Acme Pizza");
    const Account bistro = account("Bistro");
    store.saveAccount(acme);
    store.saveAccount(bistro);
    store.savePlan(pro());
    Plan euro = pro("EUR");
    euro.id = "euro";
    store.savePlan(euro);
    const UsageReports reports(fixture.store, clock);
    for (const Account& business : {acme, bistro}) {
        store.append(std::vector{event(business.id, EventType::apiCall(), "1500", at(2024_y / 11 / 3, hours(9))),
                                 event(business.id, EventType::apiCall(), "500", at(2024_y / 11 / 20, hours(9)))});
    }

    // At the next cycle (the default): November stays on basic.
    CHECK(reports.changePlan(acme.id, "pro") == PlanChange{acme.id, dec1, "pro"});
    CHECK(reports.currentPlan(acme.id).id == "basic");
    CHECK(reports.getBillingUsage(acme.id).bill.total == num("10.00"));  // 1000 above basic's allowance
    // At once: Nov 1-15 on basic (500 billable calls, $5.00); from Nov 16 on pro, whose
    // allowance covers the cycle's 2000 calls: nothing more.
    CHECK(reports.changePlan(bistro.id, "pro", PlanChangeTiming::immediately) == PlanChange{bistro.id, nov16, "pro"});
    CHECK(reports.currentPlan(bistro.id).id == "pro");
    const Bill bill = reports.getBillingUsage(bistro.id).bill;
    CHECK(bill.total == num("5.00"));
    CHECK(bill.plan_id == "pro");

    refusedWith("plan_id", [&] { reports.changePlan(acme.id, "euro"); });
    CHECK_THROWS_AS(reports.changePlan(acme.id, "gold"), NotFoundError);

    // December: acme on pro from its first day.
    *clock.now = at(2024_y / 12 / 5, hours(12));
    CHECK(reports.currentPlan(acme.id).id == "pro");
    CHECK(reports.checkQuota(acme.id, EventType::apiCall()).included == num("5000"));
    CHECK(reports.closeStatement(acme.id, PeriodSpec::previousCycle()).plan_id == "basic");
    const Statement bistro_november = reports.closeStatement(bistro.id, PeriodSpec::previousCycle());
    CHECK(bistro_november.total == num("5.00"));
    CHECK(bistro_november.plan_id == "pro");
    // Its kept pricing holds both plans, so a late November event re-prices at November's plans.
    store.append(std::vector{event(bistro.id, EventType::apiCall(), "4000", at(2024_y / 11 / 28, hours(9)))});
    *clock.now = at(2025_y / 1 / 5, hours(12));
    CHECK(reports.closeStatement(bistro.id, PeriodSpec::previousCycle()).adjustments ==
          std::vector<StatementAdjustment>{{{nov1, dec1}, num("5.00")}});  // 6000 on pro: 1000 at $0.005
}

TEST_CASE("the recorder prices an event at the list price of its day's version", "[versions][recorder]") {
    auto store = std::make_shared<MemoryStore>();
    const Account acme = account("Acme Pizza");
    store->saveAccount(acme);
    FixedClock clock;
    *clock.now = at(2024_y / 11 / 25, hours(12));
    for (const RecordMode mode : {RecordMode::sync, RecordMode::async}) {
        INFO((mode == RecordMode::sync ? "sync" : "async"));
        const Account business = account(mode == RecordMode::sync ? "Sync" : "Async");
        store->saveAccount(business);
        UsageRecorder recorder(store, {.price_book = PriceBook({Plan::basic(), basicFrom(nov16, "0.02")}, "basic"),
                                       .clock = clock,
                                       .mode = mode});
        for (const auto day : {2024_y / 11 / 15, 2024_y / 11 / 16}) {
            for (int i = 0; i < 10; ++i) recorder.recordApiCall(business.id, {}, {.occurred_at = at(day, hours(23))});
        }
        recorder.record(business.id, EventType::apiCall(), num("5"), {}, {.occurred_at = at(2024_y / 11 / 20)});
        REQUIRE(recorder.flush(std::chrono::seconds(30)));
        const auto totals = store->totals(business.id, {nov1, dec1});
        REQUIRE(totals.size() == 1);
        CHECK(totals[0].list_cost == num("0.40"));  // 10 at $0.01, 15 at $0.02
    }
}
