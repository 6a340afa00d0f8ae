// SPDX-License-Identifier: MIT
// Four processes record for one business with one hard budget on a real PostgreSQL: the
// overshoot stays within the bound docs/budgets.md states ("Several processes").
#include <catch2/catch.hpp>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <functional>
#include <thread>

#include "metered/errors.h"
#include "metered/usage_recorder.h"
#include "store_fixtures.h"
#include "test_support.h"

using namespace metered;
using namespace metered::testing;
using namespace std::chrono_literals;

namespace {

constexpr int processes = 4;
// Process p records model x/p<p> at $0.001 a call (one input token): each process's calls
// are told apart in the store by their model.
constexpr std::string_view processes_card_json = R"({"models": {
  "x/p0": {"prices": [{"from": "2024-01-01", "input": "0.001"}]},
  "x/p1": {"prices": [{"from": "2024-01-01", "input": "0.001"}]},
  "x/p2": {"prices": [{"from": "2024-01-01", "input": "0.001"}]},
  "x/p3": {"prices": [{"from": "2024-01-01", "input": "0.001"}]}}})";

void writeAll(int fd, const std::string& text) {
    if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) _exit(3);
}

// Reads until `fd` is closed by the other end (or 120 s pass).
std::string readAll(int fd) {
    std::string text;
    char buffer[256];
    const auto give_up = std::chrono::steady_clock::now() + 120s;
    while (std::chrono::steady_clock::now() < give_up) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0) continue;
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n <= 0) break;
        text.append(buffer, static_cast<std::size_t>(n));
    }
    return text;
}

// The most events of `times` (sorted, µs) that fall in any window `window` long.
std::size_t busiestWindow(const std::vector<std::int64_t>& times, std::chrono::microseconds window) {
    std::size_t most = 0;
    for (std::size_t first = 0, last = 0; last < times.size(); ++last) {
        while (times[last] - times[first] >= window.count()) ++first;
        most = std::max(most, last - first + 1);
    }
    return most;
}

}  // namespace

