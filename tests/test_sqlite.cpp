// SPDX-License-Identifier: MIT
// SQLite-specific behaviour: exact text storage, WAL, reopening, two processes.
#include <catch2/catch.hpp>
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
    CHECK(fixture.store->schemaVersion() >= 8);  // charge filters
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
