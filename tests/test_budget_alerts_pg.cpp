// SPDX-License-Identifier: MIT
// Budget alerts against a real PostgreSQL: a crossing survives the server going down
// between its claim and its delivery, and four recording processes claim each crossing
// exactly once and deliver each at least once; four processes admit exactly max_values
// values of a dimension.
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "metered/errors.h"
#include "metered/store.h"
#include "metered/usage_recorder.h"
#include "private_cluster.h"
#include "store_fixtures.h"
#include "test_support.h"

using namespace metered;
using namespace metered::testing;
using namespace date::literals;
using namespace std::chrono_literals;

namespace {

Budget monthly(const BusinessId& business, const char* amount, std::vector<int> thresholds = {50, 80, 100}) {
    Budget b;
    b.id = "monthly";
    b.business = business;
    b.amount = Decimal::parse(amount);
    b.thresholds_percent = std::move(thresholds);
    return b;
}

struct Collected {
    std::mutex mutex;
    std::map<std::string, int> calls;
    std::map<std::string, int> delivered;
    bool fail_first = false;

    std::function<void(const BudgetCrossing&)> callback() {
        return [this](const BudgetCrossing& c) {
            std::lock_guard lock(mutex);
            if (calls[c.key]++ == 0 && fail_first) throw std::runtime_error("webhook down (test)");
            ++delivered[c.key];
        };
    }
    std::size_t count() {
        std::lock_guard lock(mutex);
        return delivered.size();
    }
};

RecorderOptions alertOptions(const FixedClock& clock, Collected& collected) {
    RecorderOptions options;
    options.clock = clock;
    options.rate_card = std::make_shared<const RateCard>(RateCard::fromJson(gpt4o_card_json));
    options.on_budget_crossing = collected.callback();
    return options;
}

std::string keyOf(const BusinessId& business, int threshold) {
    return business.toString() + "/monthly/2024-12-01/" + std::to_string(threshold);
}

}  // namespace

TEST_CASE("a crossing claimed before PostgreSQL stops is delivered after it restarts", "[postgres][fault][alerts]") {
    PrivateCluster server("metered_alerts");
    auto store = openStore(server.conninfo);
    const auto biz = account("Acme");
    store->saveAccount(biz);
    store->saveBudget(monthly(biz.id, "5"));
    FixedClock clock;
    *clock.now = at(2024_y / 12 / 5, std::chrono::hours(12));
    Collected collected;
    collected.fail_first = true;  // the first delivery attempt fails: the crossing stays pending
    RecorderOptions options = alertOptions(clock, collected);
    options.budget_refresh = 0ms;
    UsageRecorder recorder(store, options);

    recorder.recordLlmCall(biz.id, gpt250());  // 50 %: claimed in the append's transaction
    REQUIRE(store->listCrossings(biz.id).size() == 1);
    recorder.deliverCrossings();  // the callback throws
    CHECK(collected.count() == 0);

    server.stop();
    recorder.deliverCrossings();  // the store is unreachable: nothing delivered, nothing lost
    CHECK(collected.count() == 0);
    CHECK(recorder.stats().crossing_delivery_failures == 2);

    server.start();
    REQUIRE(eventually(
        [&] {
            recorder.deliverCrossings();
            return collected.count() == 1;
        },
        60s));
    CHECK(collected.delivered.at(keyOf(biz.id, 50)) == 1);
    CHECK(store->pendingCrossings(10).empty());
    // A new recorder (a restart of the host) re-sends nothing that was delivered.
    Collected later;
    RecorderOptions again = alertOptions(clock, later);
    again.budget_refresh = 0ms;
    UsageRecorder restarted(store, again);
    restarted.deliverCrossings();
    CHECK(later.count() == 0);
}

TEST_CASE("crossings reached by usage spooled while PostgreSQL is down are delivered after it comes back",
          "[postgres][fault][alerts]") {
    PrivateCluster server("metered_alerts");
    auto store = openStore(server.conninfo);
    const auto biz = account("Acme");
    store->saveAccount(biz);
    store->saveBudget(monthly(biz.id, "5"));
    FixedClock clock;
    *clock.now = at(2024_y / 12 / 5, std::chrono::hours(12));
    TempDir spool;
    Collected collected;
    RecorderOptions options = alertOptions(clock, collected);
    options.mode = RecordMode::async;
    options.async.spool = SpoolMode::on;
    options.async.spool_dir = spool.path;
    options.async.flush_interval = 10ms;
    options.async.retry = {.initial_backoff = 10ms, .max_backoff = 200ms};
    options.budget_refresh = 20ms;
    UsageRecorder recorder(store, options);

    server.stop();
    recorder.recordLlmCall(biz.id, gpt250());
    recorder.recordLlmCall(biz.id, gpt250());  // 100 %: 50, 80 and 100, all spooled
    REQUIRE(eventually([&] { return recorder.stats().retries >= 1; }, 30s));
    CHECK(collected.count() == 0);
    server.start();
    REQUIRE(eventually([&] { return collected.count() == 3; }, 60s));
    std::lock_guard lock(collected.mutex);
    for (int t : {50, 80, 100}) CHECK(collected.delivered.count(keyOf(biz.id, t)) == 1);
}

