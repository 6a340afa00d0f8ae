// SPDX-License-Identifier: MIT
// The percentage model's per-transaction minimum and maximum: each event's charge bounded,
// in the order the events happened, checked against Lago's published cases; the events
// every store reads back one by one (corrections applied); and a business's bills, trends
// and statements across a DST change and a price change.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

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

const EventType payment("payment");

// A one-plan price book whose plan prices `payment` with `meter` (JSON).
PricingCalculator paymentCalculator(const std::string& meter) {
    const auto book =
        PriceBook::fromJson(R"({"plans": [{"id": "p", "currency": "USD", "meters": {"payment": )" + meter + "}}]}");
    return PricingCalculator(book.plan("p"));
}

// The bounds of a cycle's transactions of `amounts`, in order (PricingCalculator::boundTransaction).
Decimal boundsOf(const PricingCalculator& calculator, const std::vector<const char*>& amounts) {
    Decimal bounds, before;
    std::int64_t events = 0;
    for (const char* amount : amounts) {
        bounds += calculator.boundTransaction(payment, num(amount), before, events++);
        before += num(amount);
    }
    return bounds;
}

// The exact charge of a cycle's transactions of `amounts`: the meter's line with their bounds.
std::string charged(const PricingCalculator& calculator, const std::vector<const char*>& amounts) {
    UsageTotal total{payment, {}, static_cast<std::int64_t>(amounts.size()), {}};
    for (const char* amount : amounts) total.quantity += num(amount);
    total.transaction_bounds = boundsOf(calculator, amounts);
    const Bill bill = calculator.bill(std::vector{total});
    return bill.line(payment)->exact_amount.normalized().toPlainString();
}

std::string paymentMeterField(const std::string& meter) {
    return errorField([&] { paymentCalculator(meter); });
}

UsageEvent pay(const BusinessId& business, const char* amount, Timestamp when, EventType type = payment) {
    UsageEvent e;
    e.id = EventId::generate();
    e.business = business;
    e.type = std::move(type);
    e.quantity = num(amount);
    e.occurred_at = when;
    return e;
}

// Card payments: 2 % + $0.30, the first transaction without the fee, the first $100 free,
// each transaction charged at least $0.50 and at most $5.00; from November 16th (a later
// version) at most $1.00.
const char* const cards_book = R"({"plans": [
  {"id": "cards", "meters": {"payment": {"unit": "USD", "model": "percentage", "rate": 2, "transaction_fee": 0.30,
      "free_transactions": 1, "included": 100, "transaction_minimum": 0.50, "transaction_maximum": 5}}},
  {"id": "cards", "effective": "2026-11-16", "meters": {"payment": {"unit": "USD", "model": "percentage", "rate": 2,
      "transaction_fee": 0.30, "free_transactions": 1, "included": 100, "transaction_minimum": 0.50,
      "transaction_maximum": 1}}}]})";

}  // namespace

