// SPDX-License-Identifier: MIT
// Levels held over time (storage): the level rollups every store keeps, what a level meter
// counts of them (time-weighted, maximum, latest) across a DST change, and the bills,
// trends, quotas and statements of a business reporting its stored megabytes.
#include <catch2/catch.hpp>

#include <random>

#include "../src/level_measure.h"
#include "../src/level_rollup.h"
#include "../src/text_format.h"
#include "metered/errors.h"
#include "metered/price_book.h"
#include "metered/usage_recorder.h"
#include "store_fixtures.h"
#include "test_support.h"

using namespace metered;
using namespace metered::testing;
using namespace date::literals;
using std::chrono::hours;
using std::chrono::minutes;

namespace {

const DayRange november2026{date::local_days(2026_y / 11 / 1), date::local_days(2026_y / 12 / 1)};

DailyLevel row(date::local_days day, Timestamp first, Timestamp last, const char* closing, const char* peak,
               const char* held, std::int64_t reports) {
    return {EventType::storageLevel(), day, first, last, num(closing), num(peak), num(held), reports};
}

// A day's level set once, at `when`.
DailyLevel setAt(Timestamp when, date::local_days day, const char* level) {
    return row(day, when, when, level, level, "0", 1);
}

// The plan that bills stored megabytes: $0.0001 per MB-month ($0.10 a GB-month), 1,000
// MB-months included, a soft quota of 12,000 MB-months.
Plan storagePlan(Aggregation aggregation = Aggregation::time_weighted) {
    Plan plan = Plan::basic();
    plan.id = "storage";
    Meter meter;
    meter.type = EventType::storageLevel();
    meter.aggregation = aggregation;
    meter.unit = "MB-month";
    meter.included = Decimal(1000);
    meter.unit_price = num("0.0001");
    meter.quota = Quota{Decimal(12000), false};
    plan.meters.push_back(meter);
    return plan;
}

UsageEvent report(const BusinessId& business, const char* level, Timestamp when) {
    UsageEvent e;
    e.id = EventId::generate();
    e.business = business;
    e.type = EventType::storageLevel();
    e.quantity = num(level);
    e.occurred_at = when;
    return e;
}

}  // namespace

TEST_CASE("a level type is a name ending in _level", "[levels]") {
    CHECK(EventType::storageLevel().isLevel());
    CHECK(EventType("seats_level").isLevel());
    CHECK_FALSE(EventType::storageMb().isLevel());
    CHECK_FALSE(EventType("level").isLevel());
    CHECK_FALSE(EventType("levels").isLevel());
}

TEST_CASE("a stored event time reads back exactly, and nothing else reads as one", "[levels]") {
    const Timestamp t = at(2026_y / 11 / 1, hours(5) + std::chrono::microseconds(123));
    CHECK(detail::parseIsoTimestamp(detail::isoTimestamp(t)) == t);
    CHECK(detail::parseIsoTimestamp("1970-01-01T00:00:00.000000Z") == Timestamp());
    for (const char* bad : {"", "2026-11-01T05:00:00Z", "2026-11-01 05:00:00.000123+00", "2026-02-30T05:00:00.000000Z",
                            "2026-11-01T24:00:00.000000Z", "2026-11-01T05:60:00.000000Z", "2026-11-01T05:00:0x.000000Z",
                            "2026-11-01T05:00:00.00000-Z", "2026-11-01T05:00:00.000000z"}) {
        CHECK(detail::parseIsoTimestamp(bad) == std::nullopt);
    }
}

