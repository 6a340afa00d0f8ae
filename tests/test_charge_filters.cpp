// SPDX-License-Identifier: MIT
// Charge filters: a meter priced by dimension value (cloud=aws at 0.08, cloud=gcp at 0.10,
// the rest at 0.12), on closed dimensions; in the price book, the bill, trends and reports.
#include <catch2/catch.hpp>

#include <array>

#include "metered/errors.h"
#include "metered/json.h"
#include "metered/memory_store.h"
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

const Dimension cloud{"cloud", 16, 10, {"aws", "gcp", "azure"}};

ChargeFilter perUnit(std::vector<std::string> values, const char* price) {
    ChargeFilter filter;
    filter.dimension = "cloud";
    filter.values = std::move(values);
    filter.unit_price = num(price);
    return filter;
}

// api_call at 0.12, cloud=aws at 0.08, cloud=gcp at 0.10; nothing included.
Plan cloudPlan() {
    Plan plan = Plan::basic();
    plan.id = "cloudy";
    Meter& api = *plan.meter(EventType::apiCall());
    api.included = Decimal(0);
    api.unit_price = num("0.12");
    api.filters = {perUnit({"aws"}, "0.08"), perUnit({"gcp"}, "0.10")};
    return plan;
}

FilterUsageTotal byCloud(const char* value, const char* quantity, EventType type = EventType::apiCall()) {
    return FilterUsageTotal{type, "cloud", value, num(quantity)};
}

// A one-plan book whose api_call meter has `filters`, with `dimensions`.
std::string bookWith(const std::string& filters,
                     const std::string& dimensions = R"({"cloud": {"values": ["aws", "gcp", "azure"]}})") {
    return R"({"plans": [{"id": "pro", "meters": {"api_call": {"unit_price": 0.12, "filters": )" + filters +
           R"(}}}], "dimensions": )" + dimensions + "}";
}

std::string planField(const Plan& plan) {
    return errorField([&] { plan.validate(); });
}

}  // namespace

// ---- closed dimensions ------------------------------------------------------------------

TEST_CASE("a closed dimension lists its values; max_values is at least their number", "[filters][dimensions]") {
    const PriceBook book = PriceBook::fromJson(bookWith("[]", R"({"cloud": {"values": ["aws", "gcp"]}, "user": {}})"));
    REQUIRE(book.findDimension("cloud") != nullptr);
    const Dimension& closed = *book.findDimension("cloud");
    CHECK(closed.closed());
    CHECK(closed.values == std::vector<std::string>{"aws", "gcp"});
    CHECK(closed.admits("gcp"));
    CHECK_FALSE(closed.admits("oracle"));
    CHECK_FALSE(book.findDimension("user")->closed());
    CHECK(book.findDimension("user")->admits("anything"));
    const PriceBook again = PriceBook::fromJson(book.toJson());
    CHECK(again.dimensions() == book.dimensions());

    // A closed set larger than the default bound raises max_values to its size.
    std::string many = R"({"shard": {"values": [)";
    for (int i = 0; i < 1200; ++i) many += (i ? ",\"s" : "\"s") + std::to_string(i) + "\"";
    many += "]}}";
    CHECK(PriceBook::fromJson(bookWith("[]", many)).findDimension("shard")->max_values == 1200);

    const auto field = [](const std::string& dimensions) { return bookField(bookWith("[]", dimensions)); };
    CHECK(field(R"({"cloud": {"values": "aws"}})") == "dimensions.cloud.values");
    CHECK(field(R"({"cloud": {"values": ["aws", 5]}})") == "dimensions.cloud.values[1]");
    CHECK(field(R"({"cloud": {"values": ["aws", ""]}})") == "dimensions.cloud.values[1]");
    CHECK(field(R"({"cloud": {"values": ["aws", "aws"]}})") == "dimensions.cloud.values[1]");
    CHECK(field(R"j({"cloud": {"values": ["(other)"]}})j") == "dimensions.cloud.values[0]");
    CHECK(field(R"({"cloud": {"max_length": 3, "values": ["aws", "azure"]}})") == "dimensions.cloud.values[1]");
    CHECK(field(R"({"cloud": {"max_values": 2, "values": ["aws", "gcp", "azure"]}})") == "dimensions.cloud.max_values");
    // Declared in code: the same checks.
    CHECK(errorField([] { Dimension{"cloud", 64, 1, {"aws", "gcp"}}.validate(); }) == "dimensions.cloud.max_values");
    CHECK(errorField([] { Dimension{"cloud", 64, 10, {"aws", "\xc3("}}.validate(); }) == "dimensions.cloud.values[1]");
}

