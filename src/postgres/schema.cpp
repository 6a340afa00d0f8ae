// SPDX-License-Identifier: MIT
#include "schema.h"

#include <array>
#include <string>

namespace metered::detail::pg {
namespace {

// Version 1: the seed's tables, made exact and idempotent, with rollups.
// Every key and index leads with the business, so the schema distributes by business_id
// (Citus: distribute usage_events, usage_daily and usage_aggregation on business_id,
// businesses on id; metered_plans and usage_quotas are reference tables).
constexpr const char* schema_v1 = R"SQL(
-- The seed's businesses table (kept if the host already has one), with billing settings.
CREATE TABLE IF NOT EXISTS businesses (
  id uuid PRIMARY KEY,
  name text NOT NULL
);
ALTER TABLE businesses
  ADD COLUMN IF NOT EXISTS plan_id text NOT NULL DEFAULT 'basic',
  ADD COLUMN IF NOT EXISTS time_zone text NOT NULL DEFAULT 'UTC',
  ADD COLUMN IF NOT EXISTS anchor_day smallint NOT NULL DEFAULT 1 CHECK (anchor_day BETWEEN 1 AND 31),
  ADD COLUMN IF NOT EXISTS created_at timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN IF NOT EXISTS updated_at timestamptz NOT NULL DEFAULT now();

-- One row per recorded event: the seed's columns, NUMERIC so $0.001 and fractions of a
-- cent are exact. unit_price_cents and total_cost_cents are the list price and
-- quantity x list price in hundredths of the currency unit (before allowances).
-- created_at is when the usage happened (as in the seed, where it was recorded at once);
-- processed_at is when the store received it.
CREATE TABLE usage_events (
  business_id uuid NOT NULL REFERENCES businesses(id),
  id uuid NOT NULL,
  event_type varchar(50) NOT NULL,
  quantity numeric NOT NULL CHECK (quantity >= 0),
  unit_price_cents numeric NOT NULL CHECK (unit_price_cents >= 0),
  total_cost_cents numeric NOT NULL CHECK (total_cost_cents >= 0),
  metadata jsonb NOT NULL DEFAULT '{}',
  occurred_at timestamptz NOT NULL,
  local_day date NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (business_id, id)
);
CREATE INDEX usage_events_business_created ON usage_events (business_id, created_at);

-- Per local day of the business: what reads and trends use.
CREATE TABLE usage_daily (
  business_id uuid NOT NULL,
  day date NOT NULL,
  event_type varchar(50) NOT NULL,
  quantity numeric NOT NULL,
  event_count bigint NOT NULL,
  list_cost_cents numeric NOT NULL,
  PRIMARY KEY (business_id, day, event_type)
);

-- Per billing cycle of the business (the seed's usage_aggregation).
CREATE TABLE usage_aggregation (
  business_id uuid NOT NULL,
  period_start date NOT NULL,
  period_end date NOT NULL,
  event_type varchar(50) NOT NULL,
  total_quantity numeric NOT NULL,
  event_count bigint NOT NULL,
  total_cost_cents numeric NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (business_id, period_start, event_type)
);

-- Plans and their meters (the seed's usage_quotas, one row per plan and event type).
-- overage_price_cents is the unit price above the allowance in hundredths of the
-- currency unit; tiers hold exact decimal strings in currency units.
CREATE TABLE metered_plans (
  id text PRIMARY KEY,
  name text NOT NULL,
  currency char(3) NOT NULL,
  minor_units smallint NOT NULL,
  rounding text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE usage_quotas (
  plan_id text NOT NULL REFERENCES metered_plans(id) ON DELETE CASCADE,
  event_type varchar(50) NOT NULL,
  quota_limit numeric,
  overage_price_cents numeric NOT NULL,
  included_quantity numeric NOT NULL,
  position smallint NOT NULL DEFAULT 0,
  unit text NOT NULL DEFAULT '',
  pricing_model text NOT NULL DEFAULT 'per_unit',
  tiers jsonb,
  package_size numeric,
  package_price numeric,
  quota_hard boolean NOT NULL DEFAULT false,
  PRIMARY KEY (plan_id, event_type)
);

-- The billing cycle containing a local day, for an anchor day of month (1-31; clamped
-- to the month's last day): the same rule as BillingPeriod::cycleContaining.
CREATE FUNCTION metered_anchor_in(month_start date, anchor integer) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT month_start + (least(anchor, extract(day FROM (month_start + interval '1 month - 1 day'))::integer) - 1)
$$;
CREATE FUNCTION metered_cycle_start(day date, anchor integer) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN day >= metered_anchor_in(m, anchor) THEN metered_anchor_in(m, anchor)
              ELSE metered_anchor_in((m - interval '1 month')::date, anchor) END
  FROM (SELECT date_trunc('month', day::timestamp)::date AS m) s
$$;
CREATE FUNCTION metered_cycle_end(day date, anchor integer) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT metered_anchor_in((date_trunc('month', metered_cycle_start(day, anchor)::timestamp) + interval '1 month')::date,
                           anchor)
$$;

-- The seed's view: each business's usage this calendar month (in its own time zone),
-- from the daily rollup. total_cost is the list-price cost in currency units, before
-- included quantities; the bill (getBillingUsage) is net of them.
CREATE VIEW billing_overview AS
SELECT b.id AS business_id,
       b.name AS business_name,
       coalesce(sum(d.quantity) FILTER (WHERE d.event_type = 'api_call'), 0) AS api_calls,
       coalesce(sum(d.quantity) FILTER (WHERE d.event_type = 'voice_minute'), 0) AS voice_minutes,
       coalesce(sum(d.quantity) FILTER (WHERE d.event_type = 'ai_query'), 0) AS ai_queries,
       coalesce(sum(d.quantity) FILTER (WHERE d.event_type = 'storage_mb'), 0) AS storage_mb,
       coalesce(sum(d.list_cost_cents), 0) * 0.01 AS total_cost,  -- exact, unlike a division
       p.period_start,
       p.period_end
FROM businesses b
CROSS JOIN LATERAL (
  SELECT date_trunc('month', now() AT TIME ZONE b.time_zone)::date AS period_start,
         (date_trunc('month', now() AT TIME ZONE b.time_zone) + interval '1 month')::date AS period_end
) p
LEFT JOIN usage_daily d ON d.business_id = b.id AND d.day >= p.period_start AND d.day < p.period_end
GROUP BY b.id, b.name, p.period_start, p.period_end;
)SQL";

// Version 2: the cycle functions as single expressions, which PostgreSQL inlines into
// the append statement (the version 1 bodies, with a FROM clause, ran as a function call
// per row: a fifth of a batch's execution time).
constexpr const char* inline_cycles_v2 = R"SQL(
CREATE OR REPLACE FUNCTION metered_cycle_start(day date, anchor integer) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN day >= metered_anchor_in(date_trunc('month', day::timestamp)::date, anchor)
              THEN metered_anchor_in(date_trunc('month', day::timestamp)::date, anchor)
              ELSE metered_anchor_in((date_trunc('month', day::timestamp) - interval '1 month')::date, anchor) END
$$;
CREATE OR REPLACE FUNCTION metered_cycle_end(day date, anchor integer) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT metered_anchor_in((date_trunc('month', metered_cycle_start(day, anchor)::timestamp) + interval '1 month')::date,
                           anchor)
$$;
)SQL";

// Version 3: usage_aggregation becomes a view of usage_daily grouped by each business's
// billing cycle. It can never drift from the daily rollup, follows a changed anchor day,
// and costs ingest nothing (maintaining it was a second upsert in every batch).
constexpr const char* aggregation_view_v3 = R"SQL(
DROP TABLE usage_aggregation;
CREATE VIEW usage_aggregation AS
SELECT d.business_id,
       metered_cycle_start(d.day, b.anchor_day) AS period_start,
       metered_cycle_end(d.day, b.anchor_day) AS period_end,
       d.event_type,
       sum(d.quantity) AS total_quantity,
       sum(d.event_count) AS event_count,
       sum(d.list_cost_cents) AS total_cost_cents
FROM usage_daily d JOIN businesses b ON b.id = d.business_id
GROUP BY d.business_id, period_start, period_end, d.event_type;
)SQL";

// Version 4: the bound every store keeps on a day's rollup (see event_checks.h), so that
// no accepted event can make a period's total unrepresentable. NOT VALID: rows written
// before it are not rechecked; every insert and update is.
constexpr const char* rollup_bounds_v4 = R"SQL(
ALTER TABLE usage_daily ADD CONSTRAINT usage_daily_bounds
  CHECK (quantity <= 1000000000000000 AND list_cost_cents <= 1000000000000000) NOT VALID;
)SQL";

// Version 5: how a plan bills rate-card usage (Plan::ai), the exact JSON of its AiBilling
// as text (kept byte for byte, like the decimals); NULL (every plan stored before) bills none.
constexpr const char* plan_ai_billing_v5 = "ALTER TABLE metered_plans ADD COLUMN ai_billing text;";
// Version 6: rate-card events keep their model and parts (compact JSON of exact decimal
// text, see store_text.h; NULL for other events), and their parts are summed per local
// day, type, model and part in the same transaction as the events. cost is in currency
// units (not cents), like the parts. Adding columns with a constant default rewrites nothing.
constexpr const char* model_rollups_v6 = R"SQL(
ALTER TABLE usage_events
  ADD COLUMN model text NOT NULL DEFAULT '',
  ADD COLUMN parts text;
CREATE TABLE usage_model_rollups (
  business_id uuid NOT NULL,
  local_day date NOT NULL,
  event_type varchar(50) NOT NULL,
  model text NOT NULL,
  part text NOT NULL,
  quantity numeric NOT NULL,
  events bigint NOT NULL,
  cost numeric NOT NULL,
  PRIMARY KEY (business_id, local_day, event_type, model, part),
  CONSTRAINT usage_model_rollups_bounds CHECK (quantity <= 1000000000000000 AND cost <= 10000000000000)
);
)SQL";

// Version 7: budgets (Budget): an amount per billing cycle for a business or one model of
// it. Deleting a business deletes its budgets.
constexpr const char* budgets_v7 = R"SQL(
CREATE TABLE metered_budgets (
  business_id uuid NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
  id text NOT NULL,
  model text,
  amount numeric NOT NULL CHECK (amount > 0),
  thresholds text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('soft', 'hard')),
  PRIMARY KEY (business_id, id)
);
)SQL";

