// SPDX-License-Identifier: MIT
#include "sqlite_db.h"

#include "metered/errors.h"

namespace metered::detail {

void throwSqliteError(sqlite3* db, int code, std::string_view what) {
    const int primary = code & 0xFF;
    const bool transient = primary == SQLITE_BUSY || primary == SQLITE_LOCKED || primary == SQLITE_FULL ||
                           primary == SQLITE_IOERR || primary == SQLITE_PROTOCOL;
    std::string message = "sqlite: " + std::string(what) + " failed: ";
    message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code);
    throw StoreError(message, transient, std::to_string(code));
}

SqliteStatement::SqliteStatement(sqlite3* db, std::string_view sql) : db_(db), statement_(nullptr, &sqlite3_finalize) {
    sqlite3_stmt* raw = nullptr;
    const int code = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
    statement_.reset(raw);
    if (code != SQLITE_OK) throwSqliteError(db, code, "prepare");
}

SqliteStatement& SqliteStatement::bind(int index, std::string_view text) {
    const int code =
        sqlite3_bind_text(statement_.get(), index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    if (code != SQLITE_OK) throwSqliteError(db_, code, "bind");
    return *this;
}

SqliteStatement& SqliteStatement::bind(int index, std::int64_t value) {
    const int code = sqlite3_bind_int64(statement_.get(), index, value);
    if (code != SQLITE_OK) throwSqliteError(db_, code, "bind");
    return *this;
}

SqliteStatement& SqliteStatement::bindNull(int index) {
    const int code = sqlite3_bind_null(statement_.get(), index);
    if (code != SQLITE_OK) throwSqliteError(db_, code, "bind");
    return *this;
}

bool SqliteStatement::step() {
    const int code = sqlite3_step(statement_.get());
    if (code == SQLITE_ROW) return true;
    if (code == SQLITE_DONE) return false;
    sqlite3_reset(statement_.get());
    throwSqliteError(db_, code, "statement");
}

void SqliteStatement::run() {
    while (step()) {}
    reset();
}

void SqliteStatement::reset() {
    sqlite3_reset(statement_.get());
    sqlite3_clear_bindings(statement_.get());
}

std::string SqliteStatement::text(int column) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(statement_.get(), column));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(statement_.get(), column))) : std::string();
}

std::optional<std::string> SqliteStatement::optionalText(int column) const {
    if (sqlite3_column_type(statement_.get(), column) == SQLITE_NULL) return std::nullopt;
    return text(column);
}

std::int64_t SqliteStatement::integer(int column) const { return sqlite3_column_int64(statement_.get(), column); }

SqliteConnection::SqliteConnection(const std::string& path, int busy_timeout_ms) : db_(nullptr, &sqlite3_close_v2) {
    sqlite3* raw = nullptr;
    const int code =
        sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    db_.reset(raw);
    if (code != SQLITE_OK) throwSqliteError(raw, code, "open " + path);
    sqlite3_busy_timeout(raw, busy_timeout_ms);
    sqlite3_extended_result_codes(raw, 1);
    execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;");
}

void SqliteConnection::execute(const char* sql) {
    char* error = nullptr;
    const int code = sqlite3_exec(db_.get(), sql, nullptr, nullptr, &error);
    sqlite3_free(error);
    if (code != SQLITE_OK) throwSqliteError(db_.get(), code, "execute");
}

void SqliteConnection::rollbackQuietly() noexcept {
    if (sqlite3_get_autocommit(db_.get()) == 0) sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
}

}  // namespace metered::detail