TEST_CASE("a day's level rollup: reports in time order, voids and amendments applied", "[levels]") {
    const auto day = date::local_days(2026_y / 11 / 1);
    const EventId a = EventId::generate(), b = EventId::generate(), c = EventId::generate();
    const Timestamp t0 = nyc(day, hours(1));
    // Out of order; 100 MB for 2 hours, then 300 MB for 3 hours, then 50 MB.
    std::vector<detail::LevelReport> reports = {
        {t0 + hours(5), c, num("50")}, {t0, a, num("100")}, {t0 + hours(2), b, num("300")}};
    auto level = detail::levelDay(EventType::storageLevel(), day, reports, {});
    REQUIRE(level);
    CHECK(level->first_at == t0);
    CHECK(level->last_at == t0 + hours(5));
    CHECK(level->closing == num("50"));
    CHECK(level->peak == num("300"));
    CHECK(level->held == Decimal(100) * Decimal(hours(2) / std::chrono::microseconds(1)) +
                             Decimal(300) * Decimal(hours(3) / std::chrono::microseconds(1)));
    CHECK(level->reports == 3);

    // b amended to 200 (delta -100), c voided: 100 for 2 hours, then 200 held.
    const std::vector<detail::QuantityCorrection> corrections = {{b, CorrectionKind::amend_quantity, num("-100")},
                                                                 {c, CorrectionKind::void_event, num("-50")},
                                                                 {a, CorrectionKind::amend_metadata, Decimal()}};
    level = detail::levelDay(EventType::storageLevel(), day, reports, corrections);
    REQUIRE(level);
    CHECK(level->last_at == t0 + hours(2));
    CHECK(level->closing == num("200"));
    CHECK(level->peak == num("200"));
    CHECK(level->reports == 2);

    // Two reports of one microsecond: the larger event id is the later.
    const auto [low, high] = std::minmax(a, b);
    level = detail::levelDay(EventType::storageLevel(), day, {{t0, high, num("7")}, {t0, low, num("3")}}, {});
    CHECK(level->closing == num("7"));
    CHECK(detail::levelDay(EventType::storageLevel(), day, {{t0, a, num("1")}},
                           std::vector<detail::QuantityCorrection>{{a, CorrectionKind::void_event, num("-1")}}) ==
          std::nullopt);
}

TEST_CASE("10 GB for half a month and 20 GB for the other half is 15 GB-months across a DST change",
          "[levels][pricing]") {
    const auto first = november2026.first, half = first + date::days(15);
    const Timestamp after = nyc(november2026.end, hours(24 * 5));
    // November 2026 in New York has 30 days and 720 + 1 hours (the 1st has 25).
    const std::vector<DailyLevel> rows = {setAt(nyc(first), first, "10000"), setAt(nyc(half), half, "20000")};
    const auto through = detail::levelThrough(Aggregation::time_weighted, rows, november2026, new_york, after);
    REQUIRE(through.size() == 30);
    CHECK(through.back() == num("15000"));
    CHECK(through[14] == num("5000"));  // the first 15 days: 10,000 × 15/30
    CHECK(detail::levelThrough(Aggregation::maximum, rows, november2026, new_york, after).back() == num("20000"));
    CHECK(detail::levelThrough(Aggregation::latest, rows, november2026, new_york, after)[14] == num("10000"));

    // The 25-hour day weighs what any day does: 20,000 from 13 elapsed hours into it (local
    // noon, after the clocks went back) is (10,000 × 13 + 20,000 × 12) / 25 level-days that day.
    const std::vector<DailyLevel> noon = {
        row(first, nyc(first), nyc(first, hours(13)), "20000", "20000",
            (Decimal(10000) * Decimal(hours(13) / std::chrono::microseconds(1))).toString().c_str(), 2)};
    CHECK(detail::levelThrough(Aggregation::time_weighted, noon, november2026, new_york, after).back() ==
          num("19826.666666667"));  // (14,800 + 29 × 20,000) / 30, to 9 digits

    // Up to now: on Nov 16 at 06:00 local, 15 days at 10 GB and a quarter day at 20 GB.
    const auto to_date =
        detail::levelThrough(Aggregation::time_weighted, rows, november2026, new_york, nyc(half, hours(6)));
    CHECK(to_date.back() == num("5166.666666667"));  // (150,000 + 5,000) / 30
    CHECK(to_date[16] == to_date.back());            // days to come add nothing

    // A cycle without reports holds the level carried into it, all of it.
    const DayRange december{november2026.end, date::local_days(2027_y / 1 / 1)};
    const Timestamp later = nyc(december.end);
    CHECK(detail::levelThrough(Aggregation::time_weighted, rows, december, new_york, later).back() == num("20000"));
    CHECK(detail::levelThrough(Aggregation::maximum, rows, december, new_york, later).back() == num("20000"));
    CHECK(detail::levelThrough(Aggregation::latest, rows, december, new_york, later).back() == num("20000"));
    // Before the first report there is no level.
    CHECK(detail::levelThrough(Aggregation::time_weighted, {}, december, new_york, later).back() == Decimal(0));
    // A cycle not begun counts nothing, whatever is carried into it.
    CHECK(detail::levelThrough(Aggregation::latest, rows, december, new_york, nyc(november2026.first)).back() ==
          Decimal(0));
}