// Version 8: budget threshold crossings (BudgetCrossing), each claimed once per (business,
// budget, cycle, threshold) by the append that reaches it; delivered_at NULL until a
// recorder has handed it to its host. crossed_at in microseconds since the Unix epoch.
constexpr const char* budget_crossings_v8 = R"SQL(
CREATE TABLE metered_budget_crossings (
  business_id uuid NOT NULL,
  budget_id text NOT NULL,
  cycle_start date NOT NULL,
  threshold integer NOT NULL,
  key text NOT NULL UNIQUE,
  cycle_end date NOT NULL,
  amount numeric NOT NULL,
  spent numeric NOT NULL,
  crossed_at bigint NOT NULL,
  delivered_at timestamptz,
  PRIMARY KEY (business_id, budget_id, cycle_start, threshold)
);
CREATE INDEX metered_budget_crossings_pending ON metered_budget_crossings (crossed_at)
  WHERE delivered_at IS NULL;
)SQL";

// metered_add_to_dimension_rollups as version 9 made it and version 10 remade it: its
// parameters, its admission loop and its rollup upsert are the same in both; what a value
// needs to be admitted, and the comment saying so, differ.
constexpr char rollups_function_signature[] = R"SQL(p_business uuid[], p_day date[], p_dimension text[], p_value text[],
                                                 p_type text[], p_quantity numeric[], p_cost numeric[])
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  r record;
  n integer;
  bound integer;
