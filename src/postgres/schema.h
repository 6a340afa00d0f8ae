// SPDX-License-Identifier: MIT
// The PostgreSQL schema, its migrations and every statement the store runs (private).
// Values are always bound as parameters ($1, $2, …); no statement is built from data.
#pragma once

#include <span>
#include <utility>

#include "../migration.h"
#include "../sql_text.h"

namespace metered::detail::pg {

using detail::Migration;

/// Every migration, oldest first.
std::span<const Migration> migrations();

/// Serialises concurrent migrate() calls across processes (pg_advisory_xact_lock key).
inline constexpr const char* lock_migrations = "SELECT pg_advisory_xact_lock(7263455128736451)";
inline constexpr const char* create_version_table = R"SQL(
CREATE TABLE IF NOT EXISTS metered_schema_version (
  version integer PRIMARY KEY,
  description text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
))SQL";
inline constexpr const char* current_version = "SELECT coalesce(max(version), 0) FROM metered_schema_version";
inline constexpr const char* record_version =
    "INSERT INTO metered_schema_version (version, description) VALUES ($1, $2)";

/// The hash partition (metered_business_partition) of each business of $1 (ids) for
/// modulus $2: id, partition.
inline constexpr const char* business_partitions =
    "SELECT id, metered_business_partition(id, $2::integer) FROM unnest($1::uuid[]) AS t(id)";

/// What a coordinator reads across a cluster (ShardedPostgresStore::attachCoordinator):
/// each table with the column that places its rows.
inline constexpr std::pair<const char*, const char*> coordinator_tables[] = {
    {"businesses", "id"}, {"usage_events", "business_id"}, {"usage_daily", "business_id"}};
/// A server's view $1 of the rows of table $2 whose $3 falls in partition $5 of $4.
inline constexpr const char* partition_view =
    "SELECT format('CREATE OR REPLACE VIEW %I AS SELECT * FROM %I WHERE metered_business_partition(%I, %s) = %s', "
    "$1::text, $2::text, $3::text, $4::integer, $5::integer)";
/// The tables of remote schema $1 on foreign server $2, imported for their columns.
inline constexpr const char* import_tables =
    "SELECT format('CREATE SCHEMA metered_coordinator_import; IMPORT FOREIGN SCHEMA %I LIMIT TO (businesses, "
    "usage_events, usage_daily) FROM SERVER %I INTO metered_coordinator_import', $1::text, $2::text)";
/// Table $1 with the imported columns, hash-partitioned by $2.
inline constexpr const char* partitioned_table =
    "SELECT format('CREATE TABLE %I (LIKE metered_coordinator_import.%I) PARTITION BY HASH (%I)', $1::text, "
    "$1::text, $2::text)";
/// Partition $1 of $2 (modulus $3, remainder $4): the foreign table $7 of schema $6 on server $5.
inline constexpr const char* foreign_partition =
    "SELECT format('CREATE FOREIGN TABLE %I PARTITION OF %I FOR VALUES WITH (MODULUS %s, REMAINDER %s) SERVER %I "
    "OPTIONS (schema_name %L, table_name %L)', $1::text, $2::text, $3::integer, $4::integer, $5::text, $6::text, "
    "$7::text)";
/// The cycle functions the seed views call, as CREATE statements.
inline constexpr const char* coordinator_functions = R"SQL(
SELECT pg_get_functiondef(p.oid) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = current_schema()
  AND p.proname IN ('metered_anchor_in', 'metered_cycle_start', 'metered_cycle_end', 'metered_business_partition')
ORDER BY p.proname = 'metered_cycle_end', p.proname = 'metered_cycle_start'
)SQL";
/// The seed views: name, definition.
inline constexpr const char* coordinator_views =
    "SELECT viewname::text, definition FROM pg_views WHERE schemaname = current_schema() AND viewname IN "
    "('billing_overview', 'usage_aggregation') ORDER BY viewname";
/// View $1 defined as $2.
inline constexpr const char* seed_view = "SELECT format('CREATE VIEW %I AS %s', $1::text, $2::text)";

/// The coordinator's foreign server of each server of the cluster (index into
/// ShardedPostgresOptions::shards), for moving partitions later.
inline constexpr const char* coordinator_servers_table =
    "CREATE TABLE metered_coordinator_servers (server integer PRIMARY KEY, foreign_server text NOT NULL)";
inline constexpr const char* save_coordinator_server =
    "INSERT INTO metered_coordinator_servers (server, foreign_server) VALUES ($1::integer, $2)";
inline constexpr const char* coordinator_server_of =
    "SELECT foreign_server FROM metered_coordinator_servers WHERE server = $1::integer";
/// Drops the coordinator's foreign table $1 (a partition that moved to another server).
inline constexpr const char* drop_foreign_partition = "SELECT format('DROP FOREIGN TABLE %I', $1::text)";
/// Drops a server's view $1 (of a partition that moved away).
inline constexpr const char* drop_partition_view = "SELECT format('DROP VIEW IF EXISTS %I', $1::text)";
/// Whether PL/Proxy cluster $1 exists (attachCoordinator made it).
inline constexpr const char* proxy_cluster_exists =
    "SELECT count(*) FROM pg_foreign_server s JOIN pg_foreign_data_wrapper w ON w.oid = s.srvfdw "
    "WHERE s.srvname = $1 AND w.fdwname = 'plproxy'";
/// Points partition $2 of PL/Proxy cluster $1 at connection string $3.
inline constexpr const char* repoint_proxy_partition =
    "SELECT format('ALTER SERVER %I OPTIONS (SET p%s %L)', $1::text, $2::integer, $3::text)";
