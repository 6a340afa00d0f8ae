// SPDX-License-Identifier: MIT
#include "metered/sqlite_store.h"

#include <algorithm>
#include <limits>
#include <map>
#include <mutex>
#include <set>

#include "../append_isolating.h"
#include "../correction_rules.h"
#include "../crossing_claims.h"
#include "../event_checks.h"
#include "../iso_date.h"
#include "../level_rollup.h"
#include "../store_text.h"
#include "../plan_rows.h"
#include "../quantity_corrections.h"
#include "../text_format.h"
#include "metered/errors.h"
#include "schema.h"
#include "sqlite_db.h"
#include "../untrusted_text.h"

namespace metered {
namespace {

using detail::SqliteConnection;
using detail::SqliteStatement;

using detail::dayText;
using detail::fromCents;
using detail::toCents;

// Every row of a query, each read by `read`.
template <class Read>
auto allRows(SqliteStatement& s, Read read) {
    std::vector<std::decay_t<std::invoke_result_t<Read, const SqliteStatement&>>> rows;
    while (s.step()) rows.push_back(read(s));
    return rows;
}

Account accountFrom(const SqliteStatement& s) {
    return Account{BusinessId(Uuid::parse(s.text(0))), s.text(1), s.text(2), s.text(3), static_cast<int>(s.integer(4))};
}

Budget budgetFrom(const SqliteStatement& s) {
    const auto view = [](const std::optional<std::string>& text) {
        return text ? std::optional<std::string_view>(*text) : std::nullopt;
    };
    const auto model = s.optionalText(2);
    const auto dimension = s.optionalText(6);
    const auto dimension_value = s.optionalText(7);
    return detail::budgetFromRow(s.text(0), s.text(1), view(model), s.text(3), s.text(4), s.text(5), "sqlite",
                                 view(dimension), view(dimension_value));
}

constexpr const char* budget_columns =
    "SELECT business_id, id, model, amount, thresholds, kind, dimension, dimension_value FROM metered_budgets";

constexpr const char* crossing_columns =
    "SELECT key, business_id, budget_id, cycle_start, cycle_end, threshold, amount, spent, crossed_at "
    "FROM metered_budget_crossings";

BudgetCrossing crossingFrom(const SqliteStatement& s) {
    return BudgetCrossing{s.text(0),
                          BusinessId(Uuid::parse(s.text(1))),
                          s.text(2),
                          DayRange{detail::dayFromText(s.text(3), "sqlite"), detail::dayFromText(s.text(4), "sqlite")},
                          static_cast<int>(s.integer(5)),
                          Decimal::parse(s.text(6)),
                          Decimal::parse(s.text(7)),
                          Timestamp(std::chrono::microseconds(s.integer(8)))};
}

constexpr const char* statement_columns =
    "SELECT business_id, cycle_start, cycle_end, time_zone, plan_id, currency, total, closed_at, document, "
    "adjustments, pricing, credits, credit_balance FROM metered_statements";

Statement statementFrom(const SqliteStatement& s) {
    return Statement{BusinessId(Uuid::parse(s.text(0))),
                     DayRange{detail::dayFromText(s.text(1), "sqlite"), detail::dayFromText(s.text(2), "sqlite")},
                     s.text(3),
                     s.text(4),
                     s.text(5),
                     Decimal::parse(s.text(6)),
                     Timestamp(std::chrono::microseconds(s.integer(7))),
                     s.text(8),
                     detail::adjustmentsFromText(s.text(9), "sqlite"),
                     s.text(10),
                     detail::creditsFromText(s.text(11), "sqlite"),
                     Decimal::parse(s.text(12))};
}

constexpr const char* grant_columns =
    "SELECT business_id, id, amount, currency, effective, expires, priority FROM metered_credit_grants";

CreditGrant grantFrom(const SqliteStatement& s) {
    const auto expires = s.optionalText(5);
    return CreditGrant{BusinessId(Uuid::parse(s.text(0))),
                       s.text(1),
                       Decimal::parse(s.text(2)),
                       s.text(3),
                       detail::dayFromText(s.text(4), "sqlite"),
                       expires ? std::optional(detail::dayFromText(*expires, "sqlite")) : std::nullopt,
                       static_cast<int>(s.integer(6))};
}

constexpr const char* correction_columns =
    "SELECT business_id, event_id, sequence, kind, event_type, local_day, new_quantity, reason, actor, corrected_at, "
    "quantity_delta, cost_delta, events_delta, new_metadata FROM metered_corrections";

// The corrections a statement reads: event id, kind, quantity delta.
std::vector<detail::QuantityCorrection> quantityCorrections(SqliteStatement& s) {
    std::vector<detail::QuantityCorrection> changes;
    while (s.step()) {
        changes.push_back({EventId(Uuid::parse(s.text(0))), detail::correctionKindFrom(s.text(1), "sqlite"),
                           Decimal::parse(s.text(2))});
    }
    return changes;
}

Correction correctionFrom(const SqliteStatement& s) {
    const auto new_quantity = s.optionalText(6);
    const auto new_metadata = s.optionalText(13);
    return Correction{BusinessId(Uuid::parse(s.text(0))),
                      EventId(Uuid::parse(s.text(1))),
                      static_cast<int>(s.integer(2)),
                      detail::correctionKindFrom(s.text(3), "sqlite"),
                      EventType(s.text(4)),
                      detail::dayFromText(s.text(5), "sqlite"),
                      new_quantity ? std::optional<Decimal>(Decimal::parse(*new_quantity)) : std::nullopt,
                      new_metadata ? std::optional<Metadata>(Metadata::fromJson(*new_metadata)) : std::nullopt,
                      s.text(7),
                      s.text(8),
                      Timestamp(std::chrono::microseconds(s.integer(9))),
                      Decimal::parse(s.text(10)),
                      Decimal::parse(s.text(11)),
                      s.integer(12)};
}

constexpr const char* account_columns = "SELECT id, name, plan_id, time_zone, anchor_day FROM businesses";

// The dimension side of one chunk's append: which values are admitted into the rollups
// (usage_dimension_values, bounded by max_values per business, cycle and dimension) and
// the rollups as they will be after the chunk. Everything it writes is inside the chunk's
// savepoint, so a rolled-back chunk admits nothing.
class DimensionAdmission {
public:
    explicit DimensionAdmission(SqliteConnection& db) : db_(db) {}

    // The value `d` is rolled up under in `cycle`: its own, admitted now if there is room,
    // or the overflow value.
    const std::string& admit(const std::string& business, const std::string& cycle, const EventDimension& d) {
        Cycle& slot = cycles_[{business, cycle, d.name}];
        if (!slot.loaded) {
            auto count = db_.prepare(
                "SELECT count(*) FROM usage_dimension_values WHERE business_id = ?1 AND cycle_start = ?2 "
                "AND dimension = ?3");
            count.bind(1, business).bind(2, cycle).bind(3, d.name);
            count.step();
            slot.count = count.integer(0);
            slot.limit = maxValues(d.name);
            slot.loaded = true;
        }
        if (slot.admitted.count(d.value) > 0) return d.value;
        auto known = db_.prepare(
            "SELECT 1 FROM usage_dimension_values WHERE business_id = ?1 AND cycle_start = ?2 AND dimension = ?3 "
            "AND value = ?4");
        known.bind(1, business).bind(2, cycle).bind(3, d.name).bind(4, d.value);
        if (!known.step()) {
            if (slot.count >= slot.limit && !budgeted(business, d)) return overflow_;
            db_.prepare(
                   "INSERT INTO usage_dimension_values (business_id, cycle_start, dimension, value) "
                   "VALUES (?1, ?2, ?3, ?4)")
                .bind(1, business)
                .bind(2, cycle)
                .bind(3, d.name)
                .bind(4, d.value)
                .run();
            ++slot.count;
        }
        slot.admitted.insert(d.value);
        return d.value;
    }

