// SPDX-License-Identifier: MIT
// Raw events partitioned by month on PostgreSQL: an existing table converted with every
// row kept, appends idempotent whatever month a retry carries, a store that missed the
// conversion never doubling an event, and retention dropping or detaching old months while
// bills, trends and statements keep answering. (The whole store contract also runs on the
// partitioned layout: PartitionedPostgresFixture in STORE_FIXTURES.)
#include <catch2/catch.hpp>

#include <algorithm>
#include <optional>
#include <thread>

#include "metered/errors.h"
#include "metered/usage_reports.h"
#include "postgres/schema.h"
#include "store_fixtures.h"
#include "test_support.h"

using namespace metered;
using namespace metered::testing;
using namespace date::literals;
using std::chrono::hours;

namespace {

std::vector<std::string> partitions(PostgresFixture& fixture) {
    const auto r = fixture.sql(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'usage_events'::regclass ORDER BY c.relname");
    std::vector<std::string> names;
    names.reserve(static_cast<std::size_t>(r.rows()));
    for (int row = 0; row < r.rows(); ++row) names.emplace_back(r.text(row, 0));
    return names;
}

// `count` API calls of `business` on `day` (UTC), an hour apart from 00:30.
std::vector<UsageEvent> calls(const BusinessId& business, date::sys_days day, int count) {
    std::vector<UsageEvent> events;
    events.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
        events.push_back(event(business, EventType::apiCall(), "1", at(day, hours(i % 24)) + std::chrono::minutes(30)));
    }
    return events;
}

Decimal quantityOf(UsageStore& store, const BusinessId& business, const DayRange& days) {
    Decimal sum;
    for (const UsageTotal& total : store.totals(business, days)) sum += total.quantity;
    return sum;
}

const DayRange all_days{date::local_days(2026_y / 1 / 1), date::local_days(2027_y / 1 / 1)};

}  // namespace

TEST_CASE("partitioning existing events by month keeps every one, and appends stay idempotent across months",
          "[postgres][partitions]") {
    PostgresFixture fixture;
    const Account business = account("Acme Archive");
    fixture.store->saveAccount(business);
    std::vector<UsageEvent> before = calls(business.id, 2026_y / 8 / 15, 3);
    for (const auto& e : calls(business.id, 2026_y / 9 / 10, 2)) before.push_back(e);
    const std::vector<UsageEvent> october = calls(business.id, 2026_y / 10 / 5, 40);  // COPY-sized
    before.insert(before.end(), october.begin(), october.end());
    REQUIRE(fixture.store->append(before).stored == before.size());
    CHECK_FALSE(fixture.store->eventsPartitionedByMonth());

    fixture.store->partitionEventsByMonth();
    CHECK(fixture.store->eventsPartitionedByMonth());
    CHECK(partitions(fixture) ==
          std::vector<std::string>{"usage_events_2026_08", "usage_events_2026_09", "usage_events_2026_10"});
    CHECK(fixture.sql("SELECT count(*) FROM usage_events").text(0, 0) == std::to_string(before.size()));
    CHECK(fixture.sql("SELECT count(*) FROM usage_event_keys").text(0, 0) == std::to_string(before.size()));
    CHECK(quantityOf(*fixture.store, business.id, all_days) == Decimal(static_cast<std::int64_t>(before.size())));

    // Everything again (the COPY-sized batch too): duplicates, nothing stored.
    const AppendResult again = fixture.store->append(before);
    CHECK(again.stored == 0);
    CHECK(again.duplicates == before.size());
    // A host's retry with the same idempotency key carries a later time, in another month:
    // still the same event.
    UsageEvent retried = before.front();
    retried.occurred_at = at(2026_y / 11 / 2, hours(1));
    const AppendResult retry = fixture.store->append(std::vector{retried});
    CHECK(retry.stored == 0);
    CHECK(retry.duplicates == 1);
    CHECK(fixture.sql("SELECT count(*) FROM usage_events").text(0, 0) == std::to_string(before.size()));

    // A new month gets its partition with its first event, in a batch of either size.
    REQUIRE(fixture.store->append(calls(business.id, 2026_y / 11 / 20, 1)).stored == 1);
    REQUIRE(fixture.store->append(calls(business.id, 2026_y / 12 / 1, 35)).stored == 35);
    CHECK(partitions(fixture).back() == "usage_events_2026_12");
    CHECK(quantityOf(*fixture.store, business.id, all_days) == Decimal(static_cast<std::int64_t>(before.size() + 36)));
    CHECK_THROWS_AS(fixture.store->partitionEventsByMonth(), StoreError);
}

