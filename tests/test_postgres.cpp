// SPDX-License-Identifier: MIT
// PostgreSQL-specific behaviour: migrations, the seed's SQL, plans, poison isolation,
// errors and secrets, two processes appending at once.
#include <catch2/catch.hpp>
#include <algorithm>
#include <thread>

#include "conninfo.h"
#include "iso_date.h"
#include "metered/errors.h"
#include "metered/store.h"
#include "postgres/schema.h"
#include "postgres/sqlstate.h"
#include "seed_queries.h"
#include "store_fixtures.h"
#include "test_support.h"

using namespace metered;
using namespace metered::testing;
using namespace date::literals;
using std::chrono::hours;

namespace {

std::string explain(PostgresFixture& fixture, const char* query, const BusinessId& id) {
    auto r = fixture.sql(std::string("EXPLAIN ") + query,
                         detail::PgParams().add(id.toString()).add("2024-03-01").add("2024-04-01"));
    std::string plan;
    for (int row = 0; row < r.rows(); ++row) plan += std::string(r.text(row, 0)) + "\n";
    return plan;
}

}  // namespace

TEST_CASE("passwords never appear in connection strings we print", "[postgres][offline]") {
    using detail::maskPassword;
    CHECK(maskPassword("postgresql://billing:s3cret@db.example.com:5432/metered?sslmode=verify-full") ==
          "postgresql://billing:***@db.example.com:5432/metered?sslmode=verify-full");
    CHECK(maskPassword("postgres://db/metered?user=a&password=s3cret&sslmode=require") ==
          "postgres://db/metered?user=a&password=***&sslmode=require");
    CHECK(maskPassword("host=db user=billing password=s3cret dbname=metered") ==
          "host=db user=billing password=*** dbname=metered");
    CHECK(maskPassword("host=db password = 'it\\'s a \\\\secret' dbname=metered") ==
          "host=db password = *** dbname=metered");
    CHECK(maskPassword("postgresql://db/metered") == "postgresql://db/metered");
    CHECK(detail::redact("FATAL: bad s3cret here", "s3cret") == "FATAL: bad *** here");
}

TEST_CASE("SQLSTATEs are sorted into transient and permanent", "[postgres][offline]") {
    for (const char* transient : {"08006", "08001", "40001", "40P01", "57P01", "57P03", "53300", "57014", ""}) {
        INFO(transient);
        CHECK(detail::isTransientSqlstate(transient));
    }
    for (const char* permanent : {"23505", "23503", "22P02", "42P01", "42501", "22023", "23514"}) {
        INFO(permanent);
        CHECK_FALSE(detail::isTransientSqlstate(permanent));
    }
    // A PL/Proxy coordinator's own failure to reach a server, not a server's error.
    CHECK(detail::isProxyFailure("XX000",
                                 "PL/Proxy function s.metered_append_events(12): [postgres] PQconnectPoll: "
                                 "connection to server at \"127.0.0.1\", port 31502 failed"));
    CHECK_FALSE(detail::isProxyFailure("XX000", "could not read block 7"));
    CHECK_FALSE(detail::isProxyFailure("23514", "s.metered_append_events(12): [postgres] REMOTE ERROR: new row"));
}

TEST_CASE("an unreachable server is a transient error without the password", "[postgres]") {
    try {
        // Opening does not need the server (a spooling recorder starts during an outage);
        // the first call does.
        PostgresStore store({.conninfo = "postgresql://billing:s3cret-pw@127.0.0.1:1/metered?connect_timeout=2"});
        store.migrate();
        FAIL("connected to nothing");
    } catch (const StoreError& e) {
        CHECK(e.transient());
        const std::string message = e.what();
        CHECK(message.find("s3cret-pw") == std::string::npos);
        CHECK(message.find("billing:***@127.0.0.1:1") != std::string::npos);
    }
    // A wrong password: the server refuses; the message names neither the password.
    try {
        PostgresStore store({.conninfo = "password=wrong-pw-123 user=nobody_here dbname=postgres connect_timeout=5"});
        store.loadPlans();
        FAIL("connected with a wrong password");
    } catch (const StoreError& e) {
        CHECK(std::string(e.what()).find("wrong-pw-123") == std::string::npos);
    }
    CHECK_THROWS_AS(openStore("mysql://x"), ValidationError);
}

