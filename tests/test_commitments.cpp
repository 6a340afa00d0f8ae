// SPDX-License-Identifier: MIT
// Minimums (true-ups) and maximums (caps) of meters and plans, settled once per billing
// cycle on its last day, and a plan's recurring fee, charged on its first: prorated by the
// days each plan version prices; checked against Lago's published cases (getlago/lago-api@1b1c24a6 specs and docs;
// amounts there in cents where the field says so, here in dollars) and on every store.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <random>

#include "commitments.h"
#include "metered/errors.h"
#include "metered/json.h"
#include "metered/price_book.h"
#include "metered/usage_reports.h"
#include "store_fixtures.h"
#include "test_support.h"

using namespace metered;
using namespace metered::testing;
using namespace date::literals;
using std::chrono::hours;

namespace {

// A plan pricing "usage" at $1 per unit, with the given extra meter and plan fields (JSON).
Plan unitPlan(const std::string& meter_extra, const std::string& plan_extra = "") {
    return PriceBook::fromJson(R"({"plans": [{"id": "p", "currency": "USD", )" + plan_extra +
                               R"("meters": {"usage": {"unit_price": 1)" + meter_extra + "}}}]}")
        .plan("p");
}

Bill billOf(const Plan& plan, const char* quantity) {
    const std::vector<UsageTotal> usage = {{EventType("usage"), num(quantity), 1, {}}};
    return PricingCalculator(plan).bill(usage);
}

// The commitment lines of `plan` for charges of `charged` over `days` of a `cycle_days` cycle.
std::vector<CommitmentLine> settled(const Plan& plan, const char* charged, int days, int cycle_days) {
    Bill bill = billOf(plan, "0");
    bill.commitments.clear();
    bill.lines.front().amount = num(charged);
    bill.total = num(charged);
    const detail::VersionDays version{&plan, days};
    detail::settleCommitments(bill, std::span(&version, 1), cycle_days, std::nullopt);
    return bill.commitments;
}

}  // namespace

TEST_CASE("a meter's minimum is trued up and its maximum caps it, once per cycle", "[pricing][commitments]") {
    // Lago's spending minimum (spec/services/fees/create_true_up_service_spec.rb): a $10.00
    // minimum, $7.00 used over the whole period: a $3.00 true-up; $15.00 used: none.
    const Plan minimum = unitPlan(R"(, "minimum": 10)");
    const Bill short_of = billOf(minimum, "7");
    REQUIRE(short_of.commitments.size() == 1);
    const CommitmentLine& true_up = short_of.commitments[0];
    CHECK(true_up.kind == CommitmentKind::minimum);
    CHECK(true_up.type == EventType("usage"));
    CHECK(true_up.limit == num("10"));
    CHECK(true_up.charged.toString() == "7.00");
    CHECK(true_up.amount.toString() == "3.00");
    CHECK(short_of.total.toString() == "10.00");
    CHECK(billOf(minimum, "15").commitments.empty());
    CHECK(billOf(minimum, "15").total.toString() == "15.00");

    // A cap takes off what is above it; the minimum is applied first.
    const Plan both = unitPlan(R"(, "minimum": 10, "maximum": 12.5)");
    const Bill capped = billOf(both, "20");
    REQUIRE(capped.commitments.size() == 1);
    CHECK(capped.commitments[0].kind == CommitmentKind::maximum);
    CHECK(capped.commitments[0].amount.toString() == "-7.50");
    CHECK(capped.total.toString() == "12.50");
    CHECK(billOf(both, "11").commitments.empty());
    CHECK(billOf(both, "0").total.toString() == "10.00");
}

