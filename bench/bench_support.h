// SPDX-License-Identifier: MIT
// Shared set-up for the benchmark sections: a throwaway schema, businesses, events, a raw
// COPY, a store that discards, percentiles, resident memory.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <metered/metered.h>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "postgres/pg_connection.h"
#include "text_format.h"

namespace metered::bench {

using Steady = std::chrono::steady_clock;

inline double secondsSince(Steady::time_point start) {
    return std::chrono::duration<double>(Steady::now() - start).count();
}

/// Waits until everything `recorder` took is stored; throws when it is not within `timeout`
/// (a figure measured over unstored events would mean nothing).
inline void flushAll(UsageRecorder& recorder, std::chrono::milliseconds timeout = std::chrono::minutes(1)) {
    if (!recorder.flush(timeout)) throw std::runtime_error("flush timed out: recorded events were left unstored");
}

/// A fresh schema on the server of the PG* environment, dropped at exit.
class Schema {
public:
    Schema() : admin_("") {
        name_ = "metered_bench_" + Uuid::generateV7().toString().substr(24);
        admin_.execScript(("CREATE SCHEMA " + name_).c_str());
        admin_.execScript(("SET search_path = " + name_).c_str());
        conninfo = "options='-c search_path=" + name_ + "'";
    }
    ~Schema() {
        try {
            admin_.execScript(("DROP SCHEMA " + name_ + " CASCADE").c_str());
        } catch (...) {}
    }
    Schema(const Schema&) = delete;
    Schema& operator=(const Schema&) = delete;

    detail::PgConnection& connection() { return admin_; }
    /// Empties the event and rollup tables (accounts and plans stay).
    void truncate() { admin_.execScript("TRUNCATE usage_events, usage_daily; CHECKPOINT"); }

    std::string conninfo;

private:
    detail::PgConnection admin_;
    std::string name_;
};

inline std::vector<BusinessId> makeBusinesses(UsageStore& store, std::size_t count) {
    std::vector<BusinessId> ids;
    const char* zones[] = {"America/New_York", "Europe/Berlin", "Asia/Kolkata", "UTC", "Australia/Sydney"};
    for (std::size_t i = 0; i < count; ++i) {
        Account account{BusinessId(Uuid::generateV7()), fmt::format("Business {}", i), "basic", zones[i % 5], 1};
        store.saveAccount(account);
        ids.push_back(account.id);
    }
    return ids;
}

/// "Now" for every benchmark: a fixed instant, so results do not depend on today's date
/// (on the 1st of a month the system clock's current month would be empty).
inline const Timestamp bench_now = Timestamp(date::sys_days(date::year(2024) / 3 / 20)) + std::chrono::hours(12);
/// The seed's "CURRENT_DATE" at bench_now.
inline constexpr const char* bench_today = "2024-03-20";
inline Timestamp benchClock() { return bench_now; }

/// Chat-like events (API calls with the seed's metadata, some AI queries and voice
/// minutes) spread over the 18 days before bench_now: all in its month, in every zone.
/// `count` events of `businesses`, occurring in the `span` before the benchmark's fixed
/// now: 18 days for stored history (reads), minutes for live traffic (ingest).
inline std::vector<UsageEvent> makeEvents(const std::vector<BusinessId>& businesses, std::size_t count,
                                          std::uint32_t seed = 42, std::chrono::seconds span = std::chrono::days(18)) {
    std::mt19937 random(seed);
    const PriceBook book;
    const auto now = bench_now;
    std::vector<UsageEvent> events;
    events.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        UsageEvent e;
        e.id = EventId::generate();
        e.business = businesses[random() % businesses.size()];
        const auto pick = random() % 10;
        e.type = pick < 7 ? EventType::apiCall() : pick < 9 ? EventType::aiQuery() : EventType::voiceMinute();
        e.quantity = e.type == EventType::voiceMinute() ? Decimal::fromMantissa(random() % 5000, 3) : Decimal(1);
        e.unit_price = book.listMeter(e.type).unit_price;
        e.list_cost = e.quantity * e.unit_price;
        e.metadata.set("operation", "chat_completion")
            .set("model", "gpt-4o-mini")
            .set("tokens", static_cast<std::int64_t>(random() % 2000))
            .set("intent", "order")
            .set("sessionId", fmt::format("session-{}", random() % 100000));
        e.occurred_at = now - std::chrono::seconds(random() % static_cast<std::uint64_t>(span.count()));
        events.push_back(std::move(e));
    }
    return events;
}

