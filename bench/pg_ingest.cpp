// SPDX-License-Identifier: MIT
// Ingest into PostgreSQL, side by side on the same server, table and rows:
//   seed    one awaited INSERT per event, autocommit (what the seed does)
//   metered PostgresStore::append in batches (idempotency and rollups included)
//   copy    a raw COPY of the same rows into usage_events, no rollups (the ceiling)
// Prints events/s per way and the ratios. Runs against the PG* environment.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <chrono>
#include <metered/metered.h>
#include <metered/postgres_store.h>

#include "bench_support.h"
#include "postgres/pg_connection.h"

using namespace metered;
using Steady = std::chrono::steady_clock;

namespace {

double secondsOf(Steady::duration d) { return std::chrono::duration<double>(d).count(); }

double seedWay(detail::PgConnection& c, const std::vector<UsageEvent>& events) {
    const auto start = Steady::now();
    for (const auto& e : events) {
        c.exec("seed insert",
               "INSERT INTO usage_events (business_id, id, event_type, quantity, unit_price_cents, total_cost_cents, "
               "metadata, occurred_at, local_day, created_at) "
               "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, ($8::timestamptz AT TIME ZONE 'UTC')::date, $8)",
               detail::PgParams()
                   .add(e.business.toString())
                   .add(e.id.toString())
                   .add(std::string(e.type.name()))
                   .add(e.quantity.toString())
                   .add((e.unit_price * Decimal(100)).toString())
                   .add((e.list_cost * Decimal(100)).toString())
                   .add(e.metadata.toJson())
                   .add(date::format("%F %T+00", e.occurred_at)));
    }
    return static_cast<double>(events.size()) / secondsOf(Steady::now() - start);
}

double meteredWay(PostgresStore& store, const std::vector<UsageEvent>& events, std::size_t batch) {
    const auto start = Steady::now();
    for (std::size_t from = 0; from < events.size(); from += batch) {
        const auto n = std::min(batch, events.size() - from);
        const auto result = store.append(std::span<const UsageEvent>(events).subspan(from, n));
        if (result.stored != n) throw std::runtime_error("metered stored " + std::to_string(result.stored));
    }
    return static_cast<double>(events.size()) / secondsOf(Steady::now() - start);
}

double copyWay(detail::PgConnection& c, const std::vector<UsageEvent>& events) {
    const auto start = Steady::now();
    bench::copyEvents(c, events);
    return static_cast<double>(events.size()) / secondsOf(Steady::now() - start);
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"PostgreSQL ingest: the seed's way, metered, and a raw COPY"};
    std::size_t events = 50000, seed_events = 5000, businesses = 20;
    std::vector<std::size_t> batches = {100, 1000, 5000};
    app.add_option("--events", events, "events per run of metered and COPY");
    app.add_option("--seed-events", seed_events, "events for the (slow) one-INSERT-per-event run");
    app.add_option("--batches", batches, "metered batch sizes");
    app.add_option("--businesses", businesses, "businesses the events belong to");
    CLI11_PARSE(app, argc, argv);

    bench::Schema schema;
    PostgresStore store({.conninfo = schema.conninfo});
    store.migrate();
    const auto ids = bench::makeBusinesses(store, businesses);
    auto& c = schema.connection();

    std::vector<bench::Row> rows;
    const auto seed_rows = bench::makeEvents(ids, seed_events);
    schema.truncate();
    rows.push_back({"seed: one INSERT per event", seedWay(c, seed_rows)});
    const auto all = bench::makeEvents(ids, events);
    schema.truncate();
    const double copy = copyWay(c, all);
    for (auto batch : batches) {
        schema.truncate();
        rows.push_back({fmt::format("metered: append, batch {}", batch), meteredWay(store, all, batch)});
    }
    rows.push_back({"ceiling: raw COPY, no rollups", copy});
    fmt::print("PostgreSQL ingest, {} events ({} for the seed's way), {} businesses, one connection\n", events,
               seed_events, businesses);
    bench::printRates(rows, rows.front().rate, copy);
}
