// SPDX-License-Identifier: MIT
// Dashboard reads as stored events grow, beside the seed's way of reading: its
// billing_overview view aggregated over raw usage_events on every call.
#include <metered/postgres_store.h>

#include <array>

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

// One event in ten becomes an LLM call priced by the rate card (one of eight models, four
// parts), so the per-model rollups fill as the per-type ones do: through append. The
// events of `keep` stay as they are (the bills read of it price only the built-in types).
void makeSomeRateCard(std::vector<UsageEvent>& events, std::uint32_t seed, const BusinessId& keep) {
    static const std::array<const char*, 8> models = {"openai/gpt-4o",
                                                      "openai/gpt-4o-mini",
                                                      "openai/o3-mini",
                                                      "anthropic/claude-sonnet-4",
                                                      "anthropic/claude-3-5-haiku",
                                                      "vertex_ai/gemini-2.0-flash",
                                                      "mistral/mistral-large",
                                                      "groq/llama-3.3-70b"};
    std::mt19937 random(seed);
    for (std::size_t i = 0; i < events.size(); i += 10) {
        UsageEvent& e = events[i];
        if (e.business == keep) continue;
        const auto input = static_cast<std::int64_t>(random() % 4000 + 1);
        const auto cached = static_cast<std::int64_t>(random() % 1000);
        const auto output = static_cast<std::int64_t>(random() % 800 + 1);
        e.type = EventType::llmCall();
        e.quantity = Decimal(1);
        e.model = models[random() % models.size()];
        e.parts = {{UsagePart::input, Decimal(input), Decimal(input) * Decimal::fromMantissa(25, 7)},
                   {UsagePart::output, Decimal(output), Decimal(output) * Decimal::fromMantissa(1, 5)},
                   {UsagePart::requests, Decimal(1), Decimal()}};
        if (cached > 0) {
            e.parts.insert(e.parts.begin() + 1, PricedPart{UsagePart::cached_input, Decimal(cached),
                                                           Decimal(cached) * Decimal::fromMantissa(125, 8)});
        }
        e.list_cost = Decimal();
        for (const auto& part : e.parts) e.list_cost += part.cost;
        e.unit_price = e.list_cost;
    }
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
            auto events = makeEvents(ids, std::min<std::size_t>(200'000, size - loaded), seed);
            makeSomeRateCard(events, seed++, probe);
            for (std::size_t from = 0; from < events.size(); from += 5000) {
                const auto appended = store->append(std::span<const UsageEvent>(events).subspan(
                    from, std::min<std::size_t>(5000, events.size() - from)));
                if (!appended.rejected.empty()) {
                    throw std::runtime_error("reads: a seeded event was refused: " + appended.rejected[0].reason);
                }
            }
            loaded += events.size();
        }
        c.execScript("VACUUM ANALYZE");
        const auto usage = time(options.read_repetitions, [&] { reports.getBillingUsage(probe); });
        const auto trends = time(options.read_repetitions, [&] { reports.getUsageTrends(probe, 30); });
        const auto quota = time(options.read_repetitions, [&] { reports.checkQuota(probe, EventType::apiCall()); });
        const date::year_month this_month = date::year_month_day(date::floor<date::days>(bench_now)).year() /
                                            date::year_month_day(date::floor<date::days>(bench_now)).month();
        const DayRange month{date::local_days(this_month / 1), date::local_days((this_month + date::months(1)) / 1)};
        const BusinessId& model_probe = ids.size() > 1 ? ids[1] : probe;
        const auto models = time(options.read_repetitions, [&] { store->modelTotals(model_probe, month); });
        const auto view = time(std::max(5, options.read_repetitions / 10), [&] {
            c.exec("seed view", "SELECT * FROM seed_billing_overview WHERE business_id = $1",
                   detail::PgParams().add(probe.toString()));
        });
        if (loaded == options.read_sizes.front()) first_usage = usage;
        const std::string at = fmt::format("{} events", size);
        const bool largest = size == options.read_sizes.back() && size > options.read_sizes.front();
        report.add({"reads", "getBillingUsage at " + at, readText(usage),
                    fmt::format("seed view {:.0f}x slower; {:.2f}x the first size", view.p50 / usage.p50,
                                usage.p50 / first_usage.p50),
                    largest ? "within 2x of the first size" : "",
                    largest ? verdict(usage.p50 <= 2 * first_usage.p50) : ""});
        report.add({"reads", "getUsageTrends(30) at " + at, readText(trends), "", "", ""});
        report.add({"reads", "checkQuota at " + at, readText(quota), "", "", ""});
        report.add({"reads", "a month's per-model breakdown (modelTotals) at " + at, readText(models),
                    fmt::format("{} rows", store->modelTotals(model_probe, month).size()), "", ""});
        report.add({"reads", "seed's billing_overview over raw events at " + at, readText(view), "",
                    size >= 1'000'000 ? ">= 100x slower than getBillingUsage at 1M" : "",
                    size >= 1'000'000 ? verdict(view.p50 >= 100 * usage.p50) : ""});
    }
}

}  // namespace metered::bench
