// SPDX-License-Identifier: MIT
// chat_backend: a chat service answering requests for several businesses, recording what
// the seed's chat route records: an API call per completion (operation, model, tokens,
// intent, sessionId), an AI query per intent classification, and file uploads.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <chrono>
#include <random>

#include "demo.h"

int main(int argc, char** argv) {
    CLI::App app{"Simulate a chat backend that records its usage with metered."};
    std::string store_uri = demo::default_store;
    int requests = 3000;
    int spread_days = 14;
    unsigned seed = 7;
    app.add_option("--store", store_uri, "store URI (sqlite:<file>, postgresql://..., memory:)")->capture_default_str();
    app.add_option("--requests", requests, "chat requests to answer")
        ->capture_default_str()
        ->check(CLI::Range(1, 10'000'000));
    app.add_option("--spread-days", spread_days, "spread the requests over the last N days (within this month)")
        ->capture_default_str()
        ->check(CLI::Range(1, 31));
    app.add_option("--seed", seed, "random seed")->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    try {
        auto store = metered::openStore(store_uri);
        demo::ensureBusinesses(*store);
        // Asynchronous recording: the request path only hands events to a queue.
        metered::UsageRecorder recorder(store, {.mode = metered::RecordMode::async});
        std::mt19937 random(seed);
        // Requests happened over the last days, but not before each business's month began.
        const auto now = metered::systemNow();
        std::array<metered::Timestamp, 3> earliest{};
        for (std::size_t b = 0; b < 3; ++b) {
            const auto account = *store->findAccount(metered::BusinessId::parse(demo::businesses[b].id));
            const auto month = metered::BillingPeriod::resolve(metered::PeriodSpec::currentMonth(), account, now);
            earliest[b] = std::max(month.start, now - std::chrono::hours(24 * spread_days));
        }
        const char* intents[] = {"order", "menu_question", "opening_hours", "delivery_status", "complaint"};
        std::array<int, 3> per_business{};
        std::chrono::nanoseconds recording{0};
        int calls = 0;
        for (int request = 0; request < requests; ++request) {
            // Acme Pizza is the busiest.
            const auto pick = random() % 10;
            const std::size_t b = pick < 6 ? 0 : pick < 8 ? 1 : 2;
            const auto business = metered::BusinessId::parse(demo::businesses[b].id);
            ++per_business[b];
            const std::string session = fmt::format("session-{}", random() % 400);
            const auto span = std::chrono::duration_cast<std::chrono::seconds>(now - earliest[b]).count();
            const metered::RecordOptions when{
                .occurred_at =
                    earliest[b] + std::chrono::seconds(span > 0 ? static_cast<std::int64_t>(random()) % span : 0)};
            const char* intent = intents[random() % 5];
            const auto start = std::chrono::steady_clock::now();
            if (random() % 10 == 0) {  // some requests need the intent classifier
                recorder.recordAiQuery(business,
                                       {.query_type = "intent_classification",
                                        .complexity = "low",
                                        .tokens = static_cast<std::int64_t>(40 + random() % 80)},
                                       when);
                ++calls;
            }
            recorder.recordApiCall(business,
                                   {.operation = "chat_completion",
                                    .model = "gpt-4o-mini",
                                    .tokens = static_cast<std::int64_t>(150 + random() % 900),
                                    .intent = intent,
                                    .session_id = session},
                                   when);
            ++calls;
            if (random() % 250 == 0) {  // a menu PDF uploaded now and then
                recorder.recordStorage(
                    business, metered::Decimal::fromMantissa(static_cast<std::int64_t>(1500 + random() % 300000), 3),
                    {.file_type = "pdf", .size = 5'000'000, .operation = "upload"}, when);
                ++calls;
            }
            recording += std::chrono::steady_clock::now() - start;
        }
        const bool flushed = recorder.flush(std::chrono::seconds(30));
        const auto stats = recorder.stats();
        fmt::print("answered {} chat requests: Acme Pizza {}, Bella Bistro {}, Curry Corner {}\n", requests,
                   per_business[0], per_business[1], per_business[2]);
        fmt::print("recorded {} events, average record call {} ns; stored {}, duplicates {}, dead-lettered {}{}\n",
                   stats.recorded, recording.count() / std::max(calls, 1), stats.stored, stats.duplicates,
                   stats.dead_lettered, flushed ? "" : " (flush timed out)");
        fmt::print("store: {}\n", metered::maskPassword(store_uri));
        return flushed ? 0 : 1;
    } catch (const std::exception& e) {
        fmt::print(stderr, "chat_backend: {}\n", e.what());
        return 1;
    }
}
