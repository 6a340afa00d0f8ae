// SPDX-License-Identifier: MIT
// UTF-8 validation (private).
#pragma once

#include <string_view>

namespace metered::detail {

/// The full check of isValidUtf8, for text that is not plain ASCII.
bool isValidUtf8Slow(std::string_view text) noexcept;

/// True when `text` is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates,
/// nothing above U+10FFFF). Plain ASCII, the common case, is checked inline.
inline bool isValidUtf8(std::string_view text) noexcept {
    for (unsigned char c : text) {
        if (c >= 0x80) return isValidUtf8Slow(text);
    }
    return true;
}

}  // namespace metered::detail