TEST_CASE("released PostgreSQL migrations never change", "[postgres][offline][migrations]") {
    constexpr std::uint32_t released[] = {0x5EA10D4A, 0xA93C3127, 0x6042CC68, 0xDEEDCC80, 0x23B07B9D, 0x8497CCBA,
                                          0xFE24684B, 0x633F9DD0, 0xBB37D3AC, 0xF5E5D449, 0x45470872, 0x8F263F57,
                                          0x7F10FB4D, 0xA618FCCC, 0x9EAED186, 0xF0A1E713, 0xD25018B9, 0x7685FD1C,
                                          0xBDDCF231, 0xA0DC1F9D, 0xD6AE8C60, 0x23835620};
    checkReleasedMigrations(detail::pg::migrations(), released);
}

TEST_CASE("migrations are versioned, idempotent and safe to run concurrently", "[postgres]") {
    PostgresFixture fixture;  // already migrated once
    CHECK(fixture.store->schemaVersion() == static_cast<int>(detail::pg::migrations().size()));
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int i = 0; i < 4; ++i) {
        threads.emplace_back([&] {
            try {
                PostgresStore store({.conninfo = fixture.conninfo});
                store.migrate();
            } catch (...) {
                ++failures;
            }
        });
    }
    for (auto& t : threads) t.join();
    CHECK(failures == 0);
    CHECK(fixture.sql("SELECT count(*) FROM metered_schema_version").text(0, 0) ==
          std::to_string(detail::pg::migrations().size()));
    CHECK(fixture.sql("SELECT count(*) FROM metered_plans").text(0, 0) == "1");
    // The seed's plan rows, with the exact price of storage.
    auto quotas = fixture.sql(
        "SELECT event_type, quota_limit, overage_price_cents, included_quantity "
        "FROM usage_quotas WHERE plan_id = 'basic' ORDER BY position");
    REQUIRE(quotas.rows() == 4);
    CHECK(quotas.text(3, 0) == "storage_mb");
    CHECK(Decimal::parse(quotas.text(3, 2)) == Decimal::parse("0.1"));  // $0.001 = 0.1 cent
    CHECK(Decimal::parse(quotas.text(0, 2)) == Decimal(1));
}

TEST_CASE("two concurrent migrations of an empty schema both succeed", "[postgres]") {
    auto admin = testServer();
    const std::string schema = "metered_test_" + Uuid::generateV7().toString().substr(24);
    admin.execScript(("CREATE SCHEMA " + schema).c_str());
    const std::string conninfo = "options='-c search_path=" + schema + "'";
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 3; ++i) {
        threads.emplace_back([&] {
            try {
                openStore(conninfo);
            } catch (...) {
                ++failures;
            }
        });
    }
    for (auto& t : threads) t.join();
    admin.execScript(("DROP SCHEMA " + schema + " CASCADE").c_str());
    CHECK(failures == 0);
}

TEST_CASE("reads use rollups, never a scan of usage_events", "[postgres]") {
    PostgresFixture fixture;
    const auto biz = account("Acme");
    fixture.store->saveAccount(biz);
    for (const char* query : {detail::pg::period_totals, detail::pg::daily_usage}) {
        const std::string plan = explain(fixture, query, biz.id);
        INFO(plan);
        CHECK(plan.find("usage_events") == std::string::npos);
        CHECK(plan.find("usage_daily") != std::string::npos);
    }
}

