// SPDX-License-Identifier: MIT
#include "metered/sqlite_store.h"

#include <map>
#include <mutex>

#include "../event_checks.h"
#include "../iso_date.h"
#include "../plan_rows.h"
#include "../text_format.h"
#include "metered/errors.h"
#include "sqlite_db.h"
#include "../untrusted_text.h"

namespace metered {
namespace {

using detail::SqliteConnection;
using detail::SqliteStatement;

// Version 1: the PostgreSQL schema's tables and names, with every number as exact
// decimal TEXT (TEXT affinity keeps "0.001" as written; NUMERIC or REAL would not).
constexpr const char* schema_v1 = R"SQL(
CREATE TABLE businesses (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  plan_id TEXT NOT NULL DEFAULT 'basic',
  time_zone TEXT NOT NULL DEFAULT 'UTC',
  anchor_day INTEGER NOT NULL DEFAULT 1 CHECK (anchor_day BETWEEN 1 AND 31),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE TABLE usage_events (
  business_id TEXT NOT NULL REFERENCES businesses(id),
  id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  quantity TEXT NOT NULL,
  unit_price_cents TEXT NOT NULL,
  total_cost_cents TEXT NOT NULL,
  metadata TEXT NOT NULL DEFAULT '{}',
  occurred_at TEXT NOT NULL,
  local_day TEXT NOT NULL,
  processed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  created_at TEXT NOT NULL,
  PRIMARY KEY (business_id, id)
) WITHOUT ROWID;
CREATE INDEX usage_events_business_created ON usage_events (business_id, created_at);
CREATE TABLE usage_daily (
  business_id TEXT NOT NULL,
  day TEXT NOT NULL,
  event_type TEXT NOT NULL,
  quantity TEXT NOT NULL,
  event_count INTEGER NOT NULL,
  list_cost_cents TEXT NOT NULL,
  PRIMARY KEY (business_id, day, event_type)
) WITHOUT ROWID;
CREATE TABLE usage_aggregation (
  business_id TEXT NOT NULL,
  period_start TEXT NOT NULL,
  period_end TEXT NOT NULL,
  event_type TEXT NOT NULL,
  total_quantity TEXT NOT NULL,
  event_count INTEGER NOT NULL,
  total_cost_cents TEXT NOT NULL,
  PRIMARY KEY (business_id, period_start, event_type)
) WITHOUT ROWID;
CREATE TABLE metered_plans (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  currency TEXT NOT NULL,
  minor_units INTEGER NOT NULL,
  rounding TEXT NOT NULL
);
CREATE TABLE usage_quotas (
  plan_id TEXT NOT NULL REFERENCES metered_plans(id) ON DELETE CASCADE,
  event_type TEXT NOT NULL,
  quota_limit TEXT,
  overage_price_cents TEXT NOT NULL,
  included_quantity TEXT NOT NULL,
  position INTEGER NOT NULL,
  unit TEXT NOT NULL,
  pricing_model TEXT NOT NULL,
  tiers TEXT,
  package_size TEXT,
  package_price TEXT,
  quota_hard INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (plan_id, event_type)
);
)SQL";

struct Migration {
    int version;
    const char* sql;
};
constexpr Migration migrations[] = {{1, schema_v1}};

const Decimal hundred(100);
const Decimal hundredth = Decimal::fromMantissa(1, 2);

std::string dayText(date::local_days day) { return detail::isoDay(day); }

date::local_days dayFrom(const std::string& text) {
    const auto day = detail::parseIsoDate(text);
    if (!day) throw StoreError("sqlite: unexpected date " + detail::quoted(text), false);
    return date::local_days(*day);
}

Account accountFrom(const SqliteStatement& s) {
    return Account{BusinessId(Uuid::parse(s.text(0))), s.text(1), s.text(2), s.text(3), static_cast<int>(s.integer(4))};
}

constexpr const char* account_columns = "SELECT id, name, plan_id, time_zone, anchor_day FROM businesses";

// Sums of one rollup row.
struct Sums {
    Decimal quantity;
    std::int64_t events = 0;
    Decimal cost_cents;
};

}  // namespace

struct SqliteStore::Impl {
    std::mutex mutex;
    SqliteConnection db;

