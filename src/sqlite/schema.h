// SPDX-License-Identifier: MIT
// The SQLite schema and its migrations (private): the PostgreSQL schema's tables and
// names, with every number as exact decimal TEXT.
#pragma once

#include <span>

namespace metered::detail::sqlite {

/// One versioned schema change, applied in order, each once, in a write transaction.
struct Migration {
    int version;
    const char* description;
    const char* sql;
};

/// Every migration, oldest first.
std::span<const Migration> migrations();

}  // namespace metered::detail::sqlite
