// SPDX-License-Identifier: MIT
#include "schema.h"

#include <array>

#include "../sql_text.h"

namespace metered::detail::sqlite {
namespace {

// Version 1: the PostgreSQL schema's tables and names, with every number as exact
// decimal TEXT (TEXT affinity keeps "0.001" as written; NUMERIC or REAL would not).
constexpr const char* schema_v1 = R"SQL(
CREATE TABLE businesses (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  plan_id TEXT NOT NULL DEFAULT 'basic',
  time_zone TEXT NOT NULL DEFAULT 'UTC',
  anchor_day INTEGER NOT NULL DEFAULT 1 CHECK (anchor_day BETWEEN 1 AND 31),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE TABLE usage_events (
  business_id TEXT NOT NULL REFERENCES businesses(id),
  id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  quantity TEXT NOT NULL,
  unit_price_cents TEXT NOT NULL,
  total_cost_cents TEXT NOT NULL,
  metadata TEXT NOT NULL DEFAULT '{}',
  occurred_at TEXT NOT NULL,
  local_day TEXT NOT NULL,
  processed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  created_at TEXT NOT NULL,
  PRIMARY KEY (business_id, id)
) WITHOUT ROWID;
CREATE INDEX usage_events_business_created ON usage_events (business_id, created_at);
CREATE TABLE usage_daily (
  business_id TEXT NOT NULL,
  day TEXT NOT NULL,
  event_type TEXT NOT NULL,
  quantity TEXT NOT NULL,
  event_count INTEGER NOT NULL,
  list_cost_cents TEXT NOT NULL,
  PRIMARY KEY (business_id, day, event_type)
) WITHOUT ROWID;
CREATE TABLE usage_aggregation (
  business_id TEXT NOT NULL,
  period_start TEXT NOT NULL,
  period_end TEXT NOT NULL,
  event_type TEXT NOT NULL,
  total_quantity TEXT NOT NULL,
  event_count INTEGER NOT NULL,
  total_cost_cents TEXT NOT NULL,
  PRIMARY KEY (business_id, period_start, event_type)
) WITHOUT ROWID;
CREATE TABLE metered_plans (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  currency TEXT NOT NULL,
  minor_units INTEGER NOT NULL,
  rounding TEXT NOT NULL
);
CREATE TABLE usage_quotas (
  plan_id TEXT NOT NULL REFERENCES metered_plans(id) ON DELETE CASCADE,
  event_type TEXT NOT NULL,
  quota_limit TEXT,
  overage_price_cents TEXT NOT NULL,
  included_quantity TEXT NOT NULL,
  position INTEGER NOT NULL,
  unit TEXT NOT NULL,
  pricing_model TEXT NOT NULL,
  tiers TEXT,
  package_size TEXT,
  package_price TEXT,
  quota_hard INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (plan_id, event_type)
);
)SQL";

// Version 2: no per-cycle table (nothing read it; PostgreSQL's usage_aggregation is a
// view of the daily rollup, and the library computes cycles from usage_daily).
constexpr const char* drop_aggregation_v2 = "DROP TABLE usage_aggregation;";

// Version 3: how a plan bills rate-card usage (Plan::ai), the exact JSON of its AiBilling;
// NULL (every plan stored before) bills none.
constexpr const char* plan_ai_billing_v3 = "ALTER TABLE metered_plans ADD COLUMN ai_billing TEXT;";
// Version 4: rate-card events keep their model and parts (exact decimal text in compact
// JSON, see store_text.h), and their parts are summed per day, type, model and part.
constexpr const char* model_rollups_v4 = R"SQL(
ALTER TABLE usage_events ADD COLUMN model TEXT NOT NULL DEFAULT '';
ALTER TABLE usage_events ADD COLUMN parts TEXT;
CREATE TABLE usage_model_rollups (
  business_id TEXT NOT NULL,
  local_day TEXT NOT NULL,
  event_type TEXT NOT NULL,
  model TEXT NOT NULL,
  part TEXT NOT NULL,
  quantity TEXT NOT NULL,
  events INTEGER NOT NULL,
  cost TEXT NOT NULL,
  PRIMARY KEY (business_id, local_day, event_type, model, part)
) WITHOUT ROWID;
)SQL";

// Version 5: budgets (Budget): an amount per billing cycle for a business or one model of
// it; amount as exact decimal text, thresholds as "50,80,100", model NULL for the business.
constexpr const char* budgets_v5 = R"SQL(
CREATE TABLE metered_budgets (
  business_id TEXT NOT NULL REFERENCES businesses(id),
  id TEXT NOT NULL,
  model TEXT,
  amount TEXT NOT NULL,
  thresholds TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('soft', 'hard')),
  PRIMARY KEY (business_id, id)
) WITHOUT ROWID;
)SQL";

