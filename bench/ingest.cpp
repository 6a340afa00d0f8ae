// SPDX-License-Identifier: MIT
// Ingest into PostgreSQL on one server, table and set of rows:
//   the seed's way   one awaited INSERT per event, autocommit, one connection
//   metered          record -> spool -> flusher -> store (idempotency and rollups): the
//                    default's batches in flight (each appended on a pooled connection of
//                    its own), and one batch at a time
//   the ceiling      a raw COPY into usage_events, no rollups, no idempotency: on one
//                    connection, and on as many as the default's batches in flight, each
//                    its share of the rows; a metered line is compared with the ceiling at
//                    its own number of connections (DESIGN.md's target)
//   partitioned      metered again, with the events partitioned by month (and the
//                    conversion of the stored events to that layout)
#include <filesystem>
#include <future>
#include <memory>
#include <metered/postgres_store.h>

#include "bench_support.h"
#include "sections.h"

namespace metered::bench {
namespace {

// The ceiling: `events` copied raw (copyEvents) on `connections` connections at once, each
// its share of the rows: events/s from the first row sent to the last commit.
double copyCeiling(const std::string& conninfo, const std::vector<UsageEvent>& events, std::size_t connections) {
    std::vector<std::unique_ptr<detail::PgConnection>> open;
    for (std::size_t i = 0; i < connections; ++i) open.push_back(std::make_unique<detail::PgConnection>(conninfo));
    const auto start = Steady::now();
    std::vector<std::future<void>> copies;
    for (std::size_t i = 0; i < connections; ++i) {
        const std::size_t first = events.size() * i / connections, last = events.size() * (i + 1) / connections;
        copies.push_back(std::async(std::launch::async, [&, i, first, last] {
            copyEvents(*open[i], std::span<const UsageEvent>(events).subspan(first, last - first));
        }));
    }
    for (auto& copy : copies) copy.get();  // rethrows a copy's error
    return static_cast<double>(events.size()) / secondsSince(start);
}

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
    return static_cast<double>(events.size()) / secondsSince(start);
}

// Records `events` through an asynchronous recorder with the spool on (`in_flight` batches
// appended at once: the default unless given), and waits until the flusher has stored them
// all: events/s end to end.
double meteredWay(const std::string& conninfo, const std::vector<UsageEvent>& events, std::size_t batch,
                  std::size_t in_flight = AsyncOptions{}.appends_in_flight) {
    auto store = std::make_shared<PostgresStore>(PostgresOptions{.conninfo = conninfo});
    const auto dir = std::filesystem::temp_directory_path() / ("metered-bench-" + Uuid::generateV7().toString());
    double rate = 0;
    {
        UsageRecorder recorder(
            store,
            {.mode = RecordMode::async,
             .async = {.max_batch = batch, .appends_in_flight = in_flight, .spool = SpoolMode::on, .spool_dir = dir},
             .late_event_window = std::nullopt});  // events around bench_now
        const auto start = Steady::now();
        for (const auto& e : events)
            recorder.record(e.business, e.type, e.quantity, e.metadata, {.occurred_at = e.occurred_at});
        flushAll(recorder, std::chrono::minutes(10));
        rate = static_cast<double>(events.size()) / secondsSince(start);
        if (recorder.stats().stored != events.size()) throw std::runtime_error("not every event was stored");
    }
    std::filesystem::remove_all(dir);
    return rate;
}

}  // namespace