TEST_CASE("four recording processes claim each crossing exactly once and deliver each at least once",
          "[postgres][alerts]") {
    PostgresFixture fixture;
    const auto biz = account("Acme");
    fixture.store->saveAccount(biz);
    const std::vector<int> thresholds = {10, 20, 30, 40, 50, 60, 70, 80, 90, 100};
    fixture.store->saveBudget(monthly(biz.id, "50", thresholds));  // reached after 20 of the 32 calls
    TempDir dir;
    const auto log = dir.path / "delivered.txt";
    FixedClock clock;
    *clock.now = at(2024_y / 12 / 5, std::chrono::hours(12));

    const auto failures = inChildProcesses(4, [&](int child) {
        const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd < 0) throw std::runtime_error("cannot open the delivery log");
        auto store = std::make_shared<PostgresStore>(PostgresOptions{.conninfo = fixture.conninfo});
        RecorderOptions options = asyncInMemory();
        options.clock = clock;
        options.rate_card = std::make_shared<const RateCard>(RateCard::fromJson(gpt4o_card_json));
        options.async.flush_interval = 1ms;
        options.async.max_batch = 2;
        options.budget_refresh = 2ms;
        options.on_budget_crossing = [fd](const BudgetCrossing& c) {
            const std::string line = c.key + "\n";
            if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
                throw std::runtime_error("short write");
            }
        };
        {
            UsageRecorder recorder(store, options);
            for (int i = 0; i < 8; ++i) {
                // Keys of their own: forked children share the parent's random state.
                const std::string key = "child-" + std::to_string(child) + "-call-" + std::to_string(i);
                recorder.recordLlmCall(biz.id, gpt250(), {.idempotency_key = key});
                std::this_thread::sleep_for(1ms);
            }
            if (!recorder.flush(30s)) throw std::runtime_error("flush timed out");
            recorder.deliverCrossings();
        }
        ::close(fd);
    });
    CHECK(failures.empty());
    for (const auto& f : failures) UNSCOPED_INFO(f);

    std::set<std::string> expected;
    for (int t : thresholds) expected.insert(keyOf(biz.id, t));
    // Exactly one row per threshold, all delivered.
    auto rows = fixture.sql("SELECT key, delivered_at IS NOT NULL FROM metered_budget_crossings");
    std::multiset<std::string> claimed;
    for (int row = 0; row < rows.rows(); ++row) {
        claimed.insert(std::string(rows.text(row, 0)));
        CHECK(rows.text(row, 1) == "t");
    }
    CHECK(claimed == std::multiset<std::string>(expected.begin(), expected.end()));
    // Every key delivered at least once, none outside the set.
    std::ifstream in(log);
    std::map<std::string, int> delivered;
    for (std::string line; std::getline(in, line);) ++delivered[line];
    std::set<std::string> delivered_keys;
    for (const auto& [key, n] : delivered) delivered_keys.insert(key);
    CHECK(delivered_keys == expected);
    // And every call was stored: 32 × $2.50.
    Decimal spent;
    for (const auto& total :
         fixture.store->modelTotals(biz.id, BillingPeriod::cycleContaining(date::local_days(2024_y / 12 / 5), 1))) {
        spent += total.cost;
    }
    CHECK(spent == Decimal(80));
}

TEST_CASE("four recording processes admit exactly max_values values of a dimension per cycle",
          "[postgres][dimensions]") {
    PostgresFixture fixture;
    const auto biz = account("Acme");
    fixture.store->saveAccount(biz);
    FixedClock clock;
    *clock.now = at(2024_y / 12 / 5, std::chrono::hours(12));
    // 12 end users between them, each process its own order of them, all at once.
    const auto failures = inChildProcesses(4, [&](int child) {
        auto store = std::make_shared<PostgresStore>(PostgresOptions{.conninfo = fixture.conninfo});
        RecorderOptions options;
        options.clock = clock;
        options.price_book = PriceBook({Plan::basic()}, "basic", {Dimension{.name = "end_user", .max_values = 5}});
        UsageRecorder recorder(store, options);
        for (int i = 0; i < 20; ++i) {
            const std::string user = "u-" + std::to_string((child * 7 + i) % 12);
            const std::array<DimensionValue, 1> who = {DimensionValue{"end_user", user}};
            recorder.recordApiCall(biz.id, {.operation = "chat"}, {.dimensions = who});
        }
    });
    REQUIRE(failures.empty());
    const DayRange december{date::local_days(2024_y / 12 / 1), date::local_days(2025_y / 1 / 1)};
    const auto totals = fixture.store->dimensionTotals(biz.id, december, "end_user");
    Decimal all;
    std::size_t admitted = 0;
    for (const DimensionUsageTotal& t : totals) {
        all += t.total.quantity;
        if (t.value != dimension_overflow_value) ++admitted;
    }
    CHECK(admitted == 5);
    CHECK(totals.front().value == dimension_overflow_value);  // "(" orders before letters
    CHECK(all == Decimal(80));                                // every call counted: under its value or under "(other)"
}
