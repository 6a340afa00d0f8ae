// SPDX-License-Identifier: MIT
// The charge models and options beyond per-unit pricing, checked against the published
// examples and test suites of the billing systems whose conventions they follow (each case
// says where its figures come from; amounts there in currency units unless noted).
#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "metered/errors.h"
#include "metered/price_book.h"
#include "metered/pricing.h"
#include "test_support.h"

using namespace metered;
using namespace metered::testing;

namespace {

// A one-plan price book whose plan prices event type `usage` with `meter` (JSON).
PricingCalculator usageCalculator(const std::string& meter) {
    const auto book =
        PriceBook::fromJson(R"({"plans": [{"id": "p", "currency": "USD", "meters": {"usage": )" + meter + "}}]}");
    return PricingCalculator(book.plan("p"));
}

LineItem line(const PricingCalculator& calculator, const char* quantity, std::int64_t events = 0) {
    return calculator.price(EventType("usage"), num(quantity), events);
}

std::string exact(const PricingCalculator& calculator, const char* quantity, std::int64_t events = 0) {
    return line(calculator, quantity, events).exact_amount.normalized().toPlainString();
}

std::string usageMeterField(const std::string& meter) {
    try {
        usageCalculator(meter);
    } catch (const ValidationError& e) {
        return e.field();
    }
    return "(accepted)";
}

}  // namespace

// getlago/lago-api@1b1c24a6, spec/services/charge_models/graduated_service_spec.rb: ranges
// 0–10 at 10 + flat 2, 11–20 at 5 + flat 3, 21– at 5 + flat 3 (inclusive integer ranges,
// which for whole units are our up_to 10 and 20). Lago charges the first range's flat
// amount at zero units.
TEST_CASE("graduated: the first tier's flat fee at zero usage, as Lago", "[pricing][models]") {
    const std::string tiers = R"("tiers": [{"up_to": 10, "unit_price": 10, "flat_fee": 2},
                                           {"up_to": 20, "unit_price": 5, "flat_fee": 3},
                                           {"up_to": null, "unit_price": 5, "flat_fee": 3}])";
    const auto lago = usageCalculator(R"({"model": "graduated", "flat_fee_at_zero": true, )" + tiers + "}");
    CHECK(exact(lago, "0") == "2");
    CHECK(exact(lago, "1") == "12");
    CHECK(exact(lago, "10") == "102");
    CHECK(exact(lago, "11") == "110");
    CHECK(exact(lago, "12") == "115");
    CHECK(exact(lago, "21") == "163");
    const LineItem zero = line(lago, "0");
    REQUIRE(zero.tiers.size() == 1);
    CHECK(zero.tiers[0].tier == 0);
    CHECK(zero.tiers[0].quantity.isZero());
    CHECK(zero.tiers[0].flat_fee == num("2"));

    // The default (false): a tier's fee only when it holds billable units; the same above zero.
    const auto plain = usageCalculator(R"({"model": "graduated", )" + tiers + "}");
    CHECK(exact(plain, "0") == "0");
    CHECK(line(plain, "0").tiers.empty());
    CHECK(exact(plain, "21") == "163");

    // An allowance covering the first tier: the option still charges its fee every period.
    const auto covered =
        usageCalculator(R"({"model": "graduated", "included": 10, "flat_fee_at_zero": true, )" + tiers + "}");
    CHECK(exact(covered, "0") == "2");
    CHECK(exact(covered, "12") == "15");  // 2 (tier 1's fee) + 2 × 5 + 3
}

// flexprice/flexprice@e4b5303, internal/ee/service/price_test.go
// (TestCalculateCostWithBreakup_TieredSlabWithFlatAmount): up_to 5 at $0 + $1 flat, up_to 10
// at $1 + $2 flat, then $2; no fee at zero usage (our default).
TEST_CASE("graduated: flat fees of the tiers reached, none at zero usage, as Flexprice", "[pricing][models]") {
    const auto slab = usageCalculator(R"({"model": "graduated", "tiers": [
        {"up_to": 5, "unit_price": 0, "flat_fee": 1}, {"up_to": 10, "unit_price": 1, "flat_fee": 2},
        {"up_to": null, "unit_price": 2}]})");
    CHECK(exact(slab, "0") == "0");
    CHECK(exact(slab, "3") == "1");
    CHECK(exact(slab, "7") == "5");
    CHECK(exact(slab, "12") == "12");
}