BEGIN
)SQL";
constexpr char rollups_admission_loop[] = R"SQL(  FOR r IN
    SELECT DISTINCT e.business_id, metered_cycle_start(e.local_day, b.anchor_day) AS cycle_start, e.dimension, e.value
    FROM unnest(p_business, p_day, p_dimension, p_value) AS e(business_id, local_day, dimension, value)
    JOIN businesses b ON b.id = e.business_id
    ORDER BY 1, 2, 3, 4
  LOOP
    CONTINUE WHEN EXISTS (SELECT 1 FROM usage_dimension_values v WHERE v.business_id = r.business_id
                          AND v.cycle_start = r.cycle_start AND v.dimension = r.dimension AND v.value = r.value);
    INSERT INTO usage_dimension_cycles AS c (business_id, cycle_start, dimension, admitted)
    VALUES (r.business_id, r.cycle_start, r.dimension, 0)
    ON CONFLICT (business_id, cycle_start, dimension) DO UPDATE SET admitted = c.admitted
    RETURNING c.admitted INTO n;
    -- Locked: admitted meanwhile by a transaction that held the lock before?
    CONTINUE WHEN EXISTS (SELECT 1 FROM usage_dimension_values v WHERE v.business_id = r.business_id
                          AND v.cycle_start = r.cycle_start AND v.dimension = r.dimension AND v.value = r.value);
    SELECT coalesce((SELECT d.max_values FROM metered_dimensions d WHERE d.name = r.dimension), 1000) INTO bound;
)SQL";
constexpr char rollups_admit_and_add[] =
    R"SQL(      INSERT INTO usage_dimension_values (business_id, cycle_start, dimension, value)
      VALUES (r.business_id, r.cycle_start, r.dimension, r.value);
      UPDATE usage_dimension_cycles c SET admitted = c.admitted + 1
      WHERE c.business_id = r.business_id AND c.cycle_start = r.cycle_start AND c.dimension = r.dimension;
    END IF;
  END LOOP;
  INSERT INTO usage_dimension_rollups AS d (business_id, dimension, local_day, value, event_type, quantity, events,
                                            list_cost)
  SELECT g.business_id, g.dimension, g.local_day, g.value, g.event_type, g.quantity, g.events, g.list_cost
  FROM (SELECT e.business_id, e.dimension, e.local_day,
               CASE WHEN v.value IS NULL THEN '(other)' ELSE e.value END AS value, e.event_type,
               sum(e.quantity) AS quantity, count(*) AS events, sum(e.cost) AS list_cost
        FROM unnest(p_business, p_day, p_dimension, p_value, p_type, p_quantity, p_cost)
             AS e(business_id, local_day, dimension, value, event_type, quantity, cost)
        JOIN businesses b ON b.id = e.business_id
        LEFT JOIN usage_dimension_values v
          ON v.business_id = e.business_id AND v.cycle_start = metered_cycle_start(e.local_day, b.anchor_day)
         AND v.dimension = e.dimension AND v.value = e.value
        GROUP BY 1, 2, 3, 4, 5) g
  ORDER BY g.business_id, g.dimension, g.local_day, g.value, g.event_type
  ON CONFLICT (business_id, dimension, local_day, value, event_type) DO UPDATE
     SET quantity = d.quantity + EXCLUDED.quantity,
         events = d.events + EXCLUDED.events,
         list_cost = d.list_cost + EXCLUDED.list_cost;
  RETURN 1;