namespace {

struct Recording {
    std::shared_ptr<UsageStore> store;
    FixedClock clock;
    Account business = account("Acme Cloud", "UTC", "cloudy");
    UsageRecorder recorder;

    explicit Recording(std::shared_ptr<UsageStore> s, RecorderOptions options = {})
        : store(std::move(s)), recorder(store, [&] {
              options.clock = clock;
              options.price_book = PriceBook({Plan::basic(), cloudPlan()}, "basic", {cloud, {"end_user"}});
              return options;
          }()) {
        *clock.now = at(2024_y / 12 / 5, hours(12));
        store->saveAccount(business);
    }
};

}  // namespace

TEMPLATE_TEST_CASE("a closed dimension refuses any other value on every store; nothing is recorded",
                   "[filters][dimensions][store]", STORE_FIXTURES) {
    TestType fixture;
    Recording r(fixture.store);
    const auto recordIn = [&](std::string_view value) {
        const std::array<DimensionValue, 1> where = {DimensionValue{"cloud", value}};
        return errorField([&] { r.recorder.recordApiCall(r.business.id, {}, {.dimensions = where}); });
    };
    CHECK(recordIn("oracle") == "dimensions.cloud");
    CHECK(recordIn("AWS") == "dimensions.cloud");  // values are exact bytes
    CHECK(errorField([&] {
              const std::array<DimensionValue, 1> where = {DimensionValue{"cloud", "ibm"}};
              r.recorder.record(r.business.id, EventType::storageMb(), num("5"), {}, {.dimensions = where});
          }) == "dimensions.cloud");
    r.recorder.flush();
    CHECK(
        r.store->totals(r.business.id, {date::local_days(2024_y / 12 / 1), date::local_days(2025_y / 1 / 1)}).empty());
    CHECK(recordIn("gcp").empty());  // a listed value is recorded
    r.recorder.flush();
    CHECK(
        r.store->totals(r.business.id, {date::local_days(2024_y / 12 / 1), date::local_days(2025_y / 1 / 1)}).size() ==
        1);
    // The store keeps the closed set with the declaration.
    const auto declared = r.store->listDimensions();
    const auto found =
        std::find_if(declared.begin(), declared.end(), [](const Dimension& d) { return d.name == "cloud"; });
    REQUIRE(found != declared.end());
    CHECK(*found == cloud);
}

TEST_CASE("asynchronous recording refuses a value outside a closed set on the calling thread",
          "[filters][dimensions]") {
    Recording r(std::make_shared<MemoryStore>(), asyncInMemory());
    const std::array<DimensionValue, 1> oracle = {DimensionValue{"cloud", "oracle"}};
    const std::array<DimensionValue, 1> aws = {DimensionValue{"cloud", "aws"}};
    CHECK(errorField([&] { r.recorder.recordApiCall(r.business.id, {}, {.dimensions = oracle}); }) ==
          "dimensions.cloud");
    r.recorder.recordApiCall(r.business.id, {}, {.dimensions = aws});
    REQUIRE(r.recorder.flush());
    const auto totals = r.store->dimensionTotals(
        r.business.id, {date::local_days(2024_y / 12 / 1), date::local_days(2025_y / 1 / 1)}, "cloud");
    REQUIRE(totals.size() == 1);
    CHECK(totals[0].value == "aws");
    CHECK(totals[0].total.events == 1);
}

// ---- the price book -----------------------------------------------------------------------