// getlago/lago-api@1b1c24a6, spec/services/charge_models/volume_service_spec.rb: 0–100 at 2 +
// flat 10, 101–200 at 1, 201– at 0.5 + flat 50; 100.5 falls in the second range (ours:
// above 100), and the first range's flat amount is charged at zero units.
TEST_CASE("volume: Lago's ranges, with the first tier's fee at zero usage", "[pricing][models]") {
    const auto volume = usageCalculator(R"({"model": "volume", "flat_fee_at_zero": true, "tiers": [
        {"up_to": 100, "unit_price": 2, "flat_fee": 10}, {"up_to": 200, "unit_price": 1},
        {"up_to": null, "unit_price": 0.5, "flat_fee": 50}]})");
    CHECK(exact(volume, "0") == "10");
    CHECK(exact(volume, "1") == "12");
    CHECK(exact(volume, "100") == "210");
    CHECK(exact(volume, "100.5") == "100.5");
    CHECK(exact(volume, "101") == "101");
    CHECK(exact(volume, "200") == "200");
    CHECK(exact(volume, "300") == "200");
}

// getlago/lago-api@1b1c24a6, spec/services/charge_models/graduated_percentage_service_spec.rb:
// 0–10 at 1 % + flat 200, 11–20 at 2 % + flat 300, 21– at 3 % + flat 400.
TEST_CASE("graduated percentage: a rate per tier and flat fees, as Lago", "[pricing][models]") {
    const auto lago = usageCalculator(R"({"model": "graduated_percentage", "flat_fee_at_zero": true, "tiers": [
        {"up_to": 10, "rate": 1, "flat_fee": 200}, {"up_to": 20, "rate": 2, "flat_fee": 300},
        {"up_to": null, "rate": 3, "flat_fee": 400}]})");
    CHECK(exact(lago, "0") == "200");
    CHECK(exact(lago, "1") == "200.01");
    CHECK(exact(lago, "10") == "200.1");
    CHECK(exact(lago, "11") == "500.12");
    CHECK(exact(lago, "12") == "500.14");
    CHECK(exact(lago, "21") == "900.33");
    CHECK(lago.plan().meters[0].tiers[1].unit_price == num("0.02"));  // held as a fraction

    // getlago.com/docs/guide/plans/charges/charge-models/graduated-percentage: transactions of
    // $500, $550 and $4,000 cost $205, $306 and $80, so the period's totals are $205 at $500,
    // $511 at $1,050 and $591 at $5,050.
    const auto docs = usageCalculator(R"({"model": "graduated_percentage", "tiers": [
        {"up_to": 1000, "rate": 1, "flat_fee": 200}, {"up_to": 10000, "rate": 2, "flat_fee": 300},
        {"up_to": null, "rate": 3, "flat_fee": 400}]})");
    CHECK(line(docs, "500").amount.toString() == "205.00");
    CHECK(line(docs, "1050").amount.toString() == "511.00");
    CHECK(line(docs, "5050").amount.toString() == "591.00");
}

