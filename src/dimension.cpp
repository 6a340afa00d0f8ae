// SPDX-License-Identifier: MIT
#include "metered/dimension.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "metered/errors.h"
#include "untrusted_text.h"
#include "utf8.h"

namespace metered {

bool isDimensionName(std::string_view name) noexcept {
    if (name.empty() || name.size() > 32 || name.front() < 'a' || name.front() > 'z') return false;
    for (const char c : name) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    }
    return true;
}

void Dimension::validate() const {
    const std::string at = "dimensions." + detail::clipped(name);
    if (!isDimensionName(name)) throw ValidationError(at, "a dimension name must match [a-z][a-z0-9_]{0,31}");
    if (name == model_dimension) throw ValidationError(at, "'model' is built in (the rate card's model); not declared");
    if (max_length < 1 || max_length > max_value_bytes) {
        throw ValidationError(at + ".max_length", fmt::format("must be an integer between 1 and {}", max_value_bytes));
    }
    if (max_values < 1 || max_values > max_values_limit) {
        throw ValidationError(at + ".max_values", fmt::format("must be an integer between 1 and {}", max_values_limit));
    }
    if (values.size() > static_cast<std::size_t>(max_values_limit)) {
        throw ValidationError(at + ".values", fmt::format("more than {} values", max_values_limit));
    }
    std::set<std::string_view> seen;
    for (std::size_t i = 0; i < values.size(); ++i) {
        const std::string& value = values[i];
        const std::string field = at + ".values[" + std::to_string(i) + "]";
        if (value.empty()) throw ValidationError(field, "must not be empty");
        if (value.size() > static_cast<std::size_t>(max_length)) {
            throw ValidationError(field, fmt::format("longer than max_length ({} bytes)", max_length));
        }
        if (!detail::isStorableText(value)) throw ValidationError(field, "is not valid UTF-8 without U+0000");
        if (value == dimension_overflow_value) {
            throw ValidationError(field,
                                  detail::quoted(dimension_overflow_value) + " is reserved for values past max_values");
        }
        if (!seen.insert(value).second) throw ValidationError(field, detail::quoted(value, 64) + " is given twice");
    }
    if (static_cast<std::size_t>(max_values) < values.size()) {
        throw ValidationError(at + ".max_values",
                              fmt::format("must be at least the number of values ({})", values.size()));
    }
}

bool Dimension::admits(std::string_view value) const noexcept {
    return values.empty() || std::find(values.begin(), values.end(), value) != values.end();
}

}  // namespace metered