    explicit Impl(const SqliteOptions& options)
        : db(options.path.string(), static_cast<int>(options.busy_timeout.count())) {}

    // Runs `work` in a write transaction (BEGIN IMMEDIATE: the file's write lock first).
    template <class Work>
    auto write(Work&& work) {
        db.execute("BEGIN IMMEDIATE");
        try {
            if constexpr (std::is_void_v<decltype(work())>) {
                work();
                db.execute("COMMIT");
            } else {
                auto result = work();
                db.execute("COMMIT");
                return result;
            }
        } catch (...) {
            db.rollbackQuietly();
            throw;
        }
    }

    int version() {
        db.execute("CREATE TABLE IF NOT EXISTS metered_schema_version (version INTEGER PRIMARY KEY, "
                   "applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))");
        auto s = db.prepare("SELECT coalesce(max(version), 0) FROM metered_schema_version");
        s.step();
        return static_cast<int>(s.integer(0));
    }

    void savePlan(const Plan& plan) {
        db.prepare("INSERT INTO metered_plans (id, name, currency, minor_units, rounding) VALUES (?1, ?2, ?3, ?4, ?5) "
                   "ON CONFLICT (id) DO UPDATE SET name = excluded.name, currency = excluded.currency, "
                   "minor_units = excluded.minor_units, rounding = excluded.rounding")
            .bind(1, plan.id)
            .bind(2, plan.name)
            .bind(3, plan.currency.code)
            .bind(4, std::int64_t{plan.currency.minor_units})
            .bind(5, toString(plan.rounding))
            .run();
        db.prepare("DELETE FROM usage_quotas WHERE plan_id = ?1").bind(1, plan.id).run();
        auto insert = db.prepare(
            "INSERT INTO usage_quotas (plan_id, event_type, position, unit, included_quantity, pricing_model, "
            "overage_price_cents, tiers, package_size, package_price, quota_limit, quota_hard) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
        for (std::size_t position = 0; position < plan.meters.size(); ++position) {
            const auto row = detail::toRow(plan.meters[position]);
            insert.bind(1, plan.id)
                .bind(2, row.event_type)
                .bind(3, static_cast<std::int64_t>(position))
                .bind(4, row.unit)
                .bind(5, row.included_quantity)
                .bind(6, row.pricing_model)
                .bind(7, row.overage_price_cents)
                .bindOptional(8, row.tiers)
                .bindOptional(9, row.package_size)
                .bindOptional(10, row.package_price)
                .bindOptional(11, row.quota_limit)
                .bind(12, std::int64_t{row.quota_hard ? 1 : 0})
                .run();
        }
    }

    // Adds `sums` to the rollup row selected by `select` (key bound), writing with `upsert`.
    void addTo(SqliteStatement& select, SqliteStatement& upsert, const Sums& sums, int key_count) {
        Sums total = sums;
        if (select.step()) {
            total.quantity += Decimal::parse(select.text(0));
            total.events += select.integer(1);
            total.cost_cents += Decimal::parse(select.text(2));
        }
        select.reset();
        upsert.bind(key_count + 1, total.quantity.toString())
            .bind(key_count + 2, total.events)
            .bind(key_count + 3, total.cost_cents.toString())
            .run();
    }
};

SqliteStore::SqliteStore(SqliteOptions options) : impl_(std::make_unique<Impl>(options)) {}
SqliteStore::~SqliteStore() = default;

void SqliteStore::migrate() {
    std::lock_guard lock(impl_->mutex);
    impl_->write([&] {
        const int current = impl_->version();
        for (const auto& migration : migrations) {
            if (migration.version <= current) continue;
            impl_->db.execute(migration.sql);
            impl_->db.prepare("INSERT INTO metered_schema_version (version) VALUES (?1)")
                .bind(1, std::int64_t{migration.version})
                .run();
        }
        auto has_basic = impl_->db.prepare("SELECT 1 FROM metered_plans WHERE id = 'basic'");
        if (!has_basic.step()) impl_->savePlan(Plan::basic());
    });
}

int SqliteStore::schemaVersion() {
    std::lock_guard lock(impl_->mutex);
    return impl_->version();
}

AppendResult SqliteStore::append(std::span<const UsageEvent> events) {
    std::lock_guard lock(impl_->mutex);
    return impl_->write([&] {
        AppendResult result;
        auto& db = impl_->db;
        auto find = db.prepare("SELECT time_zone, anchor_day FROM businesses WHERE id = ?1");
        auto insert = db.prepare(
            "INSERT OR IGNORE INTO usage_events (business_id, id, event_type, quantity, unit_price_cents, "
            "total_cost_cents, metadata, occurred_at, local_day, created_at) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?8)");
        std::map<std::string, std::optional<std::pair<std::string, int>>> zones;  // business -> (zone, anchor)
        std::map<std::tuple<std::string, date::local_days, std::string>, Sums> days;
        std::map<std::tuple<std::string, date::local_days, std::string>, std::pair<date::local_days, Sums>> cycles;
        for (std::size_t i = 0; i < events.size(); ++i) {
            const UsageEvent& e = events[i];
            if (auto problem = detail::eventProblem(e)) {
                result.rejected.push_back({i, e.id, *problem});
                continue;
            }
            const std::string business = e.business.toString();
            auto [zone, fresh] = zones.try_emplace(business);
            if (fresh) {
                find.bind(1, business);
                if (find.step()) zone->second = std::make_pair(find.text(0), static_cast<int>(find.integer(1)));
                find.reset();
            }
            if (!zone->second) {
                result.rejected.push_back({i, e.id, "unknown business " + business});
                continue;
            }
            const auto day = localDay(e.occurred_at, zone->second->first);
            const std::string when = detail::isoTimestamp(e.occurred_at);
            insert.bind(1, business)
                .bind(2, e.id.toString())
                .bind(3, e.type.name())
                .bind(4, e.quantity.toString())
                .bind(5, (e.unit_price * hundred).toString())
                .bind(6, (e.list_cost * hundred).toString())
                .bind(7, e.metadata.toJson())
                .bind(8, when)
                .bind(9, dayText(day))
                .run();
            if (db.changes() == 0) {
                ++result.duplicates;
                continue;
            }
            ++result.stored;
            const Sums sums{e.quantity, 1, e.list_cost * hundred};
            Sums& d = days[{business, day, e.type.toString()}];
            d.quantity += sums.quantity;
            d.events += 1;
            d.cost_cents += sums.cost_cents;
            const auto cycle = BillingPeriod::cycleContaining(day, zone->second->second);
            auto& c = cycles[{business, cycle.first, e.type.toString()}];
            c.first = cycle.end;
            c.second.quantity += sums.quantity;
            c.second.events += 1;
            c.second.cost_cents += sums.cost_cents;
        }
        auto select_day = db.prepare(
            "SELECT quantity, event_count, list_cost_cents FROM usage_daily WHERE business_id = ?1 AND day = ?2 "
            "AND event_type = ?3");
        auto upsert_day = db.prepare(
            "INSERT OR REPLACE INTO usage_daily (business_id, day, event_type, quantity, event_count, list_cost_cents) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
        for (const auto& [key, sums] : days) {
            const auto& [business, day, type] = key;
            for (auto* s : {&select_day, &upsert_day}) s->bind(1, business).bind(2, dayText(day)).bind(3, type);
            impl_->addTo(select_day, upsert_day, sums, 3);
        }
        auto select_cycle = db.prepare(
            "SELECT total_quantity, event_count, total_cost_cents FROM usage_aggregation WHERE business_id = ?1 "
            "AND period_start = ?2 AND event_type = ?3");
        auto upsert_cycle = db.prepare(
            "INSERT OR REPLACE INTO usage_aggregation (business_id, period_start, event_type, total_quantity, "
            "event_count, total_cost_cents, period_end) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
        for (const auto& [key, value] : cycles) {
            const auto& [business, start, type] = key;
            for (auto* s : {&select_cycle, &upsert_cycle}) s->bind(1, business).bind(2, dayText(start)).bind(3, type);
            upsert_cycle.bind(7, dayText(value.first));
            impl_->addTo(select_cycle, upsert_cycle, value.second, 3);
        }
        return result;
    });
}

std::vector<UsageTotal> SqliteStore::totals(const BusinessId& business, const DayRange& days) {
    std::map<EventType, UsageTotal> sums;
    for (const auto& row : daily(business, days)) {
        auto [slot, fresh] = sums.try_emplace(row.total.type, UsageTotal{row.total.type, {}, 0, {}});
        slot->second.quantity += row.total.quantity;
        slot->second.events += row.total.events;
        slot->second.list_cost += row.total.list_cost;
    }
    std::vector<UsageTotal> result;
    for (auto& [type, total] : sums) result.push_back(std::move(total));
    return result;
}

std::vector<DailyUsage> SqliteStore::daily(const BusinessId& business, const DayRange& days) {
    std::lock_guard lock(impl_->mutex);
    auto s = impl_->db.prepare(
        "SELECT day, event_type, quantity, event_count, list_cost_cents FROM usage_daily "
        "WHERE business_id = ?1 AND day >= ?2 AND day < ?3 ORDER BY day, event_type");
    s.bind(1, business.toString()).bind(2, dayText(days.first)).bind(3, dayText(days.end));
    std::vector<DailyUsage> rows;
    while (s.step()) {
        rows.push_back({dayFrom(s.text(0)), UsageTotal{EventType(s.text(1)), Decimal::parse(s.text(2)), s.integer(3),
                                                       Decimal::parse(s.text(4)) * hundredth}});
    }
    return rows;
}

std::optional<Account> SqliteStore::findAccount(const BusinessId& business) {
    std::lock_guard lock(impl_->mutex);
    auto s = impl_->db.prepare(std::string(account_columns) + " WHERE id = ?1");
    s.bind(1, business.toString());
    if (!s.step()) return std::nullopt;
    return accountFrom(s);
}

void SqliteStore::saveAccount(const Account& account) {
    account.validate();
    std::lock_guard lock(impl_->mutex);
    impl_->db
        .prepare("INSERT INTO businesses (id, name, plan_id, time_zone, anchor_day) VALUES (?1, ?2, ?3, ?4, ?5) "
                 "ON CONFLICT (id) DO UPDATE SET name = excluded.name, plan_id = excluded.plan_id, "
                 "time_zone = excluded.time_zone, anchor_day = excluded.anchor_day, "
                 "updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')")
        .bind(1, account.id.toString())
        .bind(2, account.name)
        .bind(3, account.plan_id)
        .bind(4, account.time_zone)
        .bind(5, std::int64_t{account.anchor_day})
        .run();
}

std::vector<Account> SqliteStore::listAccounts() {
    std::lock_guard lock(impl_->mutex);
    auto s = impl_->db.prepare(std::string(account_columns) + " ORDER BY name, id");
    std::vector<Account> accounts;
    while (s.step()) accounts.push_back(accountFrom(s));
    return accounts;
}

std::vector<Plan> SqliteStore::loadPlans() {
    std::lock_guard lock(impl_->mutex);
    auto plans = impl_->db.prepare("SELECT id, name, currency, minor_units, rounding FROM metered_plans ORDER BY id");
    std::vector<Plan> result;
    std::map<std::string, std::size_t> index;
    while (plans.step()) {
        Plan plan;
        plan.id = plans.text(0);
        plan.name = plans.text(1);
        plan.currency = Currency{plans.text(2), static_cast<int>(plans.integer(3))};
        plan.rounding = parseRounding(plans.text(4));
        index[plan.id] = result.size();
        result.push_back(std::move(plan));
    }
    auto meters = impl_->db.prepare(
        "SELECT plan_id, event_type, unit, included_quantity, pricing_model, overage_price_cents, tiers, "
        "package_size, package_price, quota_limit, quota_hard FROM usage_quotas ORDER BY plan_id, position");
    while (meters.step()) {
        auto found = index.find(meters.text(0));
        if (found == index.end()) continue;
        result[found->second].meters.push_back(
            detail::fromRow({meters.text(1), meters.text(2), meters.text(3), meters.text(4), meters.text(5),
                             meters.optionalText(6), meters.optionalText(7), meters.optionalText(8),
                             meters.optionalText(9), meters.integer(10) != 0}));
    }
    return result;
}

void SqliteStore::savePlan(const Plan& plan) {
    plan.validate();
    std::lock_guard lock(impl_->mutex);
    impl_->write([&] { impl_->savePlan(plan); });
}

}  // namespace metered