TEST_CASE("four processes, one hard budget: the overshoot stays within the documented bound",
          "[postgres][budgets][processes]") {
    PostgresFixture fixture;
    const Account business = account("Acme Pizza");
    fixture.store->saveAccount(business);
    const Decimal cost = num("0.001");
    const Decimal amount = num("1");  // 1000 calls' worth
    Budget cap;
    cap.id = "cap";
    cap.business = business.id;
    cap.amount = amount;
    cap.kind = BudgetKind::hard;
    fixture.store->saveBudget(cap);
    const auto card = std::make_shared<const RateCard>(RateCard::fromJson(processes_card_json));

    constexpr auto budget_refresh = 50ms;
    constexpr auto flush_interval = 10ms;
    constexpr auto pace = 1ms;  // each process: one thread, at least this between calls

    std::vector<pid_t> children;
    std::vector<int> results, starts;
    for (int p = 0; p < processes; ++p) {
        int result[2], start[2];
        REQUIRE(pipe(result) == 0);
        REQUIRE(pipe(start) == 0);
        const pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            ::close(result[0]);
            ::close(start[1]);
            try {
                auto store = std::make_shared<PostgresStore>(PostgresOptions{.conninfo = fixture.conninfo});
                RecorderOptions options = asyncInMemory();
                options.async.flush_interval = flush_interval;
                options.budget_refresh = budget_refresh;
                options.rate_card = card;
                UsageRecorder recorder(store, options);
                LlmUsage usage;
                usage.provider = "x";
                usage.model = "p" + std::to_string(p);
                usage.input_tokens = 1;
                // Warmed up before the start: one call stored (its connection made, its
                // statements prepared, its month's partition there) and the budget read
                // since, so the timed part measures the steady state the bound is about.
                // On a thread of its own: fork copied the main thread's UUIDv7 state from the
                // parent (which made ids already), so the four main threads would make the
                // same ids, stored once as duplicates. A new thread seeds its own.
                std::thread([&] { recorder.recordLlmCall(business.id, usage); }).join();
                if (!recorder.flush(60s)) _exit(6);
                recorder.refreshBudgets();
                writeAll(result[1], "R");
                char go = 0;
                if (::read(start[0], &go, 1) != 1) _exit(4);
                std::size_t accepted = 1;  // the warm-up call
                bool refused = false;
                const auto began = std::chrono::steady_clock::now();
                // What the bound's window is made of, as this process saw it (each longer
                // than configured when the machine is loaded or under a sanitizer):
                // - `stalest`: the longest time from the completion before last to a call.
                //   A call is decided with the store as the last completed refresh read it,
                //   and that read began after the refresh before it had completed;
                // - `slowest_turn`: the longest turn of the loop (how late a completion is
                //   seen);
                // - `longest_wait`: the longest a call waited from being recorded to being
                //   stored (what other processes' refreshes still cannot see).
                std::chrono::steady_clock::duration stalest{}, slowest_turn{}, longest_wait{};
                std::uint64_t refreshes_seen = 0;
                // On its own thread, as the warm-up. `unstored`: the record times of the
                // calls not yet seen stored; `done`: the calls seen stored (the warm-up's).
                std::thread([&] {
                    std::deque<std::chrono::steady_clock::time_point> unstored;
                    std::uint64_t done = 1;
                    const auto watchStore = [&](std::chrono::steady_clock::time_point now) {
                        const RecorderStats stats = recorder.stats();
                        for (; done < stats.stored + stats.duplicates && !unstored.empty(); ++done) {
                            longest_wait = std::max(longest_wait, now - unstored.front());
                            unstored.pop_front();
                        }
                        return stats.budget_refreshes;
                    };
                    std::uint64_t refreshes = recorder.stats().budget_refreshes;
                    auto latest = began, before_latest = began, turn = began;
                    while (!refused && std::chrono::steady_clock::now() - began < 60s) {
                        try {
                            recorder.recordLlmCall(business.id, usage);
                            unstored.push_back(std::chrono::steady_clock::now());
                            ++accepted;
                        } catch (const BudgetExceededError&) {
                            refused = true;
                        }
                        const auto now = std::chrono::steady_clock::now();
                        stalest = std::max(stalest, now - before_latest);
                        slowest_turn = std::max(slowest_turn, now - turn);
                        turn = now;
                        if (const auto n = watchStore(now); n != refreshes) {
                            refreshes_seen += n - refreshes;
                            refreshes = n;
                            before_latest = latest;
                            latest = now;
                        }
                        std::this_thread::sleep_for(pace);
                    }
                    // The last calls' waits count too: the other processes may still be
                    // recording while they are queued here.
                    while (!unstored.empty() && std::chrono::steady_clock::now() - began < 120s) {
                        std::this_thread::sleep_for(pace);
                        watchStore(std::chrono::steady_clock::now());
                    }
                }).join();
                const auto elapsed = std::chrono::steady_clock::now() - began;
                if (!recorder.flush(60s) || !recorder.close(30s)) _exit(5);
                const auto us = [](std::chrono::steady_clock::duration d) {
                    return std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(d).count());
                };
                writeAll(result[1], std::to_string(refused ? 1 : 0) + " " + std::to_string(accepted) + " " +
                                        us(elapsed) + " " + us(stalest) + " " + us(slowest_turn) + " " +
                                        us(longest_wait) + " " + std::to_string(refreshes_seen));
            } catch (...) {
                _exit(2);
            }
            _exit(0);
        }
        ::close(result[1]);
        ::close(start[0]);
        children.push_back(pid);
        results.push_back(result[0]);
        starts.push_back(start[1]);
    }
    // Every child is connected and has loaded the budget: start them together.
    for (const int fd : results) {
        char ready = 0;
        pollfd p{fd, POLLIN, 0};
        REQUIRE(poll(&p, 1, 60'000) == 1);
        REQUIRE(::read(fd, &ready, 1) == 1);
        REQUIRE(ready == 'R');
    }
    for (const int fd : starts) REQUIRE(::write(fd, "G", 1) == 1);
    std::vector<std::string> reports;
    for (int p = 0; p < processes; ++p) {
        reports.push_back(readAll(results[static_cast<std::size_t>(p)]));
        ::close(results[static_cast<std::size_t>(p)]);
        ::close(starts[static_cast<std::size_t>(p)]);
        int status = 0;
        waitpid(children[static_cast<std::size_t>(p)], &status, 0);
        INFO("process " << p << " said '" << reports.back() << "'");
        REQUIRE(WIFEXITED(status));
        REQUIRE(WEXITSTATUS(status) == 0);
        int refused = 0;
        REQUIRE(std::sscanf(reports.back().c_str(), "%d", &refused) == 1);
        REQUIRE(refused == 1);  // each process recorded until the cap refused it
    }

    // The exact spend, from the store.
    UsageRecorder reader(fixture.store, {.rate_card = card, .budget_refresh = 0ms});
    const auto status = reader.budgetStatus(business.id);
    REQUIRE(status.size() == 1);
    const Decimal spent = status[0].spent;
    REQUIRE(spent >= amount);

    // The bound: what the other processes record while one process's view is stale, plus
    // one call per recording thread. A call at time t is decided with the store as the last
    // completed refresh read it, which misses what the others stored after that read and
    // what they had recorded but not yet stored. So the window is the longest time any
    // process measured from the refresh completion before last to a call (plus the slowest
    // turn of its loop, by which it saw a completion late) plus the longest any call waited
    // to be stored: at least budget_refresh plus the flush interval, longer when refreshes
    // and flushes are slow, as on a loaded machine or under a sanitizer. Each process's
    // "rate × window" is measured from its stored events: the most calls it recorded in any
    // window that long.
    std::chrono::microseconds stalest{}, slowest_turn{}, longest_wait{};
    for (const auto& report : reports) {
        long long stale = 0, turn = 0, wait = 0, refreshes = 0;
        REQUIRE(std::sscanf(report.c_str(), "%*d %*d %*d %lld %lld %lld %lld", &stale, &turn, &wait, &refreshes) == 4);
        REQUIRE(refreshes >= 1);  // each process saw the others' spend at least once
        stalest = std::max(stalest, std::chrono::microseconds(stale));
        slowest_turn = std::max(slowest_turn, std::chrono::microseconds(turn));
        longest_wait = std::max(longest_wait, std::chrono::microseconds(wait));
    }
    const auto window =
        std::max<std::chrono::microseconds>(stalest + slowest_turn + longest_wait, budget_refresh + flush_interval);
    std::vector<std::size_t> busiest;
    std::string rates;
    std::int64_t calls = 0;
    for (int p = 0; p < processes; ++p) {
        auto r = fixture.sql(
            "SELECT (extract(epoch FROM occurred_at) * 1000000)::bigint FROM usage_events "
            "WHERE business_id = $1 AND model = $2 ORDER BY 1",
            detail::PgParams().add(business.id.toString()).add("x/p" + std::to_string(p)));
        std::vector<std::int64_t> times;
        for (int row = 0; row < r.rows(); ++row) times.push_back(std::stoll(std::string(r.text(row, 0))));
        calls += static_cast<std::int64_t>(times.size());
        busiest.push_back(busiestWindow(times, window));
        rates += " " + std::to_string(times.size()) + " calls (at most " + std::to_string(busiest.back()) + " in " +
                 std::to_string(window.count() / 1000) + " ms); child said: " + reports[static_cast<std::size_t>(p)] +
                 ";";
    }
    REQUIRE(spent == cost * Decimal(calls));  // every call is in the store once
    std::int64_t accepted = 0;
    for (const auto& report : reports) {
        long long n = 0;
        REQUIRE(std::sscanf(report.c_str(), "%*d %lld", &n) == 1);
        accepted += n;
    }
    REQUIRE(calls == accepted);  // and every accepted call is stored
    const std::int64_t overshoot_calls = calls - 1000;
    std::sort(busiest.begin(), busiest.end(), std::greater<>());
    std::size_t bound_calls = processes;  // one call per thread, one thread per process
    for (int p = 0; p < processes - 1; ++p) bound_calls += busiest[static_cast<std::size_t>(p)];
    const Decimal bound = cost * Decimal(static_cast<std::int64_t>(bound_calls));
    const std::string line = "overshoot " + (spent - amount).toString() + " (" + std::to_string(overshoot_calls) +
                             " calls), bound " + bound.toString() + " (" + std::to_string(bound_calls) +
                             " calls); window " + std::to_string(window.count() / 1000) + " ms (stalest " +
                             std::to_string(stalest.count() / 1000) + " + turn " +
                             std::to_string(slowest_turn.count() / 1000) + " + wait " +
                             std::to_string(longest_wait.count() / 1000) + "); per process:" + rates;
    std::printf("multi-process hard cap: %s\n", line.c_str());
    INFO(line);
    CHECK(spent - amount <= bound);
}