TEST_CASE("time-weighted levels: the days' quantities add up to the cycle's, which never falls as time passes",
          "[levels][property]") {
    std::mt19937_64 random(20261202);
    for (int round = 0; round < 200; ++round) {
        std::vector<DailyLevel> rows;
        Decimal level;
        for (auto day = november2026.first - date::days(3); day < november2026.end; day += date::days(1)) {
            if (random() % 3 != 0) continue;
            const auto first_at = nyc(day, minutes(static_cast<int>(random() % 600)));
            const auto last_at = first_at + minutes(static_cast<int>(random() % 600));
            const Decimal closing = Decimal(static_cast<std::int64_t>(random() % 100000));
            const Decimal held = Decimal(static_cast<std::int64_t>(random() % 1000)) *
                                 Decimal((last_at - first_at).count());  // at most 999 held between
            rows.push_back(
                {EventType::storageLevel(), day, first_at, last_at, closing, max(closing, Decimal(999)), held, 2});
            level = closing;
        }
        const Timestamp now = nyc(november2026.first, minutes(static_cast<int>(random() % (60 * 24 * 35))));
        for (Aggregation aggregation : {Aggregation::time_weighted, Aggregation::maximum, Aggregation::latest}) {
            const auto through = detail::levelThrough(aggregation, rows, november2026, new_york, now);
            for (std::size_t i = 1; i < through.size(); ++i) {
                if (aggregation != Aggregation::latest) CHECK(through[i] >= through[i - 1]);
                CHECK(through[i].scale() <= detail::level_months_scale);
            }
        }
        // Held all cycle at the final level from a report before it: exactly that level.
        if (!rows.empty() && rows.back().day < november2026.first) {
            CHECK(detail::levelThrough(Aggregation::time_weighted, rows, november2026, new_york, nyc(november2026.end))
                      .back() == rows.back().closing);
        }
    }
}

TEST_CASE("a level aggregation bills a level type, and only it", "[levels][price_book]") {
    CHECK(parseAggregation("time_weighted") == Aggregation::time_weighted);
    CHECK(parseAggregation("max") == Aggregation::maximum);
    CHECK(parseAggregation("latest") == Aggregation::latest);
    CHECK(toString(Aggregation::maximum) == "max");
    CHECK_THROWS_AS(parseAggregation("average"), ValidationError);

    Plan summed = storagePlan();
    summed.meters.back().aggregation = Aggregation::sum;
    CHECK(errorField([&] { summed.validate(); }) == "plans.storage.meters.storage_level.aggregation");
    Plan api = Plan::basic();
    api.meter(EventType::apiCall())->aggregation = Aggregation::latest;
    CHECK(errorField([&] { api.validate(); }) == "plans.basic.meters.api_call.aggregation");

    const PriceBook book = PriceBook::fromJson(R"({"plans": [{"id": "p", "meters": {
        "storage_level": {"aggregation": "time_weighted", "unit": "MB-month", "unit_price": 0.0001},
        "seats_level": {"aggregation": "max", "unit_price": 12}}}]})");
    CHECK(book.plan("p").meter(EventType::storageLevel())->aggregation == Aggregation::time_weighted);
    CHECK(book.plan("p").meter(EventType("seats_level"))->aggregation == Aggregation::maximum);
    CHECK(PriceBook::fromJson(book.toJson()).toJson() == book.toJson());
    CHECK(errorField([] {
              PriceBook::fromJson(R"({"plans": [{"id": "p", "meters": {"storage_level": {"unit_price": 1}}}]})");
          }) == "plans.p.meters.storage_level.aggregation");
}

