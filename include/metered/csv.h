// SPDX-License-Identifier: MIT
// Statements as CSV, for the spreadsheets and ledgers of the people who send the invoices.
#pragma once

#include <span>
#include <string>

#include "metered/export.h"
#include "metered/statement.h"

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

}  // namespace metered