// getlago/lago-api@09e89450, spec/services/charge_models/percentage_service_spec.rb, "when
// applying min / max amount per transaction": transactions of 10, 80 and 10,000 at 2.99 %,
// at least 1.75 and at most 12 each.
TEST_CASE("per-transaction minimum and maximum, as Lago's cases", "[pricing][models][transactions]") {
    const std::vector<const char*> amounts = {"10", "80", "10000"};
    // 1.75 (10 × 2.99 % is below it) + 2.392 + 12 (10,000 × 2.99 % is above it).
    const auto bounded = paymentCalculator(R"({"model": "percentage", "rate": 2.99, "transaction_minimum": 1.75,
                                           "transaction_maximum": 12})");
    CHECK(charged(bounded, amounts) == "16.142");
    CHECK(boundsOf(bounded, amounts) == num("1.75") - num("0.299") + num("12") - num("299"));
    // Without bounds: 301.691 (the same plan less its bounds prices every transaction alike).
    CHECK(charged(paymentCalculator(R"({"model": "percentage", "rate": 2.99})"), amounts) == "301.691");
    // With a fixed fee of 2: 2.299 (above the minimum) + 4.392 + 12.
    CHECK(charged(paymentCalculator(R"({"model": "percentage", "rate": 2.99, "transaction_fee": 2,
                                    "transaction_minimum": 1.75, "transaction_maximum": 12})"),
                  amounts) == "18.691");
    // A free amount of 30: the first transaction is free (not raised to the minimum), the
    // second pays on 60 (1.794), the third is capped: 13.794.
    CHECK(charged(paymentCalculator(R"({"model": "percentage", "rate": 2.99, "included": 30,
                                    "transaction_minimum": 1.75, "transaction_maximum": 12})"),
                  amounts) == "13.794");
    // A free amount of 10,000: the third transaction pays on the 90 above it, 2.691.
    CHECK(charged(paymentCalculator(R"({"model": "percentage", "rate": 2.99, "included": 10000,
                                    "transaction_minimum": 1.75, "transaction_maximum": 12})"),
                  amounts) == "2.691");
    // Lago's "free units per events: 2" makes the first two transactions free whole; here a
    // free amount of their 90 does: only the capped third is charged, 12.
    CHECK(charged(paymentCalculator(R"({"model": "percentage", "rate": 2.99, "included": 90,
                                    "transaction_minimum": 1.75, "transaction_maximum": 12})"),
                  amounts) == "12");
}

TEST_CASE("a transaction charged nothing is not raised to the minimum; a free one still pays its rate",
          "[pricing][models][transactions]") {
    const auto cards = paymentCalculator(R"({"model": "percentage", "rate": 2, "transaction_fee": 0.30,
        "free_transactions": 1, "included": 100, "transaction_minimum": 0.50, "transaction_maximum": 5})");
    // The first transaction: within the allowance and free of the fee, charged nothing.
    CHECK(cards.boundTransaction(payment, num("60"), num("0"), 0).isZero());
    // The first, beyond the allowance: 1 % of … no fee (free), 2 % of 20 = 0.40, raised to 0.50.
    CHECK(cards.boundTransaction(payment, num("120"), num("0"), 0) == num("0.1"));
    // A later one of 0: its fee alone, 0.30, raised to 0.50.
    CHECK(cards.boundTransaction(payment, num("0"), num("500"), 7) == num("0.2"));
    // Partly in the allowance: 50 with 40 left is 10 × 2 % + 0.30 = 0.50, unchanged.
    CHECK(cards.boundTransaction(payment, num("50"), num("60"), 1).isZero());
    // Capped: 1,000 × 2 % + 0.30 = 20.30 → 5.
    CHECK(cards.boundTransaction(payment, num("1000"), num("115"), 2) == num("-15.3"));
    // A meter without bounds changes nothing; bad figures name the argument.
    const auto plain = paymentCalculator(R"({"model": "percentage", "rate": 2})");
    CHECK(plain.boundTransaction(payment, num("1000000"), num("0"), 0).isZero());
    CHECK(errorField([&] { cards.boundTransaction(payment, num("-1"), num("0"), 0); }) == "amount");
    CHECK(errorField([&] { cards.boundTransaction(payment, num("1"), num("-1"), 0); }) == "cycle_amount_before");
    CHECK(errorField([&] { cards.boundTransaction(payment, num("1"), num("0"), -1); }) == "cycle_events_before");
    CHECK(errorField([&] { cards.boundTransaction(EventType("refund"), num("1"), num("0"), 0); }) == "event_type");
}

