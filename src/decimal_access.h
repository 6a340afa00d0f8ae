// SPDX-License-Identifier: MIT
// A Decimal's 128-bit mantissa, for the library's own code (private): the public API
// keeps the compiler extension out of sight.
#pragma once

#include "metered/decimal.h"

namespace metered::detail {

/// A signed 128-bit integer (GCC and Clang extension, quiet under -Wpedantic).
__extension__ using int128 = __int128;

struct DecimalAccess {
    static constexpr int128 mantissa(const Decimal& value) noexcept { return value.mantissa_; }
    /// mantissa × 10^-scale; throws ArithmeticError if scale is outside [0, max_scale] or
    /// the mantissa has more than 38 digits.
    static Decimal make(int128 mantissa, int scale);
};

}  // namespace metered::detail
