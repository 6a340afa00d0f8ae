// SPDX-License-Identifier: MIT
// SQLite-specific behaviour: exact text storage, WAL, reopening, two processes.
#include <catch2/catch.hpp>

#include <algorithm>
#include "metered/errors.h"
#include "metered/store.h"
#include "sqlite/schema.h"
#include "store_fixtures.h"
#include "test_support.h"

using namespace metered;
using namespace metered::testing;
using namespace date::literals;
using std::chrono::hours;

TEST_CASE("SQLite stores every number as exact text, in WAL mode", "[sqlite]") {
    SqliteFixture fixture;
    const auto biz = account("Acme");
    fixture.store->saveAccount(biz);
    std::vector<UsageEvent> batch = {event(biz.id, EventType::storageMb(), "1", at(2024_y / 3 / 5, hours(1))),
                                     event(biz.id, EventType::voiceMinute(), "0.7", at(2024_y / 3 / 5, hours(2)))};
    REQUIRE(fixture.store->append(batch).stored == 2);
    detail::SqliteConnection db(fixture.path.string(), 5000);
    auto types = db.prepare(
        "SELECT DISTINCT typeof(quantity), typeof(unit_price_cents), typeof(total_cost_cents) "
        "FROM usage_events");
    REQUIRE(types.step());
    CHECK(types.text(0) == "text");
    CHECK(types.text(1) == "text");
    CHECK(types.text(2) == "text");
    CHECK_FALSE(types.step());
    auto costs = db.prepare("SELECT total_cost_cents FROM usage_events ORDER BY event_type");
    REQUIRE(costs.step());
    CHECK(Decimal::parse(costs.text(0)) == num("0.1"));  // storage_mb: 1 MB at $0.001, a tenth of a cent
    REQUIRE(costs.step());
    CHECK(Decimal::parse(costs.text(0)) == num("1.4"));  // voice_minute: 0.7 minutes at 2 cents
    auto real_columns = db.prepare(
        "SELECT count(*) FROM sqlite_master m, pragma_table_info(m.name) c "
        "WHERE m.type = 'table' AND upper(c.type) IN ('REAL', 'FLOAT', 'DOUBLE', 'NUMERIC')");
    REQUIRE(real_columns.step());
    CHECK(real_columns.integer(0) == 0);
    auto mode = db.prepare("PRAGMA journal_mode");
    REQUIRE(mode.step());
    CHECK(mode.text(0) == "wal");
    CHECK(fixture.store->schemaVersion() == static_cast<int>(detail::sqlite::migrations().size()));
}

TEST_CASE("a SQLite file keeps its data across openings and opens from a URI", "[sqlite]") {
    SqliteFixture fixture;
    const auto biz = account("Acme", "Asia/Kolkata");
    fixture.store->saveAccount(biz);
    UsageRecorder recorder(fixture.store);
    recorder.recordVoiceMinutes(biz.id, num("75.5"));
    auto reopened = openStore("sqlite:" + fixture.path.string());  // migrate() again: a no-op
    UsageRecorder again(reopened);
    CHECK(again.getBillingUsage(biz.id).quantity(EventType::voiceMinute()) == num("75.5"));
    CHECK(again.getBillingUsage(biz.id).bill.total == num("0.31"));
    CHECK_THROWS_AS(openStore("sqlite:"), ValidationError);
    CHECK_THROWS_AS(openStore("sqlite:/nonexistent-dir/x/y.db"), StoreError);
}

TEST_CASE("two processes appending to one SQLite file end with exact totals", "[sqlite]") {
    SqliteFixture fixture;
    const auto biz = account("Shared");
    fixture.store->saveAccount(biz);
    std::vector<UsageEvent> events;
    for (int i = 0; i < 2000; ++i) {
        events.push_back(event(biz.id, EventType::apiCall(), "1",
                               at(date::sys_days(2024_y / 3 / 1) + date::days(i % 28), hours(3))));
    }
    const auto failures = inChildProcesses(2, [&](int process) {
        SqliteStore store({.path = fixture.path});
        // Process 0 appends all events front to back, process 1 the second half back to front.
        std::vector<UsageEvent> mine(events.begin() + (process == 0 ? 0 : 1000), events.end());
        if (process == 1) std::reverse(mine.begin(), mine.end());
        appendInBatches(store, mine, 100);
    });
    CHECK(failures.empty());
    const DayRange march{date::local_days(2024_y / 3 / 1), date::local_days(2024_y / 4 / 1)};
    const auto totals = fixture.store->totals(biz.id, march);
    REQUIRE(totals.size() == 1);
    CHECK(totals[0].quantity == num("2000"));
    CHECK(totals[0].events == 2000);
}

