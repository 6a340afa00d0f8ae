// SPDX-License-Identifier: MIT
#include "metered/dimension.h"

#include <fmt/format.h>

#include "metered/errors.h"
#include "untrusted_text.h"

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
}

}  // namespace metered
