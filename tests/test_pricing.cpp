// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include "metered/errors.h"
#include "metered/pricing.h"

using namespace metered;

namespace {
Decimal d(const char* text) { return Decimal::parse(text); }

Plan tieredPlan(PricingModel model) {
    Meter meter;
    meter.type = EventType::aiQuery();
    meter.unit = "query";
    meter.included = d("100");
    meter.model = model;
    meter.unit_price = d("0.05");
    meter.tiers = {Tier{d("1000"), d("0.05"), d("0")}, Tier{d("5000"), d("0.04"), d("10")},
                   Tier{std::nullopt, d("0.03"), d("25")}};
    Plan plan;
    plan.id = "tiered";
    plan.meters = {meter};
    return plan;
}
}  // namespace

TEST_CASE("the seed scenario on the basic plan is $8.31", "[pricing]") {
    const PricingCalculator calculator(Plan::basic());
    const std::vector<UsageTotal> totals = {
        {EventType::apiCall(), d("1500"), 1500, {}},
        {EventType::voiceMinute(), d("75.5"), 30, {}},
        {EventType::aiQuery(), d("150"), 150, {}},
        {EventType::storageMb(), d("1500"), 3, {}},
    };
    const Bill bill = calculator.bill(totals);
    REQUIRE(bill.lines.size() == 4);
    CHECK(bill.line(EventType::apiCall())->amount.toString() == "5.00");
    CHECK(bill.line(EventType::voiceMinute())->amount.toString() == "0.31");
    CHECK(bill.line(EventType::aiQuery())->amount.toString() == "2.50");
    CHECK(bill.line(EventType::storageMb())->amount.toString() == "0.50");
    CHECK(bill.total.toString() == "8.31");
    const LineItem& voice = *bill.line(EventType::voiceMinute());
    CHECK(voice.included == d("60"));
    CHECK(voice.billable == d("15.5"));
    CHECK(voice.exact_amount == d("0.31"));
}

TEST_CASE("usage within the allowance costs nothing", "[pricing]") {
    const PricingCalculator calculator(Plan::basic());
    const LineItem line = calculator.price(EventType::apiCall(), d("150"));
    CHECK(line.amount == Decimal(0));
    CHECK(line.included == d("150"));
    CHECK(line.billable == Decimal(0));
    // The seed's example priced these 150 calls at $1.50 although 1000 are included.
}

TEST_CASE("rounding happens once per line, in the plan's mode", "[pricing]") {
    Plan plan = Plan::basic();
    const PricingCalculator even(plan);
    // 60.25 minutes: 0.25 billable × $0.02 = $0.005 exactly: a tie.
    CHECK(even.price(EventType::voiceMinute(), d("60.25")).exact_amount == d("0.005"));
    CHECK(even.price(EventType::voiceMinute(), d("60.25")).amount.toString() == "0.00");
    CHECK(even.price(EventType::voiceMinute(), d("60.75")).amount.toString() == "0.02");  // 0.015 → 0.02
    plan.rounding = Rounding::half_up;
    const PricingCalculator up(plan);
    CHECK(up.price(EventType::voiceMinute(), d("60.25")).amount.toString() == "0.01");
    // $0.001 per MB and fractional cents are exact before rounding.
    CHECK(even.price(EventType::storageMb(), d("1000.7")).exact_amount == d("0.0007"));
}

TEST_CASE("graduated tiers price each tier's units and flat fees of tiers reached", "[pricing]") {
    const PricingCalculator calculator(tieredPlan(PricingModel::graduated));
    // 6000 queries: 100 free; 900 at 0.05; 4000 at 0.04 + 10; 1000 at 0.03 + 25.
    const LineItem line = calculator.price(EventType::aiQuery(), d("6000"));
    REQUIRE(line.tiers.size() == 3);
    CHECK(line.tiers[0].quantity == d("900"));
    CHECK(line.tiers[1].quantity == d("4000"));
    CHECK(line.tiers[2].quantity == d("1000"));
    CHECK(line.exact_amount == d("45") + d("170") + d("55"));
    CHECK(line.amount.toString() == "270.00");
    // Inside the allowance: no tier is reached, no flat fee.
    CHECK(calculator.price(EventType::aiQuery(), d("100")).amount == Decimal(0));
    CHECK(calculator.price(EventType::aiQuery(), d("100")).tiers.empty());
    // Fractional quantities are continuous across a bound.
    const LineItem split = calculator.price(EventType::aiQuery(), d("1000.5"));
    REQUIRE(split.tiers.size() == 2);
    CHECK(split.tiers[0].quantity == d("900"));
    CHECK(split.tiers[1].quantity == d("0.5"));
    CHECK(split.exact_amount == d("45") + d("0.02") + d("10"));
}