TEST_CASE("a plan's minimum and maximum bound the whole bill, after the meters'", "[pricing][commitments]") {
    // Lago's minimum commitment (getlago.com/docs/guide/lago-cloud/contract-billing): $1,000 a
    // month, $800 used: a $200 true-up; $1,300 used: none.
    const Plan commitment = unitPlan("", R"("minimum": 1000, )");
    CHECK(billOf(commitment, "800").commitments.at(0).amount.toString() == "200.00");
    CHECK(billOf(commitment, "800").total.toString() == "1000.00");
    CHECK(billOf(commitment, "1300").commitments.empty());
    // A plan's bound sees the meters' true-ups: a $50 meter minimum raises $30 of usage to
    // $50, and the plan's $40 cap brings the bill down to $40.
    const Plan layered = unitPlan(R"(, "minimum": 50)", R"("maximum": 40, )");
    const Bill bill = billOf(layered, "30");
    REQUIRE(bill.commitments.size() == 2);
    CHECK(bill.commitments[0].type == EventType("usage"));
    CHECK(bill.commitments[0].amount.toString() == "20.00");
    CHECK_FALSE(bill.commitments[1].type);
    CHECK(bill.commitments[1].charged.toString() == "50.00");
    CHECK(bill.commitments[1].amount.toString() == "-10.00");
    CHECK(bill.total.toString() == "40.00");
    const auto json = nlohmann::json::parse(to_json(bill));
    CHECK(json["commitments"][1]["type"].is_null());
    CHECK(json["commitments"][1]["kind"] == "maximum");
}

TEST_CASE("minimums and maximums are prorated by days, as Lago's", "[pricing][commitments]") {
    // create_true_up_service_spec.rb "when prorated": a $10.00 minimum, 15 of 31 days, $2.00
    // used: 10 / 31 × 15 − 2 = $2.84.
    const Plan minimum = unitPlan(R"(, "minimum": 10)");
    auto lines = settled(minimum, "2.00", 15, 31);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].limit.toString() == "4.84");
    CHECK(lines[0].amount.toString() == "2.84");
    // spec/scenarios/spending_minimum_spec.rb: 25 of 28 days; $8.00 used against $10: $0.93;
    // $70.00 used (filter lines of $20 and $50) against $100: $19.29.
    CHECK(settled(minimum, "8.00", 25, 28).at(0).amount.toString() == "0.93");
    CHECK(settled(unitPlan(R"(, "minimum": 100)"), "70.00", 25, 28).at(0).amount.toString() == "19.29");
    // calculate_amount_service_spec.rb: a $30.00 weekly commitment over 6 of 7 days is $25.71;
    // $200.00 monthly over 30 of 31 days is $193.55.
    CHECK(settled(unitPlan("", R"("minimum": 30, )"), "0.00", 6, 7).at(0).limit.toString() == "25.71");
    CHECK(settled(unitPlan("", R"("minimum": 200, )"), "0.00", 30, 31).at(0).limit.toString() == "193.55");
    // Rounded once, in the plan's mode: a third of $10.
    CHECK(settled(unitPlan(R"(, "minimum": 10)", R"("rounding": "up", )"), "0.00", 1, 3).at(0).limit.toString() ==
          "3.34");
    CHECK(settled(unitPlan(R"(, "minimum": 10)", R"("rounding": "down", )"), "0.00", 1, 3).at(0).limit.toString() ==
          "3.33");
}

TEST_CASE("a cycle priced by several versions weighs their limits by days", "[pricing][commitments]") {
    const Plan a = unitPlan(R"(, "minimum": 100, "maximum": 500)");
    const Plan b = unitPlan(R"(, "minimum": 300)");
    Bill bill = billOf(a, "0");
    bill.commitments.clear();
    bill.total = bill.lines.front().amount;
    const std::vector<detail::VersionDays> versions = {{&a, 10}, {&b, 20}};
    detail::settleCommitments(bill, versions, 30, date::local_days(2024_y / 11 / 1));
    REQUIRE(bill.commitments.size() == 1);                    // b has no maximum: no cap for the cycle
    CHECK(bill.commitments[0].limit.toString() == "233.33");  // (100 × 10 + 300 × 20) / 30
    CHECK(bill.commitments[0].from == date::local_days(2024_y / 11 / 1));
    CHECK_THROWS_AS(detail::settleCommitments(bill, {}, 30, std::nullopt), ArithmeticError);
}