// Version 6: budget threshold crossings (BudgetCrossing), each claimed once per (business,
// budget, cycle, threshold) by the append that reaches it; delivered_at NULL until a
// recorder has handed it to its host. Times are microseconds since the Unix epoch.
constexpr const char* budget_crossings_v6 = R"SQL(
CREATE TABLE metered_budget_crossings (
  business_id TEXT NOT NULL,
  budget_id TEXT NOT NULL,
  cycle_start TEXT NOT NULL,
  threshold INTEGER NOT NULL,
  key TEXT NOT NULL UNIQUE,
  cycle_end TEXT NOT NULL,
  amount TEXT NOT NULL,
  spent TEXT NOT NULL,
  crossed_at INTEGER NOT NULL,
  delivered_at INTEGER,
  PRIMARY KEY (business_id, budget_id, cycle_start, threshold)
) WITHOUT ROWID;
CREATE INDEX metered_budget_crossings_pending ON metered_budget_crossings (crossed_at)
  WHERE delivered_at IS NULL;
)SQL";

// Version 7: dimensions. Events keep their dimension values (compact JSON, see
// store_text.h); each event is summed per day, dimension, value and type (list cost in
// currency units as exact decimal text); the values admitted into those rollups per
// business, billing cycle (its first day) and dimension; and the declarations that bound
// them (max_values).
constexpr const char* dimensions_v7 = R"SQL(
ALTER TABLE usage_events ADD COLUMN dimensions TEXT;
CREATE TABLE usage_dimension_rollups (
  business_id TEXT NOT NULL,
  local_day TEXT NOT NULL,
  dimension TEXT NOT NULL,
  value TEXT NOT NULL,
  event_type TEXT NOT NULL,
  quantity TEXT NOT NULL,
  events INTEGER NOT NULL,
  list_cost TEXT NOT NULL,
  PRIMARY KEY (business_id, dimension, local_day, value, event_type)
) WITHOUT ROWID;
CREATE TABLE usage_dimension_values (
  business_id TEXT NOT NULL,
  cycle_start TEXT NOT NULL,
  dimension TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (business_id, cycle_start, dimension, value)
) WITHOUT ROWID;
CREATE TABLE metered_dimensions (
  name TEXT PRIMARY KEY,
  max_length INTEGER NOT NULL,
  max_values INTEGER NOT NULL
);
)SQL";

// Version 8: budgets on one value of a declared dimension (Budget::dimension): its name and
// value, both NULL for a budget on the business or a model.
constexpr const char* dimension_budgets_v8 = R"SQL(
ALTER TABLE metered_budgets ADD COLUMN dimension TEXT;
ALTER TABLE metered_budgets ADD COLUMN dimension_value TEXT;
)SQL";

// Version 9: charge filters: a meter's filters (JSON array, exact decimal strings, as tiers) and a
// dimension's closed set of values (JSON array; NULL: open).
constexpr const char* charge_filters_v9 = R"SQL(
ALTER TABLE usage_quotas ADD COLUMN filters TEXT;
ALTER TABLE metered_dimensions ADD COLUMN closed_values TEXT;
)SQL";

// Version 10: statements, one per (business, cycle), never changed once stored (the
// triggers refuse an UPDATE or a DELETE). total as exact decimal text, closed_at in
// microseconds since the Unix epoch, document the exact JSON as closed.
constexpr const char* statements_v10 = R"SQL(
CREATE TABLE metered_statements (
  business_id TEXT NOT NULL,
  cycle_start TEXT NOT NULL,
  cycle_end TEXT NOT NULL,
  time_zone TEXT NOT NULL,
  plan_id TEXT NOT NULL,
  currency TEXT NOT NULL,
  total TEXT NOT NULL,
  closed_at INTEGER NOT NULL,
  document TEXT NOT NULL,
  PRIMARY KEY (business_id, cycle_start)
) WITHOUT ROWID;
CREATE TRIGGER metered_statements_no_update BEFORE UPDATE ON metered_statements
BEGIN SELECT RAISE(ABORT, 'a statement never changes'); END;
CREATE TRIGGER metered_statements_no_delete BEFORE DELETE ON metered_statements
BEGIN SELECT RAISE(ABORT, 'a statement never changes'); END;
)SQL";

