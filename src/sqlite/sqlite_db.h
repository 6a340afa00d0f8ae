// SPDX-License-Identifier: MIT
// A thin RAII layer over the SQLite C API (private).
#pragma once

#include <sqlite3.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace metered::detail {

/// One prepared statement. Bind values (1-based), step, read columns (0-based). Every
/// failure throws StoreError: transient for a busy or locked database, a full disk or an
/// I/O error; permanent otherwise.
class SqliteStatement {
public:
    SqliteStatement(sqlite3* db, std::string_view sql);
    SqliteStatement& bind(int index, std::string_view text);
    SqliteStatement& bind(int index, std::int64_t value);
    SqliteStatement& bindNull(int index);
    SqliteStatement& bindOptional(int index, const std::optional<std::string>& text) {
        return text ? bind(index, std::string_view(*text)) : bindNull(index);
    }
    /// Advances to the next row; false when there is none (or the statement is done).
    bool step();
    /// Runs a statement that returns no rows, and resets it for reuse.
    void run();
    void reset();

    std::string text(int column) const;
    std::optional<std::string> optionalText(int column) const;
    std::int64_t integer(int column) const;

private:
    sqlite3* db_;
    std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> statement_;
};

/// One connection to a database file. Not thread-safe (the store serialises calls).
class SqliteConnection {
public:
    SqliteConnection(const std::string& path, int busy_timeout_ms);
    SqliteStatement prepare(std::string_view sql) { return SqliteStatement(db_.get(), sql); }
    /// Runs statements without parameters (schema scripts, BEGIN/COMMIT).
    void execute(const char* sql);
    /// Rolls back an open transaction, ignoring errors.
    void rollbackQuietly() noexcept;
    std::int64_t changes() const noexcept { return sqlite3_changes64(db_.get()); }

private:
    std::unique_ptr<sqlite3, decltype(&sqlite3_close_v2)> db_;
};

/// Throws the StoreError for SQLite result `code` (with `db`'s message) about `what`.
[[noreturn]] void throwSqliteError(sqlite3* db, int code, std::string_view what);

}  // namespace metered::detail
