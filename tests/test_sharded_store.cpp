// SPDX-License-Identifier: MIT
// PostgreSQL over several servers (ShardedPostgresStore) on a real cluster on loopback
// (../shared/tools/pg-shards): each business on the server PostgreSQL's hash partitioning
// gives it, reference data alike on every server or refused, and a server that stops in
// the middle of a batch loses nothing acknowledged and doubles nothing when the batch is
// sent again. (The whole store contract runs on the cluster too: ShardedPostgresFixture in
// STORE_FIXTURES.)
#include <catch2/catch.hpp>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "metered/errors.h"
#include "metered/usage_reports.h"
#include "seed_queries.h"
#include "store_fixtures.h"
#include "test_support.h"

using namespace metered;
using namespace metered::testing;
using namespace date::literals;
using std::chrono::hours;

namespace {

Decimal quantityOf(UsageStore& store, const BusinessId& business) {
    Decimal sum;
    for (const UsageTotal& t :
         store.totals(business, {date::local_days(2026_y / 11 / 1), date::local_days(2026_y / 12 / 1)})) {
        sum += t.quantity;
    }
    return sum;
}

std::vector<UsageEvent> callsOf(std::span<const Account> businesses, int per_business, int day) {
    std::vector<UsageEvent> events;
    events.reserve(businesses.size() * static_cast<std::size_t>(per_business));
    for (int i = 0; i < per_business; ++i) {
        for (const Account& b : businesses) {
            events.push_back(event(b.id, EventType::apiCall(), "1", at(2026_y / 11 / day, hours(i % 24))));
        }
    }
    return events;
}

// Saves businesses into `businesses` until one lives on the first server: that one (none
// after 64).
std::optional<BusinessId> saveUntilOneOnFirstServer(ShardedPostgresStore& store, std::vector<Account>& businesses) {
    while (businesses.size() < 64) {
        businesses.push_back(account("Acme " + std::to_string(businesses.size())));
        store.saveAccount(businesses.back());
        if (store.shardOf(businesses.back().id) == 0) return businesses.back().id;
    }
    return std::nullopt;
}

// Runs a shell command, failing the test with its output when it fails.
std::string shell(const std::string& command) {
    const std::string out =
        (std::filesystem::temp_directory_path() / ("metered-shell-" + Uuid::generateV7().toString())).string();
    const int rc =
        std::system((command + " >" + out + " 2>&1").c_str());  // NOLINT(concurrency-mt-unsafe): one at a time
    std::ifstream in(out);
    std::stringstream text;
    text << in.rdbuf();
    std::filesystem::remove(out);
    if (rc != 0) throw std::runtime_error(command + " failed: " + text.str());
    return text.str();
}

// A cluster of its own (coordinator and two servers, ports 31600-31602: below the kernel's
// ephemeral ports, so that no client socket of the tests holds the port of the server the
// test restarts), which a test may stop a server of; stopped at the end.
struct OwnCluster {
    std::filesystem::path dir =
        std::filesystem::temp_directory_path() / ("metered-shards-" + Uuid::generateV7().toString());
    std::string tool = std::string(METERED_SOURCE_DIR) + "/../shared/tools/pg-shards";
    std::vector<std::string> shards;
    std::string coordinator;

    OwnCluster() {
        testShards();  // the same rule as the shared cluster: no tool, no sharded tests
        std::filesystem::create_directories(dir);
        std::filesystem::permissions(dir, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                                              std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                                              std::filesystem::perms::others_exec);
        const std::string env = shell("PG_FAST=1 PG_PLPROXY=1 PG_BASE_PORT=31600 " + tool + " start " + dir.string());
        std::istringstream lines(env);
        for (std::string line; std::getline(lines, line);) {
            if (line.rfind("PG_SHARD", 0) == 0 && line.find('=') != std::string::npos &&
                line.rfind("PG_SHARDS", 0) != 0) {
                shards.push_back(line.substr(line.find('=') + 1));
            }
            if (line.rfind("PG_COORD=", 0) == 0) coordinator = line.substr(line.find('=') + 1);
        }
    }
    ~OwnCluster() {
        try {
            shell(tool + " stop " + dir.string());
        } catch (...) {}
        std::filesystem::remove_all(dir);
    }
    OwnCluster(const OwnCluster&) = delete;
    OwnCluster& operator=(const OwnCluster&) = delete;

