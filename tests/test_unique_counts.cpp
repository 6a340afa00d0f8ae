// SPDX-License-Identifier: MIT
// Meters that count the distinct values of a dimension (monthly active end users): priced
// from the dimension's rollups, in bills, trends and quotas on every store, and in the
// price book.
#include <catch2/catch.hpp>

#include <array>

#include "metered/errors.h"
#include "metered/price_book.h"
#include "metered/pricing.h"
#include "metered/usage_recorder.h"
#include "store_fixtures.h"
#include "test_support.h"

using namespace metered;
using namespace metered::testing;
using namespace date::literals;
using std::chrono::hours;

namespace {

// The basic plan with api_call billed per active end user: 2 included, then $1.50 each,
// a soft quota of 3 users.
Plan seatsPlan() {
    Plan plan = Plan::basic();
    plan.id = "seats";
    Meter& api = *plan.meter(EventType::apiCall());
    api.aggregation = Aggregation::unique;
    api.unique_dimension = "end_user";
    api.unit = "user";
    api.included = Decimal(2);
    api.unit_price = num("1.50");
    api.quota = Quota{Decimal(3), false};
    return plan;
}

FilterUsageTotal byUser(const char* user, std::int64_t events, EventType type = EventType::apiCall()) {
    return {type, "end_user", user, Decimal(events), events};
}

// A one-plan book whose `chat` meter is `meter` (JSON), with an open end_user dimension.
std::string chatMeterBook(const std::string& meter) {
    return R"({"dimensions": {"end_user": {}, "region": {"values": ["eu"]}}, "plans": [{"id": "p", "meters": {"chat": )" +
           meter + "}}]}";
}

std::string chatMeterField(const std::string& meter) {
    return errorField([&] { PriceBook::fromJson(chatMeterBook(meter)); });
}

}  // namespace

TEST_CASE("a unique count prices the distinct values with events of its type", "[pricing][unique]") {
    const PricingCalculator calculator(seatsPlan());
    const std::vector<UsageTotal> totals = {{EventType::apiCall(), num("45"), 45, {}}};
    // u3's only event was voided (no events left); u9 used another type; `team` is another dimension.
    const std::vector<FilterUsageTotal> by_user = {byUser("u1", 10),
                                                   byUser("u2", 20),
                                                   byUser("u3", 0),
                                                   byUser("u4", 15),
                                                   byUser("u1", 1),
                                                   byUser("u9", 4, EventType::aiQuery()),
                                                   {EventType::apiCall(), "team", "red", num("45"), 45}};
    const Bill bill = calculator.bill(totals, {}, by_user);
    const LineItem& line = *bill.line(EventType::apiCall());
    CHECK(line.quantity == Decimal(3));  // u1 (given twice), u2, u4
    CHECK(line.billable == Decimal(1));
    CHECK(line.events == 45);
    CHECK(line.amount.toString() == "1.50");
    // The events' quantities never stand in for the values: without them nothing is counted.
    CHECK(calculator.bill(totals).line(EventType::apiCall())->quantity == Decimal(0));

    // Day by day, a day costs the users it adds: the days sum to the bill of all of them.
    const std::vector<std::vector<UsageTotal>> days(4,
                                                    std::vector<UsageTotal>{{EventType::apiCall(), num("5"), 5, {}}});
    const std::vector<std::vector<FilterUsageTotal>> users = {
        {byUser("u1", 3), byUser("u2", 2)}, {byUser("u1", 4), byUser("u4", 1)}, {byUser("u2", 5)}, {byUser("u5", 5)}};
    const auto costs = calculator.dailyCosts(days, {}, users);
    REQUIRE(costs.size() == 4);
    CHECK(costs[0].toString() == "0.00");  // 2 users, both included
    CHECK(costs[1].toString() == "1.50");  // u4
    CHECK(costs[2].toString() == "0.00");  // u2 again
    CHECK(costs[3].toString() == "1.50");  // u5
    std::vector<FilterUsageTotal> all;
    for (const auto& day : users) all.insert(all.end(), day.begin(), day.end());
    CHECK(costs[0] + costs[1] + costs[2] + costs[3] ==
          calculator.bill(std::vector<UsageTotal>{{EventType::apiCall(), num("20"), 20, {}}}, {}, all).total);
}