// Properties over random plans and usage (a fixed seed: the same cases every run).
TEST_CASE("a minimum never lowers a bill, a maximum never raises it", "[pricing][commitments]") {
    std::mt19937_64 random(17);
    auto pick = [&](int low, int high) { return std::uniform_int_distribution<int>(low, high)(random); };
    for (int round = 0; round < 400; ++round) {
        Plan plain = unitPlan("");
        plain.meters[0].unit_price = Decimal::fromMantissa(pick(1, 500), 2);
        const Decimal usage = Decimal::fromMantissa(pick(0, 100000), 1);
        const std::vector<UsageTotal> totals = {{EventType("usage"), usage, pick(0, 50), {}}};
        const Decimal without = PricingCalculator(plain).bill(totals).total;
        const Decimal minimum = Decimal::fromMantissa(pick(0, 100000), 2);
        const Decimal maximum = minimum + Decimal::fromMantissa(pick(0, 100000), 2);

        Plan with = plain;
        (pick(0, 1) == 0 ? with.minimum : with.meters[0].minimum) = minimum;
        const Decimal raised = PricingCalculator(with).bill(totals).total;
        CHECK(raised >= without);
        CHECK(raised == max(without, minimum));

        with = plain;
        (pick(0, 1) == 0 ? with.maximum : with.meters[0].maximum) = maximum;
        const Decimal capped = PricingCalculator(with).bill(totals).total;
        CHECK(capped <= without);
        CHECK(capped == min(without, maximum));

        with.minimum = minimum;  // both: the bill lands between them
        with.maximum = maximum;
        const Decimal bounded = PricingCalculator(with).bill(totals).total;
        CHECK(bounded >= minimum);
        CHECK(bounded <= maximum);
    }
}

TEST_CASE("bad minimums and maximums name the field", "[pricing][commitments]") {
    const auto field = [](const std::string& meter_extra, const std::string& plan_extra = "") {
        try {
            unitPlan(meter_extra, plan_extra);
        } catch (const ValidationError& e) {
            return e.field();
        }
        return std::string("(accepted)");
    };
    CHECK(field(R"(, "minimum": -1)") == "plans.p.meters.usage.minimum");
    CHECK(field(R"(, "maximum": 0.001)") == "plans.p.meters.usage.maximum");
    CHECK(field(R"(, "minimum": 5, "maximum": 4)") == "plans.p.meters.usage.minimum");
    CHECK(field("", R"("minimum": 100, "maximum": 50, )") == "plans.p.minimum");
    CHECK(field("", R"("maximum": "lots", )") == "plans[0].maximum");
    CHECK(field(R"(, "minimum": null)") == "(accepted)");
}

