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

namespace plain_text {

inline std::uint64_t load64(const char* p) noexcept {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    return word;
}

inline std::uint64_t load32(const char* p) noexcept {
    std::uint32_t word;
    std::memcpy(&word, p, 4);
    return word;
}

/// True when none of the eight bytes of `word` is zero or has its high bit set. (w - 1) &
/// ~w sets the high bit of each zero byte, and of none other when no byte has its high
/// bit set.
constexpr bool isPlainWord(std::uint64_t word) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    return ((word | ((word - ones) & ~word)) & highs) == 0;
}

/// The bytes of a text shorter than eight bytes, as one word that is plain exactly when
/// they are: two overlapping halves, or (1-3 bytes) the first, middle and last byte,
/// with spaces (plain) filling the rest.
inline std::uint64_t shortTextWord(const char* p, std::size_t n) noexcept {
    constexpr std::uint64_t spaces = 0x2020202020202020ULL;
    if (n >= 4) return load32(p) | load32(p + n - 4) << 32;
    if (n == 0) return spaces;
    const auto byte = [&](std::size_t at) { return std::uint64_t{static_cast<unsigned char>(p[at])}; };
    return (spaces << 24) | byte(0) | byte(n / 2) << 8 | byte(n - 1) << 16;
}

}  // namespace plain_text

/// True when `text` is valid UTF-8 without U+0000, which PostgreSQL's text and jsonb
/// refuse: what every store can keep as given. Plain ASCII without a zero byte, the
/// common case, is checked inline a word at a time (it runs on the host's thread): whole
/// words, then the last eight bytes (overlapping those before), or one word made of a
/// short text's bytes.
[[gnu::always_inline]] inline bool isStorableText(std::string_view text) noexcept {
    using namespace plain_text;
    const char* p = text.data();
    const std::size_t n = text.size();
    bool plain = false;
    if (n < 8) {
        plain = isPlainWord(shortTextWord(p, n));
    } else {
        std::size_t at = 0;
        while (at + 8 < n && isPlainWord(load64(p + at))) at += 8;
        plain = at + 8 >= n && isPlainWord(load64(p + n - 8));
    }
    return plain || isStorableTextSlow(text);
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