TEST_CASE("package: rounded up (Lago, Stripe) or down (Stripe, Flexprice)", "[pricing][models]") {
    // getlago/lago-api@1b1c24a6, spec/services/charge_models/package_service_spec.rb: 100 per
    // package of 10; 121 units; free units subtracted first.
    CHECK(exact(usageCalculator(R"({"model": "package", "unit_price": 10, "package_size": 10, "package_price": 100})"),
                "121") == "1300");
    CHECK(exact(usageCalculator(R"({"model": "package", "unit_price": 10, "included": 10, "package_size": 10,
                                  "package_price": 100})"),
                "121") == "1200");
    CHECK(exact(usageCalculator(R"({"model": "package", "unit_price": 10, "included": 200, "package_size": 10,
                                  "package_price": 100})"),
                "121") == "0");
    // getlago.com/docs/guide/plans/charges/charge-models/package: $5 per 100, first 100 free: 201 units $10.
    CHECK(line(usageCalculator(R"({"model": "package", "unit_price": 0.05, "included": 100, "package_size": 100,
                                 "package_price": 5})"),
               "201")
              .amount.toString() == "10.00");
    // docs.stripe.com/billing/subscriptions/usage-based/transform-quantities: $10 per hour,
    // usage in minutes, rounded up: 150 minutes cost $30; and $10 per 5 users: 1, 3, 5, 6, 7
    // users cost $10, $10, $10, $20, $20.
    CHECK(exact(usageCalculator(R"({"model": "package", "unit_price": 0.1667, "package_size": 60, "package_price": 10,
                                  "package_rounding": "up"})"),
                "150") == "30");
    const auto users =
        usageCalculator(R"({"model": "package", "unit_price": 2, "package_size": 5, "package_price": 10})");
    for (const auto& [count, amount] : {std::pair{"1", "10"}, {"3", "10"}, {"5", "10"}, {"6", "20"}, {"7", "20"}}) {
        CHECK(exact(users, count) == amount);
    }
    // flexprice/flexprice@e4b5303, internal/ee/service/price_test.go
    // (TestCalculateCostWithBreakup_PackageRoundingModes): $1 per 100; up: 50 → 1, 250 → 3;
    // down: 50 → 0, 250 → 2.
    const auto up =
        usageCalculator(R"({"model": "package", "unit_price": 0.01, "package_size": 100, "package_price": 1})");
    const auto down = usageCalculator(R"({"model": "package", "unit_price": 0.01, "package_size": 100,
                                        "package_price": 1, "package_rounding": "down"})");
    CHECK(exact(up, "50") == "1");
    CHECK(exact(down, "50") == "0");
    CHECK(exact(up, "250") == "3");
    CHECK(exact(down, "250") == "2");
    CHECK(line(down, "250").packages == num("2"));
}

TEST_CASE("percentage: a rate of the amount and a fee per transaction", "[pricing][models]") {
    // getlago/lago-api@1b1c24a6, spec/services/charge_models/percentage_service_spec.rb, the
    // cases that depend on the period's total and number of events only: 2.9 % of 4 is
    // 0.116; no rate and 2 per event on 4 events is 8; 1.3 % of 800 and 2 per event on 4
    // events is 18.4; nothing used is 0.
    CHECK(exact(usageCalculator(R"({"model": "percentage", "rate": 2.9})"), "4", 4) == "0.116");
    CHECK(exact(usageCalculator(R"({"model": "percentage", "rate": 0, "transaction_fee": 2})"), "800", 4) == "8");
    const auto lago = usageCalculator(R"({"model": "percentage", "rate": 1.3, "transaction_fee": 2})");
    CHECK(exact(lago, "800", 4) == "18.4");
    CHECK(exact(lago, "0", 0) == "0");
    const LineItem item = line(lago, "800", 4);
    CHECK(item.events == 4);
    CHECK(item.transaction_fees == num("8"));
    CHECK(item.unit_price == num("0.013"));

    // Stripe's card pricing as Lago's template gives it (getlago.com/docs/templates/
    // per-transaction/stripe): 2.9 % + $0.30; ten payments of $100 cost $32.00.
    const auto stripe = usageCalculator(R"({"model": "percentage", "rate": 2.9, "transaction_fee": 0.30})");
    CHECK(line(stripe, "1000", 10).amount.toString() == "32.00");

    // Free transactions pay no fee (their amounts still pay the rate); a free amount
    // (`included`) pays no rate.
    const auto free = usageCalculator(R"({"model": "percentage", "rate": 1.2, "transaction_fee": 0.10,
                                        "free_transactions": 3, "included": 500})");
    CHECK(exact(free, "450", 4) == "0.1");
    CHECK(exact(free, "450", 2) == "0");
    CHECK(exact(free, "600", 5) == "1.4");  // 100 × 1.2 % + 2 × 0.10
}