TEMPLATE_TEST_CASE("a cycle's minimums and maximums settle on its last day, on every store", "[store][commitments]",
                   STORE_FIXTURES) {
    TestType fixture;
    UsageStore& store = *fixture.store;
    FixedClock clock;
    *clock.now = at(2024_y / 12 / 5, hours(12));
    Plan committed = Plan::basic();
    committed.id = "committed";
    committed.meter(EventType::apiCall())->minimum = num("30");  // a $30 minimum on API calls
    committed.maximum = num("100");                              // and the bill capped at $100
    store.savePlan(committed);
    const Account acme = account("Acme Pizza", "UTC", "committed");
    store.saveAccount(acme);
    const auto loaded = store.loadPlans();
    CHECK(*std::find_if(loaded.begin(), loaded.end(), [](const Plan& p) { return p.id == "committed"; }) == committed);
    const UsageReports reports(fixture.store, clock);

    // November: 1500 calls ($5.00 above the allowance) and 3000 AI queries ($145.00).
    store.append(std::vector{event(acme.id, EventType::apiCall(), "1500", at(2024_y / 11 / 3, hours(9))),
                             event(acme.id, EventType::aiQuery(), "3000", at(2024_y / 11 / 20, hours(9)))});
    const BillingUsage november = reports.getBillingUsage(acme.id, PeriodSpec::previousCycle());
    REQUIRE(november.bill.commitments.size() == 2);
    CHECK(november.bill.commitments[0].amount == num("25.00"));    // api_call: $5 → $30
    CHECK(november.bill.commitments[1].charged == num("175.00"));  // 30 + 145
    CHECK(november.bill.commitments[1].amount == num("-75.00"));
    CHECK(november.bill.total == num("100.00"));
    CHECK(november.bill.commitments[0].from == date::local_days(2024_y / 11 / 1));
    const auto json = nlohmann::json::parse(to_json(november));
    CHECK(json["cost"] == 100.00);
    CHECK(json["commitments"].size() == 2);

    // Trends: the days sum to the bill, the commitments on November 30.
    *clock.now = at(2024_y / 11 / 30, hours(12));
    Decimal sum;
    Decimal last_day;
    for (const TrendPoint& point : reports.getUsageTrends(acme.id, 30)) {
        sum += point.cost;
        if (point.date == 2024_y / 11 / 30) last_day = point.cost;
    }
    CHECK(sum == num("100.00"));
    CHECK(last_day == num("-50.00"));  // +25 true-up, −75 cap

    // The statement states it, and a report of part of the cycle (not its last day) does not.
    *clock.now = at(2024_y / 12 / 5, hours(12));
    CHECK(reports.closeStatement(acme.id, PeriodSpec::previousCycle()).total == num("100.00"));
    const BillingUsage part = reports.getBillingUsage(acme.id, PeriodSpec::custom(2024_y / 11 / 1, 2024_y / 11 / 10));
    CHECK(part.bill.commitments.empty());
    CHECK(part.bill.total == num("5.00"));

    // A plan that starts mid-cycle commits to its days only: a business on basic moved at
    // once to `committed` on December 16 owes 16 of 31 days of the $30 minimum ($15.48).
    const Account bistro = account("Bistro");
    store.saveAccount(bistro);
    *clock.now = at(2024_y / 12 / 16, hours(12));
    reports.changePlan(bistro.id, "committed", PlanChangeTiming::immediately);
    const Bill december = reports.getBillingUsage(bistro.id).bill;
    REQUIRE(december.commitments.size() == 1);
    CHECK(december.commitments[0].limit == num("15.48"));
    CHECK(december.commitments[0].amount == num("15.48"));
    CHECK(december.total == num("15.48"));
}

// ---- a plan's recurring fee ---------------------------------------------------------------

TEST_CASE("a plan's fee is charged once per cycle, outside its minimum and maximum", "[pricing][commitments][fees]") {
    const Plan plan = unitPlan("", R"("fee": 49, "minimum": 10, "maximum": 20, )");
    const Bill some = billOf(plan, "5");  // $5 of usage trued up to $10, then the $49 fee
    REQUIRE(some.fees.size() == 1);
    CHECK(some.fees[0].fee == num("49"));
    CHECK(some.fees[0].amount.toString() == "49.00");
    CHECK_FALSE(some.fees[0].from);
    REQUIRE(some.commitments.size() == 1);
    CHECK(some.commitments[0].charged == num("5.00"));  // the fee is not what a minimum bounds
    CHECK(some.total.toString() == "59.00");
    CHECK(billOf(plan, "30").total.toString() == "69.00");  // capped at $20, then the fee
    CHECK(billOf(plan, "0").total.toString() == "59.00");
    CHECK(billOf(unitPlan(""), "5").fees.empty());
    const auto json = nlohmann::json::parse(to_json(some));
    REQUIRE(json["fees"].size() == 1);
    CHECK(json["fees"][0]["amount"] == 49.00);
    const auto book =
        PriceBook::fromJson(R"({"plans": [{"id": "p", "fee": 49.5, "meters": {"usage": {"unit_price": 1}}}]})");
    CHECK(book.plan("p").fee == num("49.5"));
    CHECK(PriceBook::fromJson(book.toJson()).plan("p") == book.plan("p"));
}

