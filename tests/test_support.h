// SPDX-License-Identifier: MIT
// Small helpers shared by the tests.
#pragma once

#include <catch2/catch.hpp>
#include <date/date.h>
#include <pthread.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "metered/billing_period.h"
#include "metered/errors.h"
#include "metered/llm_usage.h"
#include "metered/memory_store.h"
#include "metered/price_book.h"
#include "metered/usage_recorder.h"

namespace metered::testing {

// The field of the ValidationError `call` throws ("" if it throws none, or another type).
template <typename F>
std::string errorField(F&& call) {
    try {
        call();
    } catch (const ValidationError& e) {
        return e.field();
    }
    return "";
}

inline Decimal num(std::string_view text) { return Decimal::parse(text); }

inline Timestamp at(date::sys_days day, std::chrono::microseconds offset = {}) { return Timestamp(day) + offset; }

inline constexpr const char* new_york = "America/New_York";  // DST ends 2026-11-01 at 02:00 (a 25-hour day)

/// Local midnight of `day` in New York, plus `offset` of elapsed time.
inline Timestamp nyc(date::local_days day, std::chrono::microseconds offset = {}) {
    return startOfDay(day, new_york) + offset;
}

/// The calendar month `month` as a range of local days.
inline DayRange monthOf(date::year_month month) {
    return {date::local_days(month / 1), date::local_days((month + date::months(1)) / 1)};
}
inline const DayRange march2024 = monthOf(date::year(2024) / 3);
inline const DayRange april2024 = monthOf(date::year(2024) / 4);
inline const DayRange november2024 = monthOf(date::year(2024) / 11);
inline const DayRange december2024 = monthOf(date::year(2024) / 12);

/// The field of the ValidationError that reading price book `json` throws ("" if none).
inline std::string bookField(const std::string& json) {
    return errorField([&] { PriceBook::fromJson(json); });
}

/// `e` with `dimensions`.
inline UsageEvent withDimensions(UsageEvent e, std::vector<EventDimension> dimensions) {
    e.dimensions = std::move(dimensions);
    return e;
}

/// Options that record asynchronously with no spool (the queue in memory only).
inline RecorderOptions asyncInMemory() {
    RecorderOptions options;
    options.mode = RecordMode::async;
    options.async.spool = SpoolMode::off;
    return options;
}

/// A rate card of gpt-4o at $2.50 / $10.00 per million input / output tokens.
inline constexpr std::string_view gpt4o_card_json = R"({"models": {
  "openai/gpt-4o": {"prices": [{"from": "2024-10-01", "per": "1M", "input": "2.50", "output": "10.00"}]}}})";

/// $2.50 of gpt-4o on gpt4o_card_json: a million input tokens.
inline LlmUsage gpt250() {
    LlmUsage usage;
    usage.provider = "openai";
    usage.model = "gpt-4o";
    usage.input_tokens = 1'000'000;
    return usage;
}

/// An account with a fresh random id.
inline Account account(std::string name, std::string zone = "UTC", std::string plan = "basic", int anchor = 1) {
    return Account{BusinessId(Uuid::generateV7()), std::move(name), std::move(plan), std::move(zone), anchor};
}

/// A priced event of `type` for `business` at `when` (list price from the basic plan).
inline UsageEvent event(const BusinessId& business, EventType type, const char* quantity, Timestamp when) {
    static const Plan basic = Plan::basic();
    const Meter& list = *basic.meter(type);
    UsageEvent e;
    e.id = EventId::generate();
    e.business = business;
    e.type = type;
    e.quantity = Decimal::parse(quantity);
    e.unit_price = list.unit_price;
    e.list_cost = e.quantity * e.unit_price;
    e.occurred_at = when;
    return e;
}

