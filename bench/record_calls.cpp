// SPDX-License-Identifier: MIT
// A fixed workload for counting the record path's instructions: one thread makes `calls`
// record calls (the record section's) on an asynchronous recorder over a NullStore, spool
// on or off: recordApiCall, or with `llm` recordLlmCall priced from LiteLLM's whole card.
// Instructions do not depend on the machine's load, where latencies do (docs/performance.md):
//
//   valgrind --tool=callgrind --toggle-collect='metered::UsageRecorder::recordApiCall*'
//            build/bench/bench/metered_record_calls 50000 off     (one command line)
//   valgrind --tool=callgrind --toggle-collect='metered::UsageRecorder::recordLlmCall*'
//            build/bench/bench/metered_record_calls 50000 on llm
//
// then the Ir total divided by the calls is the instructions per call.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

#include "bench_support.h"

int main(int argc, char** argv) {
    using namespace metered;
    const long calls = argc > 1 ? std::atol(argv[1]) : 50000;
    const bool spool = argc > 2 && std::string_view(argv[2]) == "on";
    const bool llm = argc > 3 && std::string_view(argv[3]) == "llm";
    if (calls < 1) {
        fmt::print(stderr, "usage: metered_record_calls CALLS [on|off] [llm]\n");
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
        UsageRecorder recorder(std::make_shared<bench::NullStore>(),
                               {.mode = RecordMode::async,
                                .async = {.spool = spool ? SpoolMode::on : SpoolMode::off, .spool_dir = dir},
                                .rate_card = card,
                                .late_event_window = std::nullopt});
        const BusinessId business(Uuid::generateV7());
        LlmUsage usage;
        usage.provider = "openai";
        usage.model = "gpt-4o-mini-2024-07-18";
        usage.cached_input_tokens = 1024;
        const RecordOptions at{.occurred_at = Timestamp(date::sys_days(date::year{2025} / 6 / 2))};
        for (long i = 0; i < calls; ++i) {
            if (llm) {
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
        }
        metered::bench::flushAll(recorder);
        fmt::print("{} {} calls, spool {}: {} recorded\n", calls, llm ? "recordLlmCall" : "recordApiCall",
                   spool ? "on" : "off", recorder.stats().recorded);
    }
    std::filesystem::remove_all(dir);
}
