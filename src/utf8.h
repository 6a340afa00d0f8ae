// SPDX-License-Identifier: MIT
// UTF-8 validation (private).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
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

/// The full check of isStorableText, for text that is not plain ASCII without U+0000.
bool isStorableTextSlow(std::string_view text) noexcept;

/// True when `text` is valid UTF-8 without U+0000, which PostgreSQL's text and jsonb
/// refuse: what every store can keep as given. Plain ASCII without a zero byte, the
/// common case, is checked inline eight bytes at a time (it runs on the host's thread).
inline bool isStorableText(std::string_view text) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    const char* p = text.data();
    std::size_t n = text.size();
    for (; n >= 8; p += 8, n -= 8) {
        std::uint64_t word;
        std::memcpy(&word, p, 8);
        // A byte with its high bit set, or a zero byte ((w - 1) & ~w sets the high bit of
        // each zero byte, and of none other when no byte has its high bit set).
        if (((word | ((word - ones) & ~word)) & highs) != 0) return isStorableTextSlow(text);
    }
    for (; n > 0; ++p, --n) {
        if (static_cast<unsigned char>(*p) - 1u >= 0x7Fu) return isStorableTextSlow(text);  // 0, or 0x80 and up
    }
    return true;
}

/// True when JSON text (as nlohmann-json or the library writes it) holds the escape
/// \u0000 in a string: a value PostgreSQL's jsonb refuses.
bool hasNulEscape(std::string_view json) noexcept;

/// The length (1-4) of the well-formed UTF-8 sequence that starts `text` at `at`, or 0
/// when the byte there does not start one (a stray continuation byte, an overlong or
/// truncated sequence, a surrogate, anything above U+10FFFF).
std::size_t utf8SequenceLength(std::string_view text, std::size_t at) noexcept;

/// `text` with every byte that is not part of well-formed UTF-8 replaced by U+FFFD.
/// Valid text is returned unchanged.
std::string toValidUtf8(std::string_view text);

}  // namespace metered::detail