// killbill/killbill@08d3d580, invoice/src/test/java/org/killbill/billing/invoice/usage/
// TestContiguousIntervalConsumableInArrear.java: tiers of blocks (a partial block charged as
// a whole one); ALL_TIERS is graduated, TOP_TIER volume.
TEST_CASE("tiers priced in blocks, as Kill Bill's tiered blocks", "[pricing][models]") {
    // testComputeBilledUsageWith_ALL_TIERS: 10 blocks of 100 at 1, then blocks of 1000 at 1:
    // 5325 units are 10 + 5 blocks, 15.
    const auto all_tiers = usageCalculator(R"({"model": "graduated", "tiers": [
        {"up_to": 1000, "unit_price": 1, "block_size": 100}, {"up_to": null, "unit_price": 1, "block_size": 1000}]})");
    CHECK(exact(all_tiers, "5325") == "15");
    const LineItem blocks = line(all_tiers, "5325");
    REQUIRE(blocks.tiers.size() == 2);
    CHECK(blocks.tiers[0].blocks == num("10"));
    CHECK(blocks.tiers[1].quantity == num("4325"));
    CHECK(blocks.tiers[1].blocks == num("5"));
    // testComputeBilledUsageSizeOneWith_ALL_TIERS: blocks of 1, 10 at 1.5, 100 at 1, then 0.5: 111 units cost 115.5.
    const auto size_one = usageCalculator(R"({"model": "graduated", "tiers": [
        {"up_to": 10, "unit_price": 1.5, "block_size": 1}, {"up_to": 110, "unit_price": 1, "block_size": 1},
        {"up_to": null, "unit_price": 0.5, "block_size": 1}]})");
    CHECK(exact(size_one, "111") == "115.5");
    // testComputeBilledUsageWith_TOP_TIER: blocks of 100 at 1 up to 1000, of 1000 at 1 up to
    // 101000, of 1000 at 0.5 beyond: 1000 → 10, 101000 → 101, 101001 → 51, 300000 → 150.
    const auto top_tier = usageCalculator(R"({"model": "volume", "tiers": [
        {"up_to": 1000, "unit_price": 1, "block_size": 100}, {"up_to": 101000, "unit_price": 1, "block_size": 1000},
        {"up_to": null, "unit_price": 0.5, "block_size": 1000}]})");
    CHECK(exact(top_tier, "1000") == "10");
    CHECK(exact(top_tier, "101000") == "101");
    CHECK(exact(top_tier, "101001") == "51");
    CHECK(exact(top_tier, "300000") == "150");
}

TEST_CASE("a bill carries each percentage line's events", "[pricing][models]") {
    const auto book = PriceBook::fromJson(R"({"plans": [{"id": "payments", "meters": {
        "payment": {"unit": "USD", "model": "percentage", "rate": 2.9, "transaction_fee": 0.30,
                    "free_transactions": 1}}}]})");
    const PricingCalculator calculator(book.plan("payments"));
    const std::vector<UsageTotal> usage = {{EventType("payment"), num("250"), 3, {}}};
    const Bill bill = calculator.bill(usage);
    REQUIRE(bill.lines.size() == 1);
    CHECK(bill.lines[0].events == 3);
    CHECK(bill.lines[0].transaction_fees == num("0.6"));
    CHECK(bill.total.toString() == "7.85");  // 250 × 2.9 % = 7.25, + 2 × 0.30
}

TEST_CASE("the first tier's fee at zero usage is the cycle's: its first day carries it", "[pricing][models]") {
    const auto book = PriceBook::fromJson(R"({"plans": [{"id": "base", "meters": {
        "usage": {"model": "graduated", "flat_fee_at_zero": true, "tiers": [
            {"up_to": 100, "unit_price": 0, "flat_fee": 20}, {"up_to": null, "unit_price": 0.5}]}}}]})");
    const PricingCalculator calculator(book.plan("base"));
    const std::vector<std::vector<UsageTotal>> days = {
        {}, {{EventType("usage"), num("150"), 3, {}}}, {}, {{EventType("usage"), num("10"), 1, {}}}};
    const auto costs = calculator.dailyCosts(days);
    REQUIRE(costs.size() == 4);
    CHECK(costs[0].toString() == "20.00");  // the fee, on the cycle's first day, without usage
    CHECK(costs[1].toString() == "25.00");
    CHECK(costs[2].toString() == "0.00");
    CHECK(costs[3].toString() == "5.00");
    const std::vector<UsageTotal> all = {{EventType("usage"), num("160"), 4, {}}};
    CHECK(calculator.bill(all).total.toString() == "50.00");

    // Slices: the part at the cycle's start carries the fee, a later part does not.
    const std::vector<UsageTotal> first_two = {{EventType("usage"), num("150"), 3, {}}};
    CycleSlice start{{}, first_two, {}, {}, {}, {}, true};
    CycleSlice rest{first_two, all, {}, {}, {}, {}, false};
    CHECK(calculator.billSlices(std::vector{start}).total.toString() == "45.00");
    CHECK(calculator.billSlices(std::vector{rest}).total.toString() == "5.00");
    CHECK(calculator.billSlices(std::vector{start, rest}).total.toString() == "50.00");
    // A later part with no usage before it is still not the cycle's start: no fee.
    CycleSlice later{{}, first_two, {}, {}, {}, {}, false};
    CHECK(calculator.billSlices(std::vector{later}).total.toString() == "25.00");
}