/// The rows of RFC 4180 text (quoted fields may hold commas, quotes and line breaks): what
/// a spreadsheet reads of an export; fails the test on a bare line feed.
inline std::vector<std::vector<std::string>> csvRows(const std::string& csv) {
    std::vector<std::vector<std::string>> result(1);
    std::string field;
    bool quoted = false;
    for (std::size_t i = 0; i < csv.size(); ++i) {
        const char c = csv[i];
        if (quoted) {
            if (c == '"' && i + 1 < csv.size() && csv[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            result.back().push_back(std::exchange(field, {}));
        } else if (c == '\r') {
            REQUIRE(csv.at(i + 1) == '\n');  // CRLF only
            result.back().push_back(std::exchange(field, {}));
            result.emplace_back();
            ++i;
        } else {
            REQUIRE(c != '\n');  // a bare line feed outside quotes
            field += c;
        }
    }
    REQUIRE(result.back().empty());
    result.pop_back();
    return result;
}

/// A fresh directory under the system's temporary directory, removed afterwards.
struct TempDir {
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("metered-test-" + Uuid::generateV7().toString());
    TempDir() { std::filesystem::create_directories(path); }
    ~TempDir() { std::filesystem::remove_all(path); }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
};

/// Runs `body(i)` in `count` forked child processes at once and waits for them all;
/// returns why each one that failed did (what it threw, or how it exited), empty when
/// all succeeded. Use as `CHECK(inChildProcesses(...).empty())`: Catch prints the reasons.
inline std::vector<std::string> inChildProcesses(int count, const std::function<void(int)>& body) {
    struct Child {
        pid_t pid;
        int reason_fd;
    };
    std::vector<Child> children;
    std::vector<std::string> failures;
    for (int i = 0; i < count; ++i) {
        int fds[2];
        if (pipe(fds) != 0) return {"pipe failed"};
        const pid_t pid = fork();
        if (pid < 0) return {"fork failed"};
        if (pid == 0) {
            ::close(fds[0]);
            std::string reason;
            try {
                body(i);
            } catch (const std::exception& e) {
                reason = e.what();
            } catch (...) {
                reason = "an exception that is not a std::exception";
            }
            if (!reason.empty()) {
                reason = "child " + std::to_string(i) + ": " + reason;
                [[maybe_unused]] const auto written = ::write(fds[1], reason.data(), reason.size());
            }
            _exit(reason.empty() ? 0 : 1);
        }
        ::close(fds[1]);
        children.push_back({pid, fds[0]});
    }
    for (const Child& child : children) {
        std::string reason;
        char buffer[4096];
        for (ssize_t n; (n = ::read(child.reason_fd, buffer, sizeof buffer)) > 0;)
            reason.append(buffer, static_cast<std::size_t>(n));
        ::close(child.reason_fd);
        int status = 0;
        waitpid(child.pid, &status, 0);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) continue;
        if (reason.empty()) {
            reason = WIFSIGNALED(status) ? "a child died of signal " + std::to_string(WTERMSIG(status))
                                         : "a child exited with " + std::to_string(WEXITSTATUS(status));
        }
        failures.push_back(std::move(reason));
    }
    return failures;
}

/// Waits until `done()` holds, checking every 2 ms for at most `limit`; returns whether
/// it did. For tests that wait on a condition, never on a guess of how long it takes.
template <class Condition>
bool eventually(Condition done, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
}

/// Appends `events` to `store` in batches of `batch`.
inline void appendInBatches(UsageStore& store, std::span<const UsageEvent> events, std::size_t batch) {
    for (std::size_t from = 0; from < events.size(); from += batch) {
        store.append(events.subspan(from, std::min(batch, events.size() - from)));
    }
}

/// Keeps the calling thread on CPU 0 while alive: its events then all go to one lane.
struct PinnedToCpu0 {
    cpu_set_t before{};
    PinnedToCpu0() {
        pthread_getaffinity_np(pthread_self(), sizeof before, &before);
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(0, &one);
        pthread_setaffinity_np(pthread_self(), sizeof one, &one);
    }
    ~PinnedToCpu0() { pthread_setaffinity_np(pthread_self(), sizeof before, &before); }
};

/// A clock that stays where it is set.
struct FixedClock {
    std::shared_ptr<Timestamp> now = std::make_shared<Timestamp>();
    Timestamp operator()() const { return *now; }
};

/// A recorder over a fresh MemoryStore with one saved business ("Acme Pizza", UTC), on a
/// FixedClock set to 2024-12-05 12:00; `options` as given but for the clock.
struct RecorderSetup {
    std::shared_ptr<MemoryStore> store = std::make_shared<MemoryStore>();
    FixedClock clock;
    Account business = account("Acme Pizza");
    UsageRecorder recorder;

    explicit RecorderSetup(RecorderOptions options)
        : recorder(store, [&] {
              options.clock = clock;
              return std::move(options);
          }()) {
        *clock.now = at(date::sys_days(date::year(2024) / 12 / 5), std::chrono::hours(12));
        store->saveAccount(business);
    }
};

}  // namespace metered::testing
