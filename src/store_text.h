// SPDX-License-Identifier: MIT
// How the database stores write money, days and sums, said once (private).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "metered/usage_store.h"

namespace metered::detail {

/// An amount in currency units as the seed's *_cents columns hold it (×100, exactly).
Decimal toCents(const Decimal& amount);
/// A *_cents column back to currency units (×0.01, exactly).
Decimal fromCents(const Decimal& cents);

/// A local day as the day columns hold it: "2024-03-05".
std::string dayText(date::local_days day);
/// A day column back to a local day; throws StoreError (permanent, naming `store`) for
/// text no store wrote.
date::local_days dayFromText(std::string_view text, std::string_view store);

/// Per-type sums of daily rows (ordered by type): what `totals` answers from `daily`.
std::vector<UsageTotal> sumByType(const std::vector<DailyUsage>& days);

/// A rollup as every store returns it: quantity and list cost without trailing
/// fractional zeros, so that a figure reads the same from every store ("1.51", not
/// "1.5100" from one and "1.51000000" from another).
UsageTotal normalized(UsageTotal total);

}  // namespace metered::detail