    // pg_ctl on server k (1-based) as the user that runs it.
    void pgCtl(int k, const std::string& action) {
        const std::string data = (dir / ("shard" + std::to_string(k))).string();
        const std::string as = ::geteuid() == 0 ? "runuser -u postgres -- " : "";
        shell(as + "/usr/lib/postgresql/15/bin/pg_ctl -D " + data + " -l " + data + ".log -w -t 60 -m fast " + action);
    }
};

}  // namespace

TEST_CASE("each business lives on the server PostgreSQL's hash partitioning gives it", "[sharded][postgres]") {
    ShardedPostgresFixture fixture;
    std::vector<Account> businesses;
    for (int i = 0; i < 32; ++i) {
        businesses.push_back(account("Acme " + std::to_string(i)));
        fixture.store->saveAccount(businesses.back());
    }
    REQUIRE(fixture.store->append(callsOf(businesses, 3, 5)).stored == 96);

    // The partition is the one a table hash-partitioned by business id in 16 puts it in.
    fixture.sqlOn(0, "CREATE TABLE placement (business_id uuid) PARTITION BY HASH (business_id)");
    std::map<std::size_t, int> per_server;
    for (const Account& b : businesses) {
        const int partition = fixture.store->partitionOf(b.id);
        CHECK(fixture
                  .sqlOn(0, "SELECT satisfies_hash_partition('placement'::regclass, 16, $1::integer, $2::uuid)",
                         detail::PgParams().add(std::to_string(partition)).add(b.id.toString()))
                  .text(0, 0) == "t");
        const std::size_t server = fixture.store->shardOf(b.id);
        CHECK(server == static_cast<std::size_t>(partition) % 2);
        ++per_server[server];
        // Its account and events on its server, and nowhere else.
        for (std::size_t s = 0; s < 2; ++s) {
            const auto count = fixture.sqlOn(s, "SELECT count(*) FROM usage_events WHERE business_id = $1",
                                             detail::PgParams().add(b.id.toString()));
            CHECK(count.text(0, 0) == (s == server ? "3" : "0"));
        }
        CHECK(quantityOf(*fixture.store, b.id) == Decimal(3));
    }
    CHECK(per_server.size() == 2);  // 32 businesses: both servers hold some
    CHECK(fixture.store->listAccounts().size() == 32);

    // A placement of its own: every partition on the second server.
    ShardedPostgresStore second_only(
        ShardedPostgresOptions{.shards = fixture.conninfos, .placement = std::vector<std::size_t>(16, 1)});
    CHECK(second_only.shardOf(businesses[0].id) == 1);
    CHECK(errorField([&] { ShardedPostgresStore({.shards = fixture.conninfos, .partitions = 12}); }) == "partitions");
    CHECK(errorField([&] { ShardedPostgresStore({.shards = fixture.conninfos, .placement = {0, 1}}); }) == "placement");
    CHECK(errorField([] { ShardedPostgresStore(ShardedPostgresOptions{}); }) == "shards");
}

TEST_CASE("plans and dimensions are alike on every server, or reading them says which differs", "[sharded][postgres]") {
    ShardedPostgresFixture fixture;
    Plan pro = Plan::basic();
    pro.id = "pro";
    pro.name = "Pro";
    fixture.store->savePlan(pro);
    CHECK(fixture.store->loadPlans().size() == 2);
    // A write that reached only the second server (as if the first had failed mid-way).
    fixture.sqlOn(1, "UPDATE metered_plans SET name = 'Pro (stale)' WHERE id = 'pro'");
    try {
        fixture.store->loadPlans();
        FAIL("plans that differ were read");
    } catch (const StoreError& e) {
        CHECK(std::string(e.what()).find("server 2 holds other plans") != std::string::npos);
    }
    fixture.store->savePlan(pro);  // written again: alike
    CHECK(fixture.store->loadPlans().size() == 2);
    fixture.store->saveDimensions(std::vector{Dimension{.name = "end_user"}});
    CHECK(fixture.store->listDimensions().size() == 1);
}