TEST_CASE("a counting meter prices the number of events: the first 100 events free", "[pricing][models]") {
    const auto book = PriceBook::fromJson(R"({"dimensions": {"region": {"values": ["eu", "us"]}}, "plans": [{"id": "p",
        "meters": {"report": {"unit": "report", "aggregation": "count", "included": 100, "unit_price": 0.01},
                   "export": {"aggregation": "count", "unit_price": 0.02,
                              "filters": [{"dimension": "region", "values": ["eu"], "unit_price": 0.05}]}}}]})");
    const PricingCalculator calculator(book.plan("p"));
    // 250 reports of 5000 pages: 150 events above the 100 free, at $0.01.
    const std::vector<UsageTotal> usage = {{EventType("report"), num("5000"), 250, {}},
                                           {EventType("export"), num("99"), 30, {}}};
    const std::vector<FilterUsageTotal> by_region = {{EventType("export"), "region", "eu", num("90"), 10}};
    const Bill bill = calculator.bill(usage, {}, by_region);
    const LineItem* reports = bill.line(EventType("report"));
    REQUIRE(reports != nullptr);
    CHECK(reports->quantity == num("250"));
    CHECK(reports->billable == num("150"));
    CHECK(reports->amount.toString() == "1.50");
    // Filters count events too: 10 exports in the EU at $0.05, the other 20 at $0.02.
    CHECK(bill.filterLine(EventType("export"), "region", "eu")->quantity == num("10"));
    CHECK(bill.line(EventType("export"))->quantity == num("20"));
    CHECK(bill.amountOf(EventType("export")).toString() == "0.90");
    // Daily costs count events as they come.
    const std::vector<std::vector<UsageTotal>> days = {{{EventType("report"), num("10"), 60, {}}},
                                                       {{EventType("report"), num("10"), 60, {}}}};
    const auto costs = calculator.dailyCosts(days);
    CHECK(costs[0].toString() == "0.00");
    CHECK(costs[1].toString() == "0.20");
    CHECK(book.toJson().find("\"aggregation\": \"count\"") != std::string::npos);
    CHECK(PriceBook::fromJson(book.toJson()).plan("p") == book.plan("p"));
}