TEST_CASE("a cycle priced by several versions is charged each one's fee for its days", "[pricing][commitments][fees]") {
    const Plan a = unitPlan("", R"("fee": 30, )");
    const Plan b = unitPlan("", R"("fee": 62, )");
    const Plan none = unitPlan("");
    const auto fee = [](std::vector<detail::VersionDays> versions, int cycle_days) {
        return detail::cycleFee(versions, cycle_days, date::local_days(2024_y / 12 / 1));
    };
    const auto both = fee({{&a, 15}, {&b, 16}}, 31);
    REQUIRE(both);
    CHECK(both->amount.toString() == "46.52");  // (30 × 15 + 62 × 16) / 31 = 46.516…, rounded once
    CHECK(both->fee == num("62"));              // the last version's
    CHECK(both->from == date::local_days(2024_y / 12 / 1));
    CHECK(fee({{&none, 21}, {&a, 10}}, 31)->amount.toString() == "9.68");  // a version without a fee adds none
    CHECK(fee({{&a, 31}}, 31)->amount.toString() == "30.00");
    CHECK_FALSE(fee({{&none, 31}}, 31));
    CHECK_THROWS_AS(fee({}, 31), ArithmeticError);

    const auto field = [](const std::string& plan_extra) { return errorField([&] { unitPlan("", plan_extra); }); };
    CHECK(field(R"("fee": -1, )") == "plans.p.fee");
    CHECK(field(R"("fee": 0.001, )") == "plans.p.fee");
    CHECK(field(R"("fee": "lots", )") == "plans[0].fee");
    CHECK(field(R"("fee": null, )").empty());  // accepted: no fee
}

TEMPLATE_TEST_CASE("a cycle's fee is charged on its first day, on every store", "[store][commitments][fees]",
                   STORE_FIXTURES) {
    TestType fixture;
    UsageStore& store = *fixture.store;
    FixedClock clock;
    *clock.now = at(2024_y / 12 / 5, hours(12));
    Plan subscribed = Plan::basic();
    subscribed.id = "subscribed";
    subscribed.fee = num("49");
    store.savePlan(subscribed);
    const auto loaded = store.loadPlans();
    CHECK(*std::find_if(loaded.begin(), loaded.end(), [](const Plan& p) { return p.id == "subscribed"; }) ==
          subscribed);
    const Account acme = account("Acme Pizza", "UTC", "subscribed");
    store.saveAccount(acme);
    const UsageReports reports(fixture.store, clock);

    // November: 1500 calls, $5.00 above the allowance, and the $49 fee.
    store.append(std::vector{event(acme.id, EventType::apiCall(), "1500", at(2024_y / 11 / 3, hours(9)))});
    const BillingUsage november = reports.getBillingUsage(acme.id, PeriodSpec::previousCycle());
    REQUIRE(november.bill.fees.size() == 1);
    CHECK(november.bill.fees[0].amount == num("49.00"));
    CHECK(november.bill.fees[0].from == date::local_days(2024_y / 11 / 1));
    CHECK(november.bill.total == num("54.00"));
    CHECK(nlohmann::json::parse(to_json(november))["fees"].size() == 1);

    // Trends: the fee on November 1, the days sum to the bill.
    *clock.now = at(2024_y / 11 / 30, hours(12));
    Decimal sum;
    for (const TrendPoint& point : reports.getUsageTrends(acme.id, 30)) {
        sum += point.cost;
        if (point.date == 2024_y / 11 / 1) CHECK(point.cost == num("49.00"));
        if (point.date == 2024_y / 11 / 3) CHECK(point.cost == num("5.00"));
    }
    CHECK(sum == num("54.00"));

    // The statement states it; a part of the cycle has it only if it holds the first day.
    *clock.now = at(2024_y / 12 / 5, hours(12));
    CHECK(reports.closeStatement(acme.id, PeriodSpec::previousCycle()).total == num("54.00"));
    CHECK(reports.getBillingUsage(acme.id, PeriodSpec::custom(2024_y / 11 / 1, 2024_y / 11 / 10)).bill.total ==
          num("54.00"));
    CHECK(reports.getBillingUsage(acme.id, PeriodSpec::custom(2024_y / 11 / 2, 2024_y / 11 / 10)).bill.fees.empty());

    // A plan that starts mid-cycle charges its fee for its days: a business on basic moved at
    // once to `subscribed` on December 16 owes 16 of 31 days of $49 ($25.29), on December's bill.
    const Account bistro = account("Bistro");
    store.saveAccount(bistro);
    *clock.now = at(2024_y / 12 / 16, hours(12));
    reports.changePlan(bistro.id, "subscribed", PlanChangeTiming::immediately);
    const Bill december = reports.getBillingUsage(bistro.id).bill;
    REQUIRE(december.fees.size() == 1);
    CHECK(december.fees[0].amount == num("25.29"));
    CHECK(december.total == num("25.29"));
}
