// SPDX-License-Identifier: MIT
// A fixed workload for counting the record path's instructions: one thread makes `calls`
// recordApiCall calls (the record section's call) on an asynchronous recorder over a
// NullStore, spool on or off. Instructions do not depend on the machine's load, where
// latencies do (docs/performance.md):
//
//   valgrind --tool=callgrind --toggle-collect='metered::UsageRecorder::recordApiCall*'
//            build/bench/bench/metered_record_calls 50000 off     (one command line)
//
// then the Ir total divided by the calls is the instructions per call.
#include <cstdlib>
#include <filesystem>
#include <string_view>

#include "bench_support.h"

int main(int argc, char** argv) {
    using namespace metered;
    const long calls = argc > 1 ? std::atol(argv[1]) : 50000;
    const bool spool = argc > 2 && std::string_view(argv[2]) == "on";
    if (calls < 1) {
        fmt::print(stderr, "usage: metered_record_calls CALLS [on|off]\n");
        return 2;
    }
    const auto dir = std::filesystem::temp_directory_path() / ("metered-record-calls-" + Uuid::generateV7().toString());
    {
        UsageRecorder recorder(
            std::make_shared<bench::NullStore>(),
            {.mode = RecordMode::async, .async = {.spool = spool ? SpoolMode::on : SpoolMode::off, .spool_dir = dir}});
        const BusinessId business(Uuid::generateV7());
        for (long i = 0; i < calls; ++i) {
            recorder.recordApiCall(business, {.operation = "chat_completion",
                                              .model = "gpt-4o-mini",
                                              .tokens = static_cast<std::int64_t>(i % 2000),
                                              .intent = "order",
                                              .session_id = "session-42"});
        }
        metered::bench::flushAll(recorder);
        fmt::print("{} recordApiCall calls, spool {}: {} recorded\n", calls, spool ? "on" : "off",
                   recorder.stats().recorded);
    }
    std::filesystem::remove_all(dir);
}
