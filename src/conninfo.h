// SPDX-License-Identifier: MIT
// Connection strings without their secrets (private).
#pragma once

#include <string>
#include <string_view>

namespace metered::detail {

/// `conninfo` with every secret replaced by "***", parsed the way libpq parses it:
/// - a postgresql:// or postgres:// URI (scheme in any case): the password of
///   user:password@ (percent-encoded or not; also when it holds '?', '#', '/' or '@': from
///   the first ':' to the last '@' is hidden), the value of any query parameter other than
///   libpq's non-secret ones (password=, sslpassword=, PASSWORD=, …, keys percent-decoded);
///   a URI libpq would refuse is shown as "postgresql://***";
/// - a key=value string: the value (quoted with \' escapes, or not) of every keyword other
///   than libpq's non-secret ones (compared as libpq does, so PASSWORD= and PassWord= are
///   hidden too); one libpq would refuse (a word without '=', an unterminated quote, a
///   keyword of other characters than letters, digits and '_') is "***";
/// - a dbname that is itself a connection string is hidden whole;
/// - memory:, sqlite:… and a bare database name are kept.
/// Everything else is kept, so the result still says which server was meant. The result
/// is valid UTF-8.
std::string maskPassword(std::string_view conninfo);

/// Replaces every occurrence of `secret` (when non-empty) in `text` by "***".
std::string redact(std::string text, std::string_view secret);

}  // namespace metered::detail
