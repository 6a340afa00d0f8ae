// SPDX-License-Identifier: MIT
// nlohmann::json with exact decimal numbers in and out (private).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "metered/decimal.h"

namespace metered::detail {

using Json = nlohmann::ordered_json;

/// Parses JSON keeping key order, with every non-integer number kept as the string of its
/// original digits (so "0.001" is never turned into a binary double). Throws
/// ValidationError(what, …) with the parser's position for malformed text.
Json parseExactJson(std::string_view text, std::string_view what);

/// Reads a decimal given as a JSON integer or as a string of digits (as parseExactJson
/// leaves fractional numbers). Throws ValidationError(field, …).
Decimal readDecimal(const Json& value, const std::string& field);

/// A JSON value that dumpExact() writes as a bare number with exactly `value`'s digits.
Json exactNumber(const Decimal& value);

/// Dumps like Json::dump(indent), writing exactNumber() values as numbers.
std::string dumpExact(const Json& document, int indent = -1);

}  // namespace metered::detail
