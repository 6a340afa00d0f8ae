// SPDX-License-Identifier: MIT
// Dashboard reads as stored events grow, beside the seed's way of reading: its
// billing_overview view aggregated over raw usage_events on every call.
#include <metered/postgres_store.h>

#include "bench_support.h"
#include "sections.h"

namespace metered::bench {
namespace {

// The seed's view, with its CURRENT_DATE fixed at bench_today.
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
           FROM usage_events WHERE event_type = 'api_call' AND created_at >= date_trunc('month', '{today}'::date)
           GROUP BY business_id) api_usage ON api_usage.business_id = b.id
LEFT JOIN (SELECT business_id, SUM(quantity) AS total_minutes, SUM(total_cost_cents) / 100.0 AS total_cost
           FROM usage_events WHERE event_type = 'voice_minute' AND created_at >= date_trunc('month', '{today}'::date)
           GROUP BY business_id) voice_usage ON voice_usage.business_id = b.id
LEFT JOIN (SELECT business_id, SUM(quantity) AS total_queries, SUM(total_cost_cents) / 100.0 AS total_cost
           FROM usage_events WHERE event_type = 'ai_query' AND created_at >= date_trunc('month', '{today}'::date)
           GROUP BY business_id) ai_usage ON ai_usage.business_id = b.id
LEFT JOIN (SELECT business_id, SUM(quantity) AS total_mb, SUM(total_cost_cents) / 100.0 AS total_cost
           FROM usage_events WHERE event_type = 'storage_mb' AND created_at >= date_trunc('month', '{today}'::date)
           GROUP BY business_id) storage_usage ON storage_usage.business_id = b.id
)SQL";

template <class Call>
Percentiles time(int repetitions, Call&& call) {
    std::vector<double> us;
    for (int i = 0; i < repetitions; ++i) {
        const auto start = Steady::now();
        call();
        us.push_back(std::chrono::duration<double, std::micro>(Steady::now() - start).count());
    }
    return percentiles(us);
}

std::string text(const Percentiles& p) {
    return fmt::format("p50 {:.2f} ms, p99 {:.2f} ms", p.p50 / 1000, p.p99 / 1000);
}

}  // namespace

void reads(Report& report, const Options& options) {
    Schema schema;
    auto store = std::make_shared<PostgresStore>(PostgresOptions{.conninfo = schema.conninfo, .pool_size = 2});
    store->migrate();
    const auto ids = makeBusinesses(*store, options.businesses);
    schema.connection().execScript(fmt::format(fmt::runtime(seed_view), fmt::arg("today", bench_today)).c_str());
    UsageReports reports(store, benchClock);
    const BusinessId probe = ids.front();
    auto& c = schema.connection();

    std::size_t loaded = 0;
    std::uint32_t seed = 100;
    Percentiles first_usage{};
    for (std::size_t size : options.read_sizes) {
        while (loaded < size) {
            const auto events = makeEvents(ids, std::min<std::size_t>(200'000, size - loaded), seed++);
            for (std::size_t from = 0; from < events.size(); from += 5000) {
                store->append(std::span<const UsageEvent>(events).subspan(
                    from, std::min<std::size_t>(5000, events.size() - from)));
            }
            loaded += events.size();
        }
        c.execScript("VACUUM ANALYZE");
        const auto usage = time(options.read_repetitions, [&] { reports.getBillingUsage(probe); });
        const auto trends = time(options.read_repetitions, [&] { reports.getUsageTrends(probe, 30); });
        const auto quota = time(options.read_repetitions, [&] { reports.checkQuota(probe, EventType::apiCall()); });
        const auto view = time(std::max(5, options.read_repetitions / 10), [&] {
            c.exec("seed view", "SELECT * FROM seed_billing_overview WHERE business_id = $1",
                   detail::PgParams().add(probe.toString()));
        });
        if (loaded == options.read_sizes.front()) first_usage = usage;
        const std::string at = fmt::format("{} events", size);
        const bool largest = size == options.read_sizes.back() && size > options.read_sizes.front();
        report.add({"reads", "getBillingUsage at " + at, text(usage),
                    fmt::format("seed view {:.0f}x slower; {:.2f}x the first size", view.p50 / usage.p50,
                                usage.p50 / first_usage.p50),
                    largest ? "within 2x of the first size" : "",
                    largest ? verdict(usage.p50 <= 2 * first_usage.p50) : ""});
        report.add({"reads", "getUsageTrends(30) at " + at, text(trends), "", "", ""});
        report.add({"reads", "checkQuota at " + at, text(quota), "", "", ""});
        report.add({"reads", "seed's billing_overview over raw events at " + at, text(view), "",
                    size >= 1'000'000 ? ">= 100x slower than getBillingUsage at 1M" : "",
                    size >= 1'000'000 ? verdict(view.p50 >= 100 * usage.p50) : ""});
    }
}

}  // namespace metered::bench
