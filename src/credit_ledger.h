// SPDX-License-Identifier: MIT
// How statements draw prepaid credit: the drawing order and what is left (private).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "metered/credit.h"
#include "metered/statement.h"

namespace metered::detail {

/// What is left of each grant (by id) after the credit lines of `statements`.
std::map<std::string, Decimal> creditLeft(const std::vector<CreditGrant>& grants,
                                          const std::vector<Statement>& statements);

/// Draws up to `owed` for a statement of `cycle` in `currency` from the grants in that
/// currency in effect on at least one day of the cycle, in drawing order (earliest expiry
/// first, grants that never expire last; then lower priority, earlier effective day, id),
/// each from what `left` says it holds (updated). Nothing for `owed` ≤ 0.
std::vector<CreditApplied> drawCredit(const std::vector<CreditGrant>& grants, std::map<std::string, Decimal>& left,
                                      const DayRange& cycle, std::string_view currency, const Decimal& owed);

/// What the grants in `currency` in effect on `day` hold, after `left`.
Decimal creditOn(const std::vector<CreditGrant>& grants, const std::map<std::string, Decimal>& left,
                 date::local_days day, std::string_view currency);

}  // namespace metered::detail