TEST_CASE(
    "bounded transactions: each charge within its bounds, a minimum never lowers a bill, a maximum never raises it",
    "[pricing][models][transactions][properties]") {
    std::mt19937_64 random(20261202);
    std::uniform_int_distribution<int> cents(0, 200000), small(0, 9), count(1, 40);
    const auto money = [&](int value) { return Decimal(value) * num("0.01"); };
    for (int round = 0; round < 200; ++round) {
        const std::string rate = std::to_string(small(random)) + "." + std::to_string(small(random));
        const std::string fee = "0." + std::to_string(small(random)) + std::to_string(small(random));
        const std::string included = std::to_string(cents(random) / 100);
        const std::string free = std::to_string(small(random) / 3);
        const std::string lowest = "0." + std::to_string(small(random)) + "0";
        const std::string highest = std::to_string(1 + small(random));
        const std::string base = R"({"model": "percentage", "rate": )" + rate + R"(, "transaction_fee": )" + fee +
                                 R"(, "included": )" + included + R"(, "free_transactions": )" + free;
        const auto plain = paymentCalculator(base + "}");
        const auto floor = paymentCalculator(base + R"(, "transaction_minimum": )" + lowest + "}");
        const auto cap = paymentCalculator(base + R"(, "transaction_maximum": )" + highest + "}");
        const auto both = paymentCalculator(base + R"(, "transaction_minimum": )" + lowest +
                                            R"(, "transaction_maximum": )" + highest + "}");
        Decimal before, floor_sum, cap_sum;
        const int n = count(random);
        for (std::int64_t i = 0; i < n; ++i) {
            const Decimal amount = money(cents(random));
            const Decimal unbounded = plain.boundTransaction(payment, amount, before, i);
            CHECK(unbounded.isZero());
            const Decimal raised = floor.boundTransaction(payment, amount, before, i);
            const Decimal lowered = cap.boundTransaction(payment, amount, before, i);
            CHECK(raised.signum() >= 0);
            CHECK(lowered.signum() <= 0);
            floor_sum += raised;
            cap_sum += lowered;
            // The charge as bounded is within [minimum, maximum], or nothing.
            const LineItem unbounded_line = plain.price(payment, before + amount, i + 1);
            const LineItem before_line = plain.price(payment, before, i);
            const Decimal charge = unbounded_line.exact_amount - before_line.exact_amount;
            const Decimal bounded = charge + both.boundTransaction(payment, amount, before, i);
            if (!charge.isZero()) {
                CHECK(bounded >= num(lowest.c_str()));
                CHECK(bounded <= num(highest.c_str()));
            } else {
                CHECK(bounded.isZero());
            }
            before += amount;
        }
        CHECK(floor_sum.signum() >= 0);
        CHECK(cap_sum.signum() <= 0);
    }
}

TEST_CASE("bad per-transaction bounds name the field", "[pricing][models][transactions]") {
    CHECK(paymentMeterField(R"({"model": "per_unit", "unit_price": 1, "transaction_minimum": 1})") ==
          "plans.p.meters.payment.transaction_minimum");
    CHECK(paymentMeterField(R"({"model": "graduated_percentage", "tiers": [{"up_to": null, "rate": 1}],
                      "transaction_maximum": 1})") == "plans.p.meters.payment.transaction_maximum");
    CHECK(
        paymentMeterField(R"({"model": "percentage", "rate": 1, "aggregation": "count", "transaction_maximum": 1})") ==
        "plans.p.meters.payment.transaction_maximum");
    CHECK(paymentMeterField(R"({"model": "percentage", "rate": 1, "transaction_minimum": -1})") ==
          "plans.p.meters.payment.transaction_minimum");
    CHECK(paymentMeterField(R"({"model": "percentage", "rate": 1, "transaction_maximum": 0.001})") ==
          "plans.p.meters.payment.transaction_maximum");
    CHECK(paymentMeterField(
              R"({"model": "percentage", "rate": 1, "transaction_minimum": 5, "transaction_maximum": 1})") ==
          "plans.p.meters.payment.transaction_minimum");
    CHECK(paymentMeterField(R"({"model": "percentage", "rate": 1, "transaction_minimum": "lots"})") ==
          "plans[0].meters.payment.transaction_minimum");
    CHECK(errorField([] {
              PriceBook::fromJson(R"({"dimensions": {"card": {"values": ["visa", "amex"]}}, "plans": [{"id": "p",
                  "meters": {"payment": {"model": "percentage", "rate": 2.9, "transaction_minimum": 0.5,
                  "filters": [{"dimension": "card", "values": ["amex"], "model": "percentage", "rate": 3.5}]}}}]})");
          }) == "plans.p.meters.payment.transaction_minimum");
    // A price book keeps them exactly.
    const auto book = PriceBook::fromJson(cards_book);
    CHECK(PriceBook::fromJson(book.toJson()).plans() == book.plans());
    CHECK(book.plans()[0].meters[0].transaction_minimum == num("0.50"));
    CHECK(book.plans()[1].meters[0].transaction_maximum == num("1"));
}

