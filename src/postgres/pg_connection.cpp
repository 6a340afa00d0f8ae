// SPDX-License-Identifier: MIT
#include "pg_connection.h"

#include "../conninfo.h"
#include "metered/errors.h"
#include "sqlstate.h"

namespace metered::detail {
namespace {

// The password libpq would use for `conninfo` (from the string, not the environment).
std::string passwordIn(const std::string& conninfo) {
    std::string password;
    if (PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), nullptr)) {
        for (auto* o = options; o->keyword != nullptr; ++o) {
            if (std::string_view(o->keyword) == "password" && o->val != nullptr) password = o->val;
        }
        PQconninfoFree(options);
    }
    return password;
}

std::string trimmed(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
}

}  // namespace

std::vector<const char*> PgParams::pointers() const {
    std::vector<const char*> pointers;
    pointers.reserve(values_.size());
    for (std::size_t i = 0; i < values_.size(); ++i) pointers.push_back(nulls_[i] ? nullptr : values_[i].c_str());
    return pointers;
}

PgConnection::PgConnection(const std::string& conninfo) : conn_(nullptr, &PQfinish), password_(passwordIn(conninfo)) {
    // Defaults first; the caller's conninfo (expanded from "dbname") overrides them.
    const char* keywords[] = {"connect_timeout", "fallback_application_name", "dbname", nullptr};
    const char* values[] = {"10", "metered", conninfo.c_str(), nullptr};
    conn_.reset(PQconnectdbParams(keywords, values, 1));
    if (!conn_) throw StoreError("postgres: out of memory creating a connection", true);
    if (PQstatus(conn_.get()) != CONNECTION_OK) {
        const std::string message = redact(trimmed(PQerrorMessage(conn_.get())), password_);
        // A malformed connection string cannot succeed later; a refused connection can.
        const bool malformed =
            message.find("invalid") != std::string::npos &&
            (message.find("connection option") != std::string::npos || message.find("URI") != std::string::npos);
        const std::string target = conninfo.empty() ? "the server of the PG* environment" : maskPassword(conninfo);
        throw StoreError("postgres: cannot connect to " + target + ": " + message, !malformed);
    }
    // libpq prints server notices to stderr by default; a library prints nothing.
    PQsetNoticeProcessor(
        conn_.get(), [](void*, const char*) {}, nullptr);
}

void PgConnection::fail(const PGresult* result, std::string_view what) {
    const char* code = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    std::string sqlstate = code ? code : "";
    const char* primary = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    // A coordinator that could not reach a server is fine itself: not broken, but worth a retry.
    const bool transient = isTransientSqlstate(sqlstate) || isProxyFailure(sqlstate, primary ? primary : "");
    if (isTransientSqlstate(sqlstate)) broken_ = true;
    std::string message = result ? PQresultErrorMessage(result) : "";
    if (message.empty()) message = PQerrorMessage(conn_.get());
    throw StoreError("postgres: " + std::string(what) + " failed: " + redact(trimmed(message), password_), transient,
                     std::move(sqlstate));
}

PgResult PgConnection::exec(std::string_view what, const char* sql, const PgParams& params) {
    const auto pointers = params.pointers();
    PgResult result(PQexecParams(conn_.get(), sql, params.size(), nullptr, pointers.data(), nullptr, nullptr, 0));
    const ExecStatusType status = result.get() ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(result.get(), what);
    return result;
}

void PgConnection::startCopy(const char* copy_sql) {
    PgResult start(PQexec(conn_.get(), copy_sql));
    if (!start.get() || PQresultStatus(start.get()) != PGRES_COPY_IN) fail(start.get(), "copy");
}

void PgConnection::putCopyData(std::string_view data) {
    if (PQputCopyData(conn_.get(), data.data(), static_cast<int>(data.size())) != 1) fail(nullptr, "copy");
}

void PgConnection::endCopy() {
    if (PQputCopyEnd(conn_.get(), nullptr) != 1) fail(nullptr, "copy");
    PgResult end(PQgetResult(conn_.get()));
    const ExecStatusType status = end.get() ? PQresultStatus(end.get()) : PGRES_FATAL_ERROR;
    while (PGresult* extra = PQgetResult(conn_.get())) PQclear(extra);
    if (status != PGRES_COMMAND_OK) fail(end.get(), "copy");
}

void PgConnection::abortCopy() noexcept {
    if (PQputCopyEnd(conn_.get(), "the client stopped the copy") != 1) broken_ = true;
    while (PGresult* result = PQgetResult(conn_.get())) PQclear(result);
}

void PgConnection::rollbackQuietly() noexcept {
    if (broken()) return;
    PgResult result(PQexec(conn_.get(), "ROLLBACK"));
    if (!result.get() || PQresultStatus(result.get()) != PGRES_COMMAND_OK) broken_ = true;
}

void PgConnection::execScript(const char* sql) {
    PGresult* raw = PQexec(conn_.get(), sql);
    const ExecStatusType status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
    PgResult owned(raw);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(raw, "migration");
}

}  // namespace metered::detail
