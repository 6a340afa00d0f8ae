// SPDX-License-Identifier: MIT
#include "metered/errors.h"

#include <fmt/format.h>

#include "untrusted_text.h"
#include "utf8.h"

namespace metered {

Error::Error(const std::string& what) : std::runtime_error(detail::toValidUtf8(what)) {}

Error::Error(const char* what) : Error(std::string(what)) {}

ValidationError::ValidationError(std::string_view field, std::string_view problem)
    : Error(fmt::format("invalid {}: {}", field, problem)), field_(detail::toValidUtf8(field)) {}

StoreError::StoreError(const std::string& message, bool transient, std::string sqlstate)
    : Error(message), transient_(transient), sqlstate_(std::move(sqlstate)) {}

BudgetExceededError::BudgetExceededError(std::string budget_id, const Decimal& amount, const Decimal& spent)
    : Error(fmt::format("budget {} exceeded: spent {} of {}", detail::quoted(budget_id), spent.toPlainString(),
                        amount.toPlainString())),
      budget_id_(std::move(budget_id)),
      amount_(amount),
      spent_(spent) {}

}  // namespace metered
