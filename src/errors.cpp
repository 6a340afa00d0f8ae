// SPDX-License-Identifier: MIT
#include "metered/errors.h"

#include <fmt/format.h>

namespace metered {

ValidationError::ValidationError(std::string_view field, std::string_view problem)
    : Error(fmt::format("invalid {}: {}", field, problem)), field_(field) {}

StoreError::StoreError(std::string message, bool transient, std::string sqlstate)
    : Error(std::move(message)), transient_(transient), sqlstate_(std::move(sqlstate)) {}

}  // namespace metered
