// SPDX-License-Identifier: MIT
// Stores under test: every backend runs the same contract (test_store_contract.cpp).
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <vector>
#include <optional>
#include <span>
#include <string>

#include "async/crc32c.h"
#include "metered/errors.h"
#include "metered/memory_store.h"
#include "migration.h"
#include "store_text.h"
#ifdef METERED_HAVE_SQLITE
#include <filesystem>

#include "metered/sqlite_store.h"
#include "sqlite/sqlite_db.h"
#endif
#ifdef METERED_HAVE_POSTGRES
#include "metered/postgres_store.h"
#include "metered/sharded_postgres_store.h"
#include "postgres/pg_connection.h"
#endif

namespace metered::testing {

/// Checks that each released migration of a store runs the text it was released with
/// (`released`: the CRC-32C of each one's SQL, in order of version). A database that
/// applied them trusts that a new one gets the same schema; a change is a new migration.
inline void checkReleasedMigrations(std::span<const detail::Migration> all, std::span<const std::uint32_t> released) {
    REQUIRE(all.size() >= released.size());
    for (std::size_t i = 0; i < released.size(); ++i) {
        INFO("migration " << all[i].version << ": " << all[i].description);
        CHECK(all[i].version == static_cast<int>(i) + 1);
        CHECK(detail::crc32c(all[i].sql, std::strlen(all[i].sql)) == released[i]);
    }
}

/// A fresh, migrated, empty MemoryStore per test.
struct MemoryFixture {
    static constexpr const char* name = "memory";
    std::shared_ptr<MemoryStore> store = std::make_shared<MemoryStore>();

    /// The stored metadata JSON of an event, as the store keeps it.
    std::optional<std::string> metadataJson(const BusinessId& business, const EventId& id) const {
        for (const auto& event : store->events(business)) {
            if (event.id == id) return event.metadata.toJson();
        }
        return std::nullopt;
    }
    /// The stored model and parts of an event.
    std::optional<std::pair<std::string, std::vector<PricedPart>>> modelAndParts(const BusinessId& business,
                                                                                 const EventId& id) const {
        for (const auto& event : store->events(business)) {
            if (event.id == id) return std::pair(event.model, event.parts);
        }
        return std::nullopt;
    }
    /// The stored dimension values of an event.
    std::optional<std::vector<EventDimension>> dimensions(const BusinessId& business, const EventId& id) const {
        for (const auto& event : store->events(business)) {
            if (event.id == id) return event.dimensions;
        }
        return std::nullopt;
    }
};

#ifdef METERED_HAVE_SQLITE
/// A fresh SQLite file per test, deleted afterwards; the store is migrated.
struct SqliteFixture {
    static constexpr const char* name = "sqlite";
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("metered-test-" + Uuid::generateV7().toString() + ".db");
    std::shared_ptr<SqliteStore> store = std::make_shared<SqliteStore>(SqliteOptions{.path = path});

    SqliteFixture() { store->migrate(); }
    ~SqliteFixture() {
        store.reset();
        for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
    }
    SqliteFixture(const SqliteFixture&) = delete;
    SqliteFixture& operator=(const SqliteFixture&) = delete;

