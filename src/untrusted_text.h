// SPDX-License-Identifier: MIT
// Untrusted input quoted into exception messages (private).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace metered::detail {

/// How many bytes of untrusted input a message quotes before it is cut with "…".
inline constexpr std::size_t quoted_bytes = 64;

/// `text` made safe to put into a message: at most `max_bytes` of it, cut on a code-point
/// boundary and followed by "…" when cut; a backslash, control characters and bytes that
/// are not well-formed UTF-8 written as escapes (`\\`, `\n`, `\t`, `\r`, `\xHH`). The
/// result is always valid UTF-8 without control characters.
std::string clipped(std::string_view text, std::size_t max_bytes = quoted_bytes);

/// clipped(text) between single quotes, with a single quote inside escaped as `\'`:
/// the form every exception message uses to show what the caller gave.
std::string quoted(std::string_view text, std::size_t max_bytes = quoted_bytes);

}  // namespace metered::detail
