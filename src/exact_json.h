// SPDX-License-Identifier: MIT
// nlohmann::json with exact decimal numbers in and out (private).
#pragma once

#include <nlohmann/json.hpp>
#include <initializer_list>
#include <string>
#include <string_view>

#include "metered/decimal.h"

namespace metered::detail {

using Json = nlohmann::ordered_json;

/// How deep parseExactJson lets arrays and objects nest by default.
inline constexpr int exact_json_max_depth = 32;

/// Parses JSON keeping key order, with every non-integer number kept as its original
/// digits (so "0.001" is never turned into a binary double; isExactNumber() tells such a
/// number from a string). Throws ValidationError with the JSON path ("plans[0].id", or
/// `what` for the whole text) for malformed text (with the parser's position), a key that
/// appears twice in one object, nesting deeper than `max_depth`, or a string that begins
/// with U+0001 (the marker of exact numbers).
Json parseExactJson(std::string_view text, std::string_view what, int max_depth = exact_json_max_depth);

/// True for a number that parseExactJson or exactNumber() keeps as its digits.
bool isExactNumber(const Json& value);

/// Reads a decimal given as a JSON number or as a string of digits. Throws
/// ValidationError(field, …).
Decimal readDecimal(const Json& value, const std::string& field);

/// A JSON value that dumpExact() writes as a bare number with exactly `value`'s digits.
Json exactNumber(const Decimal& value);

/// Dumps like Json::dump(indent), writing exactNumber() values as numbers. Invalid UTF-8
/// in a string throws, or with `invalid_utf8` replace, is written as U+FFFD.
std::string dumpExact(const Json& document, int indent = -1,
                      Json::error_handler_t invalid_utf8 = Json::error_handler_t::strict);

/// `value` when it is an object; else throws ValidationError(at, "must be a JSON object").
const Json& requireObject(const Json& value, const std::string& at);

/// The string `value` (an exact number is not one); else throws ValidationError(field, …).
std::string readString(const Json& value, const std::string& field);

/// Throws ValidationError("<at>.<key>", "unknown field") for a key of `object` outside
/// `allowed`, so a typo ("unit_prise") is an error, never a silently ignored setting.
void onlyKeys(const Json& object, std::initializer_list<std::string_view> allowed, const std::string& at);

}  // namespace metered::detail
