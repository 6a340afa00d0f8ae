// SPDX-License-Identifier: MIT
// Shared set-up for the benchmark programs: a throwaway schema, businesses, events,
// a raw COPY, and result printing.
#pragma once

#include <fmt/format.h>

#include <metered/metered.h>
#include <random>
#include <string>
#include <vector>

#include "postgres/pg_connection.h"

namespace metered::bench {

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
        } catch (...) {
        }
    }
    Schema(const Schema&) = delete;
    Schema& operator=(const Schema&) = delete;

    detail::PgConnection& connection() { return admin_; }
    /// Empties the event and rollup tables (accounts and plans stay).
    void truncate() { admin_.execScript("TRUNCATE usage_events, usage_daily, usage_aggregation; CHECKPOINT"); }

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

/// `count` chat-like events (API calls with the seed's metadata, some voice minutes and
/// AI queries) spread over the last 30 days.
inline std::vector<UsageEvent> makeEvents(const std::vector<BusinessId>& businesses, std::size_t count,
                                          std::uint32_t seed = 42) {
    std::mt19937 random(seed);
    const PriceBook book;
    const auto now = std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
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
        e.occurred_at = now - std::chrono::seconds(random() % (30 * 86400));
        events.push_back(std::move(e));
    }
    return events;
}

/// COPY of `events` into usage_events (no rollups): the ceiling for ingest.
inline void copyEvents(detail::PgConnection& c, const std::vector<UsageEvent>& events) {
    std::string data;
    data.reserve(events.size() * 300);
    for (const auto& e : events) {
        std::string json = e.metadata.toJson();
        std::string escaped;
        for (char ch : json) {
            if (ch == '\\') escaped += '\\';
            escaped += ch;
        }
        const auto when = date::format("%F %T+00", e.occurred_at);
        data += fmt::format("{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n", e.business.toString(), e.id.toString(),
                            e.type.name(), e.quantity.toString(), (e.unit_price * Decimal(100)).toString(),
                            (e.list_cost * Decimal(100)).toString(), escaped, when,
                            date::format("%F", date::floor<date::days>(e.occurred_at)), when);
    }
    c.copyIn(
        "COPY usage_events (business_id, id, event_type, quantity, unit_price_cents, total_cost_cents, metadata, "
        "occurred_at, local_day, created_at) FROM STDIN",
        data);
}

struct Row {
    std::string name;
    double rate;
};

inline void printRates(const std::vector<Row>& rows, double seed_rate, double copy_rate) {
    fmt::print("{:<40} {:>12} {:>10} {:>10}\n", "way", "events/s", "x seed", "of COPY");
    for (const auto& row : rows) {
        fmt::print("{:<40} {:>12.0f} {:>9.1f}x {:>9.0f}%\n", row.name, row.rate, row.rate / seed_rate,
                   100.0 * row.rate / copy_rate);
    }
}

}  // namespace metered::bench