TEST_CASE("a server stopped in the middle of a batch: nothing acknowledged is lost, the retry heals it",
          "[sharded][postgres][faults]") {
    const bool proxied = GENERATE(false, true);  // straight to the servers, or through PL/Proxy
    INFO((proxied ? "through the coordinator's PL/Proxy function" : "straight to the servers"));
    OwnCluster cluster;
    REQUIRE(cluster.shards.size() == 2);
    ShardedPostgresOptions options{.shards = cluster.shards};
    if (proxied) {
        ShardedPostgresStore(options).migrate();
        ShardedPostgresStore(options).attachCoordinator(cluster.coordinator, {"shard1", "shard2"});
        options.coordinator = cluster.coordinator;
    }
    ShardedPostgresStore store(options);
    store.migrate();
    std::vector<Account> businesses;
    const auto on = [&](std::size_t server) {
        return std::count_if(businesses.begin(), businesses.end(),
                             [&](const Account& b) { return store.shardOf(b.id) == server; });
    };
    // Businesses until each server holds at least three.
    while (businesses.size() < 64 && (on(0) < 3 || on(1) < 3)) {
        businesses.push_back(account("Acme " + std::to_string(businesses.size())));
        store.saveAccount(businesses.back());
    }
    REQUIRE(on(0) >= 3);
    REQUIRE(on(1) >= 3);
    const std::vector<UsageEvent> first = callsOf(businesses, 10, 3);
    REQUIRE(store.append(first).stored == first.size());

    // The second server stops: the first server's part of the next batch is stored, the
    // call fails (transient), and nothing of the batch is acknowledged.
    cluster.pgCtl(2, "stop");
    const std::vector<UsageEvent> batch = callsOf(businesses, 20, 4);
    bool transient = false;
    try {
        store.append(batch);
    } catch (const StoreError& e) {
        transient = e.transient();
    }
    CHECK(transient);
    for (const Account& b : businesses) {
        if (store.shardOf(b.id) == 0) CHECK(quantityOf(store, b.id) == Decimal(30));
    }

    // Back: the whole batch again stores the rest, and the first part counts as duplicates.
    cluster.pgCtl(2, "start");
    const AppendResult retried = store.append(batch);
    CHECK(retried.stored == static_cast<std::size_t>(20 * on(1)));
    CHECK(retried.duplicates == static_cast<std::size_t>(20 * on(0)));
    CHECK(retried.rejected.empty());
    for (const Account& b : businesses) CHECK(quantityOf(store, b.id) == Decimal(30));
    CHECK(store.append(batch).duplicates == batch.size());
}

TEST_CASE("the seed's SQL and reports across businesses run on a postgres_fdw coordinator over the cluster",
          "[sharded][postgres]") {
    ShardedPostgresFixture fixture;
    const char* coordinator_uri = std::getenv("PG_COORD");    // NOLINT(concurrency-mt-unsafe)
    const char* fdw_servers = std::getenv("PG_FDW_SERVERS");  // NOLINT(concurrency-mt-unsafe)
    REQUIRE(coordinator_uri != nullptr);
    REQUIRE(fdw_servers != nullptr);
    std::vector<std::string> servers;
    std::istringstream names(fdw_servers);
    for (std::string name; names >> name;) servers.push_back(name);
    detail::PgConnection coordinator(coordinator_uri);
    coordinator.execScript(("CREATE SCHEMA " + fixture.schema + "; SET search_path = " + fixture.schema).c_str());
    struct DropSchema {
        detail::PgConnection& connection;
        std::string schema;
        ~DropSchema() { connection.execScript(("DROP SCHEMA " + schema + " CASCADE").c_str()); }
    } drop{coordinator, fixture.schema};

    // Twelve businesses, each with its own number of calls in the last minutes.
    std::vector<Account> businesses;
    std::vector<UsageEvent> events;
    const Timestamp now = systemNow() - std::chrono::seconds(5);
    for (int i = 0; i < 12; ++i) {
        businesses.push_back(account("Acme " + std::to_string(i)));
        fixture.store->saveAccount(businesses.back());
        for (int n = 0; n <= i; ++n) events.push_back(event(businesses.back().id, EventType::apiCall(), "1", now));
    }
    REQUIRE(fixture.store->append(events).stored == events.size());
    fixture.store->attachCoordinator(std::string(coordinator_uri) + "?options=-c%20search_path%3D" + fixture.schema,
                                     servers);

    const auto query = [&](const std::string& sql) {
        coordinator.exec("test", ("SET search_path = " + fixture.schema).c_str());
        return coordinator.exec("test", sql.c_str());
    };
    for (std::size_t i = 0; i < businesses.size(); ++i) {
        INFO(businesses[i].name);
        const std::string calls = std::to_string(i + 1);
        CHECK(query(forBusiness(seed_events_query, businesses[i].id)).rows() == static_cast<int>(i + 1));
        const auto overview = query(forBusiness(seed_overview_query, businesses[i].id));
        REQUIRE(overview.rows() == 1);
        CHECK(overview.text(0, 2) == calls);  // api_calls
        CHECK(num(std::string(overview.text(0, 6)).c_str()) == Decimal(static_cast<std::int64_t>(i + 1)) * num("0.01"));
        const auto trends = query(forBusiness(seed_trends_query, businesses[i].id));
        REQUIRE(trends.rows() == 1);
        CHECK(trends.text(0, 2) == calls);
        const auto cycle = query("SELECT sum(total_quantity) FROM usage_aggregation WHERE business_id = '" +
                                 businesses[i].id.toString() + "'");
        CHECK(cycle.text(0, 0) == calls);
    }
    // Across businesses: every event once, the sums computed on the servers.
    CHECK(query("SELECT count(*) FROM usage_events").text(0, 0) == std::to_string(events.size()));
    CHECK(query("SELECT count(*) FROM businesses").text(0, 0) == "12");
    query("SET enable_partitionwise_aggregate = on");
    CHECK(query("SELECT sum(quantity) FROM usage_daily").text(0, 0) == std::to_string(events.size()));
    const auto plan =
        query("EXPLAIN (VERBOSE) SELECT business_id, sum(quantity) FROM usage_daily GROUP BY business_id");
    std::string text;
    for (int row = 0; row < plan.rows(); ++row) text += std::string(plan.text(row, 0)) + "\n";
    CHECK(text.find("Aggregate on") != std::string::npos);
    // One business's rows: one partition, one server.
    const auto one =
        query("EXPLAIN SELECT * FROM usage_events WHERE business_id = '" + businesses[0].id.toString() + "'");
    int scans = 0;
    for (int row = 0; row < one.rows(); ++row)
        scans += std::string(one.text(row, 0)).find("Foreign Scan") != std::string::npos;
    CHECK(scans == 1);
}

