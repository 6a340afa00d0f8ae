// SPDX-License-Identifier: MIT
// Statements and usage events as CSV, for the spreadsheets and ledgers of the people who
// send the invoices and of those who check them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <span>
#include <string>

#include "metered/export.h"
#include "metered/statement.h"
#include "metered/usage_store.h"

namespace metered {

/// The lines of `statements` as CSV (RFC 4180: a header row, CRLF line ends, a field with
/// a comma, a quote or a line break quoted and its quotes doubled), each figure exactly as
/// the statement stated it when closed (its stored document), never priced again.
///
/// Columns: `business_id, cycle_from, cycle_to, currency, plan_id, line, item, quantity,
/// amount` (`cycle_to` the day after the cycle; decimals exact, no thousands separators).
/// Lines of a statement, in this order: `usage` (an event type's usage no charge filter
/// prices: item the type, quantity what its meter counts), `filter` (a charge filter's:
/// item its label, "api_call cloud=aws"), `ai` (rate-card usage: item "llm_call
/// openai/gpt-4o", quantity the calls), `ai_included` (the included amount's credit:
/// quantity the amount included), `commitment` (item "minimum api_call" or "maximum plan",
/// quantity the limit), `fee`; then `total` (their sum), `adjustment` (an earlier cycle's
/// change: item its days "2026-10-01..2026-11-01"), `credit` (prepaid credit drawn, negative:
/// item the grant) and `amount_due` (total + adjustments + credits). Text from the host
/// (plan ids, filter values, grant ids) that a spreadsheet would read as a formula (starting
/// with `=`, `+`, `-`, `@`, a tab or a carriage return) is written with a leading `'`.
METERED_API std::string statementsCsv(std::span<const Statement> statements);

/// What exportEventsCsv wrote: its rows, and how many of them each status has.
struct EventsExport {
    std::int64_t events = 0;      ///< rows: every stored event of the days, voided ones too
    std::int64_t voided = 0;      ///< status `voided`
    std::int64_t amended = 0;     ///< status `amended`
    std::int64_t backfilled = 0;  ///< status `backfilled`
};

/// Writes every stored event of `business` on its local days `days` to `out` as CSV (RFC
/// 4180, as statementsCsv), in the order the events happened, reading `page_size` events at
/// a time (UsageStore::recordedEvents) so that any number of events takes bounded memory;
/// `progress`, when given, is called after each page with the rows written so far. The
/// corrections are read once, first (UsageStore::listCorrections).
///
/// Columns: `business_id, event_id, occurred_at, local_day, event_type, status, quantity,
/// recorded_quantity, unit_price, list_cost, model, parts, dimensions, metadata`:
/// `occurred_at` in UTC with microseconds ("2026-11-01T05:00:00.000000Z"); `status` is
/// `voided`, else `amended` (its quantity or metadata), else `backfilled`
/// (UsageStore::backfill), else `recorded`; `quantity` what the event counts with now (its
/// last amendment's, 0 when voided, so that the column sums to the rollups' quantity per
/// type), `recorded_quantity` as appended; `unit_price` and `list_cost` the list price and
/// cost when it was recorded; `parts` and `dimensions` compact JSON, empty for none;
/// `metadata` the JSON object as last amended. Decimals exact; host text a spreadsheet
/// would read as a formula written with a leading `'` (as statementsCsv). Throws StoreError
/// (the store's, or for a store that does not read events back) and whatever `out` throws.
METERED_API EventsExport exportEventsCsv(UsageStore& store, const BusinessId& business, const DayRange& days,
                                         std::ostream& out, const std::function<void(std::int64_t)>& progress = {},
                                         std::size_t page_size = 10000);

}  // namespace metered