    std::optional<std::string> metadataJson(const BusinessId& business, const EventId& id) {
        detail::SqliteConnection db(path.string(), 5000);
        auto s = db.prepare("SELECT metadata FROM usage_events WHERE business_id = ?1 AND id = ?2");
        s.bind(1, business.toString()).bind(2, id.toString());
        if (!s.step()) return std::nullopt;
        return s.text(0);
    }
    std::optional<std::pair<std::string, std::vector<PricedPart>>> modelAndParts(const BusinessId& business,
                                                                                 const EventId& id) {
        detail::SqliteConnection db(path.string(), 5000);
        auto s = db.prepare("SELECT model, coalesce(parts, '') FROM usage_events WHERE business_id = ?1 AND id = ?2");
        s.bind(1, business.toString()).bind(2, id.toString());
        if (!s.step()) return std::nullopt;
        return std::pair(s.text(0), detail::partsFromText(s.text(1), "sqlite"));
    }
    std::optional<std::vector<EventDimension>> dimensions(const BusinessId& business, const EventId& id) {
        detail::SqliteConnection db(path.string(), 5000);
        auto s = db.prepare("SELECT coalesce(dimensions, '') FROM usage_events WHERE business_id = ?1 AND id = ?2");
        s.bind(1, business.toString()).bind(2, id.toString());
        if (!s.step()) return std::nullopt;
        return detail::dimensionsFromText(s.text(0), "sqlite");
    }
};
#endif

#ifdef METERED_HAVE_POSTGRES
/// A connection to the test server, from the PG* environment (the test command runs the
/// tests under pg_virtualenv). No server is a test failure, never a skip.
inline detail::PgConnection testServer() {
    try {
        return detail::PgConnection("");
    } catch (const StoreError& e) {
        throw std::runtime_error(std::string("PostgreSQL tests need a server (run them under pg_virtualenv, or set "
                                             "PGHOST and friends): ") +
                                 e.what());
    }
}

/// A fresh schema on the test server per test, dropped afterwards; the store is migrated.
struct PostgresFixture {
    static constexpr const char* name = "postgres";
    std::string schema = "metered_test_" + Uuid::generateV7().toString().substr(24);
    detail::PgConnection admin = testServer();
    std::string conninfo = "options='-c search_path=" + schema + "'";
    std::shared_ptr<PostgresStore> store;

    PostgresFixture() {
        admin.execScript(("CREATE SCHEMA " + schema).c_str());
        store = std::make_shared<PostgresStore>(PostgresOptions{.conninfo = conninfo});
        store->migrate();
    }
    ~PostgresFixture() { admin.execScript(("DROP SCHEMA " + schema + " CASCADE").c_str()); }
    PostgresFixture(const PostgresFixture&) = delete;
    PostgresFixture& operator=(const PostgresFixture&) = delete;

    /// Runs SQL in the fixture's schema.
    detail::PgResult sql(const std::string& text, const detail::PgParams& params = {}) {
        admin.exec("test", ("SET search_path = " + schema).c_str());
        return admin.exec("test", text.c_str(), params);
    }

    std::optional<std::string> metadataJson(const BusinessId& business, const EventId& id) {
        auto r = sql("SELECT metadata::text FROM usage_events WHERE business_id = $1 AND id = $2",
                     detail::PgParams().add(business.toString()).add(id.toString()));
        if (r.rows() == 0) return std::nullopt;
        return std::string(r.text(0, 0));
    }
    std::optional<std::pair<std::string, std::vector<PricedPart>>> modelAndParts(const BusinessId& business,
                                                                                 const EventId& id) {
        auto r = sql("SELECT model, coalesce(parts, '') FROM usage_events WHERE business_id = $1 AND id = $2",
                     detail::PgParams().add(business.toString()).add(id.toString()));
        if (r.rows() == 0) return std::nullopt;
        return std::pair(std::string(r.text(0, 0)), detail::partsFromText(r.text(0, 1), "postgres"));
    }
    std::optional<std::vector<EventDimension>> dimensions(const BusinessId& business, const EventId& id) {
        auto r = sql("SELECT coalesce(dimensions::text, '') FROM usage_events WHERE business_id = $1 AND id = $2",
                     detail::PgParams().add(business.toString()).add(id.toString()));
        if (r.rows() == 0) return std::nullopt;
        return detail::dimensionsFromText(r.text(0, 0), "postgres");
    }
};

/// The connection strings of the sharded test cluster (../shared/tools/pg-shards, started by
/// the test command: PG_SHARDS servers at PG_SHARD1…). Without one the sharded tests fail,
/// or, outside CI (CI unset), print "METERED-SKIP" and ctest reports them skipped.
inline std::vector<std::string> testShards() {
    const char* count = std::getenv("PG_SHARDS");
    std::vector<std::string> shards;
    for (int k = 1; count != nullptr && k <= std::atoi(count); ++k) {
        const char* uri = std::getenv(("PG_SHARD" + std::to_string(k)).c_str());
        if (uri != nullptr) shards.emplace_back(uri);
    }
    if (shards.empty()) {
        const char* ci = std::getenv("CI");
        throw std::runtime_error(std::string(ci != nullptr && std::string_view(ci) == "true" ? "" : "METERED-SKIP: ") +
                                 "the sharded tests need the cluster of ../shared/tools/pg-shards (PG_SHARDS, "
                                 "PG_SHARD1…; scripts/test.sh starts it)");
    }
    return shards;
}

/// A fresh schema on every server of the sharded test cluster per test, dropped afterwards;
/// the store (partitions and placement by default) is migrated.
struct ShardedPostgresFixture {
    static constexpr const char* name = "postgres, sharded";
    std::string schema = "metered_test_" + Uuid::generateV7().toString().substr(24);
    std::vector<std::string> uris = testShards();
    std::vector<detail::PgConnection> admins;
    std::vector<std::string> conninfos;
    std::shared_ptr<ShardedPostgresStore> store;