TEST_CASE("appends through the coordinator's PL/Proxy function land on each business's server, once",
          "[sharded][postgres][proxy]") {
    ProxiedShardedPostgresFixture fixture;
    auto& store = *fixture.store;
    std::vector<Account> businesses;
    for (int i = 0; i < 8; ++i) {
        businesses.push_back(account("Acme " + std::to_string(i)));
        store.saveAccount(businesses.back());
    }
    const std::vector<UsageEvent> events = callsOf(businesses, 30, 2);
    const AppendResult first = store.append(events);
    CHECK(first.stored == events.size());
    CHECK(first.rejected.empty());
    // Each business's events on its server only, and its rollup beside them.
    for (const Account& b : businesses) {
        INFO(b.name);
        CHECK(quantityOf(store, b.id) == Decimal(30));
        for (std::size_t server = 0; server < 2; ++server) {
            const auto count = fixture.sqlOn(server, "SELECT count(*) FROM usage_events WHERE business_id = $1",
                                             detail::PgParams().add(b.id.toString()));
            CHECK(std::string(count.text(0, 0)) == (store.shardOf(b.id) == server ? "30" : "0"));
        }
    }
    const AppendResult again = store.append(events);
    CHECK(again.stored == 0);
    CHECK(again.duplicates == events.size());

    // Any SQL client may append through the coordinator: a new event is stored on its
    // business's server, the same one again is not, an unknown business comes back.
    const BusinessId stranger(Uuid::generateV7());
    const auto call = [&](const EventId& id, const BusinessId& business) {
        fixture.coordinator_admin.exec("test", ("SET search_path = " + fixture.schema).c_str());
        const std::string sql =
            "SELECT sum(events_stored), array_agg(u) FILTER (WHERE u IS NOT NULL) FROM metered_append_events("
            "ARRAY[$1]::uuid[], ARRAY[$2]::uuid[], ARRAY['api_call'], ARRAY[1::numeric], ARRAY[1::numeric], "
            "ARRAY[1::numeric], ARRAY['{}'::jsonb], ARRAY['2026-11-02T12:00:00Z'::timestamptz], "
            "ARRAY['2026-11-02'::date], ARRAY[''], ARRAY[NULL]::text[], ARRAY[NULL]::jsonb[]) "
            "LEFT JOIN LATERAL unnest(unknown_businesses) AS u ON true";
        const auto r = fixture.coordinator_admin.exec("test", sql.c_str(),
                                                      detail::PgParams().add(business.toString()).add(id.toString()));
        return std::pair(std::string(r.text(0, 0)), std::string(r.optionalText(0, 1).value_or("")));
    };
    const EventId id = EventId::generate();
    CHECK(call(id, businesses[3].id) == std::pair<std::string, std::string>("1", ""));
    CHECK(call(id, businesses[3].id) == std::pair<std::string, std::string>("0", ""));
    CHECK(quantityOf(store, businesses[3].id) == Decimal(31));
    CHECK(call(EventId::generate(), stranger) ==
          std::pair<std::string, std::string>("0", "{" + stranger.toString() + "}"));
}