END
$$;
)SQL";

// Version 9: dimensions. Events keep their dimension values (jsonb, NULL for none); each
// event is summed per business, dimension, local day, value and type (list cost in
// currency units); the values admitted into those rollups per business, billing cycle
// (its first day, metered_cycle_start) and dimension, with a row per cycle and dimension
// that counts them and serialises admissions across processes; the declarations that
// bound them. metered_add_to_dimension_rollups admits and adds one batch's dimension
// values (one entry per event and dimension), in the appending transaction.
constexpr auto dimensions_v9 =
    sql(R"SQL(
ALTER TABLE usage_events ADD COLUMN dimensions jsonb;
CREATE TABLE usage_dimension_rollups (
  business_id uuid NOT NULL,
  dimension text NOT NULL,
  local_day date NOT NULL,
  value text NOT NULL,
  event_type varchar(50) NOT NULL,
  quantity numeric NOT NULL,
  events bigint NOT NULL,
  list_cost numeric NOT NULL,
  PRIMARY KEY (business_id, dimension, local_day, value, event_type)
);
CREATE TABLE usage_dimension_cycles (
  business_id uuid NOT NULL,
  cycle_start date NOT NULL,
  dimension text NOT NULL,
  admitted integer NOT NULL,
  PRIMARY KEY (business_id, cycle_start, dimension)
);
CREATE TABLE usage_dimension_values (
  business_id uuid NOT NULL,
  cycle_start date NOT NULL,
  dimension text NOT NULL,
  value text NOT NULL,
  PRIMARY KEY (business_id, cycle_start, dimension, value)
);
CREATE TABLE metered_dimensions (
  name text PRIMARY KEY,
  max_length integer NOT NULL,
  max_values integer NOT NULL
);
CREATE FUNCTION metered_add_to_dimension_rollups()SQL",
        rollups_function_signature,
        "  -- Admit each new value while its cycle has room, in key order (the order rows are locked in).\n",
        rollups_admission_loop, "    IF n < bound THEN\n", rollups_admit_and_add);

// Version 10: budgets on one value of a declared dimension (Budget::dimension): its name and
// value, both NULL for a budget on the business or a model; metered_add_to_dimension_rollups
// now admits a value that has a budget even past max_values, so overflow never hides
// budgeted spend.
constexpr auto dimension_budgets_v10 =
    sql(R"SQL(
ALTER TABLE metered_budgets ADD COLUMN dimension text, ADD COLUMN dimension_value text;
CREATE OR REPLACE FUNCTION metered_add_to_dimension_rollups()SQL",
        rollups_function_signature,
        "  -- Admit each new value while its cycle has room (or it has a budget), in key order (the order rows are "
        "locked in).\n",
        rollups_admission_loop,
        "    -- A value with a budget on it is always admitted (its budget's spend is read from here).\n"
        "    IF n < bound OR EXISTS (SELECT 1 FROM metered_budgets g WHERE g.business_id = r.business_id\n"
        "                            AND g.dimension = r.dimension AND g.dimension_value = r.value) THEN\n",
        rollups_admit_and_add);