TEMPLATE_TEST_CASE("every store reads a type's events one by one, in time order, as corrected", "[store][transactions]",
                   STORE_FIXTURES) {
    TestType fixture;
    const Account business = account("Acme Payments", new_york);
    const Account other = account("Other Payments", new_york);
    fixture.store->saveAccount(business);
    fixture.store->saveAccount(other);
    const auto d1 = date::local_days(2026_y / 11 / 1), d2 = d1 + date::days(1), d3 = d1 + date::days(2);
    const UsageEvent late = pay(business.id, "300", nyc(d1, hours(23)));  // 23:00 of the 25-hour day
    const UsageEvent early = pay(business.id, "12.5", nyc(d1, hours(1)));
    const UsageEvent next = pay(business.id, "40", nyc(d2, hours(3)));
    const UsageEvent after = pay(business.id, "7", nyc(d3));
    const UsageEvent api = pay(business.id, "1", nyc(d1, hours(2)), EventType::apiCall());
    const UsageEvent elsewhere = pay(other.id, "99", nyc(d1, hours(2)));
    REQUIRE(fixture.store->append(std::vector{late, early, next, after, api, elsewhere}).stored == 6);

    const auto read = [&](date::local_days first, date::local_days end) {
        return fixture.store->transactions(business.id, payment, {first, end});
    };
    CHECK(read(d1, d3) == std::vector<TransactionAmount>{{d1, early.occurred_at, early.id, num("12.5")},
                                                         {d1, late.occurred_at, late.id, num("300")},
                                                         {d2, next.occurred_at, next.id, num("40")}});
    CHECK(read(d2, d2 + date::days(1)).size() == 1);
    CHECK(read(d1 - date::days(30), d1).empty());

    // Amended, voided and backfilled: as the rollups see them.
    fixture.store->amendQuantity(business.id, late.id, num("30"), "typo", "ops");
    fixture.store->amendQuantity(business.id, late.id, num("31"), "typo again", "ops");
    fixture.store->voidEvent(business.id, next.id, "refunded", "ops");
    const UsageEvent backfilled = pay(business.id, "5", nyc(d1, hours(1)));  // same hour as `early`
    REQUIRE(fixture.store->backfill(backfilled, "import", "ops").stored == 1);
    const auto corrected = read(d1, d3);
    REQUIRE(corrected.size() == 3);
    const bool backfilled_first = backfilled.id < early.id;
    CHECK(corrected[backfilled_first ? 0 : 1].id == backfilled.id);
    CHECK(corrected[2] == TransactionAmount{d1, late.occurred_at, late.id, num("31")});
    Decimal sum;
    for (const auto& t : corrected) sum += t.amount;
    for (const UsageTotal& total : fixture.store->totals(business.id, {d1, d3})) {
        if (total.type == payment) CHECK(total.quantity == sum);
    }
}

