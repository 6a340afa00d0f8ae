// SPDX-License-Identifier: MIT
// The benchmark sections metered_bench runs, each adding rows to one report.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "report.h"

namespace metered::bench {

struct Options {
    std::size_t record_calls = 240'000;   ///< record path, split over the threads
    std::size_t sync_calls = 2'000;       ///< synchronous record calls against PostgreSQL
    std::size_t seed_events = 5'000;      ///< one INSERT per event (slow)
    std::size_t ingest_events = 200'000;  ///< per metered run and for the COPY
    std::vector<std::size_t> batches = {100, 1000, 5000};
    std::vector<std::size_t> read_sizes = {10'000, 1'000'000};
    int read_repetitions = 200;
    double sqlite_load_seconds = 300;  ///< grouped: longest SQLite load to the next read size, projected
    std::size_t memory_events = 10'000'000;
    std::size_t businesses = 20;
    std::size_t genai_iterations = 200'000;    ///< priceLlmCall calls per usage (genai)
    std::size_t genai_js_iterations = 10'000;  ///< calcPrice calls per usage under node, after as many warm-up calls
    std::string genai_node_modules = METERED_GENAI_NODE_MODULES;  ///< where npm installed @pydantic/genai-prices
    std::string genai_script = METERED_GENAI_SCRIPT;              ///< bench/genai_prices/genai_prices.mjs
};

/// recordApiCall latency, async, 1/2/8 threads, spool off and on; sync to PostgreSQL.
void recordPath(Report& report, const Options& options);
/// Events/s into PostgreSQL: one INSERT per event, metered end to end, raw COPY.
void ingest(Report& report, const Options& options);
/// getBillingUsage, getUsageTrends(30), checkQuota vs the seed's view, as events grow.
void reads(Report& report, const Options& options);
/// Reads grouped by end_user (getBillingUsage, getUsageTrends(30), topValues(10)) as
/// events grow, on PostgreSQL and on an SQLite file; not in the default run (--sections grouped).
void grouped(Report& report, const Options& options);
/// The PostgreSQL half of grouped (--sections grouped-postgres).
void groupedPostgres(Report& report, const Options& options);
/// The SQLite half of grouped (--sections grouped-sqlite; needs no server).
void groupedSqlite(Report& report, const Options& options);
/// Ingest from 1, 2 and 4 recording processes into one server and into the sharded cluster
/// of the PG_SHARD1… environment (skipped, saying so, without one); bill and trend reads at
/// the largest read size on both.
void scale(Report& report, const Options& options);
/// Peak resident memory while recording many events with default settings.
void memory(Report& report, const Options& options);
/// priceLlmCall vs @pydantic/genai-prices under node: ns per call and each cost's digits.
/// No database; skipped, saying why, without node or the package.
void genai(Report& report, const Options& options);

}  // namespace metered::bench
