// SPDX-License-Identifier: MIT
// The SQLite schema and its migrations (private): the PostgreSQL schema's tables and
// names, with every number as exact decimal TEXT.
#pragma once

#include <span>

#include "../migration.h"

namespace metered::detail::sqlite {

using detail::Migration;

/// Every migration, oldest first.
std::span<const Migration> migrations();

}  // namespace metered::detail::sqlite