TEST_CASE("a plan stored before plans billed AI usage bills it at cost", "[sqlite][ai]") {
    SqliteFixture fixture;
    Plan byok = Plan::basic();
    byok.id = "byok";
    byok.ai.reset();
    fixture.store->savePlan(byok);
    // As the upgrade leaves a row written before the ai_billing column: NULL.
    detail::SqliteConnection db(fixture.path.string(), 5000);
    db.execute("UPDATE metered_plans SET ai_billing = NULL WHERE id = 'basic'");
    const auto plans = fixture.store->loadPlans();
    const auto find = [&](std::string_view id) {
        return *std::find_if(plans.begin(), plans.end(), [&](const Plan& p) { return p.id == id; });
    };
    CHECK(find("basic").ai == AiBilling{});    // NULL: at cost, never silently unbilled
    CHECK_FALSE(find("byok").ai.has_value());  // stored "null": explicitly not billed
}

TEST_CASE("released SQLite migrations never change", "[sqlite][migrations]") {
    constexpr std::uint32_t released[] = {0x7DE6D6D7, 0x40F65EBE, 0x71F2C257, 0xE3AE90D7, 0x11E9A6DC, 0x47919997,
                                          0xA5D11F06, 0x08A7B356, 0x916A39B5, 0x2C2529D5, 0xCD28C33C, 0xA28A1067,
                                          0x39E9082F, 0x748B22F6, 0xC90BAAC1, 0x1A82AA83, 0x58DC8B8E};
    checkReleasedMigrations(detail::sqlite::migrations(), released);
}

TEST_CASE("the backfill migration keeps a file's corrections and their guards", "[sqlite][corrections][backfill]") {
    const auto& all = detail::sqlite::migrations();
    const auto backfill = std::find_if(all.begin(), all.end(), [](const detail::Migration& m) {
        return std::string_view(m.description).find("backfill") != std::string_view::npos;
    });
    REQUIRE(backfill != all.end());
    const TempDir dir;
    const auto path = dir.path / "before-backfills.db";
    SqliteStore store({.path = path});
    CHECK(store.schemaVersion() == 0);  // creates the version table
    {
        // The file as the release before backfills left it.
        detail::SqliteConnection db(path.string(), 5000);
        db.execute("BEGIN");
        for (auto m = all.begin(); m != backfill; ++m) {
            db.execute(m->sql);
            db.prepare("INSERT INTO metered_schema_version (version) VALUES (?1)")
                .bind(1, std::int64_t{m->version})
                .run();
        }
        db.execute("COMMIT");
    }
    CHECK(store.schemaVersion() == backfill->version - 1);
    const Account acme = account("Acme Pizza");
    store.saveAccount(acme);
    const Timestamp day5 = at(2024_y / 3 / 5, hours(12));
    const std::vector<UsageEvent> events = {event(acme.id, EventType::apiCall(), "2", day5),
                                            event(acme.id, EventType::voiceMinute(), "10", day5)};
    REQUIRE(store.append(events).stored == 2);
    store.voidEvent(acme.id, events[0].id, "duplicate", "ops");
    store.amendQuantity(acme.id, events[1].id, num("12.5"), "meter fixed", "ops");
    const DayRange march{date::local_days(2024_y / 3 / 1), date::local_days(2024_y / 4 / 1)};
    const auto before = store.listCorrections(acme.id, march);
    REQUIRE(before.size() == 2);

    store.migrate();
    CHECK(store.schemaVersion() == static_cast<int>(all.size()));
    CHECK(store.listCorrections(acme.id, march) == before);
    // The rebuilt table keeps its index and triggers: one void per event, no update, no delete.
    detail::SqliteConnection db(path.string(), 5000);
    auto named = db.prepare(
        "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master WHERE tbl_name = "
        "'metered_corrections' AND type IN ('index', 'trigger') AND name LIKE 'metered_%' ORDER BY name)");
    REQUIRE(named.step());
    CHECK(named.text(0) ==
          "metered_corrections_day metered_corrections_no_delete metered_corrections_no_update "
          "metered_corrections_one_void");
    CHECK_THROWS(db.execute("UPDATE metered_corrections SET reason = 'x'"));
    CHECK_THROWS(db.execute("DELETE FROM metered_corrections"));
    CHECK_THROWS(
        db.execute(("INSERT INTO metered_corrections SELECT business_id, event_id, 9, kind, event_type, "
                    "local_day, new_quantity, new_metadata, reason, actor, corrected_at, quantity_delta, "
                    "cost_delta, events_delta FROM metered_corrections WHERE kind = 'void'")));
    CHECK_THROWS(
        db.execute(("INSERT INTO metered_corrections SELECT business_id, event_id, 9, 'other', event_type, "
                    "local_day, new_quantity, new_metadata, reason, actor, corrected_at, quantity_delta, "
                    "cost_delta, events_delta FROM metered_corrections WHERE kind = 'amend'")));
    CHECK(errorField([&] { store.voidEvent(acme.id, events[0].id, "again", "ops"); }) == "event");

    // And it takes backfills.
    const UsageEvent late = event(acme.id, EventType::apiCall(), "3", day5);
    CHECK(store.backfill(late, "meter outage", "ops").stored == 1);
    const auto after = store.listCorrections(acme.id, march);
    REQUIRE(after.size() == 3);
    CHECK(std::count_if(after.begin(), after.end(),
                        [](const Correction& c) { return c.kind == CorrectionKind::backfill; }) == 1);
}