TEST_CASE("the seed's SQL runs unchanged; its figures are list prices, the bill is net", "[postgres]") {
    PostgresFixture fixture;
    const auto biz = account("Acme Pizza", "America/New_York");
    fixture.store->saveAccount(biz);
    // Usage spread over the last days, so the seed's 30-day window holds all of it.
    FixedClock clock;
    *clock.now = systemNow();
    UsageRecorder recorder(fixture.store, {.clock = clock});
    // The seed scenario: 1500 API calls, 75.5 voice minutes, 150 AI queries, 1500 MB.
    for (int i = 0; i < 1500; ++i) recorder.recordApiCall(biz.id, {.intent = "order"});
    for (int i = 0; i < 151; ++i) recorder.recordVoiceMinutes(biz.id, num("0.5"));
    for (int i = 0; i < 150; ++i) recorder.recordAiQuery(biz.id);
    recorder.recordStorage(biz.id, num("1500"));
    const auto usage = recorder.getBillingUsage(biz.id);

    auto events = fixture.sql(forBusiness(seed_events_query, biz.id));
    CHECK(events.rows() == 1802);

    auto overview = fixture.sql(forBusiness(seed_overview_query, biz.id));
    REQUIRE(overview.rows() == 1);
    CHECK(overview.text(0, 1) == "Acme Pizza");
    CHECK(Decimal::parse(overview.text(0, 2)) == usage.quantity(EventType::apiCall()));
    CHECK(Decimal::parse(overview.text(0, 3)) == usage.quantity(EventType::voiceMinute()));
    CHECK(Decimal::parse(overview.text(0, 4)) == num("150"));
    CHECK(Decimal::parse(overview.text(0, 5)) == num("1500"));
    // total_cost is the list price of every event (docs/schema.md): 15.00 + 1.51 + 7.50 + 1.50.
    Decimal list;
    for (const auto& total : usage.usage) list += total.list_cost;
    CHECK(Decimal::parse(overview.text(0, 6)) == list);
    CHECK(list == num("25.51"));
    // The bill is net of the allowances: 5.00 + 0.31 + 2.50 + 0.50.
    CHECK(usage.bill.total == num("8.31"));

    auto trends = fixture.sql(forBusiness(seed_trends_query, biz.id));
    Decimal quantity, cost;
    for (int row = 0; row < trends.rows(); ++row) {
        quantity += Decimal::parse(trends.text(row, 2));
        cost += Decimal::parse(trends.text(row, 3));
    }
    CHECK(quantity == num("1500") + num("75.5") + num("150") + num("1500"));
    CHECK(cost == list);
}

TEST_CASE("plans round-trip through usage_quotas exactly", "[postgres]") {
    PostgresFixture fixture;
    Plan plan = Plan::basic();
    plan.id = "volume";
    plan.currency = Currency::of("KWD");
    plan.rounding = Rounding::half_up;
    plan.meter(EventType::aiQuery())->model = PricingModel::volume;
    plan.meter(EventType::aiQuery())->tiers = {Tier{num("100.5"), num("0.000000123456"), num("0")},
                                               Tier{std::nullopt, num("0.0000001"), num("1.25")}};
    plan.meter(EventType::storageMb())->model = PricingModel::package;
    plan.meter(EventType::storageMb())->package_size = num("250");
    plan.meter(EventType::storageMb())->package_price = num("0.333");
    plan.meter(EventType::apiCall())->quota.reset();
    fixture.store->savePlan(plan);
    const auto plans = fixture.store->loadPlans();
    REQUIRE(plans.size() == 2);
    CHECK(plans[1] == plan);
}

TEST_CASE("a permanently failing event is isolated; the rest of the batch commits", "[postgres]") {
    PostgresFixture fixture;
    const auto biz = account("Acme");
    fixture.store->saveAccount(biz);
    // A constraint only the database knows about makes one event poison.
    fixture.sql("ALTER TABLE usage_events ADD CONSTRAINT not_thirteen CHECK (quantity <> 13)");
    std::vector<UsageEvent> batch;
    for (int i = 0; i < 40; ++i) {
        batch.push_back(event(biz.id, EventType::voiceMinute(), i == 29 ? "13" : "1", at(2024_y / 3 / 5, hours(12))));
    }
    const auto result = fixture.store->append(batch);
    CHECK(result.stored == 39);
    REQUIRE(result.rejected.size() == 1);
    CHECK(result.rejected[0].index == 29);
    CHECK(result.rejected[0].reason.find("not_thirteen") != std::string::npos);
    const DayRange march{date::local_days(2024_y / 3 / 1), date::local_days(2024_y / 4 / 1)};
    CHECK(fixture.store->totals(biz.id, march).at(0).quantity == num("39"));
}

TEST_CASE("the SQL cycle functions agree with BillingPeriod", "[postgres]") {
    PostgresFixture fixture;
    auto r = fixture.sql(
        "SELECT d::date, a, metered_cycle_start(d::date, a), metered_cycle_end(d::date, a) "
        "FROM generate_series('2023-12-01'::date, '2025-03-31'::date, '1 day') d, "
        "     (VALUES (1), (15), (28), (29), (30), (31)) v(a)");
    REQUIRE(r.rows() > 2000);
    int mismatches = 0;
    for (int row = 0; row < r.rows(); ++row) {
        const date::local_days day(*detail::parseIsoDate(r.text(row, 0)));
        const auto cycle = BillingPeriod::cycleContaining(day, std::stoi(std::string(r.text(row, 1))));
        if (date::format("%F", cycle.first) != r.text(row, 2) || date::format("%F", cycle.end) != r.text(row, 3)) {
            ++mismatches;
        }
    }
    CHECK(mismatches == 0);
}