/// The write path through a coordinator: whether it has PL/Proxy.
inline constexpr const char* has_plproxy = "SELECT count(*) FROM pg_extension WHERE extname = 'plproxy'";
/// The libpq connection string (without user and password) of foreign server $1.
inline constexpr const char* foreign_server_conninfo = R"SQL(
SELECT coalesce(string_agg(format('%s=''%s''', split_part(o, '=', 1),
                                  replace(replace(substr(o, strpos(o, '=') + 1), '\', '\\'), '''', '\''')), ' '), '')
FROM pg_foreign_server s CROSS JOIN LATERAL unnest(s.srvoptions) AS o
WHERE s.srvname = $1 AND split_part(o, '=', 1) IN ('host', 'hostaddr', 'port', 'dbname', 'connect_timeout',
                                                   'sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'sslcrl')
)SQL";
/// The PL/Proxy cluster $1 whose partitions are the connection strings $2 (an array), and
/// its user mapping: the user and password of foreign server $3's mapping for this user (or
/// PUBLIC's).
inline constexpr const char* proxy_cluster = R"SQL(
SELECT format('DROP SERVER IF EXISTS %I CASCADE; CREATE SERVER %I FOREIGN DATA WRAPPER plproxy OPTIONS (%s); '
              'CREATE USER MAPPING FOR %s SERVER %I%s',
              $1::text, $1::text,
              (SELECT string_agg(format('p%s %L', n - 1, c), ', ' ORDER BY n)
               FROM unnest($2::text[]) WITH ORDINALITY AS t(c, n)),
              CASE WHEN m.umuser = 0 THEN 'PUBLIC' ELSE 'CURRENT_USER' END, $1::text,
              coalesce(' OPTIONS (' || (SELECT string_agg(format('%I %L', split_part(o, '=', 1),
                                                                 substr(o, strpos(o, '=') + 1)), ', ')
                                        FROM unnest(m.umoptions) AS o
                                        WHERE split_part(o, '=', 1) IN ('user', 'password')) || ')', ''))
FROM pg_user_mappings m
WHERE m.srvname = $3 AND (m.umuser = 0 OR m.usename = current_user)
ORDER BY m.umuser = 0 LIMIT 1
)SQL";
/// The coordinator's metered_append_events (see append_events): PL/Proxy sends each server
/// of cluster $1 the events of its businesses (partition of modulus $2), where they are
/// appended in a transaction of that server's.
inline constexpr const char* proxy_append_function = R"SQL(
SELECT format($f$
CREATE OR REPLACE FUNCTION metered_append_events(
  in_business_ids uuid[], in_ids uuid[], in_types text[], in_quantities numeric[], in_unit_prices_cents numeric[],
  in_list_costs_cents numeric[], in_metadata jsonb[], in_occurred_at timestamptz[], in_local_days date[],
  in_models text[], in_parts text[], in_dimensions jsonb[])
RETURNS TABLE (events_stored bigint, unknown_businesses uuid[]) LANGUAGE plproxy AS $p$
  CLUSTER %L;
  SPLIT ALL;
  RUN ON metered_business_partition(in_business_ids, %s);
$p$$f$, $1::text, $2::integer)
)SQL";

/// Moving a partition (ShardedPostgresStore::movePartition). The foreign server on the
/// new server that reaches the old one: options $1 = $2 (arrays), and its user mapping
/// ($3 = $4).
inline constexpr const char* move_source_server = R"SQL(
SELECT format('CREATE EXTENSION IF NOT EXISTS postgres_fdw; CREATE SERVER metered_move_source FOREIGN DATA WRAPPER '
              'postgres_fdw OPTIONS (%s); CREATE USER MAPPING FOR CURRENT_USER SERVER metered_move_source%s',
              (SELECT string_agg(format('%I %L', k, v), ', ') FROM unnest($1::text[], $2::text[]) AS o(k, v)),
              (SELECT coalesce(' OPTIONS (' || string_agg(format('%I %L', k, v), ', ') || ')', '')
               FROM unnest($3::text[], $4::text[]) AS u(k, v)))
)SQL";
/// The old server's schema $1, imported for the copy.
inline constexpr const char* import_move_source =
    "SELECT format('CREATE SCHEMA metered_move_source; IMPORT FOREIGN SCHEMA %I FROM SERVER metered_move_source "
    "INTO metered_move_source', $1::text)";
/// The tables of the current schema that hold businesses' rows, and the column that says
/// whose: businesses first (the others refer to it).
inline constexpr const char* business_tables = R"SQL(
SELECT c.relname::text, CASE WHEN c.relname = 'businesses' THEN 'id' ELSE 'business_id' END
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND (c.relname = 'businesses' OR EXISTS (
    SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'business_id' AND NOT a.attisdropped))
ORDER BY c.relname <> 'businesses', c.relname
)SQL";
/// Copies the rows of partition $3 (modulus $4) of table $1 (placed by column $2) from the
/// old server.
inline constexpr const char* copy_partition_rows =
    "SELECT format('INSERT INTO %I SELECT * FROM metered_move_source.%I WHERE metered_business_partition(%I, %s) = "
    "%s', $1::text, $1::text, $2::text, $4::integer, $3::integer)";
/// With events partitioned by month on the new server: the month partitions the events of
/// partition $1 (modulus $2) need there.
inline constexpr const char* move_event_months = R"SQL(
SELECT metered_event_partition(month) FROM (
  SELECT DISTINCT date_trunc('month', local_day)::date AS month FROM metered_move_source.usage_events
  WHERE metered_business_partition(business_id, $2::integer) = $1::integer) months
)SQL";
inline constexpr const char* drop_move_source =
    "DROP SCHEMA metered_move_source CASCADE; DROP SERVER metered_move_source CASCADE";
/// Deletes the rows of partition $3 (modulus $4) of table $1 (placed by column $2).
inline constexpr const char* delete_partition_rows =
    "SELECT format('DELETE FROM %I WHERE metered_business_partition(%I, %s) = %s', $1::text, $2::text, "
    "$4::integer, $3::integer)";

/// The time zone of each business of $1 (ids); a business the table lacks has no row.
inline constexpr const char* business_zones = "SELECT id, time_zone FROM businesses WHERE id = ANY($1::uuid[])";

/// Appends a batch whose events may be stored already, through the function migration 22
/// made (a PL/Proxy coordinator has one of the same name and arguments that sends each
/// server its events: ShardedPostgresStore::attachCoordinator): $1 business ids, $2 event
/// ids, $3 types, $4 quantities, $5 unit prices and $6 list costs in cents, $7 metadata, $8
/// occurrence times, $9 local days, $10 models ('' for none), $11 parts (NULL for none; see
/// store_text.h) and $12 dimensions, all arrays, sorted by business and id, without repeats
/// (the store does that before sending). One row per server: the number of events
/// inserted, and the unknown business ids.
inline constexpr const char* append_events =
    "SELECT events_stored, unknown_businesses FROM metered_append_events($1::uuid[], $2::uuid[], $3::text[], "
    "$4::numeric[], $5::numeric[], $6::numeric[], $7::jsonb[], $8::timestamptz[], $9::date[], $10::text[], "
    "$11::text[], $12::jsonb[])";

/// Locks the daily rollup rows of businesses $1, local days $2 and types $3 (arrays), in
/// key order, as an append that adds to them holds them.
inline constexpr const char* lock_daily_rows = R"SQL(
SELECT 1 FROM usage_daily
WHERE (business_id, day, event_type) IN (SELECT * FROM unnest($1::uuid[], $2::date[], $3::text[]))
ORDER BY business_id, day, event_type FOR UPDATE
)SQL";

/// Whether usage_events is partitioned by month (partition_events ran): one boolean.
inline constexpr const char* events_partitioned = "SELECT to_regclass('usage_event_keys') IS NOT NULL";
/// Partitions an unpartitioned usage_events by month of the local day, keeping its rows
/// (run in one transaction; PostgresStore::partitionEventsByMonth): the ids move to
/// `usage_event_keys`, whose primary key keeps appends idempotent across months; a month's
/// partition is made by `metered_event_partition(day)` when its first event comes (refused,
/// SQLSTATE `event_before_retention`, for a month retention has dropped), and
/// `metered_retire_events(first_kept, detach)` drops or detaches the months before one.
/// The indexes are built after the rows are copied.
inline constexpr const char* partition_events = R"SQL(
LOCK TABLE usage_events IN ACCESS EXCLUSIVE MODE;
ALTER TABLE usage_events RENAME TO usage_events_unpartitioned;
CREATE TABLE usage_events (LIKE usage_events_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
  PARTITION BY RANGE (local_day);
ALTER TABLE usage_events ADD FOREIGN KEY (business_id) REFERENCES businesses(id);
CREATE TABLE usage_event_keys (
  business_id uuid NOT NULL,
  id uuid NOT NULL,
  local_day date NOT NULL,
  PRIMARY KEY (business_id, id)
);
CREATE TABLE metered_event_retention (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  kept_from date NOT NULL
);
CREATE FUNCTION metered_event_partition(day date) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  first date := date_trunc('month', day)::date;
  part_name text := 'usage_events_' || to_char(first, 'YYYY_MM');
  kept date := (SELECT kept_from FROM metered_event_retention);
BEGIN
  IF first < kept THEN
    RAISE EXCEPTION 'local day % is before %, the first month whose raw events this store keeps (retention)',
      day, kept USING ERRCODE = 'MR001';
  END IF;
  PERFORM pg_advisory_xact_lock(7263455128736452);
  IF to_regclass(part_name) IS NULL THEN
    EXECUTE format('CREATE TABLE %I PARTITION OF usage_events FOR VALUES FROM (%L) TO (%L)', part_name, first,
                   (first + interval '1 month')::date);
  END IF;
  RETURN part_name;
END $$;
CREATE FUNCTION metered_retire_events(first_kept date, detach boolean) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  retired text;
BEGIN
  PERFORM pg_advisory_xact_lock(7263455128736452);
  INSERT INTO metered_event_retention (only_row, kept_from) VALUES (true, first_kept)
  ON CONFLICT (only_row) DO UPDATE SET kept_from = greatest(metered_event_retention.kept_from, EXCLUDED.kept_from);
  FOR retired IN
    SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'usage_events'::regclass AND c.relname ~ '^usage_events_[0-9]{4}_[0-9]{2}$'
      AND to_date(substring(c.relname FROM 14), 'YYYY_MM') < first_kept
    ORDER BY c.relname
  LOOP
    IF detach THEN
      EXECUTE format('ALTER TABLE usage_events DETACH PARTITION %I', retired);
    ELSE
      EXECUTE format('DROP TABLE %I', retired);
    END IF;
    RETURN NEXT retired;
  END LOOP;
END $$;
SELECT metered_event_partition(m)
FROM (SELECT DISTINCT date_trunc('month', local_day)::date AS m FROM usage_events_unpartitioned) months;
INSERT INTO usage_events SELECT * FROM usage_events_unpartitioned;
INSERT INTO usage_event_keys (business_id, id, local_day) SELECT business_id, id, local_day FROM usage_events_unpartitioned;
DROP TABLE usage_events_unpartitioned;
CREATE INDEX usage_events_business_id ON usage_events (business_id, id);
CREATE INDEX usage_events_business_created ON usage_events (business_id, created_at);
CREATE INDEX usage_events_level_reports ON usage_events (business_id, event_type, local_day)
  WHERE event_type LIKE '%\_level';
)SQL";
/// Makes the partition of the month of local day $1 (see partition_events).
inline constexpr const char* event_partition = "SELECT metered_event_partition($1::date)";
/// The SQLSTATE of an event of a month retention dropped, and of an insert into a month
/// without a partition (a check violation whose message says so).
inline constexpr const char* event_before_retention = "MR001";
inline constexpr const char* no_partition_message = "no partition of relation";
/// The first day whose raw events are kept (no row: all are).
inline constexpr const char* events_kept_from = "SELECT kept_from FROM metered_event_retention";
/// Drops ($2 false) or detaches ($2 true) the month partitions before the first of month
/// $1, which is kept from then on: their names.
inline constexpr const char* retire_events = "SELECT metered_retire_events($1::date, $2::boolean)";
/// The new ids of a batch COPY brought into a partitioned usage_events: $1 business ids,
/// $2 event ids, $3 local days (a stored one: unique violation).
inline constexpr const char* add_event_keys = R"SQL(
INSERT INTO usage_event_keys (business_id, id, local_day)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::date[])
)SQL";

/// The fast way in for a batch none of which is stored (what a batch of new events is):
/// a transaction begun with its rows by COPY, then `add_to_rollups`. A stored id fails the
/// COPY (unique violation) and the batch goes the careful way instead. The guard fails
/// (SQLSTATE 42P10) once usage_events is partitioned by month.
inline constexpr char copy_events[] =
    "COPY usage_events (business_id, id, event_type, quantity, unit_price_cents, total_cost_cents, metadata, "
    "occurred_at, local_day, created_at, model, parts, dimensions) FROM STDIN";
inline constexpr auto begin_copy_events = sql("BEGIN; SELECT metered_events_unpartitioned(); ", copy_events);
/// The same into usage_events partitioned by month (then `add_event_keys`).
inline constexpr auto begin_copy_keyed_events = sql("BEGIN; ", copy_events);
/// Admits and adds a batch's dimension values to the dimension rollups (after
/// `add_to_rollups`, only when the batch has events with dimensions): one entry per event
/// and dimension, $1 business ids, $2 days, $3 dimensions, $4 values, $5 types, $6
/// quantities, $7 list costs in currency units.
inline constexpr const char* add_to_dimension_rollups =
    "SELECT metered_add_to_dimension_rollups($1::uuid[], $2::date[], $3::text[], $4::text[], $5::text[], "
    "$6::numeric[], $7::numeric[])";
/// The dimension rollups of business $1, dimension $2, local days $3 to $4 (exclusive):
/// day, value, type, quantity, event count, list cost.
inline constexpr const char* dimension_daily = R"SQL(
SELECT local_day, value, event_type, quantity, events, list_cost FROM usage_dimension_rollups
WHERE business_id = $1 AND dimension = $2 AND local_day >= $3::date AND local_day < $4::date
)SQL";
/// Creates or replaces a dimension declaration: $1 name, $2 max_length, $3 max_values, $4
/// its closed set (JSON array) or NULL.
inline constexpr const char* save_dimension = R"SQL(
INSERT INTO metered_dimensions (name, max_length, max_values, closed_values)
VALUES ($1, $2::integer, $3::integer, $4::jsonb)
ON CONFLICT (name) DO UPDATE SET max_length = EXCLUDED.max_length, max_values = EXCLUDED.max_values,
                                 closed_values = EXCLUDED.closed_values
)SQL";
inline constexpr const char* list_dimensions =
    "SELECT name, max_length, max_values, closed_values FROM metered_dimensions ORDER BY name COLLATE \"C\"";
/// Adds a batch's sums to the daily rollup: $1 business ids, $2 days, $3 types, $4
/// quantities, $5 event counts, $6 list costs in cents (arrays in key order).
inline constexpr const char* add_to_rollups = R"SQL(
INSERT INTO usage_daily AS d (business_id, day, event_type, quantity, event_count, list_cost_cents)
SELECT * FROM unnest($1::uuid[], $2::date[], $3::text[], $4::numeric[], $5::bigint[], $6::numeric[])
ON CONFLICT (business_id, day, event_type) DO UPDATE
   SET quantity = d.quantity + EXCLUDED.quantity,
       event_count = d.event_count + EXCLUDED.event_count,
       list_cost_cents = d.list_cost_cents + EXCLUDED.list_cost_cents
)SQL";
/// Adds a batch's part sums to the model rollup (after `add_to_rollups`, only when the
/// batch has rate-card events): $1 business ids, $2 days, $3 types, $4 models, $5 parts,
/// $6 quantities, $7 event counts, $8 costs in currency units.
inline constexpr const char* add_to_model_rollups = R"SQL(
INSERT INTO usage_model_rollups AS m (business_id, local_day, event_type, model, part, quantity, events, cost)
SELECT * FROM unnest($1::uuid[], $2::date[], $3::text[], $4::text[], $5::text[], $6::numeric[], $7::bigint[],
                     $8::numeric[]) AS t(business_id, local_day, event_type, model, part, quantity, events, cost)
ORDER BY business_id, local_day, event_type COLLATE "C", model COLLATE "C", part COLLATE "C"
ON CONFLICT (business_id, local_day, event_type, model, part) DO UPDATE
   SET quantity = m.quantity + EXCLUDED.quantity,
       events = m.events + EXCLUDED.events,
       cost = m.cost + EXCLUDED.cost
)SQL";
/// The SQLSTATE of a unique violation: a COPY met an id that is stored.
inline constexpr const char* unique_violation = "23505";

/// The events of a chunk ($1 business ids, $2 event ids, $3 types, $4 quantities) that are
/// stored with another type or quantity: business id, event id, stored type and quantity.
inline constexpr const char* idempotency_conflicts = R"SQL(
SELECT i.business_id, i.id, e.event_type, e.quantity
FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::numeric[]) AS i(business_id, id, event_type, quantity)
JOIN usage_events e ON e.business_id = i.business_id AND e.id = i.id
WHERE e.event_type <> i.event_type OR e.quantity <> i.quantity
)SQL";

/// The SQLSTATE of ON CONFLICT naming a key the table lacks (usage_events partitioned
/// while a store still appended as if it were not).
inline constexpr const char* no_unique_key = "42P10";

/// The SQLSTATE of a CHECK constraint violation, and the daily rollup's bound.
inline constexpr const char* check_violation = "23514";
inline constexpr const char* rollup_bounds_constraint = "usage_daily_bounds";

inline constexpr const char* model_rollup_bounds_constraint = "usage_model_rollups_bounds";

/// The model rollups of business $1, local day $2, type $3 and model $4: part, quantity,
/// event count, cost.
inline constexpr const char* day_model_rollups_of = R"SQL(
SELECT part, quantity, events, cost FROM usage_model_rollups
WHERE business_id = $1 AND local_day = $2::date AND event_type = $3 AND model = $4
)SQL";

/// The rollup of business $1, local day $2 and type $3: quantity, event count, list cost
/// in cents (no row: nothing yet).
inline constexpr const char* day_rollup_of = R"SQL(
SELECT quantity, event_count, list_cost_cents FROM usage_daily WHERE business_id = $1 AND day = $2::date AND event_type = $3
)SQL";

/// Per-type sums of a business over local days [$2, $3), from the daily rollup.
inline constexpr const char* period_totals = R"SQL(
SELECT event_type, sum(quantity), sum(event_count), sum(list_cost_cents)
FROM usage_daily
WHERE business_id = $1 AND day >= $2::date AND day < $3::date
GROUP BY event_type ORDER BY event_type
)SQL";

/// Per-day, per-type rows of a business over local days [$2, $3).
inline constexpr const char* daily_usage = R"SQL(
SELECT day, event_type, quantity, event_count, list_cost_cents
FROM usage_daily
WHERE business_id = $1 AND day >= $2::date AND day < $3::date
ORDER BY day, event_type
)SQL";

/// Per-(type, model, part) sums of a business over local days [$2, $3), from the model
/// rollup (the store orders them).
inline constexpr const char* period_model_totals = R"SQL(
SELECT event_type, model, part, sum(quantity), sum(events), sum(cost)
FROM usage_model_rollups
WHERE business_id = $1 AND local_day >= $2::date AND local_day < $3::date
GROUP BY event_type, model, part
)SQL";

/// Per-day model rollup rows of a business over local days [$2, $3) (the store orders them).
inline constexpr const char* daily_model_usage = R"SQL(
SELECT local_day, event_type, model, part, quantity, events, cost
FROM usage_model_rollups
WHERE business_id = $1 AND local_day >= $2::date AND local_day < $3::date
)SQL";

inline constexpr const char* find_account =
    "SELECT id, name, plan_id, time_zone, anchor_day FROM businesses WHERE id = $1";
inline constexpr const char* list_accounts =
    "SELECT id, name, plan_id, time_zone, anchor_day FROM businesses ORDER BY name, id";
/// Fails with SQLSTATE 22023 when the server does not know the zone $1.
inline constexpr const char* check_time_zone = "SELECT now() AT TIME ZONE $1";
inline constexpr const char* save_account = R"SQL(
INSERT INTO businesses (id, name, plan_id, time_zone, anchor_day) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, plan_id = EXCLUDED.plan_id, time_zone = EXCLUDED.time_zone,
                               anchor_day = EXCLUDED.anchor_day, updated_at = now()
)SQL";

/// Budgets: amount is numeric (its scale kept as saved), thresholds "50,80,100", model NULL
/// for a whole-business budget. Ids order bytewise (COLLATE "C"), as every store orders them.
inline constexpr const char* has_business = "SELECT 1 FROM businesses WHERE id = $1";
inline constexpr const char* save_budget = R"SQL(
INSERT INTO metered_budgets (business_id, id, model, amount, thresholds, kind, dimension, dimension_value)
VALUES ($1, $2, $3, $4::numeric, $5, $6, $7, $8)
ON CONFLICT (business_id, id) DO UPDATE SET model = EXCLUDED.model, amount = EXCLUDED.amount,
                                            thresholds = EXCLUDED.thresholds, kind = EXCLUDED.kind,
                                            dimension = EXCLUDED.dimension, dimension_value = EXCLUDED.dimension_value
)SQL";
/// Statements: stored once per (business, cycle_start); a second save changes nothing.
inline constexpr const char* save_statement = R"SQL(
INSERT INTO metered_statements (business_id, cycle_start, cycle_end, time_zone, plan_id, currency, total, closed_at,
                                document, adjustments, pricing, credits, credit_balance)
VALUES ($1, $2::date, $3::date, $4, $5, $6, $7::numeric, $8::bigint, $9, $10, $11, $12, $13::numeric)
ON CONFLICT (business_id, cycle_start) DO NOTHING
)SQL";
/// A statement's columns, in the order the store reads them.
inline constexpr char select_statements[] =
    "SELECT business_id, cycle_start, cycle_end, time_zone, plan_id, currency, total, closed_at, document, "
    "adjustments, pricing, credits, credit_balance FROM metered_statements ";
inline constexpr auto find_statement = sql(select_statements, "WHERE business_id = $1 AND cycle_start = $2::date");
inline constexpr auto list_statements = sql(select_statements, "WHERE business_id = $1 ORDER BY cycle_start");
/// Credit grants: stored once per (business_id, id); a second save changes nothing.
inline constexpr const char* save_credit_grant = R"SQL(
INSERT INTO metered_credit_grants (business_id, id, amount, currency, effective, expires, priority, granted_at)
VALUES ($1, $2, $3::numeric, $4, $5::date, $6::date, $7::integer, $8::bigint)
ON CONFLICT (business_id, id) DO NOTHING
)SQL";
/// A credit grant's columns, in the order the store reads them.
inline constexpr char select_credit_grants[] =
    "SELECT business_id, id, amount, currency, effective, expires, priority FROM metered_credit_grants ";
inline constexpr auto find_credit_grant = sql(select_credit_grants, "WHERE business_id = $1 AND id = $2");
inline constexpr auto list_credit_grants =
    sql(select_credit_grants, "WHERE business_id = $1 ORDER BY id COLLATE \"C\"");
inline constexpr const char* delete_budget =
    "DELETE FROM metered_budgets WHERE business_id = $1 AND id = $2 RETURNING 1";
/// A budget's columns, in the order the store reads them.
inline constexpr char select_budgets[] =
    "SELECT business_id, id, model, amount, thresholds, kind, dimension, dimension_value FROM metered_budgets ";
inline constexpr auto list_budgets = sql(select_budgets, "WHERE business_id = $1 ORDER BY id COLLATE \"C\"");
inline constexpr auto list_all_budgets = sql(select_budgets, "ORDER BY business_id, id COLLATE \"C\"");

/// The budgets of the businesses $1 (ids) with each business's anchor day: business id,
/// id, model, amount, thresholds, kind, anchor day, dimension, dimension value. No row: no
/// budget, no crossing to claim.
inline constexpr const char* budgets_of_businesses = R"SQL(
SELECT g.business_id, g.id, g.model, g.amount, g.thresholds, g.kind, b.anchor_day, g.dimension, g.dimension_value
FROM metered_budgets g JOIN businesses b ON b.id = g.business_id
WHERE g.business_id = ANY($1::uuid[])
ORDER BY g.business_id, g.id COLLATE "C"
)SQL";
/// Serialises the crossing claims of the businesses $1 (ids, sorted) until the transaction
/// ends, so that two appends counting on different days of one cycle cannot each miss
/// what the other added (the second sums after the first commits).
inline constexpr const char* lock_crossing_claims = R"SQL(
SELECT count(pg_advisory_xact_lock(7263455128736452 # hashtextextended(x::text, 0)))
FROM (SELECT x FROM unnest($1::uuid[]) x ORDER BY x) s
)SQL";
/// The rate-card cost per model of each cycle ($1 business ids, $2 first days, $3 end
/// days): the cycle's position (1-based), model, cost.
inline constexpr const char* cycle_model_costs = R"SQL(
SELECT c.n, m.model, sum(m.cost)
FROM unnest($1::uuid[], $2::date[], $3::date[]) WITH ORDINALITY AS c(business_id, first_day, end_day, n)
JOIN usage_model_rollups m ON m.business_id = c.business_id AND m.local_day >= c.first_day AND m.local_day < c.end_day
GROUP BY c.n, m.model
)SQL";
/// The rate-card cost of each dimension value in a cycle ($1 business ids, $2 first days,
/// $3 end days, $4 dimensions, $5 values): the position (1-based), the list cost of the
/// value's rollups of rate-card event types (an event's parts sum to its list cost).
inline constexpr const char* cycle_dimension_costs = R"SQL(
SELECT c.n, coalesce(sum(r.list_cost), 0)
FROM unnest($1::uuid[], $2::date[], $3::date[], $4::text[], $5::text[])
     WITH ORDINALITY AS c(business_id, first_day, end_day, dimension, value, n)
LEFT JOIN usage_dimension_rollups r
  ON r.business_id = c.business_id AND r.dimension = c.dimension AND r.local_day >= c.first_day
 AND r.local_day < c.end_day AND r.value = c.value AND r.event_type IN ('llm_call', 'transcription', 'speech')
GROUP BY c.n
)SQL";
/// Claims crossings (arrays: business ids, budget ids, cycle starts, thresholds, keys, cycle
/// ends, amounts, spent, crossed_at in microseconds); one already claimed stays as it is.
inline constexpr const char* claim_crossings = R"SQL(
INSERT INTO metered_budget_crossings (business_id, budget_id, cycle_start, threshold, key, cycle_end, amount, spent,
                                      crossed_at)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::date[], $4::integer[], $5::text[], $6::date[], $7::numeric[],
                     $8::numeric[], $9::bigint[])
ON CONFLICT DO NOTHING
)SQL";
/// A crossing's columns, in the order the store reads them.
inline constexpr char select_crossings[] =
    "SELECT key, business_id, budget_id, cycle_start, cycle_end, threshold, amount, spent, crossed_at "
    "FROM metered_budget_crossings ";
/// Undelivered crossings, oldest claim first (then in claim order), at most $1.
inline constexpr auto pending_crossings =
    sql(select_crossings,
        "WHERE delivered_at IS NULL ORDER BY crossed_at, business_id, cycle_start, budget_id COLLATE \"C\", threshold "
        "LIMIT $1");
inline constexpr const char* mark_crossings_delivered =
    "UPDATE metered_budget_crossings SET delivered_at = now() WHERE key = ANY($1::text[]) AND delivered_at IS NULL";
inline constexpr auto crossings_of_business =
    sql(select_crossings, "WHERE business_id = $1 ORDER BY key COLLATE \"C\"");

inline constexpr const char* list_plans =
    "SELECT id, name, currency, minor_units, rounding, ai_billing, commitments FROM metered_plans ORDER BY id";
inline constexpr const char* list_meters = R"SQL(
SELECT plan_id, event_type, unit, included_quantity, pricing_model, overage_price_cents, tiers, package_size,
       package_price, quota_limit, quota_hard, filters, charge_options
FROM usage_quotas ORDER BY plan_id, position
)SQL";
inline constexpr const char* has_plan = "SELECT 1 FROM metered_plans WHERE id = $1";
/// Later versions of plans (Plan::effective) and the currencies the one-currency rule reads.
inline constexpr const char* list_plan_versions =
    "SELECT plan_id, effective, plan FROM metered_plan_versions ORDER BY plan_id COLLATE \"C\", effective";
inline constexpr const char* plan_currency = "SELECT currency, minor_units FROM metered_plans WHERE id = $1";
inline constexpr const char* plan_version_currencies =
    "SELECT currency, minor_units FROM metered_plan_versions WHERE plan_id = $1";
inline constexpr const char* save_plan_version = R"SQL(
INSERT INTO metered_plan_versions (plan_id, effective, currency, minor_units, plan)
VALUES ($1, $2::date, $3, $4::integer, $5)
ON CONFLICT (plan_id, effective) DO UPDATE SET plan = EXCLUDED.plan
)SQL";
/// Plan changes of businesses: stored once per (business_id, effective); a second save changes nothing.
inline constexpr const char* save_plan_change = R"SQL(
INSERT INTO metered_plan_changes (business_id, effective, plan_id, changed_at) VALUES ($1, $2::date, $3, $4::bigint)
ON CONFLICT (business_id, effective) DO NOTHING
)SQL";
inline constexpr const char* find_plan_change =
    "SELECT effective, plan_id FROM metered_plan_changes WHERE business_id = $1 AND effective = $2::date";
inline constexpr const char* list_plan_changes =
    "SELECT effective, plan_id FROM metered_plan_changes WHERE business_id = $1 ORDER BY effective";
inline constexpr const char* save_plan = R"SQL(
INSERT INTO metered_plans (id, name, currency, minor_units, rounding, ai_billing, commitments)
VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)
ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, currency = EXCLUDED.currency,
                               minor_units = EXCLUDED.minor_units, rounding = EXCLUDED.rounding,
                               ai_billing = EXCLUDED.ai_billing, commitments = EXCLUDED.commitments,
                               updated_at = now()
)SQL";
inline constexpr const char* delete_meters = "DELETE FROM usage_quotas WHERE plan_id = $1";
inline constexpr const char* save_meter = R"SQL(
INSERT INTO usage_quotas (plan_id, event_type, position, unit, included_quantity, pricing_model, overage_price_cents,
                          tiers, package_size, package_price, quota_limit, quota_hard, filters, charge_options)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, $12, $13::jsonb, $14::jsonb)
)SQL";

/// Corrections. The event $1, $2 to correct, locked until the transaction ends (so that
/// concurrent corrections of one event run one after the other): type, quantity, unit
/// price and list cost in cents, local day, model, parts ('' for none), dimensions (''
/// for none), the business's anchor day.
inline constexpr const char* lock_event_to_correct = R"SQL(
SELECT e.event_type, e.quantity, e.unit_price_cents, e.total_cost_cents, e.local_day, e.model, coalesce(e.parts, ''),
       coalesce(e.dimensions::text, ''), b.anchor_day
FROM usage_events e JOIN businesses b ON b.id = e.business_id
WHERE e.business_id = $1 AND e.id = $2
FOR UPDATE OF e
)SQL";
/// A correction's columns, in the order the store reads them.
inline constexpr char select_corrections[] =
    "SELECT business_id, event_id, sequence, kind, event_type, local_day, new_quantity, reason, actor, corrected_at, "
    "quantity_delta, cost_delta, events_delta, new_metadata FROM metered_corrections ";
/// What a correction changes of an event's quantity: event id, kind, quantity delta.
inline constexpr char select_quantity_corrections[] = "SELECT event_id, kind, quantity_delta FROM metered_corrections ";
/// The corrections of event $1, $2 in sequence order.
inline constexpr auto corrections_of_event =
    sql(select_corrections, "WHERE business_id = $1 AND event_id = $2 ORDER BY sequence");
/// The reports of level type $2 of business $1 on local day $3: id, time in microseconds
/// since the Unix epoch, level (the partial index's predicate repeated, so it is used).
inline constexpr const char* level_reports = R"SQL(
SELECT id, (extract(epoch FROM occurred_at) * 1000000)::bigint, quantity FROM usage_events
WHERE business_id = $1 AND event_type = $2 AND local_day = $3::date AND event_type LIKE '%\_level'
)SQL";
/// The corrections of those reports.
inline constexpr auto level_corrections =
    sql(select_quantity_corrections, "WHERE business_id = $1 AND local_day = $3::date AND event_type = $2");
/// Writes the level rollup of business $1, type $2, day $3: $4 first_at, $5 last_at
/// (microseconds), $6 closing, $7 peak, $8 held, $9 reports.
inline constexpr const char* save_level = R"SQL(
INSERT INTO usage_level_rollups (business_id, event_type, local_day, first_at, last_at, closing, peak, held, reports)
VALUES ($1, $2, $3::date, $4::bigint, $5::bigint, $6::numeric, $7::numeric, $8::numeric, $9::bigint)
ON CONFLICT (business_id, event_type, local_day) DO UPDATE
SET first_at = EXCLUDED.first_at, last_at = EXCLUDED.last_at, closing = EXCLUDED.closing, peak = EXCLUDED.peak,
    held = EXCLUDED.held, reports = EXCLUDED.reports
)SQL";
inline constexpr const char* drop_level =
    "DELETE FROM usage_level_rollups WHERE business_id = $1 AND event_type = $2 AND local_day = $3::date";
/// The level rollups of business $1 for local days $2 to $3 (exclusive), with each type's
/// last row before $2: type, day, first_at, last_at, closing, peak, held, reports.
inline constexpr const char* level_rollups = R"SQL(
SELECT event_type, local_day, first_at, last_at, closing, peak, held, reports FROM usage_level_rollups r
WHERE business_id = $1 AND (local_day >= $2::date AND local_day < $3::date OR local_day = (
  SELECT max(local_day) FROM usage_level_rollups p
  WHERE p.business_id = $1 AND p.event_type = r.event_type AND p.local_day < $2::date))
ORDER BY event_type COLLATE "C", local_day
)SQL";
/// The events of business $1, type $2 on the local days $3 to $4 (exclusive): id, time in
/// microseconds since the Unix epoch, local day, quantity. The business's events are found
/// by time (created_at is when each happened) in a window two days wider on each side than
/// the days, which holds every local day of every time zone.
inline constexpr const char* transactions = R"SQL(
SELECT id, (extract(epoch FROM occurred_at) * 1000000)::bigint, local_day, quantity FROM usage_events
WHERE business_id = $1 AND event_type = $2 AND local_day >= $3::date AND local_day < $4::date
  AND created_at >= ($3::date - 2)::timestamp AT TIME ZONE 'UTC'
  AND created_at < ($4::date + 2)::timestamp AT TIME ZONE 'UTC'
)SQL";
/// A page of the events of business $1 on the local days $2 to $3 (exclusive), in the
/// window of `transactions`, after the event at time $4 with id $5 (none: from the first),
/// at most $6: id, type, quantity, unit price and list cost in cents, metadata, time in
/// microseconds since the Unix epoch, local day, model, parts ('' for none), dimensions
/// ('' for none).
inline constexpr const char* recorded_events = R"SQL(
SELECT id, event_type, quantity, unit_price_cents, total_cost_cents, metadata::text,
       (extract(epoch FROM occurred_at) * 1000000)::bigint, local_day, model, coalesce(parts, ''),
       coalesce(dimensions::text, '')
FROM usage_events
WHERE business_id = $1 AND local_day >= $2::date AND local_day < $3::date
  AND created_at >= ($2::date - 2)::timestamp AT TIME ZONE 'UTC'
  AND created_at < ($3::date + 2)::timestamp AT TIME ZONE 'UTC'
  AND ($4::timestamptz IS NULL OR (created_at, id) > ($4::timestamptz, $5::uuid))
ORDER BY created_at, id
LIMIT $6::bigint
)SQL";
/// The corrections of those events.
inline constexpr auto transaction_corrections =
    sql(select_quantity_corrections,
        "WHERE business_id = $1 AND event_type = $2 AND local_day >= $3::date AND local_day < $4::date");
/// The corrections of business $1 whose event's local day is in [$2, $3).
inline constexpr auto corrections_of_days =
    sql(select_corrections, "WHERE business_id = $1 AND local_day >= $2::date AND local_day < $3::date");
/// Adds deltas to the daily rollup of business $1, day $2, type $3: $4 quantity, $5
/// events, $6 list cost in cents; returns the row's event count (no row: none).
inline constexpr const char* correct_daily = R"SQL(
UPDATE usage_daily SET quantity = quantity + $4::numeric, event_count = event_count + $5::bigint,
                       list_cost_cents = list_cost_cents + $6::numeric
WHERE business_id = $1 AND day = $2::date AND event_type = $3
RETURNING event_count
)SQL";
inline constexpr const char* drop_empty_daily =
    "DELETE FROM usage_daily WHERE business_id = $1 AND day = $2::date AND event_type = $3 AND event_count = 0";
/// Takes part $5 of a voided rate-card event out of the model rollup of business $1, day
/// $2, type $3, model $4: $6 quantity, $7 cost, one event.
inline constexpr const char* void_model_part = R"SQL(
UPDATE usage_model_rollups SET quantity = quantity - $6::numeric, events = events - 1, cost = cost - $7::numeric
WHERE business_id = $1 AND local_day = $2::date AND event_type = $3 AND model = $4 AND part = $5
)SQL";
inline constexpr const char* drop_empty_model_part =
    "DELETE FROM usage_model_rollups WHERE business_id = $1 AND local_day = $2::date AND event_type = $3 "
    "AND model = $4 AND part = $5 AND events = 0";
/// Is value $4 of dimension $3 admitted for business $1 in the cycle starting $2?
inline constexpr const char* is_admitted =
    "SELECT 1 FROM usage_dimension_values WHERE business_id = $1 AND cycle_start = $2::date AND dimension = $3 "
    "AND value = $4";
/// Adds deltas to the dimension rollup of business $1, dimension $2, day $3, value $4,
/// type $5: $6 quantity, $7 events, $8 list cost; returns the row's event count.
inline constexpr const char* correct_dimension = R"SQL(
UPDATE usage_dimension_rollups SET quantity = quantity + $6::numeric, events = events + $7::bigint,
                                   list_cost = list_cost + $8::numeric
WHERE business_id = $1 AND dimension = $2 AND local_day = $3::date AND value = $4 AND event_type = $5
RETURNING events
)SQL";
inline constexpr const char* drop_empty_dimension =
    "DELETE FROM usage_dimension_rollups WHERE business_id = $1 AND dimension = $2 AND local_day = $3::date "
    "AND value = $4 AND event_type = $5 AND events = 0";
inline constexpr const char* insert_correction = R"SQL(
INSERT INTO metered_corrections (business_id, event_id, sequence, kind, event_type, local_day, new_quantity, reason,
                                 actor, corrected_at, quantity_delta, cost_delta, events_delta, new_metadata)
VALUES ($1, $2, $3::integer, $4, $5, $6::date, $7::numeric, $8, $9, $10::bigint, $11::numeric, $12::numeric,
        $13::integer, $14)
)SQL";

}  // namespace metered::detail::pg