    // Adds `e` to the rollup of (business, day, dimension, value, its type).
    void add(const std::string& business, date::local_days day, const std::string& dimension, const std::string& value,
             const UsageEvent& e) {
        auto [slot, fresh] =
            rollups_.try_emplace({business, dimension, day, value, e.type.toString()}, UsageTotal{e.type, {}, 0, {}});
        if (fresh) {
            auto find = db_.prepare(
                "SELECT quantity, events, list_cost FROM usage_dimension_rollups WHERE business_id = ?1 "
                "AND dimension = ?2 AND local_day = ?3 AND value = ?4 AND event_type = ?5");
            find.bind(1, business).bind(2, dimension).bind(3, dayText(day)).bind(4, value).bind(5, e.type.name());
            if (find.step()) {
                slot->second.quantity = Decimal::parse(find.text(0));
                slot->second.events = find.integer(1);
                slot->second.list_cost = Decimal::parse(find.text(2));
            }
        }
        slot->second.quantity += e.quantity;
        slot->second.list_cost += e.list_cost;
        ++slot->second.events;
    }

    void write() {
        if (rollups_.empty()) return;
        auto upsert = db_.prepare(
            "INSERT OR REPLACE INTO usage_dimension_rollups (business_id, dimension, local_day, value, event_type, "
            "quantity, events, list_cost) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
        for (const auto& [key, total] : rollups_) {
            const auto& [business, dimension, day, value, type] = key;
            upsert.bind(1, business)
                .bind(2, dimension)
                .bind(3, dayText(day))
                .bind(4, value)
                .bind(5, type)
                .bind(6, total.quantity.toString())
                .bind(7, total.events)
                .bind(8, total.list_cost.toString())
                .run();
        }
    }

private:
    struct Cycle {
        bool loaded = false;
        std::int64_t count = 0;
        std::int64_t limit = 0;
        std::set<std::string> admitted;
    };

    // Has `business` a budget on `d`'s value? (Such a value is always admitted.)
    bool budgeted(const std::string& business, const EventDimension& d) {
        auto s = db_.prepare(
            "SELECT 1 FROM metered_budgets WHERE business_id = ?1 AND dimension = ?2 AND dimension_value = ?3");
        s.bind(1, business).bind(2, d.name).bind(3, d.value);
        return s.step();
    }

    std::int64_t maxValues(const std::string& dimension) {
        auto s = db_.prepare("SELECT max_values FROM metered_dimensions WHERE name = ?1");
        s.bind(1, dimension);
        return s.step() ? s.integer(0) : Dimension{}.max_values;
    }

    SqliteConnection& db_;
    std::map<std::tuple<std::string, std::string, std::string>, Cycle> cycles_;
    std::map<std::tuple<std::string, std::string, date::local_days, std::string, std::string>, UsageTotal> rollups_;
    const std::string overflow_{dimension_overflow_value};
};

}  // namespace

struct SqliteStore::Impl {
    std::mutex mutex;
    SqliteConnection db;
    std::set<detail::TouchedDay> touched;  // by the rate-card events the current append stored

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
        db.execute(
            "CREATE TABLE IF NOT EXISTS metered_schema_version (version INTEGER PRIMARY KEY, "
            "applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))");
        auto s = db.prepare("SELECT coalesce(max(version), 0) FROM metered_schema_version");
        s.step();
        return static_cast<int>(s.integer(0));
    }

    void savePlan(const Plan& plan) {
        const auto ai_billing = detail::aiBillingColumn(plan);
        db.prepare(
              "INSERT INTO metered_plans (id, name, currency, minor_units, rounding, ai_billing, commitments) "
              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
              "ON CONFLICT (id) DO UPDATE SET name = excluded.name, currency = excluded.currency, "
              "minor_units = excluded.minor_units, rounding = excluded.rounding, ai_billing = excluded.ai_billing, "
              "commitments = excluded.commitments")
            .bind(1, plan.id)
            .bind(2, plan.name)
            .bind(3, plan.currency.code)
            .bind(4, std::int64_t{plan.currency.minor_units})
            .bind(5, toString(plan.rounding))
            .bind(6, ai_billing)
            .bindOptional(7, detail::commitmentsColumn(plan))
            .run();
        db.prepare("DELETE FROM usage_quotas WHERE plan_id = ?1").bind(1, plan.id).run();
        auto insert = db.prepare(
            "INSERT INTO usage_quotas (plan_id, event_type, position, unit, included_quantity, pricing_model, "
            "overage_price_cents, tiers, package_size, package_price, quota_limit, quota_hard, filters, "
            "charge_options) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
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
                .bindOptional(13, row.filters)
                .bindOptional(14, row.options)
                .run();
        }
    }

