// SPDX-License-Identifier: MIT
// Fault tests against a real PostgreSQL: kill -9 while recording, the server stopped and
// restarted under load, a poison event in a stream.
#include <catch2/catch.hpp>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "metered/errors.h"
#include "metered/store.h"
#include "private_cluster.h"
#include "store_fixtures.h"
#include "test_support.h"

using namespace metered;
using namespace metered::testing;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::set<std::string> storedIds(PostgresFixture& fixture) {
    std::set<std::string> ids;
    auto r = fixture.sql("SELECT id FROM usage_events");
    for (int row = 0; row < r.rows(); ++row) ids.insert(std::string(r.text(row, 0)));
    return ids;
}

}  // namespace

TEST_CASE("kill -9 at 20 random moments loses and doubles nothing acknowledged", "[postgres][fault]") {
    PostgresFixture fixture;
    std::vector<Account> businesses = {account("A"), account("B"), account("C")};
    for (const auto& b : businesses) fixture.store->saveAccount(b);
    TempDir spool;
    const AsyncOptions options{.max_batch = 200,
                               .flush_interval = 5ms,
                               .segment_bytes = 256u << 10,
                               .spool = SpoolMode::on,
                               .spool_dir = spool.path,
                               .retry = {.initial_backoff = 5ms, .max_backoff = 50ms}};
    std::mt19937 random(20241124);
    std::set<std::string> acknowledged;
    // 20 kills, and more while fewer than 1000 calls were acknowledged (a slow start under
    // a sanitizer on a loaded machine), up to 200.
    for (int round = 0; round < 20 || (acknowledged.size() <= 1000 && round < 200); ++round) {
        int fds[2];
        REQUIRE(pipe(fds) == 0);
        const pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            ::close(fds[0]);
            try {
                auto store = std::make_shared<PostgresStore>(PostgresOptions{.conninfo = fixture.conninfo});
                UsageRecorder recorder(store, {.mode = RecordMode::async, .async = options});
                std::vector<std::thread> threads;
                for (int t = 0; t < 4; ++t) {
                    threads.emplace_back([&, t] {
                        for (int i = 0;; ++i) {
                            const auto receipt = recorder.recordApiCall(businesses[(t + i) % 3].id, {.tokens = i});
                            // Acknowledged: the record call returned. Tell the parent.
                            const std::string id = receipt.id.toString();
                            if (::write(fds[1], id.data(), id.size()) != static_cast<ssize_t>(id.size())) _exit(3);
                            std::this_thread::sleep_for(100us);  // a busy chat backend, not a flood
                        }
                    });
                }
                for (auto& t : threads) t.join();
            } catch (...) {
                _exit(2);
            }
            _exit(0);
        }
        ::close(fds[1]);
        std::string received;
        // Most kills land while the child records: at a random moment up to 260 ms after its
        // first acknowledged call (however long a sanitizer or a loaded machine makes its
        // start); every fifth lands from the fork on, in its start (replaying the spool).
        const auto forked = std::chrono::steady_clock::now();
        const auto after = std::chrono::milliseconds(random() % 260);
        const bool in_start = round % 5 == 4;
        std::optional<std::chrono::steady_clock::time_point> kill_at;
        if (in_start) kill_at = forked + std::chrono::milliseconds(40) + after;
        char buffer[65536];
        bool killed = false;
        for (;;) {
            const auto now = std::chrono::steady_clock::now();
            if (!kill_at && (!received.empty() || now - forked > 30s)) kill_at = now + after;
            if (!killed && kill_at && now >= *kill_at) {
                kill(pid, SIGKILL);
                killed = true;
            }
            pollfd p{fds[0], POLLIN, 0};
            if (poll(&p, 1, 5) > 0) {
                const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
                if (n <= 0) break;  // the child is gone
                received.append(buffer, static_cast<std::size_t>(n));
            }
        }
        ::close(fds[0]);
        int status = 0;
        waitpid(pid, &status, 0);
        INFO("round " << round);
        REQUIRE(WIFSIGNALED(status));  // it was still recording when killed
        for (std::size_t at = 0; at + 36 <= received.size(); at += 36) acknowledged.insert(received.substr(at, 36));
    }
    // A new process (here: this one) replays what the spool holds.
    {
        UsageRecorder recorder(fixture.store, {.mode = RecordMode::async, .async = options});
        REQUIRE(recorder.flush(60s));
        REQUIRE(recorder.close(30s));
    }
    const auto stored = storedIds(fixture);
    std::size_t lost = 0;
    for (const auto& id : acknowledged) lost += stored.count(id) == 0 ? 1 : 0;
    INFO(acknowledged.size() << " acknowledged, " << stored.size() << " stored");
    CHECK(acknowledged.size() > 1000);
    CHECK(lost == 0);
    // Nothing doubled: the rollups count each stored event exactly once.
    CHECK(fixture.sql("SELECT sum(event_count) FROM usage_daily").text(0, 0) == std::to_string(stored.size()));
    CHECK(fixture.sql("SELECT sum(quantity) FROM usage_daily").text(0, 0) == std::to_string(stored.size()));
    CHECK(fixture.sql("SELECT sum(event_count) FROM usage_aggregation").text(0, 0) == std::to_string(stored.size()));
}

