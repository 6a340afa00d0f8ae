// SPDX-License-Identifier: MIT
// The production store: PostgreSQL through libpq.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "metered/export.h"
#include "metered/usage_store.h"

namespace metered {

/// Settings of a PostgresStore. `RecorderOptions`-style designated initializers work:
/// `PostgresOptions{.conninfo = "postgresql://metered@db/billing", .pool_size = 4}`.
struct PostgresOptions {
    /// Any libpq connection string: a `postgresql://` URI or `key=value` pairs; what it
    /// leaves out comes from the PG* environment variables, as with psql. TLS is whatever
    /// it says (`sslmode=verify-full` works).
    std::string conninfo;
    /// Most connections held open at once; calls beyond it wait for a free one.
    std::size_t pool_size = 4;
};

/// What PostgresStore::retireEventsBefore does with the partition of a month it no longer
/// keeps: drop it, or detach it (a table of its own, to archive and drop by hand).
enum class Retirement { drop, detach };

/// A UsageStore in PostgreSQL (15 or later).
///
/// - `migrate()` applies versioned migrations compiled into the library, each once, in
///   one transaction under an advisory lock (several processes may migrate at once), and
///   records them in `metered_schema_version`. The schema keeps the seed's tables and
///   names (`usage_events`, `usage_aggregation`, `usage_quotas`, `businesses`,
///   `billing_overview`), widened to NUMERIC; see docs/schema.md.
/// - `append()` is one transaction per batch, in key order so concurrent appenders never
///   deadlock: a batch of new events goes in by COPY with its exact daily sums; one that
///   meets a stored id goes in with ON CONFLICT DO NOTHING on (business_id, id) and the
///   daily rollup grows by exactly the rows inserted (usage_aggregation is a view of it).
///   Each event's local day is decided with the library's time zone data. A batch that fails for a permanent reason is
///   split in halves until the poison event is isolated and rejected; the others commit.
/// - Reads use the daily rollup only, never a scan of `usage_events`.
/// - Connection failures, lost connections, restarts and timeouts throw StoreError with
///   `transient() == true`; a stale pooled connection is replaced and the call retried
///   once. Messages never contain the password.
///
/// Thread-safe: calls run on pooled connections.
class METERED_API PostgresStore final : public UsageStore {
public:
    /// Connects once to check the settings: a malformed connection string throws
    /// StoreError (permanent). A server that cannot be reached now is not an error: the
    /// store connects on first use, and each call throws a transient StoreError until it
    /// can (so an asynchronous recorder with the spool on opens and records while the
    /// database is down).
    explicit PostgresStore(PostgresOptions options);
    ~PostgresStore() override;

    /// Every UsageStore call, as its contract in usage_store.h says.
    METERED_USAGE_STORE_OVERRIDES
    bool remote() const noexcept override { return true; }

    /// The schema version migrate() brought the database to (0 before).
    int schemaVersion();

    /// Partitions the raw events (`usage_events`) by month of the local day, keeping every
    /// row, in one transaction that locks the table: run it after migrate(), with no
    /// recorder writing (docs/operations.md#monthly-partitions-and-retention). Each event's
    /// id moves to `usage_event_keys`, whose primary key keeps appends idempotent whatever
    /// the month; a month's partition is made when its first event comes. Reads, rollups,
    /// statements and every other table are unchanged. Throws StoreError when the events are
    /// partitioned already.
    void partitionEventsByMonth();
    /// True when the raw events are partitioned by month.
    bool eventsPartitionedByMonth();
    /// Retention: drops (or detaches) the raw events of the months before `first_kept`,
    /// partition by partition, and refuses events of those months from then on (a
    /// Rejection naming the day). Bills, trends, budgets and statements read rollups and
    /// stored statements and keep answering; what reads raw events (UsageStore::transactions
    /// for per-transaction bounds, recordedEvents, corrections) throws for those months.
    /// Returns the partitions retired. Throws ValidationError("first_kept") for a month after
    /// the previous one (the raw events of open cycles are kept) and StoreError when the
    /// events are not partitioned.
    std::vector<std::string> retireEventsBefore(date::year_month first_kept, Retirement what = Retirement::drop);

private:
    friend class ShardedPostgresStore;
    // From now on, appends go through the PL/Proxy function of `coordinator` (a
    // ShardedPostgresStore's write path).
    void appendThrough(const std::string& coordinator, std::size_t pool_size);

    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace metered