// Version 11: charge filters: a meter's filters (JSON array, exact decimal strings, as tiers) and a
// dimension's closed set of values (JSON array; NULL: open).
constexpr const char* charge_filters_v11 = R"SQL(
ALTER TABLE usage_quotas ADD COLUMN filters jsonb;
ALTER TABLE metered_dimensions ADD COLUMN closed_values jsonb;
)SQL";

// Version 12: statements, one per (business, cycle), never changed once stored (the
// trigger refuses an UPDATE or a DELETE). closed_at in microseconds since the Unix epoch,
// document the exact JSON as closed.
constexpr const char* statements_v12 = R"SQL(
CREATE TABLE metered_statements (
  business_id uuid NOT NULL,
  cycle_start date NOT NULL,
  cycle_end date NOT NULL,
  time_zone text NOT NULL,
  plan_id text NOT NULL,
  currency text NOT NULL,
  total numeric NOT NULL,
  closed_at bigint NOT NULL,
  document text NOT NULL,
  PRIMARY KEY (business_id, cycle_start)
);
CREATE FUNCTION metered_statement_never_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'a statement never changes';
END
$$;
CREATE TRIGGER metered_statements_never_change BEFORE UPDATE OR DELETE ON metered_statements
  FOR EACH ROW EXECUTE FUNCTION metered_statement_never_changes();
)SQL";

// Version 13: corrections (Correction): a void or an amendment of a stored event, stored
// beside the event (whose row never changes) with its reason, actor and the deltas its
// rollups were adjusted by; an amendment of metadata keeps the new metadata (its JSON text) (cost in currency units);
// corrected_at in microseconds since the Unix epoch. One void per event at most (the partial unique index); the trigger
// refuses an UPDATE or a DELETE.
constexpr const char* corrections_v13 = R"SQL(
CREATE TABLE metered_corrections (
  business_id uuid NOT NULL,
  event_id uuid NOT NULL,
  sequence integer NOT NULL,
  kind text NOT NULL CHECK (kind IN ('void', 'amend', 'metadata')),
  event_type varchar(50) NOT NULL,
  local_day date NOT NULL,
  new_quantity numeric,
  new_metadata text,
  reason text NOT NULL,
  actor text NOT NULL,
  corrected_at bigint NOT NULL,
  quantity_delta numeric NOT NULL,
  cost_delta numeric NOT NULL,
  events_delta integer NOT NULL,
  PRIMARY KEY (business_id, event_id, sequence)
);
CREATE UNIQUE INDEX metered_corrections_one_void ON metered_corrections (business_id, event_id) WHERE kind = 'void';
CREATE INDEX metered_corrections_day ON metered_corrections (business_id, local_day);
CREATE FUNCTION metered_correction_never_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'a correction never changes';
END
$$;
CREATE TRIGGER metered_corrections_never_change BEFORE UPDATE OR DELETE ON metered_corrections
  FOR EACH ROW EXECUTE FUNCTION metered_correction_never_changes();
)SQL";

// Version 14: a statement's adjustments of earlier closed cycles (StatementAdjustment), as
// compact JSON of exact decimal text (store_text.h), and the plan that priced it (the JSON
// of a one-plan price book); statements closed before have no adjustments and no plan kept.
constexpr const char* statement_adjustments_v14 = R"SQL(
ALTER TABLE metered_statements ADD COLUMN adjustments text NOT NULL DEFAULT '[]';
ALTER TABLE metered_statements ADD COLUMN pricing text NOT NULL DEFAULT '';
)SQL";

// Version 15: a correction may be a backfill (an event stored on purpose after the fact,
// UsageStore::backfill): the CHECK on kind (named by PostgreSQL after its column, as
// version 13 declared it inline) widened.
constexpr const char* correction_backfill_v15 = R"SQL(
ALTER TABLE metered_corrections DROP CONSTRAINT metered_corrections_kind_check,
  ADD CONSTRAINT metered_corrections_kind_check CHECK (kind IN ('void', 'amend', 'metadata', 'backfill'));
)SQL";

