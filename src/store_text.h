// SPDX-License-Identifier: MIT
// How the database stores write money, days and sums, said once (private).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "metered/model_usage.h"

#include "metered/usage_store.h"

namespace metered::detail {

/// A budget's thresholds as the thresholds column holds them: "50,80,100" ("" for none).
std::string thresholdsText(const std::vector<int>& thresholds);
/// A budget row back to a Budget (amount as exact decimal text; a dimension budget has
/// both `dimension` and `dimension_value`); throws StoreError
/// (permanent, naming `store`) for a row no store wrote.
Budget budgetFromRow(std::string_view business, std::string_view id, std::optional<std::string_view> model,
                     std::string_view amount, std::string_view thresholds, std::string_view kind,
                     std::string_view store, std::optional<std::string_view> dimension = std::nullopt,
                     std::optional<std::string_view> dimension_value = std::nullopt);

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

/// A rate-card event's parts as the parts columns hold them: compact JSON of exact decimal
/// text, `[["input","1200","0.003"],["requests","1","0"]]` (part name, quantity, cost);
/// "" for no parts.
std::string partsText(std::span<const PricedPart> parts);
/// A parts column back to parts; throws StoreError (permanent, naming `store`) for text no
/// store wrote.
std::vector<PricedPart> partsFromText(std::string_view text, std::string_view store);

/// An event's dimensions as the dimensions columns hold them: a compact JSON object in
/// name order, `{"end_user":"u-42","feature":"search"}`; "" for none.
std::string dimensionsText(const std::vector<EventDimension>& dimensions);
/// A dimensions column back to dimensions, sorted by name (whatever order a database keeps
/// an object's keys in); throws StoreError (permanent, naming `store`) for text no store wrote.
std::vector<EventDimension> dimensionsFromText(std::string_view text, std::string_view store);

/// A statement's adjustments as the adjustments columns hold them: compact JSON of exact
/// decimal text, `[["2026-10-01","2026-11-01","-1.5"]]` (cycle's first day, its end,
/// amount), oldest cycle first; "[]" for none.
std::string adjustmentsText(const std::vector<StatementAdjustment>& adjustments);
/// An adjustments column back to adjustments; throws StoreError (permanent, naming
/// `store`) for text no store wrote.
std::vector<StatementAdjustment> adjustmentsFromText(std::string_view text, std::string_view store);

/// A statement's credit lines as the credits columns hold them: compact JSON of exact
/// decimal text, `[["promo-2024","1.5"]]` (grant id, amount), in drawing order; "[]" for none.
std::string creditsText(const std::vector<CreditApplied>& credits);
/// A credits column back to credit lines; throws StoreError (permanent, naming `store`)
/// for text no store wrote.
std::vector<CreditApplied> creditsFromText(std::string_view text, std::string_view store);

/// The first day of the billing cycle a dimension value is admitted in: the cycle of an
/// account with `anchor_day` that contains `day`.
date::local_days admissionCycle(date::local_days day, int anchor_day);

/// A dimension rollup as every store returns it: quantity and list cost without trailing
/// fractional zeros.
DailyDimensionUsage normalized(DailyDimensionUsage row);
/// Sorts dimension rollup rows by day, then value (bytewise) and type, whatever order a
/// database returned them in.
void sortDimensionDaily(std::vector<DailyDimensionUsage>& rows);
/// Per-(value, type) sums of daily rows, in that order: what `dimensionTotals` answers.
std::vector<DimensionUsageTotal> sumByDimension(const std::vector<DailyDimensionUsage>& days);

/// What a model rollup row is keyed by within a business and day.
using ModelKey = std::tuple<EventType, std::string, UsagePart>;
inline ModelKey modelKey(const ModelUsageTotal& total) { return {total.type, total.model, total.part}; }

/// A model rollup as every store returns it: quantity and cost without trailing
/// fractional zeros.
ModelUsageTotal normalized(ModelUsageTotal total);

/// Sorts model rollup rows by day, then type, model (bytewise) and part (UsagePart order),
/// whatever order a database returned them in.
void sortModelDaily(std::vector<DailyModelUsage>& rows);

/// Per-(type, model, part) sums of daily rows, in that order: what `modelTotals` answers
/// from `modelDaily`.
std::vector<ModelUsageTotal> sumByModel(const std::vector<DailyModelUsage>& days);

}  // namespace metered::detail
