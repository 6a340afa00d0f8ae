// SPDX-License-Identifier: MIT
// A fixed workload for counting the record path's instructions: one thread (or THREADS,
// each as many) makes `calls` record calls (the record section's) on an asynchronous
// recorder over a NullStore, spool on or off: recordApiCall, with `llm` recordLlmCall priced
// from LiteLLM's whole card, with `budget` checkBudget against three budgets. Calls the
// full queue refuses are counted, not fatal.
// Instructions do not depend on the machine's load, where latencies do (docs/performance.md):
//
//   valgrind --tool=callgrind --toggle-collect='metered::UsageRecorder::recordApiCall*'
//            build/bench/bench/metered_record_calls 50000 off     (one command line)
//   valgrind --tool=callgrind --toggle-collect='metered::UsageRecorder::recordLlmCall*'
//            build/bench/bench/metered_record_calls 50000 on llm
//
// then the Ir total divided by the calls is the instructions per call. With threads, where
// the spool's background work goes (docs/performance.md):
//
//   perf record -g build/bench/bench/metered_record_calls 500000 on llm 8
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>
#include <thread>
#include <vector>

#include "bench_support.h"

int main(int argc, char** argv) {
    using namespace metered;
    const long calls = argc > 1 ? std::atol(argv[1]) : 50000;
    const bool spool = argc > 2 && std::string_view(argv[2]) == "on";
    const std::string_view call = argc > 3 ? argv[3] : "api";
    const bool llm = call == "llm", budget = call == "budget";
    const int threads = argc > 4 ? std::atoi(argv[4]) : 1;
    if (calls < 1 || threads < 1) {
        fmt::print(stderr, "usage: metered_record_calls CALLS [on|off] [api|llm|budget] [THREADS]\n");
        return 2;
    }
    std::shared_ptr<const RateCard> card;
    if (llm) {
        std::ifstream in(METERED_SHARED_DATA_DIR "/litellm/model_prices_and_context_window.json", std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        card = std::make_shared<const RateCard>(RateCard::fromLiteLlm(text.str()).card);
    }
    const auto dir = std::filesystem::temp_directory_path() / ("metered-record-calls-" + Uuid::generateV7().toString());
    {
        const BusinessId business(Uuid::generateV7());
        auto store = std::make_shared<bench::NullStore>();
        if (budget) {  // the record section's checkBudget: three budgets, never reached
            store->accounts = {Account{business, "Acme", "basic", "UTC", 1}};
            store->budgets = {
                Budget{.id = "month", .business = business, .amount = Decimal(1'000'000'000)},
                Budget{.id = "mini",
                       .business = business,
                       .model = "openai/gpt-4o-mini",
                       .amount = Decimal(1'000'000'000),
                       .kind = BudgetKind::hard},
                Budget{.id = "cap", .business = business, .amount = Decimal(1'000'000'000), .kind = BudgetKind::hard}};
        }
        UsageRecorder recorder(store, {.mode = RecordMode::async,
                                       .async = {.spool = spool ? SpoolMode::on : SpoolMode::off, .spool_dir = dir},
                                       .rate_card = card,
                                       .late_event_window = std::nullopt});
        LlmUsage usage;
        usage.provider = "openai";
        usage.model = "gpt-4o-mini-2024-07-18";
        usage.cached_input_tokens = 1024;
        const RecordOptions at{.occurred_at = Timestamp(date::sys_days(date::year{2025} / 6 / 2))};
        const Decimal estimate = Decimal::parse("0.25");
        std::atomic<long> refused{0};
        auto calling = [&, usage]() mutable {  // each thread its own usage
            for (long i = 0; i < calls; ++i) {
                try {
                    if (budget) {
                        recorder.checkBudget(business, estimate, "openai/gpt-4o-mini");
                    } else if (llm) {
                        usage.input_tokens = 100 + i % 2000;
                        usage.output_tokens = i % 700;
                        recorder.recordLlmCall(business, usage, at);
                    } else {
                        recorder.recordApiCall(business, {.operation = "chat_completion",
                                                          .model = "gpt-4o-mini",
                                                          .tokens = static_cast<std::int64_t>(i % 2000),
                                                          .intent = "order",
                                                          .session_id = "session-42"});
                    }
                } catch (const QueueFullError&) {
                    refused.fetch_add(1, std::memory_order_relaxed);
                }
            }
        };
        std::vector<std::thread> callers;
        for (int t = 1; t < threads; ++t) callers.emplace_back(calling);
        calling();
        for (auto& caller : callers) caller.join();
        metered::bench::flushAll(recorder);
        fmt::print("{} {} calls on {} thread{}, spool {}: {} recorded, {} refused (queue full)\n", calls, call, threads,
                   threads > 1 ? "s" : "", spool ? "on" : "off", recorder.stats().recorded, refused.load());
    }
    std::filesystem::remove_all(dir);
}