// Version 16: prepaid credit grants (CreditGrant), never changed once stored (the trigger
// refuses an UPDATE or a DELETE; granted_at in microseconds since the Unix epoch), and what
// each statement drew from them (compact JSON of exact decimal text, store_text.h) with the
// balance it carried forward.
constexpr const char* credits_v16 = R"SQL(
CREATE TABLE metered_credit_grants (
  business_id uuid NOT NULL,
  id text NOT NULL,
  amount numeric NOT NULL,
  currency text NOT NULL,
  effective date NOT NULL,
  expires date,
  priority integer NOT NULL,
  granted_at bigint NOT NULL,
  PRIMARY KEY (business_id, id)
);
CREATE FUNCTION metered_credit_grant_never_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'a credit grant never changes';
END
$$;
CREATE TRIGGER metered_credit_grants_never_change BEFORE UPDATE OR DELETE ON metered_credit_grants
  FOR EACH ROW EXECUTE FUNCTION metered_credit_grant_never_changes();
ALTER TABLE metered_statements ADD COLUMN credits text NOT NULL DEFAULT '[]';
ALTER TABLE metered_statements ADD COLUMN credit_balance numeric NOT NULL DEFAULT 0;
)SQL";

// Version 17: later versions of plans (Plan::effective; the version as a one-plan price
// book's JSON, its currency beside it for the one-currency rule) and the plan changes of
// businesses (PlanChange), never changed once stored (the trigger refuses an UPDATE or a
// DELETE, through metered_row_never_changes(what), the one function later tables that never
// change use; changed_at in microseconds since the Unix epoch).
constexpr const char* plan_versions_v17 = R"SQL(
CREATE TABLE metered_plan_versions (
  plan_id text NOT NULL,
  effective date NOT NULL,
  currency text NOT NULL,
  minor_units integer NOT NULL,
  plan text NOT NULL,
  PRIMARY KEY (plan_id, effective)
);
CREATE TABLE metered_plan_changes (
  business_id uuid NOT NULL,
  effective date NOT NULL,
  plan_id text NOT NULL,
  changed_at bigint NOT NULL,
  PRIMARY KEY (business_id, effective)
);
CREATE FUNCTION metered_row_never_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% never changes', TG_ARGV[0];
END
$$;
CREATE TRIGGER metered_plan_changes_never_change BEFORE UPDATE OR DELETE ON metered_plan_changes
  FOR EACH ROW EXECUTE FUNCTION metered_row_never_changes('a plan change');
)SQL";

// Version 18: a meter's options beyond its model (package rounding, the first tier's fee at
// zero usage, a fee per transaction, a minimum and a maximum per cycle) and a plan's minimum
// and maximum per cycle, as JSON objects of exact decimal strings; NULL: the defaults.
constexpr const char* charge_options_v18 = R"SQL(
ALTER TABLE usage_quotas ADD COLUMN charge_options jsonb;
ALTER TABLE metered_plans ADD COLUMN commitments jsonb;
)SQL";

// Version 19: level rollups (DailyLevel), one row per (business, level type, local day),
// first_at and last_at in microseconds since the Unix epoch; a day's reports are found by
// the partial index (level types only: names ending in "_level").
constexpr const char* level_rollups_v19 = R"SQL(
CREATE TABLE usage_level_rollups (
  business_id uuid NOT NULL,
  event_type varchar(50) NOT NULL,
  local_day date NOT NULL,
  first_at bigint NOT NULL,
  last_at bigint NOT NULL,
  closing numeric NOT NULL,
  peak numeric NOT NULL,
  held numeric NOT NULL,
  reports bigint NOT NULL,
  PRIMARY KEY (business_id, event_type, local_day)
);
CREATE INDEX usage_events_level_reports ON usage_events (business_id, event_type, local_day)
  WHERE event_type LIKE '%\_level';
)SQL";

// Version 20: a guard the COPY of unpartitioned events runs first, so that a store that
// has not seen usage_events partitioned by month (another process did it) never COPYs
// events without their keys. It takes the COPY's lock first: a COPY that waited for the
// conversion's lock checks the table it then writes to.
constexpr const char* copy_guard_v20 = R"SQL(
CREATE FUNCTION metered_events_unpartitioned() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  LOCK TABLE usage_events IN ROW EXCLUSIVE MODE;
  IF to_regclass('usage_event_keys') IS NOT NULL THEN
    RAISE EXCEPTION 'usage_events is partitioned by month now' USING ERRCODE = '42P10';
  END IF;
END $$;
)SQL";