// metered_corrections as version 11 made it and version 13 rebuilt it: the columns after
// kind (whose CHECK version 13 widens), then its index and triggers.
constexpr char corrections_columns_after_kind[] = R"SQL(  event_type TEXT NOT NULL,
  local_day TEXT NOT NULL,
  new_quantity TEXT,
  new_metadata TEXT,
  reason TEXT NOT NULL,
  actor TEXT NOT NULL,
  corrected_at INTEGER NOT NULL,
  quantity_delta TEXT NOT NULL,
  cost_delta TEXT NOT NULL,
  events_delta INTEGER NOT NULL,
  PRIMARY KEY (business_id, event_id, sequence)
) WITHOUT ROWID;
)SQL";
constexpr char corrections_index_and_triggers[] =
    R"SQL(CREATE UNIQUE INDEX metered_corrections_one_void ON metered_corrections (business_id, event_id) WHERE kind = 'void';
CREATE INDEX metered_corrections_day ON metered_corrections (business_id, local_day);
CREATE TRIGGER metered_corrections_no_update BEFORE UPDATE ON metered_corrections
BEGIN SELECT RAISE(ABORT, 'a correction never changes'); END;
CREATE TRIGGER metered_corrections_no_delete BEFORE DELETE ON metered_corrections
BEGIN SELECT RAISE(ABORT, 'a correction never changes'); END;
)SQL";

// Version 11: corrections (Correction): a void or an amendment of a stored event, stored
// beside the event (whose row never changes) with its reason, actor and the deltas its
// rollups were adjusted by; an amendment of metadata keeps the new metadata (its JSON text) (exact decimal text; cost
// in currency units); corrected_at in microseconds since the Unix epoch. One void per event at most (the partial unique
// index); the triggers refuse an UPDATE or a DELETE.
constexpr auto corrections_v11 = sql(R"SQL(
CREATE TABLE metered_corrections (
  business_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  sequence INTEGER NOT NULL,
)SQL",
                                     "  kind TEXT NOT NULL CHECK (kind IN ('void', 'amend', 'metadata')),\n",
                                     corrections_columns_after_kind, corrections_index_and_triggers);

// Version 12: a statement's adjustments of earlier closed cycles (StatementAdjustment), as
// compact JSON of exact decimal text (store_text.h), and the plan that priced it (the JSON
// of a one-plan price book); statements closed before have no adjustments and no plan kept.
constexpr const char* statement_adjustments_v12 = R"SQL(
ALTER TABLE metered_statements ADD COLUMN adjustments TEXT NOT NULL DEFAULT '[]';
ALTER TABLE metered_statements ADD COLUMN pricing TEXT NOT NULL DEFAULT '';
)SQL";

// Version 13: a correction may be a backfill (an event stored on purpose after the fact,
// UsageStore::backfill). SQLite cannot change a CHECK in place: the table is rebuilt with
// the wider CHECK and its rows copied. DROP TABLE drops the old table's triggers before its
// implicit delete, so the no-delete trigger does not fire; the index and triggers are then
// created again on the new table, as version 11 made them.
constexpr auto correction_backfill_v13 = sql(
    R"SQL(
CREATE TABLE metered_corrections_v13 (
  business_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  sequence INTEGER NOT NULL,
)SQL",
    "  kind TEXT NOT NULL CHECK (kind IN ('void', 'amend', 'metadata', 'backfill')),\n", corrections_columns_after_kind,
    R"SQL(INSERT INTO metered_corrections_v13 (business_id, event_id, sequence, kind, event_type, local_day, new_quantity,
  new_metadata, reason, actor, corrected_at, quantity_delta, cost_delta, events_delta)
SELECT business_id, event_id, sequence, kind, event_type, local_day, new_quantity, new_metadata, reason, actor,
  corrected_at, quantity_delta, cost_delta, events_delta FROM metered_corrections;
DROP TABLE metered_corrections;
ALTER TABLE metered_corrections_v13 RENAME TO metered_corrections;
)SQL",
    corrections_index_and_triggers);

// Version 14: prepaid credit grants (CreditGrant), never changed once stored (the triggers
// refuse an UPDATE or a DELETE; amount as exact decimal text, days as "YYYY-MM-DD",
// granted_at in microseconds since the Unix epoch), and what each statement drew from them
// (compact JSON of exact decimal text, store_text.h) with the balance it carried forward.
constexpr const char* credits_v14 = R"SQL(
CREATE TABLE metered_credit_grants (
  business_id TEXT NOT NULL,
  id TEXT NOT NULL,
  amount TEXT NOT NULL,
  currency TEXT NOT NULL,
  effective TEXT NOT NULL,
  expires TEXT,
  priority INTEGER NOT NULL,
  granted_at INTEGER NOT NULL,
  PRIMARY KEY (business_id, id)
) WITHOUT ROWID;
CREATE TRIGGER metered_credit_grants_no_update BEFORE UPDATE ON metered_credit_grants
BEGIN SELECT RAISE(ABORT, 'a credit grant never changes'); END;
CREATE TRIGGER metered_credit_grants_no_delete BEFORE DELETE ON metered_credit_grants
BEGIN SELECT RAISE(ABORT, 'a credit grant never changes'); END;
ALTER TABLE metered_statements ADD COLUMN credits TEXT NOT NULL DEFAULT '[]';
ALTER TABLE metered_statements ADD COLUMN credit_balance TEXT NOT NULL DEFAULT '0';
)SQL";