TEST_CASE("charge filters load from the price book exactly and round-trip", "[filters][price_book]") {
    const PriceBook book = PriceBook::fromJson(bookWith(R"([
        {"dimension": "cloud", "values": ["aws"], "unit_price": "0.08"},
        {"dimension": "cloud", "values": ["gcp", "azure"], "included": 100, "model": "graduated",
         "tiers": [{"up_to": 1000, "unit_price": 0.05}, {"up_to": null, "unit_price": 0.04, "flat_fee": 1}]}])"));
    const Meter& api = *book.plan("pro").meter(EventType::apiCall());
    REQUIRE(api.filters.size() == 2);
    CHECK(api.filters[0] == perUnit({"aws"}, "0.08"));
    CHECK(api.filters[1].values == std::vector<std::string>{"gcp", "azure"});
    CHECK(api.filters[1].included == Decimal(100));
    CHECK(api.filters[1].model == PricingModel::graduated);
    CHECK(api.filters[1].unit_price == num("0.05"));  // the first tier's: its list price
    CHECK(api.filters[1].tiers.size() == 2);
    CHECK(api.filter("cloud", "azure") == &api.filters[1]);
    CHECK(api.filter("cloud", "oracle") == nullptr);
    const PriceBook again = PriceBook::fromJson(book.toJson());
    CHECK(again.plan("pro") == book.plan("pro"));
    CHECK(again.toJson() == book.toJson());
}

TEST_CASE("bad charge filters in a price book name their path", "[filters][price_book]") {
    const std::string at = "plans[0].meters.api_call.filters";
    CHECK(bookField(bookWith(R"({})")) == at);
    CHECK(bookField(bookWith(R"([5])")) == at + "[0]");
    CHECK(bookField(bookWith(R"([{"values": ["aws"], "unit_price": 1}])")) == at + "[0].dimension");
    CHECK(bookField(bookWith(R"([{"dimension": "cloud", "unit_price": 1}])")) == at + "[0].values");
    CHECK(bookField(bookWith(R"([{"dimension": "cloud", "values": "aws", "unit_price": 1}])")) == at + "[0].values");
    CHECK(bookField(bookWith(R"([{"dimension": "cloud", "values": ["aws"]}])")) == at + "[0].unit_price");
    CHECK(bookField(bookWith(R"([{"dimension": "cloud", "values": ["aws"], "unit_price": 1, "quota": {}}])")) ==
          at + "[0].quota");
    CHECK(bookField(bookWith(R"([{"dimension": "cloud", "values": ["aws"], "model": "flat", "unit_price": 1}])")) ==
          at + "[0].model");
    // Against the plan (Plan::validate: "plans.<id>...").
    const std::string plan = "plans.pro.meters.api_call.filters";
    CHECK(bookField(bookWith(R"([{"dimension": "cloud", "values": ["aws"], "unit_price": -1}])")) ==
          plan + "[0].unit_price");
    CHECK(bookField(bookWith(R"([{"dimension": "cloud", "values": [], "unit_price": 1}])")) == plan + "[0].values");
    CHECK(bookField(bookWith(R"([{"dimension": "cloud", "values": ["aws"], "unit_price": 1},
                                 {"dimension": "cloud", "values": ["gcp", "aws"], "unit_price": 1}])")) ==
          plan + "[1].values[1]");
    CHECK(bookField(bookWith(R"([{"dimension": "cloud", "values": ["aws", "aws"], "unit_price": 1}])")) ==
          plan + "[0].values[1]");
    CHECK(bookField(bookWith(R"([{"dimension": "cloud", "values": ["aws"], "unit_price": 1},
                                 {"dimension": "tier", "values": ["x"], "unit_price": 1}])",
                             R"({"cloud": {"values": ["aws"]}, "tier": {"values": ["x"]}})")) ==
          plan + "[1].dimension");
    CHECK(bookField(bookWith(R"([{"dimension": "model", "values": ["openai/gpt-4o"], "unit_price": 1}])")) ==
          plan + "[0].dimension");
    CHECK(bookField(bookWith(
              R"([{"dimension": "cloud", "values": ["aws"], "model": "graduated", "unit_price": 1,
                   "tiers": [{"up_to": 10, "unit_price": 1}, {"up_to": 5, "unit_price": 1}]}])")) ==
          plan + "[0].tiers[1].up_to");
    CHECK(bookField(bookWith(R"([{"dimension": "cloud", "values": ["aws"], "model": "package", "unit_price": 1,
                                  "package_size": 0, "package_price": 1}])")) == plan + "[0].package_size");
    // Against the book's dimensions: declared, closed, each value one of the dimension's.
    CHECK(bookField(bookWith(R"([{"dimension": "region", "values": ["eu"], "unit_price": 1}])")) ==
          plan + "[0].dimension");
    CHECK(bookField(bookWith(R"([{"dimension": "cloud", "values": ["aws"], "unit_price": 1}])", R"({"cloud": {}})")) ==
          plan + "[0].dimension");
    CHECK(bookField(bookWith(R"([{"dimension": "cloud", "values": ["aws", "oracle"], "unit_price": 1}])")) ==
          plan + "[0].values[1]");
    CHECK(bookField(bookWith(R"([{"dimension": "cloud", "values": ["aws"], "unit_price": 1}])")) == "");
    // Built in code: the same checks.
    Plan bad = cloudPlan();
    bad.meter(EventType::apiCall())->filters[1].values = {"aws"};
    CHECK(planField(bad) == "plans.cloudy.meters.api_call.filters[1].values[0]");
    CHECK(errorField([] {
              PriceBook({Plan::basic(), cloudPlan()}, "basic");
          }) == "plans.cloudy.meters.api_call.filters[0].dimension");
    CHECK_NOTHROW(PriceBook({Plan::basic(), cloudPlan()}, "basic", {cloud}));
}

