// SPDX-License-Identifier: MIT
// The recorder's counters and store append latencies, and their Prometheus text.
#include <catch2/catch.hpp>

#include <map>
#include <regex>
#include <sstream>

#include "../src/append_timer.h"
#include "metered/prometheus.h"
#include "metered/usage_recorder.h"
#include "test_support.h"

using namespace metered;
using namespace metered::testing;
using std::chrono::microseconds;

namespace {

// The samples of a Prometheus text body, by name with labels; each line checked against the
// exposition format (a HELP and a TYPE before a metric's samples).
std::map<std::string, std::string> samples(const std::string& text) {
    static const std::regex help(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) [^\n]+)");
    static const std::regex type(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram))");
    static const std::regex sample(R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{le="[^"]+"\})? ([0-9]+(\.[0-9]+)?))");
    std::map<std::string, std::string> values;
    std::string typed;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        std::smatch m;
        if (std::regex_match(line, m, help)) continue;
        if (std::regex_match(line, m, type)) {
            typed = m[1];
            if (m[2] == "counter") CHECK(typed.ends_with("_total"));
            continue;
        }
        REQUIRE(std::regex_match(line, m, sample));
        CHECK(std::string(m[1]).starts_with(typed));  // after its TYPE line
        CHECK(values.emplace(std::string(m[1]) + std::string(m[2]), m[3]).second);
    }
    CHECK(text.ends_with("\n"));
    return values;
}

}  // namespace

TEST_CASE("an append's duration counts in the first bucket at least as long", "[metrics]") {
    detail::AppendTimer timer;
    timer.add(microseconds(100));            // on a bound: that bucket
    timer.add(microseconds(101));            // just past it: the next
    timer.add(std::chrono::seconds(2));      // past every bound
    timer.add(std::chrono::nanoseconds(1));  // rounded up to a microsecond
    const AppendLatency latency = timer.snapshot();
    CHECK(latency.counts[0] == 2);
    CHECK(latency.counts[1] == 1);
    CHECK(latency.counts.back() == 1);
    CHECK(latency.count() == 4);
    CHECK(latency.total == microseconds(100 + 101 + 2'000'000 + 1));
    CHECK_THROWS_AS(timer.timed([]() -> int { throw StoreError("down", true); }), StoreError);
    CHECK(timer.snapshot().count() == 5);  // a failed append counts too
}

TEST_CASE("a recorder's counters and store latencies in the Prometheus text format", "[metrics]") {
    auto store = std::make_shared<MemoryStore>();
    const Account business = account("Acme Pizza");
    store->saveAccount(business);
    UsageRecorder recorder(store);  // synchronous (the default)
    for (int i = 0; i < 3; ++i) recorder.recordApiCall(business.id);
    recorder.recordApiCall(business.id, {}, {.idempotency_key = "order-1"});
    recorder.recordApiCall(business.id, {}, {.idempotency_key = "order-1"});  // a retry

    const RecorderStats stats = recorder.stats();
    CHECK(stats.append_latency.count() == 5);
    const auto values = samples(prometheusText(recorder));
    CHECK(values.at("metered_events_recorded_total") == std::to_string(stats.recorded));
    CHECK(values.at("metered_events_stored_total") == "4");
    CHECK(values.at("metered_events_duplicate_total") == "1");
    CHECK(values.at("metered_queue_events") == "0");
    CHECK(values.at("metered_store_append_duration_seconds_count") == "5");
    CHECK(values.at("metered_store_append_duration_seconds_bucket{le=\"+Inf\"}") == "5");
    CHECK(values.at("metered_store_append_duration_seconds_bucket{le=\"0.0001\"}") ==
          std::to_string(stats.append_latency.counts[0]));
    CHECK(values.count("metered_store_append_duration_seconds_bucket{le=\"1\"}") == 1);
    CHECK(values.count("metered_store_append_duration_seconds_sum") == 1);
    // Buckets are cumulative: never fewer at a larger bound.
    std::uint64_t previous = 0;
    for (const auto bound : AppendLatency::bounds) {
        const auto key = "metered_store_append_duration_seconds_bucket{le=\"" +
                         Decimal::fromMantissa(bound.count(), 6).toPlainString() + "\"}";
        const auto cumulative = std::stoull(values.at(key));
        CHECK(cumulative >= previous);
        previous = cumulative;
    }
}

TEST_CASE("an asynchronous recorder times each batch it stores", "[metrics][async]") {
    auto store = std::make_shared<MemoryStore>();
    const Account business = account("Acme Pizza");
    store->saveAccount(business);
    RecorderOptions options;
    options.mode = RecordMode::async;
    UsageRecorder recorder(store, options);
    for (int i = 0; i < 100; ++i) recorder.recordApiCall(business.id);
    REQUIRE(recorder.flush());
    const RecorderStats stats = recorder.stats();
    CHECK(stats.stored == 100);
    CHECK(stats.append_latency.count() >= 1);
    CHECK(stats.append_latency.count() <= 100);
    const auto values = samples(prometheusText(stats));
    CHECK(values.at("metered_store_append_duration_seconds_count") == std::to_string(stats.append_latency.count()));
    CHECK(values.at("metered_events_stored_total") == "100");
}