TEMPLATE_TEST_CASE("every store keeps a level type's rollup per day, recomputed on a late report and a correction",
                   "[store][levels]", STORE_FIXTURES) {
    TestType fixture;
    const Account business = account("Acme Files", new_york);
    fixture.store->saveAccount(business);
    const auto d1 = date::local_days(2026_y / 11 / 1), d2 = d1 + date::days(1), d3 = d1 + date::days(2);
    const UsageEvent early = report(business.id, "100", nyc(d1, hours(1)));
    const UsageEvent late = report(business.id, "300", nyc(d1, hours(20)));
    const UsageEvent between = report(business.id, "250.5", nyc(d1, hours(4)));  // arrives last
    const UsageEvent next = report(business.id, "40", nyc(d2, hours(3)));
    REQUIRE(fixture.store->append(std::vector{early, late, next}).stored == 3);
    REQUIRE(fixture.store->append(std::vector{between, early}).stored == 1);  // early again: a duplicate

    const auto micros = [](std::chrono::microseconds d) { return Decimal(d.count()); };
    auto rows = fixture.store->levels(business.id, {d1, d3});
    REQUIRE(rows.size() == 2);
    CHECK(rows[0] == DailyLevel{EventType::storageLevel(), d1, early.occurred_at, late.occurred_at, num("300"),
                                num("300"), Decimal(100) * micros(hours(3)) + num("250.5") * micros(hours(16)), 3});
    CHECK(rows[1].closing == num("40"));
    // A later range starts with the last row before it: the level carried in.
    rows = fixture.store->levels(business.id, {d3, d3 + date::days(5)});
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].day == d2);
    CHECK(fixture.store->levels(business.id, {d1 - date::days(5), d1}).empty());
    // Level reports are events like any other in the daily rollup (their quantities summed).
    CHECK(fixture.store->totals(business.id, {d1, d2}).at(0).events == 3);

    // Amending the 250.5 report to 50, then voiding the 300 one: the day is computed again.
    fixture.store->amendQuantity(business.id, between.id, num("50"), "wrong size", "ops");
    fixture.store->voidEvent(business.id, late.id, "duplicate upload", "ops");
    rows = fixture.store->levels(business.id, {d1, d2});
    REQUIRE(rows.size() == 1);
    CHECK(rows[0] == DailyLevel{EventType::storageLevel(), d1, early.occurred_at, between.occurred_at, num("50"),
                                num("100"), Decimal(100) * micros(hours(3)), 2});
    // The day's last report voided: no row.
    fixture.store->voidEvent(business.id, next.id, "test", "ops");
    CHECK(fixture.store->levels(business.id, {d2, d3}).size() == 1);  // d1's, carried
    CHECK(fixture.store->levels(business.id, {d2, d3})[0].day == d1);

    // A backfilled report counts once (its correction row adds no level).
    const UsageEvent backfilled = report(business.id, "70", nyc(d3, hours(2)));
    REQUIRE(fixture.store->backfill(backfilled, "import", "ops").stored == 1);
    rows = fixture.store->levels(business.id, {d3, d3 + date::days(1)});
    REQUIRE(rows.size() == 2);
    CHECK(rows[1].closing == num("70"));
    CHECK(rows[1].reports == 1);
}