    // Decides a correction of the event (business, id) with `decide(stored, earlier)`, adjusts
    // the rollups the event counts in and stores the correction, in one write transaction.
    template <class Decide>
    Correction correct(const BusinessId& business_id, const EventId& id, Decide decide) {
        return write([&] {
            const std::string business = business_id.toString();
            auto find = db.prepare(
                "SELECT e.event_type, e.quantity, e.unit_price_cents, e.total_cost_cents, e.local_day, e.model, "
                "coalesce(e.parts, ''), coalesce(e.dimensions, ''), b.anchor_day FROM usage_events e "
                "JOIN businesses b ON b.id = e.business_id WHERE e.business_id = ?1 AND e.id = ?2");
            find.bind(1, business).bind(2, id.toString());
            if (!find.step()) throw NotFoundError(detail::unknownEvent(business_id, id));
            const detail::StoredEvent stored{EventType(find.text(0)),
                                             Decimal::parse(find.text(1)),
                                             fromCents(Decimal::parse(find.text(2))),
                                             fromCents(Decimal::parse(find.text(3))),
                                             detail::dayFromText(find.text(4), "sqlite"),
                                             detail::partsFromText(find.text(6), "sqlite"),
                                             detail::dimensionsFromText(find.text(7), "sqlite")};
            const std::string model = find.text(5);
            const int anchor = static_cast<int>(find.integer(8));
            auto list = db.prepare(std::string(correction_columns) +
                                   " WHERE business_id = ?1 AND event_id = ?2 ORDER BY sequence");
            list.bind(1, business).bind(2, id.toString());
            const std::vector<Correction> earlier = allRows(list, correctionFrom);
            Correction c = decide(stored, std::span<const Correction>(earlier));
            const std::string day = dayText(stored.day);

            auto daily = db.prepare(
                "SELECT quantity, event_count, list_cost_cents FROM usage_daily WHERE business_id = ?1 AND day = ?2 "
                "AND event_type = ?3");
            daily.bind(1, business).bind(2, day).bind(3, stored.type.name());
            if (!daily.step()) throw StoreError("sqlite: the rollup of a stored event is missing", false);
            UsageTotal total{stored.type, Decimal::parse(daily.text(0)), daily.integer(1),
                             fromCents(Decimal::parse(daily.text(2)))};
            detail::checkCorrectedRollup(total, c);
            total.quantity += c.quantity_delta;
            total.list_cost += c.cost_delta;
            total.events += c.events_delta;
            if (total.events == 0) {
                db.prepare("DELETE FROM usage_daily WHERE business_id = ?1 AND day = ?2 AND event_type = ?3")
                    .bind(1, business)
                    .bind(2, day)
                    .bind(3, stored.type.name())
                    .run();
            } else {
                db.prepare(
                      "UPDATE usage_daily SET quantity = ?4, event_count = ?5, list_cost_cents = ?6 "
                      "WHERE business_id = ?1 AND day = ?2 AND event_type = ?3")
                    .bind(1, business)
                    .bind(2, day)
                    .bind(3, stored.type.name())
                    .bind(4, total.quantity.toString())
                    .bind(5, total.events)
                    .bind(6, toCents(total.list_cost).toString())
                    .run();
            }
            if (c.kind == CorrectionKind::void_event) {
                for (const PricedPart& part : stored.parts) {
                    auto row = db.prepare(
                        "SELECT quantity, events, cost FROM usage_model_rollups WHERE business_id = ?1 "
                        "AND local_day = ?2 AND event_type = ?3 AND model = ?4 AND part = ?5");
                    row.bind(1, business)
                        .bind(2, day)
                        .bind(3, stored.type.name())
                        .bind(4, model)
                        .bind(5, toString(part.part));
                    if (!row.step()) continue;
                    const Decimal quantity = Decimal::parse(row.text(0)) - part.quantity;
                    const std::int64_t events = row.integer(1) - 1;
                    const Decimal cost = Decimal::parse(row.text(2)) - part.cost;
                    auto write_row = db.prepare(
                        events == 0 ? "DELETE FROM usage_model_rollups WHERE business_id = ?1 AND local_day = ?2 "
                                      "AND event_type = ?3 AND model = ?4 AND part = ?5"
                                    : "UPDATE usage_model_rollups SET quantity = ?6, events = ?7, cost = ?8 "
                                      "WHERE business_id = ?1 AND local_day = ?2 AND event_type = ?3 AND model = ?4 "
                                      "AND part = ?5");
                    write_row.bind(1, business)
                        .bind(2, day)
                        .bind(3, stored.type.name())
                        .bind(4, model)
                        .bind(5, toString(part.part));
                    if (events != 0) write_row.bind(6, quantity.toString()).bind(7, events).bind(8, cost.toString());
                    write_row.run();
                }
            }
            const std::string cycle = dayText(detail::admissionCycle(stored.day, anchor));
            for (const EventDimension& d : stored.dimensions) {
                // Rolled up under its value when admitted, else under the overflow value.
                auto admitted = db.prepare(
                    "SELECT 1 FROM usage_dimension_values WHERE business_id = ?1 AND cycle_start = ?2 "
                    "AND dimension = ?3 AND value = ?4");
                admitted.bind(1, business).bind(2, cycle).bind(3, d.name).bind(4, d.value);
                const auto rowOf = [&](const std::string& value) {
                    auto row = db.prepare(
                        "SELECT quantity, events, list_cost FROM usage_dimension_rollups WHERE business_id = ?1 "
                        "AND dimension = ?2 AND local_day = ?3 AND value = ?4 AND event_type = ?5");
                    row.bind(1, business).bind(2, d.name).bind(3, day).bind(4, value).bind(5, stored.type.name());
                    std::optional<UsageTotal> found;
                    if (row.step()) {
                        found = UsageTotal{stored.type, Decimal::parse(row.text(0)), row.integer(1),
                                           Decimal::parse(row.text(2))};
                    }
                    return found;
                };
                std::string value = d.value;
                std::optional<UsageTotal> row;
                if (admitted.step()) row = rowOf(value);
                if (!row) {
                    value = std::string(dimension_overflow_value);
                    row = rowOf(value);
                }
                if (!row) continue;
                row->quantity += c.quantity_delta;
                row->list_cost += c.cost_delta;
                row->events += c.events_delta;
                auto write_row = db.prepare(
                    row->events == 0 ? "DELETE FROM usage_dimension_rollups WHERE business_id = ?1 AND dimension = ?2 "
                                       "AND local_day = ?3 AND value = ?4 AND event_type = ?5"
                                     : "UPDATE usage_dimension_rollups SET quantity = ?6, events = ?7, list_cost = ?8 "
                                       "WHERE business_id = ?1 AND dimension = ?2 AND local_day = ?3 AND value = ?4 "
                                       "AND event_type = ?5");
                write_row.bind(1, business).bind(2, d.name).bind(3, day).bind(4, value).bind(5, stored.type.name());
                if (row->events != 0) {
                    write_row.bind(6, row->quantity.toString()).bind(7, row->events).bind(8, row->list_cost.toString());
                }
                write_row.run();
            }
            insertCorrection(c);
            if (stored.type.isLevel()) rollUpLevel(business, stored.type, stored.day);
            return c;
        });
    }

    // Computes the level rollup of (business, type, day) again from its reports as
    // corrected (in the open transaction).
    void rollUpLevel(const std::string& business, const EventType& type, date::local_days day) {
        const std::string day_text = dayText(day);
        auto read = db.prepare(
            "SELECT id, occurred_at, quantity FROM usage_events WHERE business_id = ?1 AND event_type = ?2 "
            "AND local_day = ?3 AND event_type LIKE '%\\_level' ESCAPE '\\'");
        read.bind(1, business).bind(2, type.name()).bind(3, day_text);
        std::vector<detail::LevelReport> reports;
        while (read.step()) {
            const auto at = detail::parseIsoTimestamp(read.text(1));
            if (!at) throw StoreError("sqlite: the time of a stored event is unreadable: " + read.text(1), false);
            reports.push_back({*at, EventId(Uuid::parse(read.text(0))), Decimal::parse(read.text(2))});
        }
        auto corrected = db.prepare(
            "SELECT event_id, kind, quantity_delta FROM metered_corrections WHERE business_id = ?1 "
            "AND local_day = ?3 AND event_type = ?2");
        corrected.bind(1, business).bind(2, type.name()).bind(3, day_text);
        const auto row = detail::levelDay(type, day, std::move(reports), quantityCorrections(corrected));
        auto write_row = db.prepare(
            row ? "INSERT OR REPLACE INTO usage_level_rollups (business_id, event_type, local_day, first_at, last_at, "
                  "closing, peak, held, reports) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
                : "DELETE FROM usage_level_rollups WHERE business_id = ?1 AND event_type = ?2 AND local_day = ?3");
        write_row.bind(1, business).bind(2, type.name()).bind(3, day_text);
        if (row) {
            write_row.bind(4, row->first_at.time_since_epoch().count())
                .bind(5, row->last_at.time_since_epoch().count())
                .bind(6, row->closing.toString())
                .bind(7, row->peak.toString())
                .bind(8, row->held.toString())
                .bind(9, row->reports);
        }
        write_row.run();
    }

    // Stores the correction row of `c` (in the open transaction).
    void insertCorrection(const Correction& c) {
        db.prepare(
              "INSERT INTO metered_corrections (business_id, event_id, sequence, kind, event_type, local_day, "
              "new_quantity, reason, actor, corrected_at, quantity_delta, cost_delta, events_delta, new_metadata) "
              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)")
            .bind(1, c.business.toString())
            .bind(2, c.event.toString())
            .bind(3, std::int64_t{c.sequence})
            .bind(4, toString(c.kind))
            .bind(5, c.type.name())
            .bind(6, dayText(c.day))
            .bindOptional(7, c.new_quantity ? std::optional<std::string>(c.new_quantity->toString()) : std::nullopt)
            .bind(8, c.reason)
            .bind(9, c.actor)
            .bind(10, static_cast<std::int64_t>(c.at.time_since_epoch().count()))
            .bind(11, c.quantity_delta.toString())
            .bind(12, c.cost_delta.toString())
            .bind(13, c.events_delta)
            .bindOptional(14, detail::newMetadataText(c))
            .run();
    }