TEST_CASE("a store that has not seen its events partitioned by another process never doubles one",
          "[postgres][partitions]") {
    PostgresFixture fixture;
    const Account business = account("Acme Elsewhere");
    fixture.store->saveAccount(business);
    REQUIRE(fixture.store->append(calls(business.id, 2026_y / 10 / 1, 1)).stored == 1);  // learns: unpartitioned
    PostgresStore other(PostgresOptions{.conninfo = fixture.conninfo});
    other.partitionEventsByMonth();

    // The batch of new events would go in by COPY: the guard stops it, and the careful way
    // (whose function reads the layout it writes to) stores each event once, with its key.
    const std::vector<UsageEvent> batch = calls(business.id, 2026_y / 10 / 2, 40);
    CHECK(fixture.store->append(batch).stored == batch.size());
    CHECK(fixture.store->append(batch).duplicates == batch.size());
    CHECK(fixture.sql("SELECT count(*) FROM usage_event_keys").text(0, 0) == "41");
    CHECK(quantityOf(*fixture.store, business.id, all_days) == Decimal(41));
}

TEST_CASE("an append that waited for the conversion's lock stores nothing without its key", "[postgres][partitions]") {
    PostgresFixture fixture;
    const Account business = account("Acme Waiting");
    fixture.store->saveAccount(business);
    REQUIRE(fixture.store->append(calls(business.id, 2026_y / 10 / 1, 1)).stored == 1);  // learns: unpartitioned

    // The conversion begins (its lock taken) while a batch that goes in by COPY arrives.
    fixture.sql("BEGIN");
    fixture.sql("LOCK TABLE usage_events IN ACCESS EXCLUSIVE MODE");
    const std::vector<UsageEvent> batch = calls(business.id, 2026_y / 10 / 2, 40);
    std::optional<AppendResult> appended;
    std::thread appender([&] { appended = fixture.store->append(batch); });
    detail::PgConnection watcher = testServer();
    const bool waiting = eventually(
        [&] { return watcher.exec("locks", "SELECT count(*) FROM pg_locks WHERE NOT granted").text(0, 0) != "0"; });
    fixture.admin.execScript(detail::pg::partition_events);
    fixture.sql("COMMIT");
    appender.join();
    REQUIRE(waiting);
    REQUIRE(appended.has_value());

    // Nothing went in without its key: the guard stopped the COPY, the careful way stored
    // the batch once, with its keys.
    CHECK(appended->stored == batch.size());
    CHECK(fixture.store->append(batch).duplicates == batch.size());
    CHECK(fixture.sql("SELECT count(*) FROM usage_event_keys").text(0, 0) == "41");
    CHECK(quantityOf(*fixture.store, business.id, all_days) == Decimal(41));
}