// Version 21: the hash partition of a business id, as PostgreSQL's hash partitioning
// computes it (uuid_hash_extended with the partition seed, combined as for one key column;
// for a power-of-2 modulus the low bits): how ShardedPostgresStore and a coordinator's
// partitioned tables place a business alike.
constexpr const char* business_partition_v21 = R"SQL(
CREATE FUNCTION metered_business_partition(id uuid, modulus integer) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT (((uuid_hash_extended(id, 8816678312871386365) & (modulus - 1))
           + (5305509591434766563 & (modulus - 1))) & (modulus - 1))::integer
$$;
)SQL";

// Version 22: the careful append as a function of the batch's columns, so that a PL/Proxy
// coordinator can send each server its part of a batch (ShardedPostgresStore) and every
// path runs the same statement. Events of unknown businesses are skipped; an id the table
// has is skipped (a repeat within the batch counts once); the daily rollup, the dimension
// rollups and the model rollup by the parts of rate-card rows grow by exactly the rows
// inserted, in one statement (one transaction); rows are taken in key order so concurrent
// appenders never deadlock. With events partitioned by month, the ids go into
// usage_event_keys first (whose primary key says which are new) and each month's
// partition is made when its first event comes. Returns the number of events inserted and
// the unknown business ids. The search_path is the migration's, so a caller with another
// (a coordinator's connection) reaches the same tables.
constexpr const char* append_function_v22 = R"SQL(
CREATE OR REPLACE FUNCTION metered_append_events(
  in_business_ids uuid[], in_ids uuid[], in_types text[], in_quantities numeric[], in_unit_prices_cents numeric[],
  in_list_costs_cents numeric[], in_metadata jsonb[], in_occurred_at timestamptz[], in_local_days date[],
  in_models text[], in_parts text[], in_dimensions jsonb[])
RETURNS TABLE (events_stored bigint, unknown_businesses uuid[])
LANGUAGE plpgsql SET search_path FROM CURRENT AS $function$
DECLARE
  input text := $q$
WITH input AS (
  SELECT *
  FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       AS t(business_id, id, event_type, quantity, unit_price_cents, total_cost_cents, metadata, occurred_at, local_day,
            model, parts, dimensions)
), known AS (
  SELECT DISTINCT ON (i.business_id, i.id) i.* FROM input i JOIN businesses b ON b.id = i.business_id
  ORDER BY i.business_id, i.id
)$q$;
  plain_insert text := $q$
, inserted AS (
  INSERT INTO usage_events (business_id, id, event_type, quantity, unit_price_cents, total_cost_cents, metadata,
                            occurred_at, local_day, created_at, model, parts, dimensions)
  SELECT business_id, id, event_type, quantity, unit_price_cents, total_cost_cents, metadata, occurred_at, local_day,
         occurred_at, model, parts, dimensions
  FROM known ORDER BY business_id, id
  ON CONFLICT (business_id, id) DO NOTHING
  RETURNING business_id, event_type, quantity, total_cost_cents, local_day, model, parts, dimensions
)$q$;
  keyed_insert text := $q$
, keyed AS (
  INSERT INTO usage_event_keys (business_id, id, local_day)
  SELECT business_id, id, local_day FROM known ORDER BY business_id, id
  ON CONFLICT (business_id, id) DO NOTHING
  RETURNING business_id, id
), inserted AS (
  INSERT INTO usage_events (business_id, id, event_type, quantity, unit_price_cents, total_cost_cents, metadata,
                            occurred_at, local_day, created_at, model, parts, dimensions)
  SELECT k.business_id, k.id, event_type, quantity, unit_price_cents, total_cost_cents, metadata, occurred_at,
         local_day, occurred_at, model, parts, dimensions
  FROM known k JOIN keyed USING (business_id, id)
  RETURNING business_id, event_type, quantity, total_cost_cents, local_day, model, parts, dimensions
)$q$;
  rollups text := $q$