// ---- the bill -----------------------------------------------------------------------------

TEST_CASE("a filtered meter bills each filter's usage at its price and the rest at the meter's", "[filters][pricing]") {
    const PricingCalculator calculator(cloudPlan());
    const std::vector<UsageTotal> totals = {{EventType::apiCall(), num("1000"), 1000, {}}};
    // azure has no filter: its 100 calls are part of the default line.
    const std::vector<FilterUsageTotal> by_cloud = {byCloud("aws", "333"), byCloud("azure", "100"),
                                                    byCloud("gcp", "123")};
    const Bill bill = calculator.bill(totals, {}, by_cloud);
    REQUIRE(bill.lines.size() == 6);  // api_call's default and two filter lines, three other meters
    const LineItem& rest = *bill.line(EventType::apiCall());
    CHECK(&rest == &bill.lines[0]);
    CHECK(rest.label() == "api_call");
    CHECK(rest.quantity == num("544"));  // 1000 − 333 − 123
    CHECK(rest.exact_amount == num("65.28"));
    CHECK(rest.amount.toString() == "65.28");
    const LineItem& aws = *bill.filterLine(EventType::apiCall(), "cloud", "aws");
    CHECK(&aws == &bill.lines[1]);
    CHECK(aws.label() == "api_call cloud=aws");
    CHECK(aws.quantity == num("333"));
    CHECK(aws.unit_price == num("0.08"));
    CHECK(aws.amount.toString() == "26.64");
    const LineItem& gcp = *bill.filterLine(EventType::apiCall(), "cloud", "gcp");
    CHECK(gcp.label() == "api_call cloud=gcp");
    CHECK(gcp.amount.toString() == "12.30");
    CHECK(bill.filterLine(EventType::apiCall(), "cloud", "azure") == nullptr);
    CHECK(bill.amountOf(EventType::apiCall()) == num("104.22"));
    CHECK(bill.total.toString() == "104.22");

    // No usage by value: everything is on the default line; filter lines are zero.
    const Bill unfiltered = calculator.bill(totals);
    CHECK(unfiltered.line(EventType::apiCall())->amount.toString() == "120.00");
    CHECK(unfiltered.filterLine(EventType::apiCall(), "cloud", "aws")->amount.toString() == "0.00");
    CHECK(unfiltered.total.toString() == "120.00");

    // Filtered usage above the type's total is inconsistent input.
    const std::vector<FilterUsageTotal> too_much = {byCloud("aws", "1001")};
    CHECK(errorField([&] { calculator.bill(totals, {}, too_much); }) == "filter_totals");

    // The JSON of the bill shows the filter lines.
    const std::string json = to_json(bill);
    CHECK(json.find(R"("label":"api_call cloud=aws")") != std::string::npos);
    CHECK(json.find(R"("filter":{"dimension":"cloud","values":["aws"]})") != std::string::npos);
}

