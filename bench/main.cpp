// SPDX-License-Identifier: MIT
// metered_bench: every benchmark in one run, side by side, printed as one table.
// Needs a PostgreSQL server in the PG* environment (scripts/bench.sh starts one).
#include <CLI/CLI.hpp>

#include "sections.h"

int main(int argc, char** argv) {
    using namespace metered::bench;
    CLI::App app{"metered benchmarks: record path, PostgreSQL ingest, reads, memory, LLM pricing"};
    Options options;
    std::vector<std::string> sections = {"record", "ingest", "scale", "reads", "memory", "genai"};
    bool ten_million = false;
    app.add_option("--sections", sections, "which sections to run (also: grouped, grouped-postgres, grouped-sqlite)")
        ->capture_default_str();
    app.add_option("--record-calls", options.record_calls, "record calls, split over the threads")
        ->capture_default_str();
    app.add_option("--sync-calls", options.sync_calls, "synchronous record calls to PostgreSQL")->capture_default_str();
    app.add_option("--seed-events", options.seed_events, "events for the one-INSERT-per-event run")
        ->capture_default_str();
    app.add_option("--ingest-events", options.ingest_events, "events per metered run and for COPY")
        ->capture_default_str();
    app.add_option("--batches", options.batches, "metered batch sizes")->capture_default_str();
    app.add_option("--read-sizes", options.read_sizes, "stored event counts to read at")->capture_default_str();
    app.add_flag("--ten-million", ten_million,
                 "also read (reads, grouped) at 10,000,000 stored events (loading takes minutes)");
    app.add_option("--sqlite-load-seconds", options.sqlite_load_seconds,
                   "grouped: load SQLite to a read size only if projected to take at most this long")
        ->capture_default_str();
    app.add_option("--read-repetitions", options.read_repetitions, "timed calls per read")->capture_default_str();
    app.add_option("--memory-events", options.memory_events, "events for the memory run")->capture_default_str();
    app.add_option("--businesses", options.businesses, "businesses the events belong to")->capture_default_str();
    app.add_option("--genai-iterations", options.genai_iterations, "priceLlmCall calls per usage")
        ->capture_default_str();
    app.add_option("--genai-js-iterations", options.genai_js_iterations, "calcPrice calls per usage under node")
        ->capture_default_str();
    app.add_option("--genai-node-modules", options.genai_node_modules,
                   "node_modules holding @pydantic/genai-prices (scripts/bench.sh installs it)")
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    if (ten_million) options.read_sizes.push_back(10'000'000);

    Report report;
    try {
        for (const auto& section : sections) {
            fmt::print(stderr, "== {}\n", section);
            if (section == "record") recordPath(report, options);
            else if (section == "ingest") ingest(report, options);
            else if (section == "scale") scale(report, options);
            else if (section == "reads") reads(report, options);
            else if (section == "grouped") grouped(report, options);
            else if (section == "grouped-postgres") groupedPostgres(report, options);
            else if (section == "grouped-sqlite") groupedSqlite(report, options);
            else if (section == "memory") memory(report, options);
            else if (section == "genai") genai(report, options);
            else throw std::runtime_error("unknown section " + section);
        }
    } catch (const std::exception& e) {
        fmt::print(stderr, "metered_bench: {}\n", e.what());
        report.print();
        return 1;
    }
    report.print();
}