TEMPLATE_TEST_CASE("a business billed per bounded transaction on every store", "[store][transactions]",
                   STORE_FIXTURES) {
    TestType fixture;
    FixedClock clock;
    const Account business = account("Acme Payments", new_york, "cards");
    fixture.store->saveAccount(business);
    const UsageReports reports(fixture.store, PriceBook::fromJson(cards_book), clock);
    const auto november = [](int day) { return date::local_days(2026_y / 11 / day); };
    // Charges: free; 10 × 2 % + 0.30 = 0.50; 0.40 raised to 0.50; 20.30 capped at 5.00;
    // 0.70; a payment of 0 is its fee, 0.30, raised to 0.50. Together 7.20, against
    // 22.20 unbounded (1,035 above the allowance at 2 % and five fees).
    const std::vector<UsageEvent> events = {
        pay(business.id, "60", nyc(november(1), hours(1))),  pay(business.id, "50", nyc(november(1), hours(3))),
        pay(business.id, "5", nyc(november(2), hours(9))),   pay(business.id, "1000", nyc(november(3), hours(10))),
        pay(business.id, "20", nyc(november(3), hours(12))), pay(business.id, "0", nyc(november(4), hours(8)))};
    // Stored in another order than they happened: the order they happened in prices them.
    REQUIRE(fixture.store->append(std::vector(events.rbegin(), events.rend())).stored == 6);

    *clock.now = nyc(november(10));
    BillingUsage usage = reports.getBillingUsage(business.id, PeriodSpec::currentCycle());
    const LineItem* line = usage.bill.line(payment);
    REQUIRE(line != nullptr);
    CHECK(line->transaction_fees == num("1.5"));
    CHECK(line->transaction_bounds == num("-15"));
    CHECK(usage.bill.total.toString() == "7.20");
    CHECK(to_json(usage.bill).find("\"transactionBounds\":-15,") != std::string::npos);

    // Each day its share: the days' costs add up to the bill.
    auto trends = reports.getUsageTrends(business.id, 10);
    REQUIRE(trends.size() == 10);
    CHECK(trends[0].cost.toString() == "0.50");
    CHECK(trends[1].cost.toString() == "0.50");
    CHECK(trends[2].cost.toString() == "5.70");
    CHECK(trends[3].cost.toString() == "0.50");
    // A span of days inside the cycle is priced with the cycle's earlier transactions before it.
    const BillingUsage third = reports.getBillingUsage(
        business.id, PeriodSpec::custom(date::year_month_day(2026_y / 11 / 3), date::year_month_day(2026_y / 11 / 4)));
    CHECK(third.bill.total.toString() == "5.70");

    // The capped payment amended to 100: 2.30, within the bounds; the bill is 4.50.
    fixture.store->amendQuantity(business.id, events[3].id, num("100"), "partial capture", "ops");
    usage = reports.getBillingUsage(business.id, PeriodSpec::currentCycle());
    CHECK(usage.bill.total.toString() == "4.50");
    CHECK(usage.bill.line(payment)->transaction_bounds == num("0.3"));

    // From November 16th a version caps each payment at 1.00: a payment of 500 then is
    // 10.30 capped at 1.00, while the first half keeps its prices.
    REQUIRE(fixture.store->append(std::vector{pay(business.id, "500", nyc(november(20), hours(15)))}).stored == 1);
    *clock.now = nyc(date::local_days(2026_y / 12 / 2));
    usage = reports.getBillingUsage(business.id, PeriodSpec::previousCycle());
    CHECK(usage.bill.amountOf(payment).toString() == "5.50");
    CHECK(usage.bill.total.toString() == "5.50");
    trends = reports.getUsageTrends(business.id, 32);
    Decimal month;
    for (std::size_t i = 0; i < 30; ++i) month += trends[i].cost;
    CHECK(month == usage.bill.total);
    CHECK(trends[19].cost.toString() == "1.00");
    const Statement statement = reports.closeStatement(business.id, PeriodSpec::previousCycle());
    CHECK(statement.total.toString() == "5.50");
}