TEST_CASE("a filter has its own allowance and tiers, priced as a meter prices its usage", "[filters][pricing]") {
    Plan plan = cloudPlan();
    Meter& api = *plan.meter(EventType::apiCall());
    api.included = Decimal(1000);
    ChargeFilter& aws = api.filters[0];
    aws.values = {"aws", "azure"};
    aws.included = Decimal(100);
    aws.model = PricingModel::graduated;
    aws.tiers = {Tier{num("1000"), num("0.05"), {}}, Tier{std::nullopt, num("0.04"), num("1")}};
    const PricingCalculator calculator(plan);
    const std::vector<UsageTotal> totals = {{EventType::apiCall(), num("2700"), 2700, {}}};
    const std::vector<FilterUsageTotal> by_cloud = {byCloud("aws", "1000"), byCloud("azure", "500")};
    const Bill bill = calculator.bill(totals, {}, by_cloud);
    const LineItem& filtered = *bill.filterLine(EventType::apiCall(), "cloud", "azure");
    CHECK(filtered.label() == "api_call cloud=aws,azure");
    CHECK(filtered.quantity == num("1500"));
    CHECK(filtered.included == num("100"));
    CHECK(filtered.billable == num("1400"));
    REQUIRE(filtered.tiers.size() == 2);
    CHECK(filtered.tiers[0].quantity == num("900"));  // 100 to 1000 at 0.05
    CHECK(filtered.tiers[1].quantity == num("500"));  // above 1000 at 0.04, + 1 flat
    CHECK(filtered.exact_amount == num("66"));
    CHECK(filtered.amount.toString() == "66.00");
    const LineItem& rest = *bill.line(EventType::apiCall());
    CHECK(rest.quantity == num("1200"));  // 2700 − 1500: 1000 included, 200 at 0.12
    CHECK(rest.amount.toString() == "24.00");
    CHECK(bill.total.toString() == "90.00");
}

TEST_CASE("daily costs and cycle slices of a filtered meter sum exactly to the cycle's bill", "[filters][pricing]") {
    Plan plan = cloudPlan();
    Meter& api = *plan.meter(EventType::apiCall());
    api.included = Decimal(10);
    api.filters[0].included = Decimal(5);
    api.filters[0].model = PricingModel::volume;
    api.filters[0].tiers = {Tier{num("20"), num("0.09"), {}}, Tier{std::nullopt, num("0.07"), num("0.5")}};
    const PricingCalculator calculator(plan);
    const std::vector<std::vector<UsageTotal>> days = {
        {{EventType::apiCall(), num("12"), 12, {}}},
        {{EventType::apiCall(), num("30"), 30, {}}},
        {},
        {{EventType::apiCall(), num("7.5"), 3, {}}},
    };
    const std::vector<std::vector<FilterUsageTotal>> by_day = {
        {byCloud("aws", "8"), byCloud("azure", "4")},
        {byCloud("aws", "20"), byCloud("gcp", "3.3")},
        {},
        {byCloud("gcp", "7.5")},
    };
    const auto costs = calculator.dailyCosts(days, {}, by_day);
    REQUIRE(costs.size() == 4);
    std::vector<UsageTotal> all;
    std::vector<FilterUsageTotal> all_by_cloud;
    for (const auto& day : days) all.insert(all.end(), day.begin(), day.end());
    for (const auto& day : by_day) all_by_cloud.insert(all_by_cloud.end(), day.begin(), day.end());
    const Bill whole = calculator.bill(all, {}, all_by_cloud);
    // aws 28 (volume, 23 billable at the second tier: 1.61 + 0.5), gcp 10.8 at 0.10, rest 10.7 − 10 at 0.12.
    CHECK(whole.filterLine(EventType::apiCall(), "cloud", "aws")->amount.toString() == "2.11");
    CHECK(whole.filterLine(EventType::apiCall(), "cloud", "gcp")->amount.toString() == "1.08");
    CHECK(whole.line(EventType::apiCall())->amount.toString() == "0.08");
    CHECK(whole.total.toString() == "3.27");
    CHECK(costs[0] + costs[1] + costs[2] + costs[3] == whole.total);
    CHECK(costs[2] == Decimal(0));
    CHECK(errorField([&] { calculator.dailyCosts(days, {}, std::span(by_day).first(2)); }) == "filter_days");

    // The cycle as two slices: day 1, then days 2-4; the parts sum to the whole, line by line.
    CycleSlice first{{}, days[0], {}, {}, {}, by_day[0]};
    CycleSlice rest{days[0], all, {}, {}, by_day[0], all_by_cloud};
    const Bill day1 = calculator.billSlices(std::vector{first});
    const Bill later = calculator.billSlices(std::vector{rest});
    CHECK(day1.total == costs[0]);
    CHECK(day1.total + later.total == whole.total);
    for (std::size_t i = 0; i < whole.lines.size(); ++i) {
        CHECK(day1.lines[i].label() == whole.lines[i].label());
        CHECK(day1.lines[i].amount + later.lines[i].amount == whole.lines[i].amount);
        CHECK(day1.lines[i].quantity + later.lines[i].quantity == whole.lines[i].quantity);
    }
}

