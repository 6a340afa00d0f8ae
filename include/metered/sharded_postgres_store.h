// SPDX-License-Identifier: MIT
// PostgreSQL beyond one server: businesses spread over several, by a hash of their id.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "metered/export.h"
#include "metered/postgres_store.h"
#include "metered/usage_store.h"

namespace metered {

/// Settings of a ShardedPostgresStore.
struct ShardedPostgresOptions {
    /// One libpq connection string per server (as PostgresOptions::conninfo).
    std::vector<std::string> shards;
    /// Hash partitions of the business ids (a power of 2, at least the number of servers):
    /// the unit that moves when a server is added.
    int partitions = 16;
    /// The server (index into `shards`) of each partition; empty: partition p on server
    /// p mod shards.size().
    std::vector<std::size_t> placement;
    /// Most connections held open at once to each server (and to the coordinator).
    std::size_t pool_size = 4;
    /// A coordinator with the PL/Proxy write path (ShardedPostgresStore::attachCoordinator):
    /// when set, append() sends each server's events through the coordinator's
    /// `metered_append_events`, which routes them by the same hash; empty (the default):
    /// straight to the servers, by COPY when none is stored yet (docs/scaling.md compares
    /// the two).
    std::string coordinator;
};

/// A UsageStore over several PostgreSQL servers (docs/scaling.md). Each business lives on
/// one server, chosen by PostgreSQL's own hash partitioning of its id (the partition
/// `satisfies_hash_partition` gives for modulus `partitions`, mapped to a server by
/// `placement`), so a postgres_fdw coordinator partitioned the same way reads what this
/// store writes. Every call about a business runs on its server, as PostgresStore runs it
/// there: events, rollups, statements, budgets and their crossings, credits, corrections.
///
/// - `append()` splits a batch by server and appends each part there in its own
///   transaction, server by server. When a server fails, the parts before it are stored and
///   the call throws: retry the whole batch (what asynchronous recording does), and what
///   was stored counts as duplicates. Nothing acknowledged is lost or doubled.
/// - Plans and dimensions are reference data, written to every server. Reads check that
///   every server holds the same (a write that did not reach every server throws
///   StoreError naming the server until it is written again), so no server prices with
///   stale data.
/// - Reads across businesses (listAccounts, listAllBudgets, pendingCrossings) ask every
///   server and merge.
///
/// Thread-safe: calls run on each server's pooled connections.
class METERED_API ShardedPostgresStore final : public UsageStore {
public:
    /// Throws ValidationError for settings that do not describe a cluster (no server, a
    /// partition count that is not a power of 2 or is below the number of servers, a
    /// placement of the wrong size or naming no server) and StoreError for a malformed
    /// connection string.
    explicit ShardedPostgresStore(ShardedPostgresOptions options);
    ~ShardedPostgresStore() override;

    /// Migrates every server.
    /// Every UsageStore call, as its contract in usage_store.h says.
    METERED_USAGE_STORE_OVERRIDES
    bool remote() const noexcept override { return true; }

    /// Makes the PostgreSQL server `coordinator` read across the cluster: `businesses`,
    /// `usage_events` and `usage_daily` become tables there hash-partitioned by business as
    /// this store places them, each partition a postgres_fdw foreign table on the server that
    /// holds it (a view of that partition's rows there), and the seed's views
    /// `billing_overview` and `usage_aggregation` (with the cycle functions they call) are
    /// made over them as on one server, so the seed's SQL and reports across businesses run
    /// on the coordinator unchanged; with `enable_partitionwise_aggregate` on, sums are
    /// computed on the servers. The coordinator needs postgres_fdw, a foreign server for
    /// each server of the cluster (`foreign_servers[i]` for `shards[i]`) with a user
    /// mapping, and a schema of the same name as the servers' (the first of its
    /// search_path). Run it once, after migrate().
    ///
    /// When the coordinator has the `plproxy` extension, it also gets the write path: a
    /// PL/Proxy cluster `metered_<schema>` of the partitions (each reached as its server's
    /// foreign server is, with that server's user mapping) and the function
    /// `metered_append_events`, which sends each server the events of its businesses to
    /// append there in one transaction, as PostgresStore appends them (a batch spanning
    /// servers commits server by server: send it again whole). A store whose
    /// ShardedPostgresOptions::coordinator names it writes through it; any SQL client may call it.
    void attachCoordinator(const std::string& coordinator, const std::vector<std::string>& foreign_servers);

    /// PostgresStore::partitionEventsByMonth on every server (the ones done already are
    /// skipped, so a run interrupted by a failure can be run again).
    void partitionEventsByMonth();
    /// PostgresStore::retireEventsBefore on every server: the partitions retired, of every
    /// server.
    std::vector<std::string> retireEventsBefore(date::year_month first_kept, Retirement what = Retirement::drop);

    /// Moves hash partition `partition` to server `to` (docs/scaling.md#adding-a-server):
    /// every row of its businesses, in every table that has a business_id (and their
    /// `businesses` rows), is copied to `to` in one transaction there (through postgres_fdw,
    /// which `to` reaches the partition's server with, on the connection settings of
    /// `shards`), then deleted from the old server in one transaction, and this store routes
    /// the partition to `to`. A coordinator this store attached or writes through is
    /// re-pointed between the two: it reads the partition on `to`, and its PL/Proxy cluster
    /// sends the partition's appends there. An administrator's operation: a superuser on both servers, no
    /// writer of the partition's businesses meanwhile (recorders spool), and every other
    /// process's ShardedPostgresOptions::placement changed after it. Not to be called
    /// while other calls run on this store. Throws ValidationError for a partition or server
    /// out of range, StoreError when a server refuses (before the copy commits, nothing
    /// changed; after, run it again to finish the deletion).
    void movePartition(int partition, std::size_t to);

    /// The hash partition of `business` (0 to partitions − 1), as PostgreSQL computes it.
    int partitionOf(const BusinessId& business);
    /// The server (index into ShardedPostgresOptions::shards) that holds `business`.
    std::size_t shardOf(const BusinessId& business);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace metered