TEST_CASE("bad charge options name the field", "[pricing][models]") {
    CHECK(usageMeterField(R"({"aggregation": "average", "unit_price": 1})") == "plans[0].meters.usage.aggregation");
    // A level's aggregation on a summed type: refused when the plan is checked.
    CHECK(usageMeterField(R"({"aggregation": "max", "unit_price": 1})") == "plans.p.meters.usage.aggregation");
    CHECK(usageMeterField(R"({"model": "per_unit", "rate": 2})") == "plans[0].meters.usage.rate");
    CHECK(usageMeterField(R"({"model": "percentage", "unit_price": 0.02})") == "plans[0].meters.usage.unit_price");
    CHECK(usageMeterField(R"({"model": "percentage"})") == "plans[0].meters.usage.rate");
    CHECK(usageMeterField(R"({"model": "percentage", "rate": -1})") == "plans[0].meters.usage.rate");
    CHECK(usageMeterField(R"({"model": "percentage", "rate": 0.00000000001})") == "plans[0].meters.usage.rate");
    CHECK(usageMeterField(R"({"model": "per_unit", "unit_price": 1, "flat_fee_at_zero": true})") ==
          "plans.p.meters.usage.flat_fee_at_zero");
    CHECK(usageMeterField(
              R"({"model": "graduated", "flat_fee_at_zero": "yes", "tiers": [{"up_to": null, "unit_price": 1}]})") ==
          "plans[0].meters.usage.flat_fee_at_zero");
    CHECK(usageMeterField(R"({"model": "per_unit", "unit_price": 1, "package_rounding": "down"})") ==
          "plans.p.meters.usage.package_rounding");
    CHECK(usageMeterField(R"({"model": "package", "unit_price": 1, "package_size": 5, "package_price": 2,
                      "package_rounding": "sideways"})") == "plans[0].meters.usage.package_rounding");
    CHECK(usageMeterField(R"({"model": "graduated", "unit_price": 1, "transaction_fee": 0.3,
                      "tiers": [{"up_to": null, "unit_price": 1}]})") == "plans.p.meters.usage.transaction_fee");
    CHECK(usageMeterField(R"({"model": "per_unit", "unit_price": 1, "free_transactions": 3})") ==
          "plans.p.meters.usage.free_transactions");
    CHECK(usageMeterField(R"({"model": "percentage", "rate": 1, "free_transactions": -1})") ==
          "plans[0].meters.usage.free_transactions");
    CHECK(usageMeterField(R"({"model": "percentage", "rate": 1, "free_transactions": 1.5})") ==
          "plans[0].meters.usage.free_transactions");
    CHECK(usageMeterField(R"({"model": "graduated", "tiers": [{"up_to": null, "unit_price": 1, "block_size": -5}]})") ==
          "plans.p.meters.usage.tiers[0].block_size");
    CHECK(usageMeterField(
              R"({"model": "graduated_percentage", "tiers": [{"up_to": null, "rate": 1, "block_size": 5}]})") ==
          "plans.p.meters.usage.tiers[0].block_size");
    CHECK(usageMeterField(R"({"model": "graduated_percentage", "tiers": [{"up_to": null, "unit_price": 1}]})") ==
          "plans[0].meters.usage.tiers[0].unit_price");
    CHECK(usageMeterField(R"({"model": "graduated", "tiers": [{"up_to": null, "rate": 1}]})") ==
          "plans[0].meters.usage.tiers[0].rate");
    CHECK(usageMeterField(R"({"model": "percentage", "rate": 1, "tiers": [{"up_to": null, "rate": 1}]})") ==
          "plans.p.meters.usage.tiers");
    // A negative number of events is refused.
    CHECK_THROWS_AS(usageCalculator(R"({"model": "percentage", "rate": 1})").price(EventType("usage"), num("1"), -1),
                    ValidationError);
}

TEST_CASE("a percentage meter's filters charge their own rate and fee per transaction", "[pricing][models]") {
    // Cards: 2.9 % + $0.30 each (Stripe's domestic card price), American Express 3.5 % +
    // $0.15 with its first transaction free of the fee.
    const auto book =
        PriceBook::fromJson(R"({"dimensions": {"card": {"values": ["visa", "amex"]}}, "plans": [{"id": "p",
        "meters": {"payment": {"model": "percentage", "rate": 2.9, "transaction_fee": 0.30,
                               "filters": [{"dimension": "card", "values": ["amex"], "model": "percentage",
                                            "rate": 3.5, "transaction_fee": 0.15, "free_transactions": 1}]}}}]})");
    const PricingCalculator calculator(book.plan("p"));
    // $1000 in 10 payments, $300 of it in 3 on amex.
    const std::vector<UsageTotal> usage = {{EventType("payment"), num("1000"), 10, {}}};
    const std::vector<FilterUsageTotal> by_card = {{EventType("payment"), "card", "amex", num("300"), 3},
                                                   {EventType("payment"), "card", "visa", num("500"), 5}};
    const Bill bill = calculator.bill(usage, {}, by_card);
    const LineItem& cards = *bill.line(EventType("payment"));
    CHECK(cards.events == 7);
    CHECK(cards.transaction_fees == num("2.10"));  // 7 × 0.30
    CHECK(cards.amount.toString() == "22.40");     // 700 × 2.9 % = 20.30, + 2.10
    const LineItem& amex = *bill.filterLine(EventType("payment"), "card", "amex");
    CHECK(amex.events == 3);
    CHECK(amex.transaction_fees == num("0.30"));  // 2 × 0.15: the first is free
    CHECK(amex.amount.toString() == "10.80");     // 300 × 3.5 % = 10.50, + 0.30
    CHECK(bill.total.toString() == "33.20");
    CHECK(PriceBook::fromJson(book.toJson()).plan("p") == book.plan("p"));
    // More events on the filters than on the type is inconsistent input, named.
    const std::vector<FilterUsageTotal> too_many = {{EventType("payment"), "card", "amex", num("300"), 11}};
    try {
        calculator.bill(usage, {}, too_many);
        FAIL("accepted");
    } catch (const ValidationError& e) {
        CHECK(e.field() == "filter_totals");
    }
    // A fee on a filter that is not a percentage is refused, by path.
    try {
        PriceBook::fromJson(R"({"dimensions": {"card": {"values": ["amex"]}}, "plans": [{"id": "p",
            "meters": {"payment": {"model": "percentage", "rate": 2.9,
                                   "filters": [{"dimension": "card", "values": ["amex"], "unit_price": 1,
                                                "transaction_fee": 0.15}]}}}]})");
        FAIL("accepted");
    } catch (const ValidationError& e) {
        CHECK(e.field() == "plans.p.meters.payment.filters[0].transaction_fee");
    }
}