TEST_CASE("a unique count in the price book: kept exactly, bad ones name the field", "[pricing][unique][price_book]") {
    const auto book = PriceBook::fromJson(
        chatMeterBook(R"({"unit": "user", "aggregation": "unique", "unique_dimension": "end_user", "included": 5,
                     "unit_price": 4})"));
    const Meter& chat = *book.plan("p").meter(EventType("chat"));
    CHECK(chat.aggregation == Aggregation::unique);
    CHECK(chat.unique_dimension == "end_user");
    CHECK(book.toJson().find(R"("unique_dimension": "end_user")") != std::string::npos);
    CHECK(PriceBook::fromJson(book.toJson()).plan("p") == book.plan("p"));

    const std::string at = "plans.p.meters.chat";
    CHECK(chatMeterField(R"({"aggregation": "unique", "unit_price": 1})") == at + ".unique_dimension");
    CHECK(chatMeterField(R"({"unique_dimension": "end_user", "unit_price": 1})") == at + ".unique_dimension");
    CHECK(chatMeterField(R"({"aggregation": "unique", "unique_dimension": "team", "unit_price": 1})") ==
          at + ".unique_dimension");  // not declared in the book
    CHECK(chatMeterField(R"({"aggregation": "unique", "unique_dimension": "model", "unit_price": 1})") ==
          at + ".unique_dimension");
    CHECK(chatMeterField(R"({"aggregation": "unique", "unique_dimension": "End User", "unit_price": 1})") ==
          at + ".unique_dimension");
    CHECK(chatMeterField(R"({"aggregation": "unique", "unique_dimension": 5, "unit_price": 1})") ==
          "plans[0].meters.chat.unique_dimension");
    CHECK(chatMeterField(R"({"aggregation": "unique", "unique_dimension": "end_user", "unit_price": 1,
                        "filters": [{"dimension": "region", "values": ["eu"], "unit_price": 2}]})") == at + ".filters");
}

TEMPLATE_TEST_CASE("a unique count bills a cycle's distinct end users on every store", "[store][unique]",
                   STORE_FIXTURES) {
    TestType fixture;
    FixedClock clock;
    const Account business = account("Acme Chat", "UTC", "seats");
    fixture.store->saveAccount(business);
    UsageRecorder recorder(fixture.store, [&] {
        RecorderOptions options;
        options.clock = clock;
        options.price_book = PriceBook({Plan::basic(), seatsPlan()}, "basic", {Dimension{"end_user"}});
        return options;
    }());
    const auto callOn = [&](date::sys_days day, std::string_view user) {
        *clock.now = at(day, hours(12));
        const std::array<DimensionValue, 1> dimensions = {DimensionValue{"end_user", user}};
        return recorder
            .recordApiCall(business.id, {},
                           {.dimensions = user.empty() ? std::span<const DimensionValue>{} : dimensions})
            .id;
    };
    callOn(2024_y / 12 / 1, "u1");
    callOn(2024_y / 12 / 1, "u1");
    const EventId u2 = callOn(2024_y / 12 / 1, "u2");
    callOn(2024_y / 12 / 2, "u1");
    callOn(2024_y / 12 / 2, "u3");
    callOn(2024_y / 12 / 3, "");  // no end user: an event, not a user
    const EventId u4 = callOn(2024_y / 12 / 4, "u4");
    callOn(2024_y / 11 / 30, "u5");  // the cycle before
    *clock.now = at(2024_y / 12 / 5, hours(12));
    REQUIRE(recorder.flush());

    const BillingUsage usage = recorder.getBillingUsage(business.id, PeriodSpec::currentCycle());
    const LineItem& line = *usage.bill.line(EventType::apiCall());
    CHECK(line.quantity == Decimal(4));  // u1–u4, not u5
    CHECK(line.events == 7);
    CHECK(line.amount.toString() == "3.00");                    // 2 included, 2 × 1.50
    CHECK(usage.quantity(EventType::apiCall()) == Decimal(7));  // the events' own quantities

    const QuotaStatus quota = recorder.reports().checkQuota(business.id, EventType::apiCall());
    CHECK(quota.used == Decimal(4));
    CHECK(quota.exceeded);  // a soft quota of 3 users

    const auto trends = recorder.getUsageTrends(business.id, 5);
    REQUIRE(trends.size() == 5);
    CHECK(trends[0].cost.toString() == "0.00");  // u1, u2: included
    CHECK(trends[1].cost.toString() == "1.50");  // u3
    CHECK(trends[2].cost.toString() == "0.00");
    CHECK(trends[3].cost.toString() == "1.50");  // u4
    Decimal sum;
    for (const auto& point : trends) sum += point.cost;
    CHECK(sum == usage.bill.total);

    // Voiding u4's only event takes u4 off the count.
    fixture.store->voidEvent(business.id, u4, "test traffic", "ops");
    const BillingUsage corrected = recorder.getBillingUsage(business.id, PeriodSpec::currentCycle());
    CHECK(corrected.bill.line(EventType::apiCall())->quantity == Decimal(3));
    CHECK(corrected.bill.line(EventType::apiCall())->amount.toString() == "1.50");
    CHECK(recorder.reports().checkQuota(business.id, EventType::apiCall()).used == Decimal(3));

    // December's statement states its 3 users; voiding u2's only call after it closed credits
    // $1.50 on January's, priced with the plan (and dimension) the statement kept.
    *clock.now = at(2025_y / 1 / 5, hours(12));
    CHECK(recorder.reports().closeStatement(business.id, PeriodSpec::previousCycle()).total == num("1.50"));
    fixture.store->voidEvent(business.id, u2, "test traffic", "ops");
    *clock.now = at(2025_y / 2 / 5, hours(12));
    const Statement january = recorder.reports().closeStatement(business.id, PeriodSpec::previousCycle());
    REQUIRE(january.adjustments.size() == 1);
    CHECK(january.adjustments[0].amount == num("-1.50"));
}
