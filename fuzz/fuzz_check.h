// SPDX-License-Identifier: MIT
// What every fuzz target checks (private to fuzz/).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "utf8.h"

namespace metered::fuzz {

/// Stops the run (libFuzzer saves the input) when `ok` is false.
inline void require(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
        std::abort();
    }
}

/// Every message metered builds is valid UTF-8.
inline void requireValidMessage(std::string_view message) {
    require(detail::isValidUtf8(message), "an exception message is not valid UTF-8");
}

inline std::string_view textOf(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

}  // namespace metered::fuzz