void ingest(Report& report, const Options& options) {
    Schema schema;
    PostgresStore store({.conninfo = schema.conninfo});
    store.migrate();
    const auto ids = makeBusinesses(store, options.businesses);
    auto& c = schema.connection();

    const auto few = makeEvents(ids, options.seed_events, 1);
    schema.truncate();
    const double seed = seedWay(c, few);
    report.add({"ingest", "seed: one INSERT per event, autocommit", fmt::format("{:.0f} events/s", seed), "1.0x seed",
                "", ""});

    // Live traffic: what a host records as it happens (the last ten minutes), so a batch
    // adds to one day's rollup per business and type.
    const auto events = makeEvents(ids, options.ingest_events, 2, std::chrono::minutes(10));
    // The ceiling at the number of connections metered appends on: one, and the default's
    // batches in flight (each on a pooled connection of its own). The ceilings and the
    // metered runs are measured in alternating rounds, so that a change in the disk's or
    // the host's speed during the section moves both alike; each figure is the median of
    // its rounds, each ratio the median of the rounds' ratios.
    const std::size_t in_flight = AsyncOptions{}.appends_in_flight;
    constexpr int ingest_rounds = 5;
    std::vector<double> copy_rounds, copy_in_flight_rounds, one_at_a_time_rounds, one_at_a_time_ratios;
    std::vector<std::vector<double>> batch_rounds(options.batches.size()), batch_ratios(options.batches.size());
    std::vector<double> default_over_one;  // batch 1000 with the default in flight / one at a time
    for (int round = 0; round < ingest_rounds; ++round) {
        schema.truncate();
        const double copy = copyCeiling(schema.conninfo, events, 1);
        schema.truncate();
        const double copy_in_flight = copyCeiling(schema.conninfo, events, in_flight);
        copy_rounds.push_back(copy);
        copy_in_flight_rounds.push_back(copy_in_flight);
        double batch_1000 = 0;
        for (std::size_t b = 0; b < options.batches.size(); ++b) {
            schema.truncate();
            const double rate = meteredWay(schema.conninfo, events, options.batches[b]);
            if (options.batches[b] == 1000) batch_1000 = rate;
            batch_rounds[b].push_back(rate);
            batch_ratios[b].push_back(rate / copy_in_flight);
        }
        // One batch appended at a time (AsyncOptions::appends_in_flight = 1, which keeps the
        // order across batches): one connection.
        schema.truncate();
        const double one_at_a_time = meteredWay(schema.conninfo, events, 1000, 1);
        one_at_a_time_rounds.push_back(one_at_a_time);
        one_at_a_time_ratios.push_back(one_at_a_time / copy);
        if (batch_1000 > 0) default_over_one.push_back(batch_1000 / one_at_a_time);
    }
    const double copy = median(copy_rounds), copy_in_flight = median(copy_in_flight_rounds);
    const std::string of_copy = fmt::format("% of COPY on {} connections", in_flight);
    const std::string rounds = fmt::format("median of {} alternating rounds", ingest_rounds);
    double batch_1000 = 0;
    for (std::size_t b = 0; b < options.batches.size(); ++b) {
        const double rate = median(batch_rounds[b]), ratio = median(batch_ratios[b]);
        if (options.batches[b] == 1000) batch_1000 = rate;
        report.add({"ingest", fmt::format("metered end to end, batch {}", options.batches[b]),
                    fmt::format("{:.0f} events/s", rate),
                    fmt::format("{:.1f}x seed, {:.0f}{}; {}", rate / seed, 100 * ratio, of_copy, rounds),
                    ">= 75% of COPY, >= 15x seed", verdict(ratio >= 0.75 && rate >= 15 * seed)});
    }
    const double one_at_a_time = median(one_at_a_time_rounds), one_ratio = median(one_at_a_time_ratios);
    report.add(
        {"ingest", "metered end to end, batch 1000, one append at a time",
         fmt::format("{:.0f} events/s", one_at_a_time),
         fmt::format("{:.1f}x seed, {:.0f}% of COPY on 1 connection; {}{}", one_at_a_time / seed, 100 * one_ratio,
                     rounds,
                     default_over_one.empty() ? std::string()
                                              : fmt::format("; the default is {:.2f}x this", median(default_over_one))),
         "", ""});  // shown, not targeted: the default appends more at once
    // A backfill: the same number of events spread over 18 days, so a batch of 1000 adds to
    // some 600 daily rollups instead of 60. Shown, not targeted.
    schema.truncate();
    const double backfill = meteredWay(schema.conninfo, makeEvents(ids, options.ingest_events, 3), 1000);
    report.add(
        {"ingest", "metered end to end, batch 1000, backfill over 18 days", fmt::format("{:.0f} events/s", backfill),
         fmt::format("{:.1f}x seed, {:.0f}{}", backfill / seed, 100 * backfill / copy_in_flight, of_copy), "", ""});

    // What each stored event takes on disk, with its indexes: the month partitions, the keys.
    const auto bytes = [&](const char* relations) {
        const auto r = c.exec("sizes", fmt::format("SELECT sum(pg_total_relation_size(oid)) FROM pg_class WHERE oid IN "
                                                   "({})",
                                                   relations)
                                           .c_str());
        return std::stod(std::string(r.text(0, 0))) / static_cast<double>(events.size());
    };
    c.execScript("VACUUM ANALYZE usage_events");
    report.add({"ingest", "bytes per stored event, one table",
                fmt::format("{:.0f} B", bytes("SELECT 'usage_events'::regclass")), "table and indexes", "", ""});

    // The backfill's events partitioned by month (a copy of the table under a lock), then
    // live traffic into the partitioned table: each id goes to usage_event_keys as well.
    const auto convert_start = Steady::now();
    store.partitionEventsByMonth();
    const double converted = static_cast<double>(options.ingest_events) / secondsSince(convert_start);
    report.add({"ingest", "partitionEventsByMonth of the stored events", fmt::format("{:.0f} events/s", converted),
                fmt::format("{:.0f}% of COPY on 1 connection", 100 * converted / copy), "", ""});
    c.execScript("TRUNCATE usage_events, usage_event_keys, usage_daily; CHECKPOINT");
    const double partitioned = meteredWay(schema.conninfo, events, 1000);
    report.add({"ingest", "metered end to end, batch 1000, events partitioned by month",
                fmt::format("{:.0f} events/s", partitioned),
                fmt::format("{:.0f}{}, {:.0f}% of unpartitioned", 100 * partitioned / copy_in_flight, of_copy,
                            batch_1000 > 0 ? 100 * partitioned / batch_1000 : 0.0),
                "", ""});
    c.execScript("VACUUM ANALYZE usage_events, usage_event_keys");
    report.add({"ingest", "bytes per stored event, events partitioned by month",
                fmt::format("{:.0f} B + {:.0f} B key",
                            bytes("SELECT inhrelid FROM pg_inherits WHERE inhparent = 'usage_events'::regclass"),
                            bytes("SELECT 'usage_event_keys'::regclass")),
                "table and indexes", "", ""});
    report.add({"ingest", "ceiling: raw COPY, no rollups, 1 connection", fmt::format("{:.0f} events/s", copy),
                fmt::format("{:.1f}x seed; {}", copy / seed, rounds), "", ""});
    report.add(
        {"ingest", fmt::format("ceiling: raw COPY, no rollups, {} connections", in_flight),
         fmt::format("{:.0f} events/s", copy_in_flight),
         fmt::format("{:.1f}x seed, {:.2f}x 1 connection; {}", copy_in_flight / seed, copy_in_flight / copy, rounds),
         "", ""});
}

}  // namespace metered::bench
