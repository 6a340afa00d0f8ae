// SPDX-License-Identifier: MIT
// SQL text joined at compile time (private): a statement that reads the same columns as
// another says its SELECT list once, a migration restates only what it changes, and each
// is still one constant string.
#pragma once

#include <cstddef>

namespace metered::detail {

/// A statement's text, held in the constant itself; used wherever a `const char*` is.
template <std::size_t Size>
struct SqlText {
    char text[Size]{};
    constexpr operator const char*() const noexcept { return text; }
};

/// The parts, in order, as one string: sql("SELECT a FROM t ", "WHERE a = $1").
template <std::size_t... Sizes>
constexpr SqlText<(Sizes + ...) - sizeof...(Sizes) + 1> sql(const char (&... parts)[Sizes]) noexcept {
    SqlText<(Sizes + ...) - sizeof...(Sizes) + 1> joined;
    std::size_t at = 0;
    const auto append = [&](const char* part, std::size_t size) {
        for (std::size_t i = 0; i + 1 < size; ++i) joined.text[at++] = part[i];
    };
    (append(parts, Sizes), ...);
    return joined;
}

}  // namespace metered::detail