TEST_CASE("the new options are kept exactly through price-book JSON", "[pricing][models]") {
    const auto book = PriceBook::fromJson(R"({"dimensions": {"card": {"values": ["visa", "amex"]}}, "plans": [{
        "id": "all", "meters": {
          "payment": {"model": "percentage", "rate": 2.9, "transaction_fee": 0.30, "free_transactions": 10, "included": 100},
          "transfer": {"model": "graduated_percentage", "flat_fee_at_zero": true,
                       "tiers": [{"up_to": 1000, "rate": 1.25, "flat_fee": 2}, {"up_to": null, "rate": 0.5}]},
          "upload": {"model": "package", "unit_price": 0.01, "package_size": 100, "package_price": 1,
                     "package_rounding": "down"},
          "call": {"model": "volume", "tiers": [{"up_to": 1000, "unit_price": 1, "block_size": 100},
                                                {"up_to": null, "unit_price": 0.5, "block_size": 1000}]},
          "card_payment": {"model": "percentage", "rate": 2.5,
                           "filters": [{"dimension": "card", "values": ["amex"], "model": "percentage", "rate": 3.5}]}
        }}]})");
    const PriceBook again = PriceBook::fromJson(book.toJson());
    CHECK(again.plan("all") == book.plan("all"));
    const Meter& payment_meter = *book.plan("all").meter(EventType("payment"));
    CHECK(payment_meter.model == PricingModel::percentage);
    CHECK(payment_meter.unit_price == num("0.029"));
    CHECK(payment_meter.transaction_fee == num("0.30"));
    CHECK(payment_meter.free_transactions == 10);
    CHECK(book.plan("all").meter(EventType("transfer"))->tiers[0].unit_price == num("0.0125"));
    CHECK(book.plan("all").meter(EventType("transfer"))->unit_price == num("0.0125"));  // list price: the first tier's
    CHECK(book.plan("all").meter(EventType("upload"))->package_rounding == PackageRounding::down);
    CHECK(book.plan("all").meter(EventType("call"))->tiers[1].block_size == num("1000"));
    CHECK(book.toJson().find("\"rate\": 2.9,") != std::string::npos);
}

