// SPDX-License-Identifier: MIT
// JSON renderings of reports, in the seed's shapes, with exact numbers.
#pragma once

#include <span>
#include <string>

#include "metered/budget.h"
#include "metered/dimension_usage.h"
#include "metered/export.h"
#include "metered/reports.h"
#include "metered/statement.h"

namespace metered {

/// The seed's `/api/billing/analytics` response:
/// `{"success":true,"data":{"billingUsage":{…},"trends":[…]}}`.
/// Numbers are written exactly (never through binary floating point): quantities with
/// their significant digits (75.5), money with the currency's minor unit (8.31, 5.00).
METERED_API std::string to_json(const BillingAnalytics& analytics, int indent = -1);

/// The seed's `billingUsage` object: `apiCalls`, `minutesUsed`, `cost` and `breakdown`
/// with `apiCalls`, `voiceMinutes`, `aiQueries`, `storage` (each `{count, cost}`), plus
/// one entry named after each host-defined type. `period` gives the days covered:
/// `{from, to (exclusive), timeZone}`. With rate-card usage (LLM calls, transcription,
/// speech): `aiUsage`, one `{type, model, calls, cost, exactAmount, amount}` per (type,
/// model) (`cost`: at the provider's rate card; `amount`: what the plan charges, rounded),
/// and, when the plan includes an amount, `aiIncluded: {includedAmount, amount}` (the
/// credit, zero or negative). With minimums or maximums settled (Bill::commitments):
/// `commitments`, one `{kind, type, limit, charged, amount, from}` each (`type` null for
/// the plan's). `cost` equals the sum of the breakdown, aiUsage amounts, the aiIncluded
/// credit and the commitments' amounts.
METERED_API std::string to_json(const BillingUsage& usage, int indent = -1);

/// The seed's `trends` array: `[{date, apiCalls, voiceMinutes, aiQueries, storageMb, cost}]`,
/// plus a field named after each host-defined type.
METERED_API std::string to_json(std::span<const TrendPoint> trends, int indent = -1);

/// Usage grouped by a dimension: `{dimension, period, groups: [{value, listCost, usage:
/// [{type, quantity, events, listCost}]}]}`; `listCost` is what the recorder priced the
/// events at (see UsageReports::getBillingUsage with a GroupBy).
METERED_API std::string to_json(const GroupedBillingUsage& usage, int indent = -1);

/// Grouped trends: `[{date, groups: [{value, listCost, usage: […]}]}]`, as above.
METERED_API std::string to_json(std::span<const GroupedTrendPoint> trends, int indent = -1);

/// Top values (UsageReports::topValues): `[{value, listCost, usage: […]}]`, as above.
METERED_API std::string to_json(std::span<const GroupedUsage> groups, int indent = -1);

/// A quota check: `{type, used, included, limit, hard, remaining, exceeded, period}`.
METERED_API std::string to_json(const QuotaStatus& status, int indent = -1);

/// A bill with every line in detail (quantity, included, billable, unit price, tiers with
/// their blocks, packages, a percentage line's events and transaction fees, exact and
/// rounded amount), `aiLines` with each (type, model)'s usage per part
/// (`{part, quantity, cost, charge, unitPrice | markupPercent}`), `aiCredit` (or null),
/// `commitments` (as in to_json(BillingUsage)) and the total.
METERED_API std::string to_json(const Bill& bill, int indent = -1);

/// A budget: `{id, businessId, model, amount, thresholdsPercent, kind}` (`model`:
/// "provider/model", or null for the whole business, bytes that are not UTF-8 written as
/// U+FFFD; `amount` exact, per billing cycle; `kind`: "soft" or "hard"), and for a budget on
/// a dimension value only, `dimension`: `{"end_user": "u-42"}`.
METERED_API std::string to_json(const Budget& budget, int indent = -1);

/// Where a budget stands: `{budget, cycle, spent, remaining, percent, crossedThresholds,
/// forecast, exceeded}`. `budget` as to_json(Budget); `cycle`: the billing cycle's days
/// `{from, to (exclusive)}`; `spent` and `remaining` exact (rate-card costs carry more
/// digits than cents), `percent` as computed (2 fractional digits at most), `forecast` with
/// the currency's minor unit (0.30); `crossedThresholds` the thresholds reached, in order.
METERED_API std::string to_json(const BudgetStatus& status, int indent = -1);

/// The statuses of a business's budgets (UsageRecorder::budgetStatus): an array of
/// to_json(BudgetStatus) objects, in order.
METERED_API std::string to_json(std::span<const BudgetStatus> statuses, int indent = -1);

/// A closed statement: `{businessId, cycle: {from, to (exclusive)}, timeZone, planId,
/// currency, total, adjustments: [{cycle, amount}], credits: [{grant, amount}], amountDue,
/// creditBalance, closedAt, billingUsage}`;
/// `billingUsage` is the statement's document
/// (the to_json(BillingUsage) of the cycle when it was closed), its numbers as written there.
METERED_API std::string to_json(const Statement& statement, int indent = -1);

}  // namespace metered
