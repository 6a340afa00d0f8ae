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

/// True when each of the eight bytes of `word` is printable ASCII (0x20-0x7E). (w - 0x20…)
/// & ~w sets a high bit when some byte is below 0x20 (and only then); w + 1… sets the high
/// bit of a byte 0x7F, and bytes above it have theirs already (a carry out of a byte
/// comes only from 0xFF, which is refused anyway).
constexpr bool isPrintableWord(std::uint64_t word) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    return ((((word - 0x20 * ones) & ~word) | word | (word + ones)) & highs) == 0;
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

/// True when `check` holds for every byte of `text`, taken a word at a time: whole words,
/// then the last eight bytes (overlapping those before), or one word made of a short
/// text's bytes. `check` must hold for a word of spaces.
template <class WordCheck>
[[gnu::always_inline]] inline bool everyWord(std::string_view text, WordCheck check) noexcept {
    const char* p = text.data();
    const std::size_t n = text.size();
    if (n < 8) return check(shortTextWord(p, n));
    std::size_t at = 0;
    while (at + 8 < n && check(load64(p + at))) at += 8;
    return at + 8 >= n && check(load64(p + n - 8));
}

}  // namespace plain_text

/// True when `text` is valid UTF-8 without U+0000, which PostgreSQL's text and jsonb
/// refuse: what every store can keep as given. Plain ASCII without a zero byte, the
/// common case, is checked inline a word at a time (it runs on the host's thread).
[[gnu::always_inline]] inline bool isStorableText(std::string_view text) noexcept {
    return plain_text::everyWord(text, plain_text::isPlainWord) || isStorableTextSlow(text);
}

/// True when `text` is printable ASCII (0x20-0x7E) only, checked a word at a time: valid
/// UTF-8 without control characters, as every model and provider name is in practice.
[[gnu::always_inline]] inline bool isPrintableAscii(std::string_view text) noexcept {
    return plain_text::everyWord(text, plain_text::isPrintableWord);
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