// ---- reports ------------------------------------------------------------------------------

TEST_CASE("a recorder's bill and trends price usage by cloud; the days sum to the bill", "[filters][reports]") {
    Recording r(std::make_shared<MemoryStore>());
    const auto recordOn = [&](int day, const char* quantity, std::string_view where) {
        *r.clock.now = at(2024_y / 12 / day, hours(12));
        const std::array<DimensionValue, 1> dimensions = {DimensionValue{"cloud", where}};
        r.recorder.record(r.business.id, EventType::apiCall(), num(quantity), {},
                          {.dimensions = where.empty() ? std::span<const DimensionValue>{} : dimensions});
    };
    recordOn(1, "100", "aws");
    recordOn(1, "50", "");  // no cloud: the default line
    recordOn(2, "75", "gcp");
    recordOn(4, "30", "azure");  // no filter: the default line
    recordOn(4, "11", "aws");
    *r.clock.now = at(2024_y / 12 / 5, hours(12));
    r.recorder.flush();

    const BillingUsage usage = r.recorder.getBillingUsage(r.business.id, PeriodSpec::currentCycle());
    const Bill& bill = usage.bill;
    CHECK(bill.line(EventType::apiCall())->quantity == num("80"));
    CHECK(bill.line(EventType::apiCall())->amount.toString() == "9.60");                        // 80 × 0.12
    CHECK(bill.filterLine(EventType::apiCall(), "cloud", "aws")->amount.toString() == "8.88");  // 111 × 0.08
    CHECK(bill.filterLine(EventType::apiCall(), "cloud", "gcp")->amount.toString() == "7.50");  // 75 × 0.10
    CHECK(usage.cost(EventType::apiCall()) == num("25.98"));
    CHECK(bill.total.toString() == "25.98");

    const auto trends = r.recorder.getUsageTrends(r.business.id, 5);
    REQUIRE(trends.size() == 5);
    Decimal sum;
    for (const auto& point : trends) sum += point.cost;
    CHECK(sum == bill.total);
    CHECK(trends[0].cost == num("14.00"));  // 100 × 0.08 + 50 × 0.12
    CHECK(trends[1].cost == num("7.50"));
    CHECK(trends[3].cost == num("4.48"));  // 30 × 0.12 + 11 × 0.08

    // The usage JSON lists the filter lines under their type; count and cost include them.
    const std::string json = to_json(usage);
    CHECK(json.find(R"("label":"api_call cloud=aws")") != std::string::npos);
    CHECK(json.find(R"("count":266)") != std::string::npos);
}