TEST_CASE("raw events are partitioned by month and retired on every server of the cluster", "[sharded][postgres]") {
    ShardedPostgresFixture fixture;
    std::vector<Account> businesses;
    for (int i = 0; i < 8; ++i) {
        businesses.push_back(account("Acme " + std::to_string(i)));
        fixture.store->saveAccount(businesses.back());
    }
    std::vector<UsageEvent> events;
    for (auto month : {2026_y / 8, 2026_y / 9, 2026_y / 10}) {
        for (const Account& b : businesses) events.push_back(event(b.id, EventType::apiCall(), "1", at(month / 10)));
    }
    REQUIRE(fixture.store->append(events).stored == events.size());
    fixture.store->partitionEventsByMonth();
    fixture.store->partitionEventsByMonth();  // again: nothing left to do
    for (std::size_t server = 0; server < 2; ++server) {
        CHECK(fixture.sqlOn(server, "SELECT relkind FROM pg_class WHERE oid = 'usage_events'::regclass").text(0, 0) ==
              "p");
    }
    // August and September of each server that holds some of the businesses.
    std::vector<std::string> expected;
    for (std::size_t server = 0; server < 2; ++server) {
        if (std::any_of(businesses.begin(), businesses.end(),
                        [&](const Account& b) { return fixture.store->shardOf(b.id) == server; })) {
            expected.insert(expected.end(), {"usage_events_2026_08", "usage_events_2026_09"});
        }
    }
    CHECK(fixture.store->retireEventsBefore(2026_y / 10) == expected);
    const DayRange months{date::local_days(2026_y / 8 / 1), date::local_days(2026_y / 11 / 1)};
    for (const Account& b : businesses) {
        Decimal sum;
        for (const UsageTotal& t : fixture.store->totals(b.id, months)) sum += t.quantity;
        CHECK(sum == Decimal(3));  // the rollups keep the retired months
    }
    const AppendResult late =
        fixture.store->append(std::vector{event(businesses[0].id, EventType::apiCall(), "1", at(2026_y / 9 / 20))});
    REQUIRE(late.rejected.size() == 1);
    CHECK(late.rejected[0].reason.find("retention") != std::string::npos);
}