, dimension_rollups AS (
  SELECT metered_add_to_dimension_rollups(array_agg(i.business_id), array_agg(i.local_day), array_agg(d.key),
                                          array_agg(d.value), array_agg(i.event_type::text), array_agg(i.quantity),
                                          array_agg(i.total_cost_cents * 0.01)) AS added
  FROM inserted i CROSS JOIN LATERAL jsonb_each_text(i.dimensions) AS d(key, value)
  WHERE i.dimensions IS NOT NULL
  HAVING count(*) > 0
), model_daily AS (
  INSERT INTO usage_model_rollups AS m (business_id, local_day, event_type, model, part, quantity, events, cost)
  SELECT business_id, local_day, event_type, model, part, sum(quantity), count(*), sum(cost)
  FROM (SELECT i.business_id, i.local_day, i.event_type, i.model, p.value->>0 AS part,
               (p.value->>1)::numeric AS quantity, (p.value->>2)::numeric AS cost
        FROM inserted i CROSS JOIN LATERAL jsonb_array_elements(i.parts::jsonb) AS p(value)
        WHERE i.parts IS NOT NULL) x
  GROUP BY business_id, local_day, event_type, model, part
  ORDER BY business_id, local_day, event_type COLLATE "C", model COLLATE "C", part COLLATE "C"
  ON CONFLICT (business_id, local_day, event_type, model, part) DO UPDATE
     SET quantity = m.quantity + EXCLUDED.quantity,
         events = m.events + EXCLUDED.events,
         cost = m.cost + EXCLUDED.cost
  RETURNING 1
), daily AS (
  INSERT INTO usage_daily AS d (business_id, day, event_type, quantity, event_count, list_cost_cents)
  SELECT business_id, local_day, event_type, sum(quantity), count(*), sum(total_cost_cents)
  FROM inserted GROUP BY business_id, local_day, event_type ORDER BY business_id, local_day, event_type
  ON CONFLICT (business_id, day, event_type) DO UPDATE
     SET quantity = d.quantity + EXCLUDED.quantity,
         event_count = d.event_count + EXCLUDED.event_count,
         list_cost_cents = d.list_cost_cents + EXCLUDED.list_cost_cents
  RETURNING 1
)
SELECT (SELECT count(*) FROM inserted),
       ARRAY(SELECT DISTINCT x FROM unnest($1) x WHERE NOT EXISTS (SELECT 1 FROM businesses b WHERE b.id = x))
FROM (SELECT count(*) FROM dimension_rollups) dimensions_added
$q$;
BEGIN
  IF to_regclass('usage_event_keys') IS NULL THEN
    RETURN QUERY EXECUTE input || plain_insert || rollups
      USING in_business_ids, in_ids, in_types, in_quantities, in_unit_prices_cents, in_list_costs_cents, in_metadata,
            in_occurred_at, in_local_days, in_models, in_parts, in_dimensions;
  ELSE
    PERFORM metered_event_partition(m)
    FROM (SELECT DISTINCT date_trunc('month', d)::date AS m FROM unnest(in_local_days) d) months;
    RETURN QUERY EXECUTE input || keyed_insert || rollups
      USING in_business_ids, in_ids, in_types, in_quantities, in_unit_prices_cents, in_list_costs_cents, in_metadata,
            in_occurred_at, in_local_days, in_models, in_parts, in_dimensions;
  END IF;
END $function$;
)SQL";

constexpr std::array<Migration, 22> all_migrations{{
    {1, "usage events, daily and cycle rollups, plans, businesses, billing_overview", schema_v1},
    {2, "inlinable billing cycle functions", inline_cycles_v2},
    {3, "usage_aggregation as a view of the daily rollup by billing cycle", aggregation_view_v3},
    {4, "bounds on the daily rollup", rollup_bounds_v4},
    {5, "how a plan bills rate-card usage", plan_ai_billing_v5},
    {6, "model and parts of rate-card events, per-model rollups", model_rollups_v6},
    {7, "budgets", budgets_v7},
    {8, "budget threshold crossings", budget_crossings_v8},
    {9, "dimensions: event values, rollups per value, admitted values, declarations", dimensions_v9},
    {10, "budgets on one dimension value; budgeted values always admitted", dimension_budgets_v10},
    {11, "charge filters: a meter's filters, a dimension's closed set of values", charge_filters_v11},
    {12, "statements", statements_v12},
    {13, "corrections: voids and amendments of stored events", corrections_v13},
    {14, "statements: adjustments of earlier closed cycles, the plan that priced them", statement_adjustments_v14},
    {15, "corrections: backfills", correction_backfill_v15},
    {16, "prepaid credit grants; what statements draw from them", credits_v16},
    {17, "later versions of plans; plan changes of businesses", plan_versions_v17},
    {18, "a meter's charge options, minimum and maximum; a plan's minimum and maximum", charge_options_v18},
    {19, "level rollups: a level type's reports per day", level_rollups_v19},
    {20, "a guard for the COPY of unpartitioned events", copy_guard_v20},
    {21, "the hash partition of a business id", business_partition_v21},
    {22, "the careful append as a function (a PL/Proxy coordinator calls it)", append_function_v22},
}};

}  // namespace

std::span<const Migration> migrations() { return all_migrations; }

}  // namespace metered::detail::pg
