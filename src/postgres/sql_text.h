// SPDX-License-Identifier: MIT
// SQL text joined at compile time (private): a statement that reads the same columns as
// another says its SELECT list once, and is still one constant string.
#pragma once

#include <cstddef>

namespace metered::detail::pg {

/// A statement's text, held in the constant itself; used wherever a `const char*` is.
template <std::size_t Size>
struct SqlText {
    char text[Size]{};
    constexpr operator const char*() const noexcept { return text; }
};

/// `head` then `tail`, as one string: sql("SELECT a FROM t ", "WHERE a = $1").
template <std::size_t Head, std::size_t Tail>
constexpr SqlText<Head + Tail - 1> sql(const char (&head)[Head], const char (&tail)[Tail]) noexcept {
    SqlText<Head + Tail - 1> joined;
    for (std::size_t i = 0; i + 1 < Head; ++i) joined.text[i] = head[i];
    for (std::size_t i = 0; i < Tail; ++i) joined.text[Head - 1 + i] = tail[i];
    return joined;
}

}  // namespace metered::detail::pg
