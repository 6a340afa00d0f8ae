// SPDX-License-Identifier: MIT
// Connection strings without their secrets (private).
#pragma once

#include <string>
#include <string_view>

namespace metered::detail {

/// `conninfo` with any password replaced by "***": the user:password@ part of a
/// postgresql:// URI, a password= query parameter, and a password= keyword of a libpq
/// key=value string (quoted or not). Everything else is kept, so the result still says
/// which server was meant.
std::string maskPassword(std::string_view conninfo);

/// Replaces every occurrence of `secret` (when non-empty) in `text` by "***".
std::string redact(std::string text, std::string_view secret);

}  // namespace metered::detail