TEST_CASE("retention drops or detaches the months before the first kept; bills, trends and statements keep answering",
          "[postgres][partitions]") {
    PostgresFixture fixture;
    FixedClock clock;
    const Account business = account("Acme Retention");
    fixture.store->saveAccount(business);
    const UsageReports reports(fixture.store, clock);
    std::vector<UsageEvent> events;
    for (auto month : {2026_y / 8, 2026_y / 9, 2026_y / 10}) {
        for (const auto& e : calls(business.id, month / 3, 1500))
            events.push_back(e);  // 500 above the basic plan's 1,000
    }
    REQUIRE(fixture.store->append(events).stored == events.size());
    CHECK_THROWS_AS(fixture.store->retireEventsBefore(2026_y / 9), StoreError);  // not partitioned yet
    fixture.store->partitionEventsByMonth();

    *clock.now = at(2026_y / 9 / 2);
    const Statement august = reports.closeStatement(business.id, PeriodSpec::previousCycle());
    const auto custom = [](date::year_month month) {
        return PeriodSpec::custom(date::year_month_day(month / 1), date::year_month_day((month + date::months(1)) / 1));
    };
    const Decimal august_bill = reports.getBillingUsage(business.id, custom(2026_y / 8)).bill.total;
    const Decimal september_bill = reports.getBillingUsage(business.id, custom(2026_y / 9)).bill.total;
    CHECK(august_bill == august.total);
    CHECK(august_bill > Decimal(0));
    *clock.now = at(2026_y / 10 / 10);
    const auto trends = reports.getUsageTrends(business.id, 60);

    CHECK(errorField([&] { fixture.store->retireEventsBefore(2100_y / 1); }) == "first_kept");
    CHECK(fixture.store->retireEventsBefore(2026_y / 10) ==
          std::vector<std::string>{"usage_events_2026_08", "usage_events_2026_09"});
    CHECK(partitions(fixture) == std::vector<std::string>{"usage_events_2026_10"});
    CHECK(fixture.store->retireEventsBefore(2026_y / 10).empty());  // again: nothing left to retire

    // What reads rollups and stored statements answers as before.
    CHECK(reports.getBillingUsage(business.id, custom(2026_y / 8)).bill.total == august_bill);
    CHECK(reports.getBillingUsage(business.id, custom(2026_y / 9)).bill.total == september_bill);
    const auto trends_after = reports.getUsageTrends(business.id, 60);
    REQUIRE(trends_after.size() == trends.size());
    for (std::size_t i = 0; i < trends.size(); ++i) CHECK(trends_after[i].cost == trends[i].cost);
    REQUIRE(fixture.store->findStatement(business.id, date::local_days(2026_y / 8 / 1)));
    CHECK(fixture.store->findStatement(business.id, date::local_days(2026_y / 8 / 1))->total == august.total);
    *clock.now = at(2026_y / 10 / 2);
    CHECK(reports.closeStatement(business.id, PeriodSpec::previousCycle()).total == september_bill);

    // An event of a retired month is refused, naming retention; a retried October one is a
    // duplicate; what needs raw events of a retired month says so.
    const std::vector<UsageEvent> late = calls(business.id, 2026_y / 9 / 20, 1);
    const AppendResult refused = fixture.store->append(late);
    CHECK(refused.stored == 0);
    REQUIRE(refused.rejected.size() == 1);
    CHECK(refused.rejected[0].kind == RejectionKind::refused);
    CHECK(refused.rejected[0].reason.find("retention") != std::string::npos);
    CHECK(fixture.store->append(std::vector{events.back()}).duplicates == 1);
    const DayRange september{date::local_days(2026_y / 9 / 1), date::local_days(2026_y / 10 / 1)};
    const DayRange october{date::local_days(2026_y / 10 / 1), date::local_days(2026_y / 11 / 1)};
    CHECK(quantityOf(*fixture.store, business.id, september) == Decimal(1500));
    CHECK_THROWS_AS(fixture.store->recordedEvents(business.id, september, 10, nullptr), StoreError);
    CHECK_THROWS_AS(fixture.store->transactions(business.id, EventType::apiCall(), september), StoreError);
    CHECK(fixture.store->recordedEvents(business.id, october, 10, nullptr).size() == 10);

    // Detached: the month's rows stay in a table of their own, out of usage_events.
    *clock.now = at(2026_y / 12 / 2);
    CHECK(fixture.store->retireEventsBefore(2026_y / 11, Retirement::detach) ==
          std::vector<std::string>{"usage_events_2026_10"});
    CHECK(partitions(fixture).empty());
    CHECK(fixture.sql("SELECT count(*) FROM usage_events_2026_10").text(0, 0) == "1500");
    CHECK(fixture.sql("SELECT count(*) FROM usage_events").text(0, 0) == "0");
    CHECK(quantityOf(*fixture.store, business.id, october) == Decimal(1500));
}