    ShardedPostgresFixture() {
        for (const std::string& uri : uris) {
            admins.emplace_back(uri);
            admins.back().execScript(("CREATE SCHEMA " + schema).c_str());
            conninfos.push_back(uri + "?options=-c%20search_path%3D" + schema);
        }
        store = std::make_shared<ShardedPostgresStore>(ShardedPostgresOptions{.shards = conninfos});
        store->migrate();
    }
    ~ShardedPostgresFixture() {
        for (auto& admin : admins) admin.execScript(("DROP SCHEMA " + schema + " CASCADE").c_str());
    }
    ShardedPostgresFixture(const ShardedPostgresFixture&) = delete;
    ShardedPostgresFixture& operator=(const ShardedPostgresFixture&) = delete;

    /// Runs SQL in the fixture's schema on server `server`.
    detail::PgResult sqlOn(std::size_t server, const std::string& text, const detail::PgParams& params = {}) {
        admins[server].exec("test", ("SET search_path = " + schema).c_str());
        return admins[server].exec("test", text.c_str(), params);
    }
    /// Runs SQL on every server, the first to the last: the last one's result.
    detail::PgResult sql(const std::string& text, const detail::PgParams& params = {}) {
        for (std::size_t server = 0; server + 1 < admins.size(); ++server) sqlOn(server, text, params);
        return sqlOn(admins.size() - 1, text, params);
    }

