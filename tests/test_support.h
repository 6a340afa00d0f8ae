// SPDX-License-Identifier: MIT
// Small helpers shared by the tests.
#pragma once

#include <date/date.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <vector>

#include "metered/usage_recorder.h"

namespace metered::testing {

inline Decimal num(const char* text) { return Decimal::parse(text); }

inline Timestamp at(date::sys_days day, std::chrono::microseconds offset = {}) { return Timestamp(day) + offset; }

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
/// returns how many failed (threw, or exited other than 0).
inline int inChildProcesses(int count, const std::function<void(int)>& body) {
    std::vector<pid_t> children;
    for (int i = 0; i < count; ++i) {
        const pid_t pid = fork();
        if (pid < 0) return count;
        if (pid == 0) {
            int status = 0;
            try {
                body(i);
            } catch (...) {
                status = 1;
            }
            _exit(status);
        }
        children.push_back(pid);
    }
    int failed = 0;
    for (pid_t pid : children) {
        int status = 0;
        waitpid(pid, &status, 0);
        failed += WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
    }
    return failed;
}

/// Appends `events` to `store` in batches of `batch`.
inline void appendInBatches(UsageStore& store, std::span<const UsageEvent> events, std::size_t batch) {
    for (std::size_t from = 0; from < events.size(); from += batch) {
        store.append(events.subspan(from, std::min(batch, events.size() - from)));
    }
}

/// A clock that stays where it is set.
struct FixedClock {
    std::shared_ptr<Timestamp> now = std::make_shared<Timestamp>();
    Timestamp operator()() const { return *now; }
};

}  // namespace metered::testing
