// SPDX-License-Identifier: MIT
// Dashboard reads as the event count grows, against the seed's way of reading: its
// billing_overview view aggregated over raw usage_events.
// Loads events through PostgresStore::append, then at each size times getBillingUsage,
// getUsageTrends(30) and checkQuota for one business, and the seed-style view for the
// same business. Prints median and p99 and the ratios.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <metered/metered.h>
#include <metered/postgres_store.h>

#include "bench_support.h"

using namespace metered;
using Steady = std::chrono::steady_clock;

namespace {

// The seed's billing_overview, as the seed describes it: per business, this month's
// quantities and costs summed from the raw events on every read.
constexpr const char* seed_view = R"SQL(
CREATE VIEW seed_billing_overview AS
SELECT b.id AS business_id, b.name AS business_name,
       COALESCE(api_usage.total_calls, 0) AS api_calls,
       COALESCE(voice_usage.total_minutes, 0) AS voice_minutes,
       COALESCE(ai_usage.total_queries, 0) AS ai_queries,
       COALESCE(storage_usage.total_mb, 0) AS storage_mb,
       COALESCE(api_usage.total_cost, 0) + COALESCE(voice_usage.total_cost, 0) +
       COALESCE(ai_usage.total_cost, 0) + COALESCE(storage_usage.total_cost, 0) AS total_cost
FROM businesses b
LEFT JOIN (SELECT business_id, SUM(quantity) AS total_calls, SUM(total_cost_cents) / 100.0 AS total_cost
           FROM usage_events WHERE event_type = 'api_call' AND created_at >= date_trunc('month', CURRENT_DATE)
           GROUP BY business_id) api_usage ON api_usage.business_id = b.id
LEFT JOIN (SELECT business_id, SUM(quantity) AS total_minutes, SUM(total_cost_cents) / 100.0 AS total_cost
           FROM usage_events WHERE event_type = 'voice_minute' AND created_at >= date_trunc('month', CURRENT_DATE)
           GROUP BY business_id) voice_usage ON voice_usage.business_id = b.id
LEFT JOIN (SELECT business_id, SUM(quantity) AS total_queries, SUM(total_cost_cents) / 100.0 AS total_cost
           FROM usage_events WHERE event_type = 'ai_query' AND created_at >= date_trunc('month', CURRENT_DATE)
           GROUP BY business_id) ai_usage ON ai_usage.business_id = b.id
LEFT JOIN (SELECT business_id, SUM(quantity) AS total_mb, SUM(total_cost_cents) / 100.0 AS total_cost
           FROM usage_events WHERE event_type = 'storage_mb' AND created_at >= date_trunc('month', CURRENT_DATE)
           GROUP BY business_id) storage_usage ON storage_usage.business_id = b.id
)SQL";

struct Timing {
    double median_us, p99_us;
};

template <class Call>
Timing time(int repetitions, Call&& call) {
    std::vector<double> us;
    for (int i = 0; i < repetitions; ++i) {
        const auto start = Steady::now();
        call();
        us.push_back(std::chrono::duration<double, std::micro>(Steady::now() - start).count());
    }
    std::sort(us.begin(), us.end());
    return {us[us.size() / 2], us[std::min(us.size() - 1, us.size() * 99 / 100)]};
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Dashboard reads at growing event counts, beside the seed's view over raw events"};
    std::vector<std::size_t> sizes = {10'000, 1'000'000};
    std::size_t businesses = 20;
    int repetitions = 200;
    bool ten_million = false;
    app.add_option("--sizes", sizes, "stored event counts to measure at (ascending)");
    app.add_flag("--ten-million", ten_million, "also measure at 10,000,000 events (loading takes minutes)");
    app.add_option("--businesses", businesses, "businesses the events are spread over");
    app.add_option("--repetitions", repetitions, "calls timed per read and size");
    CLI11_PARSE(app, argc, argv);
    if (ten_million) sizes.push_back(10'000'000);

    bench::Schema schema;
    auto store = std::make_shared<PostgresStore>(PostgresOptions{.conninfo = schema.conninfo, .pool_size = 2});
    store->migrate();
    const auto ids = bench::makeBusinesses(*store, businesses);
    schema.connection().execScript(seed_view);
    UsageRecorder recorder(store);
    const BusinessId probe = ids.front();
    auto& c = schema.connection();
    const std::string seed_query = "SELECT * FROM seed_billing_overview WHERE business_id = $1";

    fmt::print("Reads for one business, {} businesses, {} calls each (microseconds)\n", businesses, repetitions);
    fmt::print("{:>11} {:>22} {:>22} {:>22} {:>22} {:>10}\n", "events", "getBillingUsage p50/p99",
               "getUsageTrends p50/p99", "checkQuota p50/p99", "seed view p50/p99", "seed/ours");
    std::size_t loaded = 0;
    std::uint32_t seed = 1;
    for (std::size_t size : sizes) {
        while (loaded < size) {
            const std::size_t chunk = std::min<std::size_t>(200'000, size - loaded);
            const auto events = bench::makeEvents(ids, chunk, seed++);
            for (std::size_t from = 0; from < events.size(); from += 5000) {
                store->append(std::span<const UsageEvent>(events).subspan(from, std::min<std::size_t>(5000, events.size() - from)));
            }
            loaded += chunk;
        }
        c.execScript("VACUUM ANALYZE");
        const auto usage = time(repetitions, [&] { recorder.getBillingUsage(probe); });
        const auto trends = time(repetitions, [&] { recorder.getUsageTrends(probe, 30); });
        const auto quota = time(repetitions, [&] { recorder.checkQuota(probe, EventType::apiCall()); });
        const auto view = time(std::max(5, repetitions / 10), [&] {
            c.exec("seed view", seed_query.c_str(), detail::PgParams().add(probe.toString()));
        });
        fmt::print("{:>11} {:>10.0f} / {:>9.0f} {:>10.0f} / {:>9.0f} {:>10.0f} / {:>9.0f} {:>10.0f} / {:>9.0f} {:>9.0f}x\n",
                   size, usage.median_us, usage.p99_us, trends.median_us, trends.p99_us, quota.median_us,
                   quota.p99_us, view.median_us, view.p99_us, view.median_us / usage.median_us);
        std::fflush(stdout);
    }
}