// Properties over random tiers and quantities (fixed seeds: the same cases every run).
TEST_CASE("graduated is the sum of its tiers; volume picks one tier, never a lower one for more", "[pricing][models]") {
    std::mt19937_64 random(20261202);
    auto pick = [&](int low, int high) { return std::uniform_int_distribution<int>(low, high)(random); };
    for (int round = 0; round < 300; ++round) {
        std::vector<Tier> tiers;
        int bound = 0;
        const int count = pick(1, 4);
        for (int i = 0; i < count; ++i) {
            Tier tier;
            bound += pick(1, 500);
            if (i + 1 < count) tier.up_to = Decimal(bound);
            tier.unit_price = Decimal::fromMantissa(pick(0, 5000), 3);
            tier.flat_fee = Decimal(pick(0, 3) == 0 ? pick(1, 50) : 0);
            if (pick(0, 3) == 0) tier.block_size = Decimal(pick(1, 50));
            tiers.push_back(tier);
        }
        Meter meter;
        meter.type = EventType("usage");
        meter.included = Decimal(pick(0, 3) == 0 ? pick(1, 300) : 0);
        meter.tiers = tiers;
        meter.flat_fee_at_zero = pick(0, 1) == 1;
        meter.model = PricingModel::graduated;
        Plan plan;
        plan.id = "random";
        plan.meters = {meter};
        const PricingCalculator graduated(plan);
        plan.meters[0].model = PricingModel::volume;
        const PricingCalculator volume(plan);

        std::size_t previous_tier = 0;
        Decimal previous_in_tier;
        for (int step = 0; step < 12; ++step) {
            const Decimal quantity = Decimal::fromMantissa(pick(0, 2 * bound * 10), 1);
            // Graduated: each tier prices the billable units between its bounds, independently.
            const LineItem g = graduated.price(meter.type, quantity);
            Decimal expected;
            Decimal lower;
            for (std::size_t i = 0; i < tiers.size(); ++i) {
                const Decimal top = tiers[i].up_to ? min(*tiers[i].up_to, quantity) : quantity;
                const Decimal units = max(Decimal(0), top - max(lower, meter.included));
                if (units.signum() > 0) {
                    const Decimal priced =
                        tiers[i].block_size.signum() > 0 ? ceilDivide(units, tiers[i].block_size) : units;
                    expected += priced * tiers[i].unit_price + tiers[i].flat_fee;
                } else if (i == 0 && meter.flat_fee_at_zero) {
                    expected += tiers[0].flat_fee;
                }
                if (tiers[i].up_to) lower = *tiers[i].up_to;
            }
            CHECK(g.exact_amount == expected);
            Decimal of_tiers;
            for (const TierCharge& charge : g.tiers) of_tiers += charge.amount;
            CHECK(g.exact_amount == of_tiers);
            // Volume: one tier, the one the quantity falls in; more usage never picks a lower
            // tier, and within a tier never costs less.
            const LineItem v = volume.price(meter.type, quantity);
            CHECK(v.tiers.size() <= 1);
            if (!v.tiers.empty()) {
                const std::size_t tier = v.tiers[0].tier;
                CHECK((!tiers[tier].up_to || quantity <= *tiers[tier].up_to));
                CHECK((tier == 0 || quantity > *tiers[tier - 1].up_to));
            }
        }
        // Monotone in quantity within each tier, and the tier never falls.
        previous_tier = 0;
        previous_in_tier = Decimal(0);
        for (int q = 0; q <= 2 * bound; q += std::max(1, bound / 20)) {
            const LineItem v = volume.price(meter.type, Decimal(q));
            if (v.tiers.empty()) continue;
            const std::size_t tier = v.tiers[0].tier;
            CHECK(tier >= previous_tier);
            if (tier == previous_tier) CHECK(v.exact_amount >= previous_in_tier);
            previous_tier = tier;
            previous_in_tier = v.exact_amount;
        }
    }
}

TEST_CASE("package rounding down never charges more than up, and at most one package less", "[pricing][models]") {
    std::mt19937_64 random(7);
    auto pick = [&](int low, int high) { return std::uniform_int_distribution<int>(low, high)(random); };
    for (int round = 0; round < 500; ++round) {
        Meter meter;
        meter.type = EventType("usage");
        meter.model = PricingModel::package;
        meter.included = Decimal(pick(0, 100));
        meter.package_size = Decimal::fromMantissa(pick(1, 5000), 1);
        meter.package_price = Decimal::fromMantissa(pick(0, 1000), 2);
        Plan plan;
        plan.id = "random";
        plan.meters = {meter};
        const PricingCalculator up(plan);
        plan.meters[0].package_rounding = PackageRounding::down;
        const PricingCalculator down(plan);
        const Decimal quantity = Decimal::fromMantissa(pick(0, 100000), 1);
        const LineItem u = up.price(meter.type, quantity);
        const LineItem w = down.price(meter.type, quantity);
        CHECK(w.exact_amount <= u.exact_amount);
        CHECK((u.packages - w.packages == Decimal(0) || u.packages - w.packages == Decimal(1)));
        CHECK(w.packages * meter.package_size <= u.billable);
        CHECK(u.packages * meter.package_size >= u.billable);
    }
}
