// SPDX-License-Identifier: MIT
#include "text_format.h"

#include <fmt/format.h>

#include <iterator>

namespace metered::detail {

std::string isoDay(date::local_days day) {
    const date::year_month_day ymd(day);
    return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                       static_cast<unsigned>(ymd.day()));
}

std::string isoTimestamp(Timestamp t, bool postgres) {
    std::string out;
    appendIsoTimestamp(out, t, postgres);
    return out;
}

void appendIsoTimestamp(std::string& out, Timestamp t, bool postgres) {
    const auto day = date::floor<date::days>(t);
    const date::year_month_day ymd(day);
    const auto micros = (t - day).count();  // microseconds into the day
    const auto seconds = micros / 1'000'000;
    fmt::format_to(std::back_inserter(out), "{:04}-{:02}-{:02}{}{:02}:{:02}:{:02}.{:06}{}", static_cast<int>(ymd.year()),
                   static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), postgres ? ' ' : 'T',
                   seconds / 3600, seconds / 60 % 60, seconds % 60, micros % 1'000'000, postgres ? "+00" : "Z");
}

void appendUuid(std::string& out, const Uuid& id) {
    static constexpr char hex[] = "0123456789abcdef";
    char text[36];
    std::size_t at = 0;
    for (std::size_t i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) text[at++] = '-';
        text[at++] = hex[id.bytes()[i] >> 4];
        text[at++] = hex[id.bytes()[i] & 0x0F];
    }
    out.append(text, sizeof text);
}

void appendDecimal(std::string& out, const Decimal& value) {
    __extension__ using uint128 = unsigned __int128;
    char buffer[48];
    char* end = buffer + sizeof buffer;
    char* p = end;
    const bool negative = value.isNegative();
    auto m = negative ? static_cast<uint128>(-value.mantissa()) : static_cast<uint128>(value.mantissa());
    int written = 0;
    const int scale = value.scale();
    do {
        if (written == scale && scale > 0) *--p = '.';
        *--p = static_cast<char>('0' + static_cast<int>(m % 10));
        m /= 10;
        ++written;
    } while (m != 0 || written <= scale);
    if (negative) *--p = '-';
    out.append(p, static_cast<std::size_t>(end - p));
}

void appendJsonString(std::string& out, std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    out.push_back('"');
    std::size_t clean = 0;  // start of the run of bytes that need no escape
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        out.append(text, clean, i - clean);
        clean = i + 1;
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                out += "\\u00";
                out.push_back(hex[c >> 4]);
                out.push_back(hex[c & 0x0F]);
        }
    }
    out.append(text, clean, std::string_view::npos);
    out.push_back('"');
}

}  // namespace metered::detail