    std::optional<std::string> metadataJson(const BusinessId& business, const EventId& id) {
        auto r = onServerOf(business, "SELECT metadata::text FROM usage_events WHERE business_id = $1 AND id = $2", id);
        if (r.rows() == 0) return std::nullopt;
        return std::string(r.text(0, 0));
    }
    std::optional<std::pair<std::string, std::vector<PricedPart>>> modelAndParts(const BusinessId& business,
                                                                                 const EventId& id) {
        auto r = onServerOf(
            business, "SELECT model, coalesce(parts, '') FROM usage_events WHERE business_id = $1 AND id = $2", id);
        if (r.rows() == 0) return std::nullopt;
        return std::pair(std::string(r.text(0, 0)), detail::partsFromText(r.text(0, 1), "postgres"));
    }
    std::optional<std::vector<EventDimension>> dimensions(const BusinessId& business, const EventId& id) {
        auto r = onServerOf(
            business, "SELECT coalesce(dimensions::text, '') FROM usage_events WHERE business_id = $1 AND id = $2", id);
        if (r.rows() == 0) return std::nullopt;
        return detail::dimensionsFromText(r.text(0, 0), "postgres");
    }

private:
    detail::PgResult onServerOf(const BusinessId& business, const char* text, const EventId& id) {
        return sqlOn(store->shardOf(business), text, detail::PgParams().add(business.toString()).add(id.toString()));
    }
};

/// The coordinator of the sharded test cluster (PG_COORD) and its postgres_fdw servers, one
/// per server of the cluster (PG_FDW_SERVERS), under the rule of testShards().
struct TestCoordinator {
    std::string uri;
    std::vector<std::string> foreign_servers;
};
inline TestCoordinator testCoordinator() {
    testShards();
    const char* uri = std::getenv("PG_COORD");
    const char* servers = std::getenv("PG_FDW_SERVERS");
    if (uri == nullptr || servers == nullptr) {
        throw std::runtime_error("the sharded test cluster has no coordinator (PG_COORD, PG_FDW_SERVERS)");
    }
    TestCoordinator coordinator{uri, {}};
    for (std::string_view rest = servers; !rest.empty();) {
        const auto space = rest.find(' ');
        if (space != 0) coordinator.foreign_servers.emplace_back(rest.substr(0, space));
        rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    }
    return coordinator;
}

/// The sharded store writing through the coordinator's PL/Proxy function
/// (ShardedPostgresOptions::coordinator), with 4 partitions (fewer foreign tables to make):
/// the coordinator gets the fixture's schema and attachCoordinator's tables, cluster and
/// function; all are dropped afterwards.
struct ProxiedShardedPostgresFixture : ShardedPostgresFixture {
    static constexpr const char* name = "postgres, sharded, written through PL/Proxy";
    TestCoordinator coordinator = testCoordinator();
    detail::PgConnection coordinator_admin{coordinator.uri};
    std::string coordinator_conninfo = coordinator.uri + "?options=-c%20search_path%3D" + schema;

    ProxiedShardedPostgresFixture() {
        coordinator_admin.execScript(("CREATE SCHEMA " + schema).c_str());
        ShardedPostgresOptions options{.shards = conninfos, .partitions = 4};
        ShardedPostgresStore(options).attachCoordinator(coordinator_conninfo, coordinator.foreign_servers);
        options.coordinator = coordinator_conninfo;
        store = std::make_shared<ShardedPostgresStore>(options);
    }
    ~ProxiedShardedPostgresFixture() {
        coordinator_admin.execScript(
            ("DROP SCHEMA " + schema + " CASCADE; DROP SERVER IF EXISTS metered_" + schema + " CASCADE").c_str());
    }
    ProxiedShardedPostgresFixture(const ProxiedShardedPostgresFixture&) = delete;
    ProxiedShardedPostgresFixture& operator=(const ProxiedShardedPostgresFixture&) = delete;
};

/// The same with the raw events partitioned by month (PostgresStore::partitionEventsByMonth):
/// every contract holds on either layout.
struct PartitionedPostgresFixture : PostgresFixture {
    static constexpr const char* name = "postgres, partitioned by month";
    PartitionedPostgresFixture() { store->partitionEventsByMonth(); }
};
#endif

}  // namespace metered::testing

/// Every store this build has, for TEMPLATE_TEST_CASE: the contract each one keeps.
#if defined(METERED_HAVE_POSTGRES) && defined(METERED_HAVE_SQLITE)
#define STORE_FIXTURES                                                                                 \
    MemoryFixture, SqliteFixture, PostgresFixture, PartitionedPostgresFixture, ShardedPostgresFixture, \
        ProxiedShardedPostgresFixture
#elif defined(METERED_HAVE_POSTGRES)
#define STORE_FIXTURES \
    MemoryFixture, PostgresFixture, PartitionedPostgresFixture, ShardedPostgresFixture, ProxiedShardedPostgresFixture
#elif defined(METERED_HAVE_SQLITE)
#define STORE_FIXTURES MemoryFixture, SqliteFixture
#else
#define STORE_FIXTURES MemoryFixture
#endif