TEST_CASE("two processes appending to the same businesses end with exact totals", "[postgres]") {
    PostgresFixture fixture;
    std::vector<Account> businesses = {account("A"), account("B"), account("C"), account("D")};
    for (const auto& b : businesses) fixture.store->saveAccount(b);
    // 4000 events; process 1 appends the even ones and all of the first half, process 2
    // the odd ones and all of the second half, in its own order: every event is sent
    // once or twice, overlapping in time.
    std::vector<UsageEvent> events;
    for (int i = 0; i < 4000; ++i) {
        events.push_back(event(businesses[i % 4].id, i % 3 ? EventType::apiCall() : EventType::voiceMinute(), "0.5",
                               at(date::sys_days(2024_y / 3 / 1) + date::days(i % 30), hours(i % 24))));
    }
    const auto failures = inChildProcesses(2, [&](int process) {
        PostgresStore store({.conninfo = fixture.conninfo, .pool_size = 1});
        std::vector<UsageEvent> mine;
        for (int i = 0; i < 4000; ++i) {
            const bool first_half = i < 2000;
            if (i % 2 == process || first_half == (process == 0)) mine.push_back(events[i]);
        }
        if (process == 1) std::reverse(mine.begin(), mine.end());
        appendInBatches(store, mine, 250);
    });
    CHECK(failures.empty());
    const DayRange march{date::local_days(2024_y / 3 / 1), date::local_days(2024_y / 4 / 1)};
    Decimal sum;
    std::int64_t count = 0;
    for (const auto& b : businesses) {
        for (const auto& t : fixture.store->totals(b.id, march)) {
            sum += t.quantity;
            count += t.events;
        }
    }
    CHECK(count == 4000);
    CHECK(sum == num("2000"));
    CHECK(fixture.sql("SELECT count(*) FROM usage_events").text(0, 0) == "4000");
    CHECK(fixture.sql("SELECT sum(event_count) FROM usage_aggregation").text(0, 0) == "4000");
}

TEST_CASE("the backfill migration widens the corrections' kind check and keeps them",
          "[postgres][corrections][backfill]") {
    const auto& all = detail::pg::migrations();
    const auto backfill = std::find_if(all.begin(), all.end(), [](const detail::Migration& m) {
        return std::string_view(m.description).find("backfill") != std::string_view::npos;
    });
    REQUIRE(backfill != all.end());
    PostgresFixture fixture;
    // The schema as the release before backfills left it.
    fixture.admin.execScript(("DROP SCHEMA " + fixture.schema + " CASCADE; CREATE SCHEMA " + fixture.schema +
                              "; SET search_path = " + fixture.schema)
                                 .c_str());
    fixture.admin.execScript(detail::pg::create_version_table);
    for (auto m = all.begin(); m != backfill; ++m) {
        fixture.admin.execScript(m->sql);
        fixture.admin.exec("test", detail::pg::record_version,
                           detail::PgParams().add(std::to_string(m->version)).add(m->description));
    }
    // The function appends run (a later migration, which replaces it when it comes).
    const auto append_function = std::find_if(all.begin(), all.end(), [](const detail::Migration& m) {
        return std::string_view(m.description).find("careful append") != std::string_view::npos;
    });
    REQUIRE(append_function != all.end());
    fixture.admin.execScript(append_function->sql);
    PostgresStore store({.conninfo = fixture.conninfo});
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
    // Refused by the old CHECK: the event is not stored either (one transaction).
    const UsageEvent late = event(acme.id, EventType::apiCall(), "3", day5);
    CHECK(store.backfill(late, "meter outage", "ops").rejected.size() == 1);

    store.migrate();
    CHECK(store.schemaVersion() == static_cast<int>(all.size()));
    CHECK(store.listCorrections(acme.id, march) == before);
    const auto check = fixture.sql(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'metered_corrections'::regclass "
        "AND contype = 'c'");
    REQUIRE(check.rows() == 1);
    CHECK(std::string(check.text(0, 0)).find("'backfill'") != std::string::npos);
    CHECK_THROWS(fixture.sql("UPDATE metered_corrections SET kind = 'other'"));
    CHECK_THROWS(fixture.sql("DELETE FROM metered_corrections"));

    CHECK(store.backfill(late, "meter outage", "ops").stored == 1);
    const auto after = store.listCorrections(acme.id, march);
    REQUIRE(after.size() == 3);
    CHECK(std::count_if(after.begin(), after.end(),
                        [](const Correction& c) { return c.kind == CorrectionKind::backfill; }) == 1);
}