TEST_CASE("volume tiers price every billable unit at the tier the quantity falls in", "[pricing]") {
    const PricingCalculator calculator(tieredPlan(PricingModel::volume));
    const LineItem line = calculator.price(EventType::aiQuery(), d("6000"));
    REQUIRE(line.tiers.size() == 1);
    CHECK(line.tiers[0].tier == 2);
    CHECK(line.exact_amount == d("5900") * d("0.03") + d("25"));
    const LineItem edge = calculator.price(EventType::aiQuery(), d("1000"));  // bound is inclusive
    CHECK(edge.tiers[0].tier == 0);
    CHECK(edge.exact_amount == d("900") * d("0.05"));
    CHECK(calculator.price(EventType::aiQuery(), d("50")).amount == Decimal(0));
}

TEST_CASE("package pricing charges whole packages after the allowance", "[pricing]") {
    Plan plan = Plan::basic();
    Meter& storage = *plan.meter(EventType::storageMb());
    storage.model = PricingModel::package;
    storage.package_size = d("500");
    storage.package_price = d("0.40");
    const PricingCalculator calculator(plan);
    CHECK(calculator.price(EventType::storageMb(), d("1000")).packages == Decimal(0));
    CHECK(calculator.price(EventType::storageMb(), d("1000.001")).packages == Decimal(1));
    CHECK(calculator.price(EventType::storageMb(), d("1500")).packages == Decimal(1));
    CHECK(calculator.price(EventType::storageMb(), d("1501")).amount.toString() == "0.80");
}

TEST_CASE("bad plans and quantities are refused", "[pricing]") {
    Plan plan = Plan::basic();
    plan.meter(EventType::apiCall())->unit_price = d("-0.01");
    try {
        PricingCalculator{plan};
        FAIL("no exception");
    } catch (const ValidationError& e) {
        CHECK(e.field() == "plans.basic.meters.api_call.unit_price");
    }
    Plan tiers = tieredPlan(PricingModel::graduated);
    tiers.meters[0].tiers[1].up_to = d("900");
    CHECK_THROWS_AS(PricingCalculator{tiers}, ValidationError);
    tiers = tieredPlan(PricingModel::graduated);
    tiers.meters[0].tiers.back().up_to = d("9000");
    CHECK_THROWS_AS(PricingCalculator{tiers}, ValidationError);

    const PricingCalculator calculator(Plan::basic());
    CHECK_THROWS_AS(calculator.price(EventType::apiCall(), d("-1")), ValidationError);
    CHECK_THROWS_AS(calculator.price(EventType("sms"), d("1")), ValidationError);
}

TEST_CASE("daily costs sum to the period's bill", "[pricing]") {
    const PricingCalculator calculator(Plan::basic());
    std::vector<std::vector<UsageTotal>> days = {
        {{EventType::apiCall(), d("600"), 600, {}}},
        {{EventType::apiCall(), d("600"), 600, {}}, {EventType::voiceMinute(), d("61.3"), 2, {}}},
        {},
        {{EventType::voiceMinute(), d("0.3"), 1, {}}},
    };
    const auto costs = calculator.dailyCosts(days);
    REQUIRE(costs.size() == 4);
    CHECK(costs[0] == Decimal(0));  // within the allowance
    CHECK(costs[1] == d("2.03"));   // 200 calls over + 1.3 minutes over (0.026 → 0.03)
    CHECK(costs[2] == Decimal(0));
    CHECK(costs[3] == d("0.00"));  // 1.6 minutes over: 0.032 → 0.03, no change
    std::vector<UsageTotal> all;
    for (const auto& day : days) all.insert(all.end(), day.begin(), day.end());
    CHECK(costs[0] + costs[1] + costs[2] + costs[3] == calculator.bill(all).total);
}
