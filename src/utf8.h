// SPDX-License-Identifier: MIT
// UTF-8 validation (private).
#pragma once

#include <string_view>

namespace metered::detail {

/// True when `text` is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates,
/// nothing above U+10FFFF).
bool isValidUtf8(std::string_view text) noexcept;

}  // namespace metered::detail
