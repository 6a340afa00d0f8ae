// SPDX-License-Identifier: MIT
#include "untrusted_text.h"

#include <fmt/format.h>

#include <algorithm>

#include "text_format.h"
#include "utf8.h"

namespace metered::detail {
namespace {

void appendEscaped(std::string& out, std::string_view text, std::size_t max_bytes, bool in_quotes) {
    std::size_t at = 0;
    while (at < text.size()) {
        const std::size_t length = utf8SequenceLength(text, at);
        const std::size_t consumed = length == 0 ? 1 : length;
        if (at + consumed > max_bytes) break;
        const auto c = static_cast<unsigned char>(text[at]);
        if (length == 0) {
            out += fmt::format("\\x{:02X}", c);
        } else if (length == 1 && appendCommonEscape(out, static_cast<char>(c))) {
            // A backslash, newline, carriage return or tab: escaped.
        } else if (length == 1) {
            switch (c) {
                case '\'':
                    out += in_quotes ? "\\'" : "'";
                    break;
                default:
                    if (c < 0x20 || c == 0x7F) {
                        out += fmt::format("\\x{:02X}", c);
                    } else {
                        out += static_cast<char>(c);
                    }
            }
        } else if (length == 2 && c == 0xC2 && static_cast<unsigned char>(text[at + 1]) < 0xA0) {
            // C1 control characters (U+0080-U+009F).
            out += fmt::format("\\u{:04X}", static_cast<unsigned char>(text[at + 1]));
        } else {
            out.append(text, at, length);
        }
        at += consumed;
    }
    if (at < text.size()) out += "\xE2\x80\xA6";  // U+2026 (…)
}

}  // namespace

std::string clipped(std::string_view text, std::size_t max_bytes) {
    std::string out;
    out.reserve(std::min(text.size(), max_bytes) + 8);
    appendEscaped(out, text, max_bytes, false);
    return out;
}

std::string quoted(std::string_view text, std::size_t max_bytes) {
    std::string out = "'";
    out.reserve(std::min(text.size(), max_bytes) + 8);
    appendEscaped(out, text, max_bytes, true);
    out += '\'';
    return out;
}

}  // namespace metered::detail
