// SPDX-License-Identifier: MIT
// The embedded store: one SQLite file.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>

#include "metered/export.h"
#include "metered/usage_store.h"

namespace metered {

/// Settings of a SqliteStore.
struct SqliteOptions {
    /// The database file (created if missing); ":memory:" for a private in-memory database.
    std::filesystem::path path;
    /// How long a writer waits for another process's lock before failing (transiently).
    std::chrono::milliseconds busy_timeout{5000};
};

/// A UsageStore in one SQLite file: the embedded default, no server needed.
///
/// - WAL journal mode; appends are one transaction per batch, with the day and cycle
///   rollups updated in the same transaction, so readers never see one without the other.
/// - Exact: every quantity, price and cost is stored as decimal text and added with
///   Decimal in C++; no column holds a REAL.
/// - Idempotent on (business_id, id); events of unknown businesses are rejected with
///   their reason, the rest of the batch is stored.
/// - Its own versioned migrations in `metered_schema_version`.
///
/// Thread-safe: calls are serialised on one connection. Several processes may share the
/// file (SQLite's locking; a busy database is a transient StoreError).
class METERED_API SqliteStore final : public UsageStore {
public:
    /// Opens (or creates) the file; throws StoreError when it cannot.
    explicit SqliteStore(const SqliteOptions& options);
    ~SqliteStore() override;

    /// Every UsageStore call, as its contract in usage_store.h says.
    METERED_USAGE_STORE_OVERRIDES

    /// The schema version migrate() brought the file to (0 before).
    int schemaVersion();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace metered
