// SPDX-License-Identifier: MIT
// The text of values without temporaries, for the stores' hot paths (private). Each
// value type writes its own (decimal.cpp, ids.cpp, time.cpp); JSON strings here.
#pragma once

#include <date/date.h>

#include <optional>
#include <string>
#include <string_view>

#include "metered/decimal.h"
#include "metered/ids.h"
#include "metered/time.h"

namespace metered::detail {

/// "2024-03-05".
std::string isoDay(date::local_days day);
/// "2024-03-05 12:00:00.000001+00" (PostgreSQL's input form) when `postgres`, else
/// "2024-03-05T12:00:00.000001Z".
std::string isoTimestamp(Timestamp t, bool postgres = false);
/// Reads back isoTimestamp(t) (the "T…Z" form, six fractional digits); nothing for other text.
std::optional<Timestamp> parseIsoTimestamp(std::string_view text) noexcept;
/// Appends the canonical 8-4-4-4-12 form of `id`.
void appendUuid(std::string& out, const Uuid& id);
/// Appends Decimal::toString() of `value` without a temporary string.
void appendDecimal(std::string& out, const Decimal& value);
/// Appends isoTimestamp(t, postgres) without a temporary string.
void appendIsoTimestamp(std::string& out, Timestamp t, bool postgres);

/// Appends the two-character escape of a backslash, newline, carriage return or tab (what
/// JSON strings, COPY text and quoted messages all write the same way); false, appending
/// nothing, for any other byte.
inline bool appendCommonEscape(std::string& out, char c) {
    switch (c) {
        case '\\':
            out += "\\\\";
            return true;
        case '\n':
            out += "\\n";
            return true;
        case '\r':
            out += "\\r";
            return true;
        case '\t':
            out += "\\t";
            return true;
        default:
            return false;
    }
}

/// Appends `text` (valid UTF-8) as a JSON string, quotes included, escaped exactly as
/// nlohmann::json::dump() escapes it (tests compare the two).
void appendJsonString(std::string& out, std::string_view text);

}  // namespace metered::detail