TEST_CASE("PostgreSQL stopped and restarted while 8 threads record: bounded waits, exact totals", "[postgres][fault]") {
    PrivateCluster server("metered_fault");
    auto store = openStore(server.conninfo);
    const auto biz = account("Acme");
    store->saveAccount(biz);
    TempDir spool;
    constexpr auto block_timeout = 200ms;
    std::atomic<bool> stop{false};
    std::atomic<std::int64_t> accepted{0}, refused{0}, slowest_us{0};
    std::uint64_t retries_in_outage = 0;
    RecorderStats stats;
    {
        UsageRecorder recorder(store, {.mode = RecordMode::async,
                                       .async = {.max_batch = 500,
                                                 .flush_interval = 20ms,
                                                 .block_timeout = block_timeout,
                                                 .spool_dir = spool.path,
                                                 .retry = {.initial_backoff = 20ms, .max_backoff = 500ms}}});
        std::vector<std::thread> threads;
        for (int t = 0; t < 8; ++t) {
            threads.emplace_back([&] {
                while (!stop) {
                    const auto start = std::chrono::steady_clock::now();
                    try {
                        recorder.recordApiCall(biz.id, {.operation = "chat_completion"});
                        ++accepted;
                    } catch (const QueueFullError&) {
                        ++refused;
                    }
                    const auto us =
                        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start)
                            .count();
                    std::int64_t seen = slowest_us.load();
                    while (us > seen && !slowest_us.compare_exchange_weak(seen, us)) {}
                    std::this_thread::sleep_for(200us);
                }
            });
        }
        // Load first; then an outage long enough that the flusher retries several times
        // while the threads keep recording; then load again once the server is back. The
        // counts are modest: on a loaded machine (CI builds beside it) the spool's writes slow
        // down, and what is checked is that recording goes on, not how fast.
        REQUIRE(eventually([&] { return recorder.stats().stored >= 2000; }));
        server.stop();
        const auto before_outage = accepted.load();
        REQUIRE(eventually([&] { return recorder.stats().retries >= 4 && accepted >= before_outage + 1000; }, 120s));
        server.start();
        retries_in_outage = recorder.stats().retries;
        const auto stored_at_restart = recorder.stats().stored;
        REQUIRE(eventually([&] { return recorder.stats().stored >= stored_at_restart + 1000; }, 120s));
        stop = true;
        for (auto& t : threads) t.join();
        REQUIRE(recorder.flush(60s));
        stats = recorder.stats();
        CHECK(recorder.getBillingUsage(biz.id).quantity(EventType::apiCall()) == Decimal(accepted.load()));
    }
    INFO("accepted " << accepted << ", refused " << refused << ", slowest call " << slowest_us << " us, retries "
                     << stats.retries);
    CHECK(accepted > 4000);
    CHECK(stats.retries > 0);
    CHECK(retries_in_outage >= 4);
    // A batch whose COMMIT reached the server just before it stopped, but whose answer did
    // not reach us, is retried and found stored: duplicates, not lost and not doubled.
    CHECK(stats.stored + stats.duplicates == static_cast<std::uint64_t>(accepted.load()));
    CHECK(stats.dead_lettered == 0);
    // The policy bound: no call waits longer than the block timeout (plus scheduling slack).
    CHECK(std::chrono::microseconds(slowest_us.load()) < block_timeout + 800ms);
}

TEST_CASE("a poison event in an async stream to PostgreSQL is dead-lettered; the rest is stored", "[postgres][fault]") {
    PostgresFixture fixture;
    const auto biz = account("Acme");
    fixture.store->saveAccount(biz);
    TempDir spool;
    EventId poison;
    {
        UsageRecorder recorder(fixture.store,
                               {.mode = RecordMode::async, .async = {.max_batch = 1000, .spool_dir = spool.path}});
        for (int i = 0; i < 300; ++i) recorder.recordApiCall(biz.id);
        poison =
            recorder.recordApiCall(BusinessId(Uuid::generateV7()), {.intent = "'; DROP TABLE usage_events; --"}).id;
        for (int i = 0; i < 300; ++i) recorder.recordApiCall(biz.id);
        REQUIRE(recorder.flush(10s));
        CHECK(recorder.stats().dead_lettered == 1);
        CHECK(recorder.stats().stored == 600);
    }
    CHECK(fixture.sql("SELECT count(*) FROM usage_events").text(0, 0) == "600");
    std::ifstream in(spool.path / "dead-letter.jsonl");
    std::string line;
    REQUIRE(std::getline(in, line));
    CHECK(line.find(poison.toString()) != std::string::npos);
    CHECK(line.find("unknown business") != std::string::npos);
}

