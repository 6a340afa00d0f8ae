// SPDX-License-Identifier: MIT
#include "utf8.h"

#include <cstdint>
#include <cstring>

namespace metered::detail {

bool isValidUtf8Slow(std::string_view text) noexcept {
    for (std::size_t at = 0; at < text.size();) {
        // Eight ASCII bytes at a time: the common case for keys, models and session ids.
        if (text.size() - at >= 8) {
            std::uint64_t word;
            std::memcpy(&word, text.data() + at, 8);
            if ((word & 0x8080808080808080ULL) == 0) {
                at += 8;
                continue;
            }
        }
        const std::size_t length = utf8SequenceLength(text, at);
        if (length == 0) return false;
        at += length;
    }
    return true;
}

bool isStorableTextSlow(std::string_view text) noexcept {
    return text.find('\0') == std::string_view::npos && isValidUtf8(text);
}

bool hasNulEscape(std::string_view json) noexcept {
    // Outside strings JSON has no backslash; inside, each one starts an escape.
    for (std::size_t i = json.find('\\'); i != std::string_view::npos && i + 1 < json.size(); i = json.find('\\', i)) {
        if (json[i + 1] == 'u' && json.substr(i + 2, 4) == "0000") return true;
        i += 2;
    }
    return false;
}

std::size_t utf8SequenceLength(std::string_view text, std::size_t at) noexcept {
    if (at >= text.size()) return 0;
    const auto c = static_cast<std::uint8_t>(text[at]);
    if (c < 0x80) return 1;
    std::size_t extra = 0;
    std::uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
        extra = 1;
        cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        extra = 2;
        cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        extra = 3;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (text.size() - at <= extra) return 0;
    for (std::size_t i = 1; i <= extra; ++i) {
        const auto next = static_cast<std::uint8_t>(text[at + i]);
        if ((next & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (next & 0x3F);
    }
    static constexpr std::uint32_t smallest[] = {0, 0x80, 0x800, 0x10000};
    if (cp < smallest[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return extra + 1;
}

std::string toValidUtf8(std::string_view text) {
    if (isValidUtf8(text)) return std::string(text);
    std::string out;
    out.reserve(text.size() + 8);
    for (std::size_t at = 0; at < text.size();) {
        const std::size_t length = utf8SequenceLength(text, at);
        if (length == 0) {
            out += "\xEF\xBF\xBD";  // U+FFFD
            ++at;
        } else {
            out.append(text, at, length);
            at += length;
        }
    }
    return out;
}

}  // namespace metered::detail
