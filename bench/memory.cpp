// SPDX-License-Identifier: MIT
// Resident memory while recording many events through the asynchronous recorder with
// default settings: bounded by the configured queue, not by the number of events.
#include <fstream>

#include "bench_support.h"
#include "sections.h"

namespace metered::bench {

void memory(Report& report, const Options& options) {
    // Measure this section's own peak: reset the process's high-water mark (Linux 4.0+).
    std::ofstream("/proc/self/clear_refs") << "5";
    const auto before = residentMemory();
    auto store = std::make_shared<NullStore>();
    UsageRecorder recorder(store, {.mode = RecordMode::async});  // default AsyncOptions
    const BusinessId business(Uuid::generateV7());
    std::vector<std::string> samples;
    const auto start = Steady::now();
    for (std::size_t i = 1; i <= options.memory_events; ++i) {
        recorder.recordApiCall(business, {.operation = "chat_completion",
                                          .model = "gpt-4o-mini",
                                          .tokens = static_cast<std::int64_t>(i % 2000),
                                          .intent = "order",
                                          .session_id = "session-42"});
        if (i % (options.memory_events / 4) == 0) {
            samples.push_back(fmt::format("{}k: {:.0f} MiB", i / 1000, residentMemory().rss_mib));
        }
    }
    flushAll(recorder, std::chrono::minutes(5));
    const double seconds = secondsSince(start);
    const auto after = residentMemory();
    const double growth = after.peak_mib - before.rss_mib;
    const double bound = static_cast<double>(AsyncOptions{}.queue_bytes) / (1 << 20);
    report.add({"memory", fmt::format("peak RSS recording {} events (default settings)", options.memory_events),
                fmt::format("{:.0f} MiB (+{:.0f} MiB)", after.peak_mib, growth),
                fmt::format("RSS at {}; {:.0f} events/s through the flusher", fmt::join(samples, ", "),
                            static_cast<double>(options.memory_events) / seconds),
                // Beside the queue: the batches being decoded and appended, their threads'
                // stacks and allocator arenas (a few MiB).
                fmt::format("growth <= queue_bytes ({:.0f} MiB) + 16 MiB", bound), verdict(growth <= bound + 16)});
}

}  // namespace metered::bench