// Version 15: later versions of plans (Plan::effective; the version as a one-plan price
// book's JSON, its currency beside it for the one-currency rule) and the plan changes of
// businesses (PlanChange), never changed once stored. Days as "YYYY-MM-DD".
constexpr const char* plan_versions_v15 = R"SQL(
CREATE TABLE metered_plan_versions (
  plan_id TEXT NOT NULL,
  effective TEXT NOT NULL,
  currency TEXT NOT NULL,
  minor_units INTEGER NOT NULL,
  plan TEXT NOT NULL,
  PRIMARY KEY (plan_id, effective)
) WITHOUT ROWID;
CREATE TABLE metered_plan_changes (
  business_id TEXT NOT NULL,
  effective TEXT NOT NULL,
  plan_id TEXT NOT NULL,
  changed_at INTEGER NOT NULL,
  PRIMARY KEY (business_id, effective)
) WITHOUT ROWID;
CREATE TRIGGER metered_plan_changes_no_update BEFORE UPDATE ON metered_plan_changes
BEGIN SELECT RAISE(ABORT, 'a plan change never changes'); END;
CREATE TRIGGER metered_plan_changes_no_delete BEFORE DELETE ON metered_plan_changes
BEGIN SELECT RAISE(ABORT, 'a plan change never changes'); END;
)SQL";

// Version 16: a meter's options beyond its model (package rounding, the first tier's fee at
// zero usage, a fee per transaction, a minimum and a maximum per cycle) and a plan's minimum
// and maximum per cycle, as JSON objects of exact decimal strings; NULL: the defaults.
constexpr const char* charge_options_v16 = R"SQL(
ALTER TABLE usage_quotas ADD COLUMN charge_options TEXT;
ALTER TABLE metered_plans ADD COLUMN commitments TEXT;
)SQL";

// Version 17: level rollups (DailyLevel), one row per (business, level type, local day),
// first_at and last_at in microseconds since the Unix epoch; the reports of a day are found
// by the partial index (level types only: names ending in "_level").
constexpr const char* level_rollups_v17 = R"SQL(
CREATE TABLE usage_level_rollups (
  business_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  local_day TEXT NOT NULL,
  first_at INTEGER NOT NULL,
  last_at INTEGER NOT NULL,
  closing TEXT NOT NULL,
  peak TEXT NOT NULL,
  held TEXT NOT NULL,
  reports INTEGER NOT NULL,
  PRIMARY KEY (business_id, event_type, local_day)
) WITHOUT ROWID;
CREATE INDEX usage_events_level_reports ON usage_events (business_id, event_type, local_day)
  WHERE event_type LIKE '%\_level' ESCAPE '\';
)SQL";

constexpr std::array<Migration, 17> all_migrations{{
    {1, "the PostgreSQL schema's tables, numbers as exact decimal text", schema_v1},
    {2, "no per-cycle table", drop_aggregation_v2},
    {3, "how a plan bills rate-card usage", plan_ai_billing_v3},
    {4, "model and parts of rate-card events, per-model rollups", model_rollups_v4},
    {5, "budgets", budgets_v5},
    {6, "budget threshold crossings", budget_crossings_v6},
    {7, "dimensions: event values, rollups per value, admitted values, declarations", dimensions_v7},
    {8, "budgets on one dimension value", dimension_budgets_v8},
    {9, "charge filters: a meter's filters, a dimension's closed set of values", charge_filters_v9},
    {10, "statements", statements_v10},
    {11, "corrections: voids and amendments of stored events", corrections_v11},
    {12, "statements: adjustments of earlier closed cycles, the plan that priced them", statement_adjustments_v12},
    {13, "corrections: backfills", correction_backfill_v13},
    {14, "prepaid credit grants; what statements draw from them", credits_v14},
    {15, "later versions of plans; plan changes of businesses", plan_versions_v15},
    {16, "a meter's charge options, minimum and maximum; a plan's minimum and maximum", charge_options_v16},
    {17, "level rollups: a level type's reports per day", level_rollups_v17},
}};

}  // namespace

std::span<const Migration> migrations() { return all_migrations; }

}  // namespace metered::detail::sqlite