TEST_CASE(
    "a crash loop while PostgreSQL is down: every start records, the spool stays bounded, all is stored once "
    "the server is back",
    "[postgres][fault]") {
    PrivateCluster server("metered_fault");
    std::vector<Account> businesses = {account("A"), account("B")};
    {
        auto store = openStore(server.conninfo);
        for (const auto& b : businesses) store->saveAccount(b);
    }
    server.stop();
    TempDir spool;
    constexpr std::size_t queue_bytes = 2u << 20, segment_bytes = 256u << 10;
    const AsyncOptions options{.max_batch = 200,
                               .flush_interval = 5ms,
                               .queue_bytes = queue_bytes,
                               .segment_bytes = segment_bytes,
                               .block_timeout = 1ms,
                               .spool = SpoolMode::on,
                               .spool_dir = spool.path,
                               .retry = {.initial_backoff = 5ms, .max_backoff = 50ms}};
    const auto spoolBytes = [&] {
        std::uintmax_t bytes = 0;
        for (const auto& entry : fs::recursive_directory_iterator(spool.path)) {
            if (entry.is_regular_file() && entry.path().filename().string().starts_with("segment-")) {
                bytes += entry.file_size();
            }
        }
        return bytes;
    };
    std::set<std::string> acknowledged;
    std::uintmax_t largest = 0;
    std::chrono::steady_clock::duration slowest_open{};
    for (int round = 0; round < 25; ++round) {
        int fds[2];
        REQUIRE(pipe(fds) == 0);
        const pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            ::close(fds[0]);
            try {
                // The server is down: opening the store and the recorder must still work.
                auto store = std::make_shared<PostgresStore>(PostgresOptions{.conninfo = server.conninfo});
                UsageRecorder recorder(store, {.mode = RecordMode::async, .async = options});
                if (::write(fds[1], "open", 4) != 4) _exit(3);
                for (int i = 0;; ++i) {
                    try {
                        const std::string id =
                            recorder.recordApiCall(businesses[i % 2].id, {.tokens = i}).id.toString();
                        if (::write(fds[1], id.data(), id.size()) != static_cast<ssize_t>(id.size())) _exit(3);
                    } catch (const QueueFullError&) {
                        // The spool is at its bound: the call says so and records nothing.
                    }
                    std::this_thread::sleep_for(50us);
                }
            } catch (...) {
                _exit(2);
            }
        }
        ::close(fds[1]);
        std::string received;
        char buffer[65536];
        // Killed 150 ms after it says it is open (a sanitizer build may take longer than that to
        // open a full spool); one that has not opened in 30 s is killed too, and fails below.
        const auto forked = std::chrono::steady_clock::now();
        auto kill_at = forked + 30s;
        bool opened = false, killed = false;
        for (;;) {
            if (!opened && received.size() >= 4) {
                opened = true;
                slowest_open = std::max(slowest_open, std::chrono::steady_clock::now() - forked);
                kill_at = std::min(kill_at, std::chrono::steady_clock::now() + 150ms);
            }
            if (!killed && std::chrono::steady_clock::now() >= kill_at) {
                kill(pid, SIGKILL);
                killed = true;
            }
            pollfd p{fds[0], POLLIN, 0};
            if (poll(&p, 1, 5) > 0) {
                const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
                if (n <= 0) break;
                received.append(buffer, static_cast<std::size_t>(n));
            }
        }
        ::close(fds[0]);
        int status = 0;
        waitpid(pid, &status, 0);
        INFO("round " << round);
        REQUIRE(WIFSIGNALED(status));  // it opened and was still recording when killed
        REQUIRE(received.starts_with("open"));
        for (std::size_t at = 4; at + 36 <= received.size(); at += 36) acknowledged.insert(received.substr(at, 36));
        largest = std::max(largest, spoolBytes());
    }
    INFO(acknowledged.size() << " acknowledged; largest spool " << largest << " bytes; slowest open "
                             << std::chrono::duration_cast<std::chrono::milliseconds>(slowest_open).count() << " ms; "
                             << (fs::exists(spool.path / "damaged") ? "some" : "no") << " damaged segments");
    CHECK(acknowledged.size() > 500);
    CHECK(largest <= queue_bytes + segment_bytes);

    server.start();
    auto store = std::make_shared<PostgresStore>(PostgresOptions{.conninfo = server.conninfo});
    {
        UsageRecorder recorder(store, {.mode = RecordMode::async, .async = options});
        REQUIRE(recorder.flush(60s));
        REQUIRE(recorder.close(30s));
    }
    detail::PgConnection sql(server.conninfo);
    std::set<std::string> stored;
    const auto ids = sql.exec("test", "SELECT id FROM usage_events");
    for (int row = 0; row < ids.rows(); ++row) stored.insert(std::string(ids.text(row, 0)));
    std::size_t lost = 0;
    for (const auto& id : acknowledged) lost += stored.count(id) == 0 ? 1 : 0;
    CHECK(lost == 0);
    // Nothing doubled: the rollups count each stored event exactly once.
    CHECK(sql.exec("test", "SELECT sum(event_count) FROM usage_daily").text(0, 0) == std::to_string(stored.size()));
}
