// SPDX-License-Identifier: MIT
// chat_backend: a chat service answering requests for several businesses, recording what
// the seed's chat route records: an API call per completion (operation, model, tokens,
// intent, sessionId), an AI query per intent classification, and file uploads; and, with
// each completion, the provider's own `usage` object through recordLlmCall, which prices
// the call exactly at the rate card before the response leaves.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <chrono>
#include <map>
#include <random>

#include "demo.h"

namespace {

// A completion's `usage` as each provider's API returns it (the shapes of their API
// references), with counts that vary per request. Each provider counts differently:
// OpenAI's cached tokens are part of prompt_tokens, Anthropic's cache reads and writes are
// added to input_tokens, Gemini's thoughts are added to the candidates.
struct Completion {
    metered::LlmApi api;
    const char* model;
    std::string usage_json;
};

Completion completion(std::mt19937& random) {
    const auto n = [&](int low, int span) { return low + static_cast<int>(random() % static_cast<unsigned>(span)); };
    switch (random() % 3) {
        case 0: {
            const int prompt = n(1200, 2000), cached = (prompt / 1024) * 1024 * static_cast<int>(random() % 2);
            return {metered::LlmApi::openai_chat, "gpt-4o-mini",
                    fmt::format(R"({{"prompt_tokens": {}, "completion_tokens": {}, "total_tokens": {},
                                    "prompt_tokens_details": {{"cached_tokens": {}, "audio_tokens": 0}},
                                    "completion_tokens_details": {{"reasoning_tokens": 0, "audio_tokens": 0}}}})",
                                prompt, 180, prompt + 180, cached)};
        }
        case 1:
            return {metered::LlmApi::anthropic_messages, "claude-sonnet-4-20250514",
                    fmt::format(R"({{"input_tokens": {}, "cache_creation_input_tokens": {},
                                    "cache_read_input_tokens": {}, "output_tokens": {}}})",
                                n(20, 200), random() % 4 == 0 ? 2048 : 0, n(0, 2) * 2048, n(80, 400))};
        default:
            return {metered::LlmApi::gemini, "gemini-2.5-flash",
                    fmt::format(R"({{"promptTokenCount": {}, "candidatesTokenCount": {}, "thoughtsTokenCount": {},
                                    "totalTokenCount": 0}})",
                                n(300, 1500), n(50, 300), n(0, 400))};
    }
}

}  // namespace

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
        std::map<std::string, std::pair<int, metered::Decimal>> per_model;  // calls and exact cost
        int printed = 0;
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
            // The provider answered; its usage object prices the call before the response leaves.
            const Completion answer = completion(random);
            const auto start = std::chrono::steady_clock::now();
            if (random() % 10 == 0) {  // some requests need the intent classifier
                recorder.recordAiQuery(business,
                                       {.query_type = "intent_classification",
                                        .complexity = "low",
                                        .tokens = static_cast<std::int64_t>(40 + random() % 80)},
                                       when);
                ++calls;
            }
            const metered::LlmUsage usage = metered::parseLlmUsage(answer.api, answer.usage_json, answer.model);
            const metered::LlmReceipt receipt = recorder.recordLlmCall(business, usage, when);
            recorder.recordApiCall(business,
                                   {.operation = "chat_completion",
                                    .model = usage.model,
                                    .tokens = usage.inputTokenTotal() + usage.outputTokenTotal(),
                                    .intent = intent,
                                    .session_id = session},
                                   when);
            calls += 2;
            auto& [model_calls, model_cost] =
                per_model[fmt::format("{}/{}", receipt.cost.provider, receipt.cost.model)];
            ++model_calls;
            model_cost += receipt.cost.total;
            if (printed < 5) {
                ++printed;
                fmt::print("{} {}: {} in, {} cached, {} written, {} out -> ${} exactly\n", receipt.cost.provider,
                           receipt.cost.model, usage.input_tokens, usage.cached_input_tokens, usage.cache_write_tokens,
                           usage.output_tokens + usage.reasoning_tokens, receipt.cost.total.normalized().toString());
            }
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
        fmt::print(
            "recorded {} events, average record call (usage parsing included) {} ns; stored {}, duplicates {}, "
            "dead-lettered {}{}\n",
            stats.recorded, recording.count() / std::max(calls, 1), stats.stored, stats.duplicates, stats.dead_lettered,
            flushed ? "" : " (flush timed out)");
        for (const auto& [model, calls_and_cost] : per_model) {
            fmt::print("  {}: {} calls, ${} at the rate card\n", model, calls_and_cost.first,
                       calls_and_cost.second.normalized().toString());
        }
        fmt::print("store: {}\n", metered::maskPassword(store_uri));
        return flushed ? 0 : 1;
    } catch (const std::exception& e) {
        fmt::print(stderr, "chat_backend: {}\n", e.what());
        return 1;
    }
}
