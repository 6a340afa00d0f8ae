// SPDX-License-Identifier: MIT
// What a PostgreSQL error code means for the caller (private).
#pragma once

#include <string_view>

namespace metered::detail {

/// True when an error with this SQLSTATE may go away on retry: connection exceptions
/// (class 08), serialization failures and deadlocks (40001, 40P01, class 40), server
/// shutdown or start-up (57P01-57P03), too many connections and other resource
/// shortages (class 53), statement or lock timeouts (57014, 55P03), and an empty code
/// (libpq reports lost connections without one).
bool isTransientSqlstate(std::string_view sqlstate) noexcept;

/// True for an error a PL/Proxy coordinator raises itself (SQLSTATE XX000, its primary
/// message beginning "PL/Proxy function"): it could not reach a server, lost it, or timed
/// out. Errors the servers raise come through with their own SQLSTATE.
bool isProxyFailure(std::string_view sqlstate, std::string_view primary_message) noexcept;

}  // namespace metered::detail
