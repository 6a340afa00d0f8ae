// SPDX-License-Identifier: MIT
// Ingest from several recording processes at once (1, 2, 4), each its own recorder (spool
// on, batches of 1000) over its own businesses, into one server and into the sharded
// cluster of the PG_SHARD1… environment (../shared/tools/pg-shards; scripts/bench.sh starts
// it), straight to its servers and through its coordinator's PL/Proxy function: events/s
// from the first fork to the last process's flush, the same events each way; then a bill
// and 30 days of trends of one business at the largest read size, one server and cluster.
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <metered/postgres_store.h>
#include <metered/sharded_postgres_store.h>

#include "bench_support.h"
#include "sections.h"

namespace metered::bench {
namespace {

constexpr int process_counts[] = {1, 2, 4};

// Records `events` from `processes` child processes (business i's events in process
// i mod processes), each through a recorder over the store `open` makes: events/s.
double fromProcesses(const std::function<std::shared_ptr<UsageStore>()>& open, const std::vector<UsageEvent>& events,
                     int processes) {
    std::map<BusinessId, int> process_of;
    std::vector<std::vector<const UsageEvent*>> parts(static_cast<std::size_t>(processes));
    for (const UsageEvent& e : events) {
        const auto [it, added] = process_of.emplace(e.business, static_cast<int>(process_of.size()) % processes);
        parts[static_cast<std::size_t>(it->second)].push_back(&e);
    }
    const auto start = Steady::now();
    std::vector<pid_t> children;
    for (const auto& part : parts) {
        const pid_t pid = ::fork();
        if (pid < 0) throw std::runtime_error("fork failed");
        if (pid == 0) {
            int code = 1;
            try {
                const auto dir =
                    std::filesystem::temp_directory_path() / ("metered-bench-" + Uuid::generateV7().toString());
                {
                    UsageRecorder recorder(open(),
                                           {.mode = RecordMode::async,
                                            .async = {.max_batch = 1000, .spool = SpoolMode::on, .spool_dir = dir},
                                            .late_event_window = std::nullopt});
                    for (const UsageEvent* e : part) {
                        recorder.record(e->business, e->type, e->quantity, e->metadata,
                                        {.occurred_at = e->occurred_at});
                    }
                    if (recorder.flush(std::chrono::minutes(10)) && recorder.stats().stored == part.size()) code = 0;
                }
                std::filesystem::remove_all(dir);
            } catch (const std::exception& e) {
                fmt::print(stderr, "scale: a recording process failed: {}\n", e.what());
            }
            ::_exit(code);  // no destructor of the parent's objects runs in the child
        }
        children.push_back(pid);
    }
    bool ok = true;
    for (pid_t child : children) {
        int status = 0;
        ::waitpid(child, &status, 0);
        ok = ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    if (!ok) throw std::runtime_error("a recording process did not store all its events");
    return static_cast<double>(events.size()) / secondsSince(start);
}

// Stores `events` in batches of 5000, then times a bill and 30 days of trends of `probe`
// and adds their lines, named for `where` (against `beside`, one server's, when given).
std::array<Percentiles, 2> readLines(Report& report, const Options& options, const std::shared_ptr<UsageStore>& store,
                                     const std::vector<UsageEvent>& events, const BusinessId& probe,
                                     const std::string& where, const std::array<Percentiles, 2>* beside) {
    for (std::size_t from = 0; from < events.size(); from += 5000) {
        const auto appended = store->append(
            std::span<const UsageEvent>(events).subspan(from, std::min<std::size_t>(5000, events.size() - from)));
        if (!appended.rejected.empty()) {
            throw std::runtime_error("scale: an event was refused: " + appended.rejected[0].reason);
        }
    }
    const UsageReports reports(store, benchClock);
    const std::array<Percentiles, 2> read = {
        time(options.read_repetitions, [&] { reports.getBillingUsage(probe); }),
        time(options.read_repetitions, [&] { reports.getUsageTrends(probe, 30); })};
    const std::string at = fmt::format("{} events, {}", events.size(), where);
    const auto against = [&](std::size_t i) {
        return beside != nullptr ? fmt::format("{:.2f}x one server", read[i].p50 / (*beside)[i].p50) : std::string();
    };
    report.add({"scale", "getBillingUsage at " + at, readText(read[0]), against(0), "", ""});
    report.add({"scale", "getUsageTrends(30) at " + at, readText(read[1]), against(1), "", ""});
    return read;
}

// The sharded cluster's servers from the environment (PG_SHARDS, PG_SHARD1…), read before
// any thread starts.
// NOLINTBEGIN(concurrency-mt-unsafe)
std::vector<std::string> clusterServers() {
    std::vector<std::string> servers;
    const char* count = std::getenv("PG_SHARDS");
    for (int k = 1; count != nullptr && k <= std::atoi(count); ++k) {
        if (const char* uri = std::getenv(fmt::format("PG_SHARD{}", k).c_str())) servers.emplace_back(uri);
    }
    return servers;
}
// The cluster's coordinator (PG_COORD) and its foreign server of each server
// (PG_FDW_SERVERS), when it has PL/Proxy (PG_PLPROXY_CLUSTER).
std::optional<std::pair<std::string, std::vector<std::string>>> clusterCoordinator() {
    const char* uri = std::getenv("PG_COORD");
    const char* names = std::getenv("PG_FDW_SERVERS");
    if (uri == nullptr || names == nullptr || std::getenv("PG_PLPROXY_CLUSTER") == nullptr) return std::nullopt;
    std::vector<std::string> servers;
    std::istringstream words(names);
    for (std::string name; words >> name;) servers.push_back(name);
    return std::pair(std::string(uri), servers);
}
// NOLINTEND(concurrency-mt-unsafe)

}  // namespace

void scale(Report& report, const Options& options) {
    std::map<int, double> one_server;
    std::map<int, double> cluster;
    std::array<Percentiles, 2> one_server_reads{};
    const std::size_t read_size = options.read_sizes.back();
    {
        Schema schema;
        auto store = std::make_shared<PostgresStore>(PostgresOptions{.conninfo = schema.conninfo});
        store->migrate();
        const auto ids = makeBusinesses(*store, options.businesses);
        const auto events = makeEvents(ids, options.ingest_events, 7, std::chrono::minutes(10));
        for (int processes : process_counts) {
            schema.truncate();
            const double rate = fromProcesses(
                [&] { return std::make_shared<PostgresStore>(PostgresOptions{.conninfo = schema.conninfo}); }, events,
                processes);
            one_server[processes] = rate;
            report.add(
                {"scale",
                 fmt::format("ingest from {} recording process{}, one server", processes, processes == 1 ? "" : "es"),
                 fmt::format("{:.0f} events/s", rate), fmt::format("{:.2f}x one process", rate / one_server[1]), "",
                 ""});
        }
        schema.truncate();
        one_server_reads =
            readLines(report, options, store, makeEvents(ids, read_size, 11), ids.front(), "one server", nullptr);
    }

    const auto servers = clusterServers();
    if (servers.empty()) {
        report.add({"scale", "ingest into a sharded cluster", "skipped", "no PG_SHARD1… (scripts/bench.sh starts one)",
                    "", ""});
        return;
    }
    // A schema of its own on every server.
    const std::string name = "metered_bench_" + Uuid::generateV7().toString().substr(24);
    std::vector<detail::PgConnection> admins;
    std::vector<std::string> conninfos;
    for (const std::string& uri : servers) {
        admins.emplace_back(uri);
        admins.back().execScript(("CREATE SCHEMA " + name + "; SET search_path = " + name).c_str());
        conninfos.push_back(uri + "?options=-c%20search_path%3D" + name);
    }
    const auto open = [&] {
        return std::make_shared<ShardedPostgresStore>(ShardedPostgresOptions{.shards = conninfos});
    };
    try {
        const auto store = open();
        store->migrate();
        const auto ids = makeBusinesses(*store, options.businesses);
        const auto events = makeEvents(ids, options.ingest_events, 7, std::chrono::minutes(10));
        for (int processes : process_counts) {
            for (auto& admin : admins) admin.execScript("TRUNCATE usage_events, usage_daily; CHECKPOINT");
            const double rate = fromProcesses(open, events, processes);
            cluster[processes] = rate;
            report.add({"scale",
                        fmt::format("ingest from {} recording process{}, {}-server cluster", processes,
                                    processes == 1 ? "" : "es", servers.size()),
                        fmt::format("{:.0f} events/s", rate),
                        fmt::format("{:.2f}x one server, same processes", rate / one_server[processes]), "", ""});
        }
        // The same through the coordinator's PL/Proxy function, when the cluster has one.
        if (const auto coordinator = clusterCoordinator()) {
            detail::PgConnection coordinator_admin(coordinator->first);
            coordinator_admin.execScript(("CREATE SCHEMA " + name).c_str());
            const std::string coordinator_conninfo = coordinator->first + "?options=-c%20search_path%3D" + name;
            store->attachCoordinator(coordinator_conninfo, coordinator->second);
            for (int processes : process_counts) {
                for (auto& admin : admins) admin.execScript("TRUNCATE usage_events, usage_daily; CHECKPOINT");
                const double rate = fromProcesses(
                    [&] {
                        return std::make_shared<ShardedPostgresStore>(
                            ShardedPostgresOptions{.shards = conninfos, .coordinator = coordinator_conninfo});
                    },
                    events, processes);
                report.add({"scale",
                            fmt::format("ingest from {} recording process{}, {}-server cluster through PL/Proxy",
                                        processes, processes == 1 ? "" : "es", servers.size()),
                            fmt::format("{:.0f} events/s", rate),
                            fmt::format("{:.2f}x straight to the servers", rate / cluster[processes]), "", ""});
            }
            coordinator_admin.execScript(
                ("DROP SCHEMA " + name + " CASCADE; DROP SERVER metered_" + name + " CASCADE").c_str());
        }
        for (auto& admin : admins) admin.execScript("TRUNCATE usage_events, usage_daily; CHECKPOINT");
        readLines(report, options, store, makeEvents(ids, read_size, 11), ids.front(),
                  fmt::format("{}-server cluster", servers.size()), &one_server_reads);
    } catch (...) {
        for (auto& admin : admins) admin.execScript(("DROP SCHEMA " + name + " CASCADE").c_str());
        throw;
    }
    for (auto& admin : admins) admin.execScript(("DROP SCHEMA " + name + " CASCADE").c_str());
}

}  // namespace metered::bench
