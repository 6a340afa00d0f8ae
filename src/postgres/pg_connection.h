// SPDX-License-Identifier: MIT
// A thin RAII layer over libpq (private: no public header includes libpq).
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace metered::detail {

/// A query result; owns the PGresult.
class PgResult {
public:
    explicit PgResult(PGresult* result) noexcept : result_(result, &PQclear) {}
    const PGresult* get() const noexcept { return result_.get(); }
    int rows() const noexcept { return PQntuples(result_.get()); }
    bool isNull(int row, int column) const noexcept { return PQgetisnull(result_.get(), row, column) != 0; }
    std::string_view text(int row, int column) const noexcept {
        return {PQgetvalue(result_.get(), row, column),
                static_cast<std::size_t>(PQgetlength(result_.get(), row, column))};
    }
    std::optional<std::string_view> optionalText(int row, int column) const noexcept {
        if (isNull(row, column)) return std::nullopt;
        return text(row, column);
    }

private:
    std::unique_ptr<PGresult, decltype(&PQclear)> result_;
};

/// Query parameters, all sent as text (NULL where empty).
class PgParams {
public:
    PgParams& add(std::string value) {
        values_.push_back(std::move(value));
        nulls_.push_back(false);
        return *this;
    }
    PgParams& addNull() {
        values_.emplace_back();
        nulls_.push_back(true);
        return *this;
    }
    int size() const noexcept { return static_cast<int>(values_.size()); }
    std::vector<const char*> pointers() const;

private:
    std::vector<std::string> values_;
    std::vector<bool> nulls_;
};

/// One connection to PostgreSQL. Every failure throws StoreError with the server's
/// SQLSTATE and a `transient()` verdict; messages never contain the password. After a
/// transient failure the connection is `broken()` and must be replaced.
/// Not thread-safe: one thread at a time (the pool hands it out).
class PgConnection {
public:
    /// Connects; `conninfo` is any libpq connection string or URI.
    explicit PgConnection(const std::string& conninfo);

    /// Runs one parameterised statement (extended protocol) and returns its rows; `what`
    /// names it in error messages.
    PgResult exec(std::string_view what, const char* sql, const PgParams& params = {});
    /// Runs a script of statements with no parameters (simple protocol): migrations.
    void execScript(const char* sql);
    /// Runs `copy_sql` (a `COPY … FROM STDIN`, after statements of its own if any:
    /// "BEGIN; COPY …") and sends what `rows(send)` passes to `send(std::string_view)`, as
    /// it comes (COPY text format): the server parses while the rest is formatted.
    template <class Rows>
    requires(!std::is_convertible_v<Rows, std::string_view>) void copyIn(const char* copy_sql, Rows&& rows) {
        startCopy(copy_sql);
        try {
            rows([this](std::string_view data) { putCopyData(data); });
        } catch (...) {
            abortCopy();
            throw;
        }
        endCopy();
    }
    /// Runs `copy_sql` and sends `data` as its rows.
    void copyIn(const char* copy_sql, std::string_view data) {
        copyIn(copy_sql, [data](auto&& send) { send(data); });
    }

    bool broken() const noexcept { return broken_ || PQstatus(conn_.get()) != CONNECTION_OK; }
    /// True when a transaction is open (or aborted) on the connection.
    bool transactionOpen() const noexcept { return PQtransactionStatus(conn_.get()) != PQTRANS_IDLE; }
    /// Rolls back an open transaction, ignoring errors (marks the connection broken if it fails).
    void rollbackQuietly() noexcept;

    /// Runs `work()` inside BEGIN … COMMIT, rolling back if it throws.
    template <class Work>
    auto inTransaction(Work&& work) {
        exec("begin", "BEGIN");
        try {
            if constexpr (std::is_void_v<decltype(work())>) {
                work();
                exec("commit", "COMMIT");
            } else {
                auto result = work();
                exec("commit", "COMMIT");
                return result;
            }
        } catch (...) {
            rollbackQuietly();
            throw;
        }
    }

private:
    [[noreturn]] void fail(const PGresult* result, std::string_view what);
    void startCopy(const char* copy_sql);
    void putCopyData(std::string_view data);
    void endCopy();
    void abortCopy() noexcept;

    std::unique_ptr<PGconn, decltype(&PQfinish)> conn_;
    std::string password_;  // to redact from messages
    bool broken_ = false;
};

}  // namespace metered::detail