    // Appends a batch (UsageStore::append) in the open write transaction.
    AppendResult appendAll(std::span<const UsageEvent> events) {
        touched.clear();
        AppendResult result;
        const std::vector<std::size_t> valid = detail::wellFormed(events, result.rejected);
        detail::appendIsolating(events, valid, result,
                                [&](std::span<const std::size_t> chunk) { return appendChunk(events, chunk); });
        // A chunk rolled back may have left days here: claiming on them finds nothing new
        // beyond what the stored usage reaches.
        claimCrossings();
        std::sort(result.rejected.begin(), result.rejected.end(),
                  [](const Rejection& a, const Rejection& b) { return a.index < b.index; });
        return result;
    }

    // Appends events[chunk] (already checked by eventProblem) inside a savepoint: all of
    // it, or, when it throws, nothing. Each event is decided in order against what is
    // stored, this chunk included: unknown business, duplicate or idempotency conflict,
    // the day's rollup bound.
    // Claims the crossings reached in the cycles `touched` (in the append's transaction,
    // after its rollups).
    void claimCrossings() {
        if (touched.empty()) return;
        std::vector<Budget> budgets;
        std::map<BusinessId, int> anchors;
        auto list = db.prepare(std::string(budget_columns) + " WHERE business_id = ?1");
        auto anchor = db.prepare("SELECT anchor_day FROM businesses WHERE id = ?1");
        for (const auto& [business, day] : touched) {
            if (anchors.count(business) != 0) continue;
            const std::string id = business.toString();
            list.bind(1, id);
            while (list.step()) budgets.push_back(budgetFrom(list));
            list.reset();
            anchor.bind(1, id);
            anchors[business] = anchor.step() ? static_cast<int>(anchor.integer(0)) : 1;
            anchor.reset();
        }
        if (budgets.empty()) return;
        const auto cycles =
            detail::touchedCycles(touched, budgets, [&](const BusinessId& business) { return anchors[business]; });
        auto costs_of = db.prepare(
            "SELECT model, cost FROM usage_model_rollups WHERE business_id = ?1 AND local_day >= ?2 AND local_day < "
            "?3");
        auto insert = db.prepare(
            "INSERT OR IGNORE INTO metered_budget_crossings (business_id, budget_id, cycle_start, threshold, key, "
            "cycle_end, amount, spent, crossed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
        const Timestamp now = systemNow();
        for (const detail::TouchedCycle& cycle : cycles) {
            std::vector<detail::ModelCost> costs;
            costs_of.bind(1, cycle.business.toString())
                .bind(2, dayText(cycle.cycle.first))
                .bind(3, dayText(cycle.cycle.end));
            while (costs_of.step()) costs.push_back({costs_of.text(0), Decimal::parse(costs_of.text(1))});
            costs_of.reset();
            std::vector<detail::DimensionCost> dimension_costs;
            for (const Budget* budget : detail::dimensionBudgetsOf(cycle.business, budgets)) {
                detail::DimensionCost cost{budget->dimension->name, budget->dimension->value, {}};
                auto rows = db.prepare(
                    "SELECT event_type, list_cost FROM usage_dimension_rollups WHERE business_id = ?1 "
                    "AND dimension = ?2 AND value = ?3 AND local_day >= ?4 AND local_day < ?5");
                rows.bind(1, cycle.business.toString())
                    .bind(2, cost.dimension)
                    .bind(3, cost.value)
                    .bind(4, dayText(cycle.cycle.first))
                    .bind(5, dayText(cycle.cycle.end));
                while (rows.step()) {
                    if (EventType(rows.text(0)).isRateCard()) cost.cost += Decimal::parse(rows.text(1));
                }
                dimension_costs.push_back(std::move(cost));
            }
            for (const BudgetCrossing& crossing : detail::crossingsIn(cycle, budgets, costs, dimension_costs, now)) {
                insert.bind(1, crossing.business.toString())
                    .bind(2, crossing.budget_id)
                    .bind(3, dayText(crossing.cycle.first))
                    .bind(4, std::int64_t{crossing.threshold_percent})
                    .bind(5, crossing.key)
                    .bind(6, dayText(crossing.cycle.end))
                    .bind(7, crossing.amount.toString())
                    .bind(8, crossing.spent.toString())
                    .bind(9, static_cast<std::int64_t>(crossing.crossed_at.time_since_epoch().count()))
                    .run();
            }
        }
    }

    AppendResult appendChunk(std::span<const UsageEvent> events, std::span<const std::size_t> chunk) {
        db.execute("SAVEPOINT chunk");
        try {
            AppendResult result = decideAndInsert(events, chunk);
            db.execute("RELEASE chunk");
            return result;
        } catch (...) {
            try {
                db.execute("ROLLBACK TO chunk");
                db.execute("RELEASE chunk");
            } catch (...) {
                // The outer transaction is rolled back by write().
            }
            throw;
        }
    }

    AppendResult decideAndInsert(std::span<const UsageEvent> events, std::span<const std::size_t> chunk) {
        AppendResult result;
        auto find_zone = db.prepare("SELECT time_zone, anchor_day FROM businesses WHERE id = ?1");
        auto find_event =
            db.prepare("SELECT event_type, quantity FROM usage_events WHERE business_id = ?1 AND id = ?2");
        auto find_day = db.prepare(
            "SELECT quantity, event_count, list_cost_cents FROM usage_daily WHERE business_id = ?1 AND day = ?2 "
            "AND event_type = ?3");
        auto insert = db.prepare(
            "INSERT INTO usage_events (business_id, id, event_type, quantity, unit_price_cents, total_cost_cents, "
            "metadata, occurred_at, local_day, created_at, model, parts, dimensions) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?8, ?10, ?11, ?12)");
        auto find_model_day = db.prepare(
            "SELECT quantity, events, cost FROM usage_model_rollups WHERE business_id = ?1 AND local_day = ?2 "
            "AND event_type = ?3 AND model = ?4 AND part = ?5");
        using ModelSlot = std::tuple<std::string, date::local_days, detail::ModelKey>;
        std::map<ModelSlot, ModelUsageTotal> model_rollups;       // after the chunk
        std::map<std::string, std::optional<std::string>> zones;  // business -> time zone
        std::map<std::string, int> anchors;                       // business -> anchor day
        DimensionAdmission admission(db);
        std::map<std::tuple<std::string, date::local_days, std::string>, UsageTotal> rollups;  // after the chunk
        std::set<std::tuple<std::string, EventType, date::local_days>> level_days;             // with new reports
        for (std::size_t i : chunk) {
            const UsageEvent& e = events[i];
            const std::string business = e.business.toString();
            auto [zone, fresh] = zones.try_emplace(business);
            if (fresh) {
                find_zone.bind(1, business);
                if (find_zone.step()) {
                    zone->second = find_zone.text(0);
                    anchors[business] = static_cast<int>(find_zone.integer(1));
                }
                find_zone.reset();
            }
            if (!zone->second) {
                result.rejected.push_back(
                    {i, e.id, detail::unknownBusiness(e.business), RejectionKind::unknown_business});
                continue;
            }
            const std::string id = e.id.toString();
            find_event.bind(1, business).bind(2, id);
            if (find_event.step()) {
                const EventType stored_type(find_event.text(0));
                const Decimal stored_quantity = Decimal::parse(find_event.text(1));
                find_event.reset();
                if (stored_type == e.type && stored_quantity == e.quantity) {
                    ++result.duplicates;
                } else {
                    result.rejected.push_back({i, e.id, detail::idempotencyConflict(e, stored_type, stored_quantity),
                                               RejectionKind::idempotency_conflict});
                }
                continue;
            }
            find_event.reset();
            const auto day = localDay(e.occurred_at, *zone->second);
            auto [slot, new_key] =
                rollups.try_emplace({business, day, e.type.toString()}, UsageTotal{e.type, {}, 0, {}});
            if (new_key) {
                find_day.bind(1, business).bind(2, dayText(day)).bind(3, e.type.name());
                if (find_day.step()) {
                    slot->second = UsageTotal{e.type, Decimal::parse(find_day.text(0)), find_day.integer(1),
                                              fromCents(Decimal::parse(find_day.text(2)))};
                }
                find_day.reset();
            }
            UsageTotal& total = slot->second;
            if (auto problem = detail::rollupProblem(total, e)) {
                result.rejected.push_back({i, e.id, *problem, RejectionKind::over_limit});
                continue;
            }
            std::vector<ModelUsageTotal*> part_totals;
            std::optional<std::string> model_problem;
            for (const PricedPart& part : e.parts) {
                auto [model_slot, new_model_key] =
                    model_rollups.try_emplace({business, day, detail::ModelKey{e.type, e.model, part.part}},
                                              ModelUsageTotal{e.type, e.model, part.part, {}, 0, {}});
                if (new_model_key) {
                    find_model_day.bind(1, business)
                        .bind(2, dayText(day))
                        .bind(3, e.type.name())
                        .bind(4, e.model)
                        .bind(5, toString(part.part));
                    if (find_model_day.step()) {
                        model_slot->second.quantity = Decimal::parse(find_model_day.text(0));
                        model_slot->second.events = find_model_day.integer(1);
                        model_slot->second.cost = Decimal::parse(find_model_day.text(2));
                    }
                    find_model_day.reset();
                }
                model_problem = detail::modelRollupProblem(model_slot->second, e, part);
                if (model_problem) break;
                part_totals.push_back(&model_slot->second);
            }
            if (model_problem) {
                result.rejected.push_back({i, e.id, *model_problem, RejectionKind::over_limit});
                continue;
            }
            const std::string parts = detail::partsText(e.parts);
            const std::string dimensions = detail::dimensionsText(e.dimensions);
            for (const EventDimension& d : e.dimensions) {
                const std::string cycle = dayText(detail::admissionCycle(day, anchors[business]));
                const std::string& value = admission.admit(business, cycle, d);
                admission.add(business, day, d.name, value, e);
            }
            insert.bind(1, business)
                .bind(2, id)
                .bind(3, e.type.name())
                .bind(4, e.quantity.toString())
                .bind(5, toCents(e.unit_price).toString())
                .bind(6, toCents(e.list_cost).toString())
                .bind(7, e.metadata.toJson())
                .bind(8, detail::isoTimestamp(e.occurred_at))
                .bind(9, dayText(day))
                .bind(10, e.model)
                .bindOptional(11, parts.empty() ? std::nullopt : std::optional<std::string>(parts))
                .bindOptional(12, dimensions.empty() ? std::nullopt : std::optional<std::string>(dimensions))
                .run();
            for (std::size_t p = 0; p < e.parts.size(); ++p) {
                part_totals[p]->quantity += e.parts[p].quantity;
                part_totals[p]->cost += e.parts[p].cost;
                ++part_totals[p]->events;
            }
            total.quantity += e.quantity;
            total.list_cost += e.list_cost;
            ++total.events;
            ++result.stored;
            if (e.type.isRateCard()) touched.emplace(e.business, day);
            if (e.type.isLevel()) level_days.emplace(business, e.type, day);
        }
        for (const auto& [business, type, day] : level_days) rollUpLevel(business, type, day);
        auto upsert_day = db.prepare(
            "INSERT OR REPLACE INTO usage_daily (business_id, day, event_type, quantity, event_count, list_cost_cents) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
        for (const auto& [key, total] : rollups) {
            if (total.events == 0) continue;
            const auto& [business, day, type] = key;
            upsert_day.bind(1, business)
                .bind(2, dayText(day))
                .bind(3, type)
                .bind(4, total.quantity.toString())
                .bind(5, total.events)
                .bind(6, toCents(total.list_cost).toString())
                .run();
        }
        admission.write();
        if (model_rollups.empty()) return result;
        auto upsert_model_day = db.prepare(
            "INSERT OR REPLACE INTO usage_model_rollups (business_id, local_day, event_type, model, part, quantity, "
            "events, cost) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
        for (const auto& [key, total] : model_rollups) {
            if (total.events == 0) continue;
            const auto& [business, day, model_key] = key;
            upsert_model_day.bind(1, business)
                .bind(2, dayText(day))
                .bind(3, total.type.name())
                .bind(4, total.model)
                .bind(5, toString(total.part))
                .bind(6, total.quantity.toString())
                .bind(7, total.events)
                .bind(8, total.cost.toString())
                .run();
        }
        return result;
    }
};

SqliteStore::SqliteStore(const SqliteOptions& options) : impl_(std::make_unique<Impl>(options)) {}
SqliteStore::~SqliteStore() = default;

void SqliteStore::migrate() {
    std::lock_guard lock(impl_->mutex);
    impl_->write([&] {
        const int current = impl_->version();
        for (const auto& migration : detail::sqlite::migrations()) {
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
    return impl_->write([&] { return impl_->appendAll(events); });
}

std::vector<UsageTotal> SqliteStore::totals(const BusinessId& business, const DayRange& days) {
    return detail::sumByType(daily(business, days));
}

std::vector<DailyUsage> SqliteStore::daily(const BusinessId& business, const DayRange& days) {
    std::lock_guard lock(impl_->mutex);
    auto s = impl_->db.prepare(
        "SELECT day, event_type, quantity, event_count, list_cost_cents FROM usage_daily "
        "WHERE business_id = ?1 AND day >= ?2 AND day < ?3 ORDER BY day, event_type");
    s.bind(1, business.toString()).bind(2, dayText(days.first)).bind(3, dayText(days.end));
    return allRows(s, [](const SqliteStatement& row) {
        return DailyUsage{detail::dayFromText(row.text(0), "sqlite"),
                          detail::normalized({EventType(row.text(1)), Decimal::parse(row.text(2)), row.integer(3),
                                              fromCents(Decimal::parse(row.text(4)))})};
    });
}

std::vector<ModelUsageTotal> SqliteStore::modelTotals(const BusinessId& business, const DayRange& days) {
    return detail::sumByModel(modelDaily(business, days));
}

std::vector<DailyModelUsage> SqliteStore::modelDaily(const BusinessId& business, const DayRange& days) {
    std::lock_guard lock(impl_->mutex);
    auto s = impl_->db.prepare(
        "SELECT local_day, event_type, model, part, quantity, events, cost FROM usage_model_rollups "
        "WHERE business_id = ?1 AND local_day >= ?2 AND local_day < ?3");
    s.bind(1, business.toString()).bind(2, dayText(days.first)).bind(3, dayText(days.end));
    auto rows = allRows(s, [](const SqliteStatement& row) {
        const auto part = parseUsagePart(row.text(3));
        if (!part) throw StoreError("sqlite: unexpected part " + detail::quoted(row.text(3)), false);
        return DailyModelUsage{
            detail::dayFromText(row.text(0), "sqlite"),
            detail::normalized(ModelUsageTotal{EventType(row.text(1)), row.text(2), *part, Decimal::parse(row.text(4)),
                                               row.integer(5), Decimal::parse(row.text(6))})};
    });
    detail::sortModelDaily(rows);
    return rows;
}

void SqliteStore::saveDimensions(std::span<const Dimension> dimensions) {
    for (const Dimension& d : dimensions) d.validate();
    std::lock_guard lock(impl_->mutex);
    impl_->write([&] {
        auto upsert = impl_->db.prepare(
            "INSERT INTO metered_dimensions (name, max_length, max_values, closed_values) VALUES (?1, ?2, ?3, ?4) "
            "ON CONFLICT (name) DO UPDATE SET max_length = excluded.max_length, max_values = excluded.max_values, "
            "closed_values = excluded.closed_values");
        for (const Dimension& d : dimensions) {
            upsert.bind(1, d.name)
                .bind(2, std::int64_t{d.max_length})
                .bind(3, std::int64_t{d.max_values})
                .bindOptional(4, detail::dimensionValuesColumn(d))
                .run();
        }
    });
}

std::vector<Dimension> SqliteStore::listDimensions() {
    std::lock_guard lock(impl_->mutex);
    auto s =
        impl_->db.prepare("SELECT name, max_length, max_values, closed_values FROM metered_dimensions ORDER BY name");
    std::vector<Dimension> result;
    while (s.step()) {
        result.push_back({s.text(0), static_cast<int>(s.integer(1)), static_cast<int>(s.integer(2)),
                          detail::dimensionValuesFrom(s.optionalText(3))});
    }
    return result;
}

std::vector<DailyDimensionUsage> SqliteStore::dimensionRollups(const BusinessId& business, const DayRange& days,
                                                               std::string_view dimension) {
    std::lock_guard lock(impl_->mutex);
    auto s = impl_->db.prepare(
        "SELECT local_day, value, event_type, quantity, events, list_cost FROM usage_dimension_rollups "
        "WHERE business_id = ?1 AND dimension = ?2 AND local_day >= ?3 AND local_day < ?4");
    s.bind(1, business.toString()).bind(2, dimension).bind(3, dayText(days.first)).bind(4, dayText(days.end));
    return allRows(s, [](const SqliteStatement& row) {
        return DailyDimensionUsage{detail::dayFromText(row.text(0), "sqlite"),
                                   {row.text(1), UsageTotal{EventType(row.text(2)), Decimal::parse(row.text(3)),
                                                            row.integer(4), Decimal::parse(row.text(5))}}};
    });
}

std::vector<DailyLevel> SqliteStore::levels(const BusinessId& business, const DayRange& days) {
    std::lock_guard lock(impl_->mutex);
    // Per type, the last row before the range (the level carried into it), then the range's rows.
    auto s = impl_->db.prepare(
        "SELECT event_type, local_day, first_at, last_at, closing, peak, held, reports FROM usage_level_rollups r "
        "WHERE business_id = ?1 AND (local_day >= ?2 AND local_day < ?3 OR local_day = (SELECT max(local_day) "
        "FROM usage_level_rollups p WHERE p.business_id = ?1 AND p.event_type = r.event_type AND p.local_day < ?2)) "
        "ORDER BY event_type, local_day");
    s.bind(1, business.toString()).bind(2, dayText(days.first)).bind(3, dayText(days.end));
    std::vector<DailyLevel> rows;
    while (s.step()) {
        rows.push_back(DailyLevel{EventType(s.text(0)), detail::dayFromText(s.text(1), "sqlite"),
                                  Timestamp(std::chrono::microseconds(s.integer(2))),
                                  Timestamp(std::chrono::microseconds(s.integer(3))), Decimal::parse(s.text(4)),
                                  Decimal::parse(s.text(5)), Decimal::parse(s.text(6)), s.integer(7)});
    }
    return rows;
}

std::vector<TransactionAmount> SqliteStore::transactions(const BusinessId& business, const EventType& type,
                                                         const DayRange& days) {
    std::lock_guard lock(impl_->mutex);
    // The business's events are found by time (created_at is when each happened, ISO 8601
    // text) in a window two days wider on each side than the days: every local day of
    // every time zone is in it.
    auto s = impl_->db.prepare(
        "SELECT id, occurred_at, local_day, quantity FROM usage_events WHERE business_id = ?1 AND event_type = ?2 "
        "AND local_day >= ?3 AND local_day < ?4 AND created_at >= ?5 AND created_at < ?6");
    s.bind(1, business.toString())
        .bind(2, type.name())
        .bind(3, dayText(days.first))
        .bind(4, dayText(days.end))
        .bind(5, dayText(days.first - date::days(2)))
        .bind(6, dayText(days.end + date::days(2)));
    std::vector<TransactionAmount> events;
    while (s.step()) {
        const auto at = detail::parseIsoTimestamp(s.text(1));
        if (!at) throw StoreError("sqlite: the time of a stored event is unreadable: " + s.text(1), false);
        events.push_back({detail::dayFromText(s.text(2), "sqlite"), *at, EventId(Uuid::parse(s.text(0))),
                          Decimal::parse(s.text(3))});
    }
    auto corrected = impl_->db.prepare(
        "SELECT event_id, kind, quantity_delta FROM metered_corrections WHERE business_id = ?1 AND event_type = ?2 "
        "AND local_day >= ?3 AND local_day < ?4");
    corrected.bind(1, business.toString()).bind(2, type.name()).bind(3, dayText(days.first)).bind(4, dayText(days.end));
    detail::applyCorrections(events, quantityCorrections(corrected), &TransactionAmount::amount);
    detail::sortByTime(events);
    return events;
}

std::vector<RecordedEvent> SqliteStore::recordedEvents(const BusinessId& business, const DayRange& days,
                                                       std::size_t limit, const RecordedEvent* after) {
    std::lock_guard lock(impl_->mutex);
    // By time (created_at is when each event happened), in the window of `transactions`;
    // a page starts after the previous page's last (time, id).
    auto s = impl_->db.prepare(
        "SELECT id, event_type, quantity, unit_price_cents, total_cost_cents, metadata, occurred_at, local_day, "
        "model, coalesce(parts, ''), coalesce(dimensions, '') FROM usage_events WHERE business_id = ?1 "
        "AND local_day >= ?2 AND local_day < ?3 AND created_at >= ?4 AND created_at < ?5 "
        "AND (?6 IS NULL OR created_at > ?6 OR (created_at = ?6 AND id > ?7)) ORDER BY created_at, id LIMIT ?8");
    s.bind(1, business.toString())
        .bind(2, dayText(days.first))
        .bind(3, dayText(days.end))
        .bind(4, dayText(days.first - date::days(2)))
        .bind(5, dayText(days.end + date::days(2)))
        .bindOptional(6,
                      after ? std::optional<std::string>(detail::isoTimestamp(after->event.occurred_at)) : std::nullopt)
        .bindOptional(7, after ? std::optional<std::string>(after->event.id.toString()) : std::nullopt)
        .bind(8, static_cast<std::int64_t>(std::min<std::size_t>(limit, std::numeric_limits<std::int64_t>::max())));
    std::vector<RecordedEvent> events;
    while (s.step()) {
        RecordedEvent r;
        UsageEvent& e = r.event;
        e.id = EventId(Uuid::parse(s.text(0)));
        e.business = business;
        e.type = EventType(s.text(1));
        e.quantity = Decimal::parse(s.text(2));
        e.unit_price = fromCents(Decimal::parse(s.text(3)));
        e.list_cost = fromCents(Decimal::parse(s.text(4)));
        e.metadata = Metadata::fromJson(s.text(5));
        const auto at = detail::parseIsoTimestamp(s.text(6));
        if (!at) throw StoreError("sqlite: the time of a stored event is unreadable: " + s.text(6), false);
        e.occurred_at = *at;
        r.day = detail::dayFromText(s.text(7), "sqlite");
        e.model = s.text(8);
        e.parts = detail::partsFromText(s.text(9), "sqlite");
        e.dimensions = detail::dimensionsFromText(s.text(10), "sqlite");
        events.push_back(std::move(r));
    }
    return events;
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
        .prepare(
            "INSERT INTO businesses (id, name, plan_id, time_zone, anchor_day) VALUES (?1, ?2, ?3, ?4, ?5) "
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
    auto plans = impl_->db.prepare(
        "SELECT id, name, currency, minor_units, rounding, ai_billing, commitments FROM metered_plans ORDER BY id");
    std::vector<detail::PlanRow> plan_rows;
    while (plans.step()) {
        plan_rows.push_back({plans.text(0), plans.text(1), plans.text(2), static_cast<int>(plans.integer(3)),
                             plans.text(4), plans.optionalText(5), plans.optionalText(6)});
    }
    auto meters = impl_->db.prepare(
        "SELECT plan_id, event_type, unit, included_quantity, pricing_model, overage_price_cents, tiers, "
        "package_size, package_price, quota_limit, quota_hard, filters, charge_options FROM usage_quotas "
        "ORDER BY plan_id, position");
    std::vector<std::pair<std::string, detail::MeterRow>> meter_rows;
    while (meters.step()) {
        meter_rows.emplace_back(
            meters.text(0), detail::MeterRow{meters.text(1), meters.text(2), meters.text(3), meters.text(4),
                                             meters.text(5), meters.optionalText(6), meters.optionalText(7),
                                             meters.optionalText(8), meters.optionalText(9), meters.integer(10) != 0,
                                             meters.optionalText(11), meters.optionalText(12)});
    }
    auto result = detail::assemblePlans(plan_rows, meter_rows);
    auto versions =
        impl_->db.prepare("SELECT plan_id, effective, plan FROM metered_plan_versions ORDER BY plan_id, effective");
    while (versions.step()) {
        result.push_back(detail::planVersionFrom(versions.text(2), detail::dayFromText(versions.text(1), "sqlite")));
    }
    return result;
}

void SqliteStore::savePlan(const Plan& plan) {
    plan.validate();
    std::lock_guard lock(impl_->mutex);
    impl_->write([&] {
        std::optional<Currency> first;
        auto base = impl_->db.prepare("SELECT currency, minor_units FROM metered_plans WHERE id = ?1");
        base.bind(1, plan.id);
        if (base.step()) first = Currency{base.text(0), static_cast<int>(base.integer(1))};
        std::vector<Currency> versions;
        auto later = impl_->db.prepare("SELECT currency, minor_units FROM metered_plan_versions WHERE plan_id = ?1");
        later.bind(1, plan.id);
        while (later.step()) versions.push_back(Currency{later.text(0), static_cast<int>(later.integer(1))});
        detail::checkPlanCurrency(plan, first, versions);
        if (!plan.effective) {
            impl_->savePlan(plan);
            return;
        }
        impl_->db
            .prepare(
                "INSERT INTO metered_plan_versions (plan_id, effective, currency, minor_units, plan) "
                "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (plan_id, effective) DO UPDATE SET plan = excluded.plan")
            .bind(1, plan.id)
            .bind(2, dayText(*plan.effective))
            .bind(3, plan.currency.code)
            .bind(4, std::int64_t{plan.currency.minor_units})
            .bind(5, detail::planVersionColumn(plan))
            .run();
    });
}

PlanChange SqliteStore::savePlanChange(const PlanChange& change) {
    change.validate();
    std::lock_guard lock(impl_->mutex);
    return impl_->write([&] {
        auto known = impl_->db.prepare("SELECT 1 FROM businesses WHERE id = ?1");
        known.bind(1, change.business.toString());
        if (!known.step()) throw NotFoundError(detail::unknownBusiness(change.business));
        impl_->db
            .prepare(
                "INSERT INTO metered_plan_changes (business_id, effective, plan_id, changed_at) "
                "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (business_id, effective) DO NOTHING")
            .bind(1, change.business.toString())
            .bind(2, dayText(change.effective))
            .bind(3, change.plan_id)
            .bind(4, static_cast<std::int64_t>(systemNow().time_since_epoch().count()))
            .run();
        auto stored =
            impl_->db.prepare("SELECT plan_id FROM metered_plan_changes WHERE business_id = ?1 AND effective = ?2");
        stored.bind(1, change.business.toString()).bind(2, dayText(change.effective));
        if (!stored.step()) throw StoreError("sqlite: a saved plan change is missing", false);
        return PlanChange{change.business, change.effective, stored.text(0)};
    });
}

std::vector<PlanChange> SqliteStore::listPlanChanges(const BusinessId& business) {
    std::lock_guard lock(impl_->mutex);
    auto s = impl_->db.prepare(
        "SELECT effective, plan_id FROM metered_plan_changes WHERE business_id = ?1 ORDER BY effective");
    s.bind(1, business.toString());
    return allRows(s, [&](const SqliteStatement& row) {
        return PlanChange{business, detail::dayFromText(row.text(0), "sqlite"), row.text(1)};
    });
}

void SqliteStore::saveBudget(const Budget& budget) {
    budget.validate();
    std::lock_guard lock(impl_->mutex);
    impl_->write([&] {
        auto known = impl_->db.prepare("SELECT 1 FROM businesses WHERE id = ?1");
        known.bind(1, budget.business.toString());
        if (!known.step()) throw NotFoundError(detail::unknownBusiness(budget.business));
        impl_->db
            .prepare(
                "INSERT INTO metered_budgets (business_id, id, model, amount, thresholds, kind, dimension, "
                "dimension_value) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
                "ON CONFLICT (business_id, id) DO UPDATE SET model = excluded.model, amount = excluded.amount, "
                "thresholds = excluded.thresholds, kind = excluded.kind, dimension = excluded.dimension, "
                "dimension_value = excluded.dimension_value")
            .bind(1, budget.business.toString())
            .bind(2, budget.id)
            .bindOptional(3, budget.model)
            .bind(4, budget.amount.toString())
            .bind(5, detail::thresholdsText(budget.thresholds_percent))
            .bind(6, std::string(toString(budget.kind)))
            .bindOptional(7, budget.dimension ? std::optional<std::string>(budget.dimension->name) : std::nullopt)
            .bindOptional(8, budget.dimension ? std::optional<std::string>(budget.dimension->value) : std::nullopt)
            .run();
    });
}

bool SqliteStore::deleteBudget(const BusinessId& business, const std::string& id) {
    std::lock_guard lock(impl_->mutex);
    return impl_->write([&] {
        auto s = impl_->db.prepare("DELETE FROM metered_budgets WHERE business_id = ?1 AND id = ?2 RETURNING 1");
        s.bind(1, business.toString()).bind(2, id);
        const bool deleted = s.step();
        while (s.step()) {}
        return deleted;
    });
}

std::vector<Budget> SqliteStore::listBudgets(const BusinessId& business) {
    std::lock_guard lock(impl_->mutex);
    auto s = impl_->db.prepare(std::string(budget_columns) + " WHERE business_id = ?1 ORDER BY id");
    s.bind(1, business.toString());
    std::vector<Budget> budgets;
    while (s.step()) budgets.push_back(budgetFrom(s));
    return budgets;
}

std::vector<Budget> SqliteStore::listAllBudgets() {
    std::lock_guard lock(impl_->mutex);
    auto s = impl_->db.prepare(std::string(budget_columns) + " ORDER BY business_id, id");
    std::vector<Budget> budgets;
    while (s.step()) budgets.push_back(budgetFrom(s));
    return budgets;
}

}  // namespace metered

namespace metered {

Correction SqliteStore::voidEvent(const BusinessId& business, const EventId& id, const std::string& reason,
                                  const std::string& actor) {
    detail::checkCorrectionText(reason, actor);
    std::lock_guard lock(impl_->mutex);
    return impl_->correct(business, id, [&](const detail::StoredEvent& stored, std::span<const Correction> earlier) {
        return detail::planVoid(business, id, stored, earlier, reason, actor, systemNow());
    });
}

Correction SqliteStore::amendQuantity(const BusinessId& business, const EventId& id, const Decimal& quantity,
                                      const std::string& reason, const std::string& actor) {
    detail::checkCorrectionText(reason, actor);
    detail::checkAmendedQuantity(quantity);
    std::lock_guard lock(impl_->mutex);
    return impl_->correct(business, id, [&](const detail::StoredEvent& stored, std::span<const Correction> earlier) {
        return detail::planAmend(business, id, stored, earlier, quantity, reason, actor, systemNow());
    });
}

Correction SqliteStore::amendMetadata(const BusinessId& business, const EventId& id, const Metadata& metadata,
                                      const std::string& reason, const std::string& actor) {
    detail::checkCorrectionText(reason, actor);
    std::lock_guard lock(impl_->mutex);
    return impl_->correct(business, id, [&](const detail::StoredEvent& stored, std::span<const Correction> earlier) {
        return detail::planAmendMetadata(business, id, stored, earlier, metadata, reason, actor, systemNow());
    });
}

AppendResult SqliteStore::backfill(const UsageEvent& event, const std::string& reason, const std::string& actor) {
    detail::checkCorrectionText(reason, actor);
    std::lock_guard lock(impl_->mutex);
    return impl_->write([&] {
        AppendResult result = impl_->appendAll(std::span<const UsageEvent>(&event, 1));
        if (result.stored == 1) {
            auto day = impl_->db.prepare("SELECT local_day FROM usage_events WHERE business_id = ?1 AND id = ?2");
            day.bind(1, event.business.toString()).bind(2, event.id.toString());
            if (!day.step()) throw StoreError("sqlite: a backfilled event is missing", false);
            impl_->insertCorrection(
                detail::planBackfill(event, detail::dayFromText(day.text(0), "sqlite"), reason, actor, systemNow()));
        }
        return result;
    });
}

std::vector<Correction> SqliteStore::listCorrections(const BusinessId& business, const DayRange& days) {
    std::lock_guard lock(impl_->mutex);
    auto s = impl_->db.prepare(std::string(correction_columns) +
                               " WHERE business_id = ?1 AND local_day >= ?2 AND local_day < ?3");
    s.bind(1, business.toString()).bind(2, dayText(days.first)).bind(3, dayText(days.end));
    auto rows = allRows(s, correctionFrom);
    detail::sortCorrections(rows);
    return rows;
}

std::vector<BudgetCrossing> SqliteStore::pendingCrossings(std::size_t limit) {
    std::lock_guard lock(impl_->mutex);
    auto s = impl_->db.prepare(
        std::string(crossing_columns) +
        " WHERE delivered_at IS NULL ORDER BY crossed_at, business_id, cycle_start, budget_id, threshold LIMIT ?1");
    s.bind(1, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
    std::vector<BudgetCrossing> crossings;
    while (s.step()) crossings.push_back(crossingFrom(s));
    return crossings;
}

void SqliteStore::markCrossingsDelivered(std::span<const std::string> keys) {
    if (keys.empty()) return;
    std::lock_guard lock(impl_->mutex);
    impl_->write([&] {
        auto s = impl_->db.prepare(
            "UPDATE metered_budget_crossings SET delivered_at = ?2 WHERE key = ?1 AND delivered_at IS NULL");
        const auto now = static_cast<std::int64_t>(systemNow().time_since_epoch().count());
        for (const std::string& key : keys) {
            s.bind(1, key).bind(2, now).run();
        }
    });
}

std::vector<BudgetCrossing> SqliteStore::listCrossings(const BusinessId& business) {
    std::lock_guard lock(impl_->mutex);
    auto s = impl_->db.prepare(std::string(crossing_columns) + " WHERE business_id = ?1 ORDER BY key");
    s.bind(1, business.toString());
    std::vector<BudgetCrossing> crossings;
    while (s.step()) crossings.push_back(crossingFrom(s));
    return crossings;
}

Statement SqliteStore::saveStatement(const Statement& statement) {
    std::lock_guard lock(impl_->mutex);
    return impl_->write([&] {
        auto known = impl_->db.prepare("SELECT 1 FROM businesses WHERE id = ?1");
        known.bind(1, statement.business.toString());
        if (!known.step()) throw NotFoundError(detail::unknownBusiness(statement.business));
        impl_->db
            .prepare(
                "INSERT INTO metered_statements (business_id, cycle_start, cycle_end, time_zone, plan_id, currency, "
                "total, closed_at, document, adjustments, pricing, credits, credit_balance) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) "
                "ON CONFLICT (business_id, cycle_start) DO NOTHING")
            .bind(1, statement.business.toString())
            .bind(2, dayText(statement.cycle.first))
            .bind(3, dayText(statement.cycle.end))
            .bind(4, statement.time_zone)
            .bind(5, statement.plan_id)
            .bind(6, statement.currency)
            .bind(7, statement.total.toString())
            .bind(8, static_cast<std::int64_t>(statement.closed_at.time_since_epoch().count()))
            .bind(9, statement.document)
            .bind(10, detail::adjustmentsText(statement.adjustments))
            .bind(11, statement.pricing)
            .bind(12, detail::creditsText(statement.credits))
            .bind(13, statement.credit_balance.toString())
            .run();
        auto stored =
            impl_->db.prepare(std::string(statement_columns) + " WHERE business_id = ?1 AND cycle_start = ?2");
        stored.bind(1, statement.business.toString()).bind(2, dayText(statement.cycle.first));
        if (!stored.step()) throw StoreError("sqlite: a saved statement is missing", false);
        return statementFrom(stored);
    });
}

std::optional<Statement> SqliteStore::findStatement(const BusinessId& business, date::local_days cycle_first) {
    std::lock_guard lock(impl_->mutex);
    auto s = impl_->db.prepare(std::string(statement_columns) + " WHERE business_id = ?1 AND cycle_start = ?2");
    s.bind(1, business.toString()).bind(2, dayText(cycle_first));
    if (!s.step()) return std::nullopt;
    return statementFrom(s);
}

std::vector<Statement> SqliteStore::listStatements(const BusinessId& business) {
    std::lock_guard lock(impl_->mutex);
    auto s = impl_->db.prepare(std::string(statement_columns) + " WHERE business_id = ?1 ORDER BY cycle_start");
    s.bind(1, business.toString());
    return allRows(s, statementFrom);
}

CreditGrant SqliteStore::saveCreditGrant(const CreditGrant& grant) {
    grant.validate();
    std::lock_guard lock(impl_->mutex);
    return impl_->write([&] {
        auto known = impl_->db.prepare("SELECT 1 FROM businesses WHERE id = ?1");
        known.bind(1, grant.business.toString());
        if (!known.step()) throw NotFoundError(detail::unknownBusiness(grant.business));
        auto insert = impl_->db.prepare(
            "INSERT INTO metered_credit_grants (business_id, id, amount, currency, effective, expires, priority, "
            "granted_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (business_id, id) DO NOTHING");
        insert.bind(1, grant.business.toString())
            .bind(2, grant.id)
            .bind(3, grant.amount.toString())
            .bind(4, grant.currency)
            .bind(5, dayText(grant.effective));
        if (grant.expires) {
            insert.bind(6, dayText(*grant.expires));
        } else {
            insert.bindNull(6);
        }
        insert.bind(7, static_cast<std::int64_t>(grant.priority))
            .bind(8, static_cast<std::int64_t>(systemNow().time_since_epoch().count()))
            .run();
        auto stored = impl_->db.prepare(std::string(grant_columns) + " WHERE business_id = ?1 AND id = ?2");
        stored.bind(1, grant.business.toString()).bind(2, grant.id);
        if (!stored.step()) throw StoreError("sqlite: a saved credit grant is missing", false);
        return grantFrom(stored);
    });
}

std::vector<CreditGrant> SqliteStore::listCreditGrants(const BusinessId& business) {
    std::lock_guard lock(impl_->mutex);
    auto s = impl_->db.prepare(std::string(grant_columns) + " WHERE business_id = ?1 ORDER BY id");
    s.bind(1, business.toString());
    return allRows(s, grantFrom);
}

}  // namespace metered