TEST_CASE("a partition moves to another server with every row of its businesses", "[sharded][postgres]") {
    const bool by_month = GENERATE(false, true);  // the raw events in one table, or by month
    INFO((by_month ? "events partitioned by month" : "events in one table"));
    ShardedPostgresFixture fixture;
    auto& store = *fixture.store;
    std::vector<Account> businesses;
    const std::optional<BusinessId> mover = saveUntilOneOnFirstServer(store, businesses);
    REQUIRE(mover);
    const int partition = store.partitionOf(*mover);
    const std::vector<UsageEvent> events = callsOf(businesses, 5, 2);
    REQUIRE(store.append(events).stored == events.size());
    const EventId voided =
        std::find_if(events.begin(), events.end(), [&](const UsageEvent& e) { return e.business == *mover; })->id;
    store.voidEvent(*mover, voided, "test traffic", "ops");
    if (by_month) store.partitionEventsByMonth();
    FixedClock clock;
    *clock.now = at(2026_y / 12 / 2);
    const UsageReports reports(fixture.store, clock);
    const Statement closed = reports.closeStatement(*mover, PeriodSpec::previousCycle());
    const auto totals_before = [&] {
        std::map<BusinessId, Decimal> sums;
        for (const Account& b : businesses) sums[b.id] = quantityOf(store, b.id);
        return sums;
    }();
    CHECK(totals_before.at(*mover) == Decimal(4));

    store.movePartition(partition, 1);
    CHECK(store.shardOf(*mover) == 1);
    const auto on = [&](std::size_t server, const char* table) {
        const auto r = fixture.sqlOn(
            server, std::string("SELECT count(*) FROM ") + table +
                        " WHERE metered_business_partition(business_id, 16) = " + std::to_string(partition));
        return std::string(r.text(0, 0));  // a copy: the result is gone after the call
    };
    std::vector<const char*> tables = {"usage_events", "usage_daily", "metered_statements", "metered_corrections"};
    if (by_month) tables.push_back("usage_event_keys");
    for (const char* table : tables) {
        INFO(table);
        CHECK(on(0, table) == "0");
        CHECK(on(1, table) != "0");
    }
    // Every figure as before, read from the new server; a retry is a duplicate there.
    for (const Account& b : businesses) CHECK(quantityOf(store, b.id) == totals_before.at(b.id));
    CHECK(store.findStatement(*mover, date::local_days(2026_y / 11 / 1))->total == closed.total);
    CHECK(
        store.listCorrections(*mover, {date::local_days(2026_y / 11 / 1), date::local_days(2026_y / 12 / 1)}).size() ==
        1);
    CHECK(store.findAccount(*mover)->name ==
          std::find_if(businesses.begin(), businesses.end(), [&](const Account& a) { return a.id == *mover; })->name);
    const AppendResult again = store.append(events);
    CHECK(again.stored == 0);
    CHECK(again.duplicates == events.size());
    // Another process with the new placement reads the same.
    std::vector<std::size_t> placement(16);
    for (int p = 0; p < 16; ++p)
        placement[static_cast<std::size_t>(p)] = p == partition ? 1 : static_cast<std::size_t>(p % 2);
    ShardedPostgresStore other(ShardedPostgresOptions{.shards = fixture.conninfos, .placement = placement});
    CHECK(quantityOf(other, *mover) == Decimal(4));
    CHECK(errorField([&] { store.movePartition(16, 0); }) == "partition");
    CHECK(errorField([&] { store.movePartition(0, 2); }) == "to");
}

TEST_CASE("after a partition moves, the coordinator reads it and PL/Proxy sends its appends to the new server",
          "[sharded][postgres][proxy]") {
    ProxiedShardedPostgresFixture fixture;  // 4 partitions, 2 on each server
    auto& store = *fixture.store;
    std::vector<Account> businesses;
    const std::optional<BusinessId> mover = saveUntilOneOnFirstServer(store, businesses);
    REQUIRE(mover);
    const std::vector<UsageEvent> events = callsOf(businesses, 5, 2);
    REQUIRE(store.append(events).stored == events.size());
    const auto onCoordinator = [&](const std::string& sql) {
        fixture.coordinator_admin.exec("test", ("SET search_path = " + fixture.schema).c_str());
        return std::string(fixture.coordinator_admin.exec("test", sql.c_str()).text(0, 0));
    };
    const std::string of_mover = " WHERE business_id = '" + mover->toString() + "'";
    CHECK(onCoordinator("SELECT count(*) FROM usage_events" + of_mover) == "5");

    store.movePartition(store.partitionOf(*mover), 1);
    // Read on the coordinator from the new server: every row once.
    CHECK(onCoordinator("SELECT count(*) FROM usage_events" + of_mover) == "5");
    CHECK(onCoordinator("SELECT sum(quantity) FROM usage_daily" + of_mover) == "5");
    CHECK(onCoordinator("SELECT count(*) FROM usage_events") == std::to_string(events.size()));
    CHECK(onCoordinator("SELECT count(*) FROM businesses") == std::to_string(businesses.size()));
    // Appends through the coordinator go to the new server; a re-sent batch is a duplicate there.
    const std::vector<UsageEvent> later = callsOf(businesses, 2, 3);
    const AppendResult appended = store.append(later);
    CHECK(appended.stored == later.size());
    CHECK(appended.rejected.empty());
    CHECK(store.append(events).duplicates == events.size());
    const auto count = [&](std::size_t server) {
        return std::string(fixture
                               .sqlOn(server, "SELECT count(*) FROM usage_events WHERE business_id = $1",
                                      detail::PgParams().add(mover->toString()))
                               .text(0, 0));
    };
    CHECK(count(0) == "0");
    CHECK(count(1) == "7");
    CHECK(quantityOf(store, *mover) == Decimal(7));
}