/// COPY of `events` into usage_events, no rollups, no idempotency: the ingest ceiling.
/// Rows are formatted the way the fastest client would (appending into one buffer, no
/// per-character string building) and streamed as they are formatted (so the server
/// parses while the client formats), inside the timed region as metered's own are.
inline void copyEvents(detail::PgConnection& c, std::span<const UsageEvent> events) {
    c.copyIn(
        "COPY usage_events (business_id, id, event_type, quantity, unit_price_cents, total_cost_cents, metadata, "
        "occurred_at, local_day, created_at) FROM STDIN",
        [&](const auto& send) {
            std::string data;
            data.reserve(64 * 400);
            const Decimal hundred(100);
            std::size_t rows = 0;
            for (const auto& e : events) {
                detail::appendUuid(data, e.business.uuid());
                data += '\t';
                detail::appendUuid(data, e.id.uuid());
                data += '\t';
                data += e.type.name();
                data += '\t';
                detail::appendDecimal(data, e.quantity);
                data += '\t';
                detail::appendDecimal(data, e.unit_price * hundred);
                data += '\t';
                detail::appendDecimal(data, e.list_cost * hundred);
                data += '\t';
                // COPY text format: a backslash is written twice (JSON text has no tab or newline).
                const std::string json = e.metadata.toJson();
                std::string_view rest = json;
                for (auto at = rest.find('\\'); at != std::string_view::npos; at = rest.find('\\')) {
                    data.append(rest.substr(0, at + 1));
                    data += '\\';
                    rest.remove_prefix(at + 1);
                }
                data.append(rest);
                data += '\t';
                const std::size_t when = data.size();
                detail::appendIsoTimestamp(data, e.occurred_at, true);
                char stamp[32];
                const std::size_t stamp_size = std::min(sizeof stamp, data.size() - when);
                std::memcpy(stamp, data.data() + when, stamp_size);
                data += '\t';
                data.append(stamp, 10);  // the UTC day, as the seed's DATE(created_at)
                data += '\t';
                data.append(stamp, stamp_size);
                data += '\n';
                if (++rows % 64 == 0) {
                    send(data);
                    data.clear();
                }
            }
            if (!data.empty()) send(data);
        });
}

/// A store that keeps nothing: for measuring the recorder alone. `accounts` and `budgets`
/// (set before a recorder opens it, never after) are what it answers about budgets.
class NullStore final : public UsageStore {
public:
    std::atomic<std::uint64_t> appended{0};
    std::vector<Account> accounts;
    std::vector<Budget> budgets;
    void migrate() override {}
    AppendResult append(std::span<const UsageEvent> events) override {
        appended += events.size();
        AppendResult result;
        result.stored = events.size();
        return result;
    }
    std::vector<UsageTotal> totals(const BusinessId&, const DayRange&) override { return {}; }
    std::vector<DailyUsage> daily(const BusinessId&, const DayRange&) override { return {}; }
    std::vector<ModelUsageTotal> modelTotals(const BusinessId&, const DayRange&) override { return {}; }
    std::vector<DailyModelUsage> modelDaily(const BusinessId&, const DayRange&) override { return {}; }
    std::optional<Account> findAccount(const BusinessId& business) override {
        for (const Account& account : accounts) {
            if (account.id == business) return account;
        }
        return std::nullopt;
    }
    void saveAccount(const Account&) override {}
    std::vector<Account> listAccounts() override { return {}; }
    std::vector<Plan> loadPlans() override { return {Plan::basic()}; }
    void savePlan(const Plan&) override {}
    void saveBudget(const Budget&) override {}
    bool deleteBudget(const BusinessId&, const std::string&) override { return false; }
    std::vector<Budget> listBudgets(const BusinessId&) override { return {}; }
    std::vector<Budget> listAllBudgets() override { return budgets; }
};

/// The median of `values` (not empty).
inline double median(std::vector<double> values) {
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2), values.end());
    return values[values.size() / 2];
}

/// Median, p99 and p99.9 of `samples` (sorted in place).
struct Percentiles {
    double p50, p99, p999;
};
inline Percentiles percentiles(std::vector<double>& samples) {
    std::sort(samples.begin(), samples.end());
    const auto at = [&](std::size_t permille) {
        return samples[std::min(samples.size() - 1, samples.size() * permille / 1000)];
    };
    return {at(500), at(990), at(999)};
}

/// Percentiles of `repetitions` timed runs of `call`, in microseconds.
template <class Call>
Percentiles time(int repetitions, Call&& call) {
    std::vector<double> us;
    for (int i = 0; i < repetitions; ++i) {
        const auto start = Steady::now();
        call();
        us.push_back(std::chrono::duration<double, std::micro>(Steady::now() - start).count());
    }
    return percentiles(us);
}

/// "p50 0.31 ms, p99 0.65 ms" of read latencies timed in microseconds.
inline std::string readText(const Percentiles& p) {
    return fmt::format("p50 {:.2f} ms, p99 {:.2f} ms", p.p50 / 1000, p.p99 / 1000);
}

/// This process's resident memory now and at its peak, in MiB (from /proc/self/status).
struct Memory {
    double rss_mib = 0, peak_mib = 0;
};
inline Memory residentMemory() {
    std::ifstream status("/proc/self/status");
    Memory m;
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("VmRSS:", 0) == 0) m.rss_mib = std::stod(line.substr(6)) / 1024;
        if (line.rfind("VmHWM:", 0) == 0) m.peak_mib = std::stod(line.substr(6)) / 1024;
    }
    return m;
}

}  // namespace metered::bench