TEMPLATE_TEST_CASE("a business billed for its stored megabytes on every store", "[store][levels]", STORE_FIXTURES) {
    TestType fixture;
    FixedClock clock;
    const Account business = account("Acme Files", new_york, "storage");
    fixture.store->saveAccount(business);
    UsageRecorder recorder(fixture.store, [&] {
        RecorderOptions options;
        options.clock = clock;
        options.price_book = PriceBook({storagePlan()}, "storage");
        return options;
    }());
    const auto first = november2026.first, half = first + date::days(15);
    *clock.now = nyc(first);
    recorder.setStorageLevel(business.id, num("10000"));
    *clock.now = nyc(half);
    const Receipt twenty = recorder.setStorageLevel(business.id, num("20000"));
    REQUIRE(recorder.flush());

    // Mid-month: 15 days of 10 GB and 6 hours of 20 GB, to date.
    *clock.now = nyc(half, hours(6));
    BillingUsage usage = recorder.getBillingUsage(business.id, PeriodSpec::currentCycle());
    CHECK(usage.quantity(EventType::storageLevel()) == num("5166.666666667"));
    CHECK(recorder.reports().checkQuota(business.id, EventType::storageLevel()).used == num("5166.666666667"));

    // After the month: 15,000 MB-months, 14,000 beyond the included 1,000, at $0.0001.
    *clock.now = nyc(november2026.end, hours(36));
    usage = recorder.getBillingUsage(business.id, PeriodSpec::previousCycle());
    const LineItem& line = *usage.bill.line(EventType::storageLevel());
    CHECK(line.quantity == num("15000"));
    CHECK(line.events == 2);
    CHECK(line.amount.toString() == "1.40");
    CHECK(usage.bill.total.toString() == "1.40");
    const QuotaStatus quota = recorder.reports().checkQuota(business.id, EventType::storageLevel());
    CHECK(quota.period.days.first == november2026.end);
    CHECK(quota.used == num("967.741935484"));  // December so far: 1.5 days of 20,000 over 31 days

    // The trend from November 1st: each day its share, November's days adding up to its bill.
    const auto trends = recorder.getUsageTrends(business.id, 32);
    REQUIRE(trends.size() == 32);
    CHECK(trends[0].date == date::year_month_day(2026_y / 11 / 1));
    Decimal cost, quantity;
    for (std::size_t i = 0; i < 30; ++i) {
        cost += trends[i].cost;
        quantity += trends[i].quantity(EventType::storageLevel());
    }
    CHECK(quantity == num("15000"));
    CHECK(cost == usage.bill.total);
    CHECK(trends[0].quantity(EventType::storageLevel()) == num("333.333333333"));  // 10,000 / 30, the 25-hour day too
    CHECK(trends[20].quantity(EventType::storageLevel()) == num("666.666666667"));
    CHECK(trends[20].usage.size() == 5);  // the four built-in meters and storage_level, reported that day or not

    // December holds the 20 GB carried into it; its statement closes with it, and a void of
    // November's 20 GB report after November's statement adjusts December's.
    *clock.now = nyc(november2026.end, hours(36));
    const Statement closed_november = recorder.reports().closeStatement(business.id, PeriodSpec::previousCycle());
    CHECK(closed_november.total.toString() == "1.40");
    fixture.store->voidEvent(business.id, twenty.id, "uploaded twice", "ops");
    *clock.now = nyc(date::local_days(2027_y / 1 / 2));
    const Statement december = recorder.reports().closeStatement(business.id, PeriodSpec::previousCycle());
    CHECK(december.total.toString() == "0.90");  // 10,000 MB-months all December (the void left 10 GB), 9,000 billed
    REQUIRE(december.adjustments.size() == 1);
    CHECK(december.adjustments[0].amount.toString() == "-0.50");  // November: 10,000 MB-months now, $0.90
}
