// SPDX-License-Identifier: MIT
#include "metered/postgres_store.h"

#include <date/tz.h>

#include <algorithm>
#include <atomic>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <unordered_map>

#include "../append_isolating.h"
#include "../correction_rules.h"
#include "../crossing_claims.h"
#include "../event_checks.h"
#include "../plan_rows.h"
#include "../quantity_corrections.h"
#include "../text_format.h"
#include "../iso_date.h"
#include "../level_rollup.h"
#include "../store_text.h"
#include "connection_pool.h"
#include "event_rows.h"
#include "metered/errors.h"
#include "schema.h"
#include "../untrusted_text.h"

namespace metered {
namespace {

using detail::PgConnection;
using detail::PgParams;
using detail::PgResult;

using detail::dayText;
using detail::fromCents;

Decimal numeric(std::string_view text) { return Decimal::parse(text, "numeric column"); }

std::int64_t integer(std::string_view text) {
    const auto value = Decimal::parse(text, "integer column").toInt64();
    if (!value) throw StoreError("postgres: unexpected non-integer count", false);
    return *value;
}

Account accountFrom(const PgResult& r, int row) {
    Account account;
    account.id = BusinessId(Uuid::parse(r.text(row, 0)));
    account.name = std::string(r.text(row, 1));
    account.plan_id = std::string(r.text(row, 2));
    account.time_zone = std::string(r.text(row, 3));
    account.anchor_day = static_cast<int>(integer(r.text(row, 4)));
    return account;
}

void savePlanOn(PgConnection& connection, const Plan& plan) {
    PgParams plan_params;
    plan_params.add(plan.id)
        .add(plan.name)
        .add(plan.currency.code)
        .add(std::to_string(plan.currency.minor_units))
        .add(std::string(toString(plan.rounding)))
        .add(detail::aiBillingColumn(plan));
    if (auto commitments = detail::commitmentsColumn(plan)) {
        plan_params.add(*commitments);
    } else {
        plan_params.addNull();
    }
    connection.exec("save plan", detail::pg::save_plan, plan_params);
    connection.exec("save plan", detail::pg::delete_meters, PgParams().add(plan.id));
    for (std::size_t position = 0; position < plan.meters.size(); ++position) {
        const auto row = detail::toRow(plan.meters[position]);
        const auto optional = [](PgParams& params, const std::optional<std::string>& value) -> PgParams& {
            return value ? params.add(*value) : params.addNull();
        };
        PgParams params;
        params.add(plan.id).add(row.event_type).add(std::to_string(position)).add(row.unit).add(row.included_quantity);
        params.add(row.pricing_model).add(row.overage_price_cents);
        optional(params, row.tiers);
        optional(params, row.package_size);
        optional(params, row.package_price);
        optional(params, row.quota_limit);
        params.add(row.quota_hard ? "true" : "false");
        optional(params, row.filters);
        optional(params, row.options);
        connection.exec("save plan", detail::pg::save_meter, params);
    }
}

// Stores the correction row of `c` (in the open transaction).
void insertCorrectionOn(PgConnection& connection, const Correction& c) {
    PgParams row;
    row.add(c.business.toString())
        .add(c.event.toString())
        .add(std::to_string(c.sequence))
        .add(std::string(toString(c.kind)))
        .add(std::string(c.type.name()))
        .add(dayText(c.day));
    if (c.new_quantity) {
        row.add(c.new_quantity->toString());
    } else {
        row.addNull();
    }
    row.add(c.reason)
        .add(c.actor)
        .add(std::to_string(c.at.time_since_epoch().count()))
        .add(c.quantity_delta.toString())
        .add(c.cost_delta.toString())
        .add(std::to_string(c.events_delta));
    if (c.new_metadata) {
        row.add(c.new_metadata->toJson());
    } else {
        row.addNull();
    }
    connection.exec("store correction", detail::pg::insert_correction, row);
}

// The corrections of a read's rows: event id, kind, quantity delta.
std::vector<detail::QuantityCorrection> quantityCorrections(const PgResult& r) {
    std::vector<detail::QuantityCorrection> changes;
    changes.reserve(static_cast<std::size_t>(r.rows()));
    for (int row = 0; row < r.rows(); ++row) {
        changes.push_back({EventId(Uuid::parse(r.text(row, 0))), detail::correctionKindFrom(r.text(row, 1), "postgres"),
                           numeric(r.text(row, 2))});
    }
    return changes;
}

// Computes the level rollup of (business, type, day) again from its reports as corrected
// (in the open transaction).
void rollUpLevelOn(PgConnection& connection, const std::string& business, const EventType& type, date::local_days day) {
    const std::string day_text = dayText(day);
    const auto key = [&] { return PgParams().add(business).add(std::string(type.name())).add(day_text); };
    const PgResult read = connection.exec("roll up level", detail::pg::level_reports, key());
    std::vector<detail::LevelReport> reports;
    reports.reserve(static_cast<std::size_t>(read.rows()));
    for (int row = 0; row < read.rows(); ++row) {
        reports.push_back({Timestamp(std::chrono::microseconds(integer(read.text(row, 1)))),
                           EventId(Uuid::parse(read.text(row, 0))), numeric(read.text(row, 2))});
    }
    const auto changes = quantityCorrections(connection.exec("roll up level", detail::pg::level_corrections, key()));
    const auto level = detail::levelDay(type, day, std::move(reports), changes);
    if (!level) {
        connection.exec("roll up level", detail::pg::drop_level, key());
        return;
    }
    connection.exec("roll up level", detail::pg::save_level,
                    key()
                        .add(std::to_string(level->first_at.time_since_epoch().count()))
                        .add(std::to_string(level->last_at.time_since_epoch().count()))
                        .add(level->closing.toString())
                        .add(level->peak.toString())
                        .add(level->held.toString())
                        .add(std::to_string(level->reports)));
}

bool hasLevels(const detail::pg::BatchView& batch) {
    return std::any_of(batch.indices.begin(), batch.indices.end(),
                       [&](std::size_t i) { return batch.events[i].type.isLevel(); });
}

// The (business, type, local day) of each level report of a batch, once each.
std::set<std::tuple<BusinessId, EventType, date::local_days>> levelDaysOf(const detail::pg::BatchView& batch) {
    std::set<std::tuple<BusinessId, EventType, date::local_days>> days;
    for (std::size_t i : batch.indices) {
        if (batch.events[i].type.isLevel()) days.emplace(batch.events[i].business, batch.events[i].type, batch.days[i]);
    }
    return days;
}

// Computes the level rollups of the days a batch reports levels on again (in its transaction).
void rollUpLevelsOn(PgConnection& connection, const detail::pg::BatchView& batch) {
    for (const auto& [business, type, day] : levelDaysOf(batch)) {
        rollUpLevelOn(connection, business.toString(), type, day);
    }
}

// The parameters of `lock_daily_rows` for the level days of a batch.
PgParams levelDays(const detail::pg::BatchView& batch) {
    detail::pg::ArrayText businesses, days, types;
    for (const auto& [business, type, day] : levelDaysOf(batch)) {
        detail::appendUuid(businesses.next(), business.uuid());
        days.next() += dayText(day);
        types.addQuoted(type.name());
    }
    return PgParams().add(std::move(businesses).done()).add(std::move(days).done()).add(std::move(types).done());
}

struct BackfillText {
    const std::string& reason;
    const std::string& actor;
};

}  // namespace

struct PostgresStore::Impl {
    detail::ConnectionPool pool;
    // After a COPY met a stored id (a replay, a host's retries), this many chunks go the
    // careful way before COPY is tried again.
    std::atomic<int> careful_chunks{0};

    // Whether usage_events is partitioned by month: -1 not yet read, 0 no, 1 yes.
    std::atomic<int> partitioned{-1};
    // The first days of the months whose partition this process knows is there.
    std::mutex months_mutex;
    std::set<date::local_days> months_made;

    // Set by ShardedPostgresStore: the PL/Proxy coordinator the careful appends go through
    // (then no COPY: every chunk goes through it).
    std::optional<detail::ConnectionPool> coordinator;

    explicit Impl(PostgresOptions options) : pool(std::move(options.conninfo), options.pool_size) {}

    bool keyed(PgConnection& connection) {
        int known = partitioned.load();
        if (known < 0) {
            known = connection.exec("read partitioning", detail::pg::events_partitioned).text(0, 0) == "t" ? 1 : 0;
            partitioned.store(known);
        }
        return known == 1;
    }

    void forgetPartitioning() {
        partitioned.store(-1);
        const std::lock_guard lock(months_mutex);
        months_made.clear();
    }

    // With events partitioned by month: makes the partitions of the months of events[unique]
    // this process has not made yet, and refuses the events of a month retention dropped.
    // Returns the others.
    std::vector<std::size_t> inKeptMonths(std::span<const UsageEvent> events, std::span<const date::local_days> days,
                                          const std::vector<std::size_t>& unique, AppendResult& result) {
        const auto monthOf = [](date::local_days day) {
            const date::year_month_day ymd(day);
            return date::local_days(ymd.year() / ymd.month() / 1);
        };
        std::set<date::local_days> months;
        for (std::size_t i : unique) months.insert(monthOf(days[i]));
        {
            const std::lock_guard lock(months_mutex);
            for (auto it = months.begin(); it != months.end();)
                it = months_made.count(*it) != 0 ? months.erase(it) : ++it;
        }
        if (months.empty()) return unique;
        std::map<date::local_days, std::string> refused;
        pool.run([&](PgConnection& connection) {
            for (date::local_days month : months) {
                try {
                    connection.exec("make a month partition", detail::pg::event_partition,
                                    PgParams().add(dayText(month)));
                    const std::lock_guard lock(months_mutex);
                    months_made.insert(month);
                } catch (const StoreError& e) {
                    if (e.sqlstate() != detail::pg::event_before_retention) throw;
                    refused.emplace(month, e.what());
                }
            }
        });
        if (refused.empty()) return unique;
        std::vector<std::size_t> kept;
        for (std::size_t i : unique) {
            const auto found = refused.find(monthOf(days[i]));
            if (found == refused.end()) {
                kept.push_back(i);
            } else {
                result.rejected.push_back({i, events[i].id, found->second, RejectionKind::refused});
            }
        }
        return kept;
    }

    // Throws when raw events of `days` were retired (retention): `what` needs them.
    void requireRawEvents(PgConnection& connection, const DayRange& days, std::string_view what) {
        if (!keyed(connection)) return;
        const PgResult r = connection.exec("read retention", detail::pg::events_kept_from);
        if (r.rows() == 0) return;
        const date::local_days kept = detail::dayFromText(r.text(0, 0), "postgres");
        if (days.first < kept) {
            throw StoreError("postgres: the raw events before " + dayText(kept) + " are retired (retention), and " +
                                 std::string(what) + " of " + dayText(days.first) + " needs them",
                             false);
        }
    }

    // The time zone of each business of events[indices] that the table has (nullptr: a zone
    // the library's time zone database lacks).
    std::map<BusinessId, const date::time_zone*> zonesOf(std::span<const UsageEvent> events,
                                                         std::span<const std::size_t> indices) {
        std::set<BusinessId> businesses;
        for (std::size_t i : indices) businesses.insert(events[i].business);
        if (businesses.empty()) return {};
        detail::pg::ArrayText ids;
        for (const auto& business : businesses) detail::appendUuid(ids.next(), business.uuid());
        return pool.run([&](PgConnection& connection) {
            const PgResult r =
                connection.exec("read time zones", detail::pg::business_zones, PgParams().add(std::move(ids).done()));
            std::map<BusinessId, const date::time_zone*> zones;
            for (int row = 0; row < r.rows(); ++row) {
                const date::time_zone* zone = nullptr;
                try {
                    zone = date::locate_zone(r.text(row, 1));
                } catch (const std::exception&) {
                    // Set by hand in the table: its events are refused, naming it.
                }
                zones.emplace(BusinessId(Uuid::parse(r.text(row, 0))), zone);
            }
            return zones;
        });
    }

    // Appends a batch (UsageStore::append); with `backfill`, a batch of one stored with its
    // correction row in one transaction (UsageStore::backfill).
    AppendResult appendEvents(std::span<const UsageEvent> events, const BackfillText* backfill);

    bool carefulTurn() noexcept {
        int left = careful_chunks.load();
        while (left > 0 && !careful_chunks.compare_exchange_weak(left, left - 1)) {}
        return left > 0;
    }

    // Appends a chunk (one transaction) and accounts for each event: stored, unknown
    // business, duplicate or idempotency conflict. A chunk of new events goes in by COPY
    // with its rollup sums; one that meets a stored id goes the careful way.
    // A backfill (a batch of one) always goes the careful way, with its correction row.
    AppendResult appendChunk(PgConnection& connection, const detail::pg::BatchView& batch,
                             const BackfillText* backfill) {
        constexpr std::size_t copy_from = 32;  // below this, round trips cost more than COPY saves
        if (backfill == nullptr && !coordinator && batch.indices.size() >= copy_from && !carefulTurn()) {
            try {
                try {
                    const bool with_keys = keyed(connection);
                    const char* begin =
                        with_keys ? detail::pg::begin_copy_keyed_events.text : detail::pg::begin_copy_events.text;
                    connection.copyIn(begin, [&](const auto& send) { detail::pg::copyRows(batch, send); });
                    if (with_keys) {
                        connection.exec("add event keys", detail::pg::add_event_keys, detail::pg::keyParams(batch));
                    }
                    connection.exec("add to rollups", detail::pg::add_to_rollups, detail::pg::rollupParams(batch));
                    // Only a batch with dimension values admits and sums them (before the
                    // claim below, which reads dimension budgets' spend from them).
                    if (auto dimension_sums = detail::pg::dimensionRollupParams(batch)) {
                        connection.exec("add to dimension rollups", detail::pg::add_to_dimension_rollups,
                                        *dimension_sums);
                    }
                    // Likewise only a batch with rate-card events has parts to sum: an
                    // ordinary one pays nothing for the model rollup.
                    if (auto model_sums = detail::pg::modelRollupParams(batch)) {
                        connection.exec("add to model rollups", detail::pg::add_to_model_rollups, *model_sums);
                        claimCrossings(connection, batch);
                    }
                    if (hasLevels(batch)) rollUpLevelsOn(connection, batch);
                    connection.exec("commit", "COMMIT");
                } catch (...) {
                    connection.rollbackQuietly();
                    throw;
                }
                AppendResult chunk;
                chunk.stored = batch.indices.size();
                return chunk;
            } catch (const StoreError& e) {
                if (e.transient()) throw;
                if (e.sqlstate() == detail::pg::unique_violation) careful_chunks.store(16);
                // Anything else (a rollup at its bound, a business gone since): the careful
                // way decides event by event.
            }
        }
        try {
            return appendCarefully(connection, batch, backfill);
        } catch (const StoreError& e) {
            // Another process partitioned the events, or retired a month this one made a
            // partition for: learn the table again, and let the caller retry.
            const bool no_partition =
                e.sqlstate() == detail::pg::check_violation &&
                std::string_view(e.what()).find(detail::pg::no_partition_message) != std::string_view::npos;
            if (!no_partition && e.sqlstate() != detail::pg::no_unique_key) throw;
            forgetPartitioning();
            throw StoreError("postgres: the partitions of usage_events changed during the append; retry", true);
        }
    }

    AppendResult appendCarefully(PgConnection& connection, const detail::pg::BatchView& batch,
                                 const BackfillText* backfill) {
        const bool rate_card = std::any_of(batch.indices.begin(), batch.indices.end(),
                                           [&](std::size_t i) { return batch.events[i].type.isRateCard(); });
        const bool levels = hasLevels(batch);
        if (coordinator && backfill == nullptr) {
            const PgResult result = coordinator->run([&](PgConnection& proxy) {
                return proxy.exec("append through the coordinator", detail::pg::append_events,
                                  detail::pg::appendParams(batch));
            });
            // On this server, in a transaction of its own, whatever was inserted (a retried
            // batch's events are stored already): the crossings the events reach are claimed
            // and their level days rolled up from what is stored, so doing it again changes
            // nothing. The level days' rollup rows are locked first, as an append holds them.
            if (rate_card || levels) {
                connection.inTransaction([&] {
                    if (levels) connection.exec("lock level days", detail::pg::lock_daily_rows, levelDays(batch));
                    if (rate_card) claimCrossings(connection, batch);
                    if (levels) rollUpLevelsOn(connection, batch);
                });
            }
            return accounted(connection, batch, result);
        }
        const auto append = [&] {
            return connection.exec("append", detail::pg::append_events, detail::pg::appendParams(batch));
        };
        // A batch with rate-card events claims the crossings it reaches in the same
        // transaction, one with level reports rolls their days up in it, and a backfill
        // stores its correction row in it (one statement is its own transaction otherwise).
        const PgResult result = !rate_card && !levels && backfill == nullptr ? append() : connection.inTransaction([&] {
            PgResult appended = append();
            if (integer(appended.text(0, 0)) > 0) {
                if (rate_card) claimCrossings(connection, batch);
                if (levels) rollUpLevelsOn(connection, batch);
                if (backfill != nullptr) {
                    // A batch of one: what was stored is that event.
                    const std::size_t i = batch.indices.front();
                    insertCorrectionOn(connection,
                                       detail::planBackfill(batch.events[i], batch.days[i], backfill->reason,
                                                            backfill->actor, systemNow()));
                }
            }
            return appended;
        });
        return accounted(connection, batch, result);
    }

    // What became of each event of a chunk `result` (append_events: a row per server) tells
    // of: stored, unknown business, duplicate, or idempotency conflict.
    static AppendResult accounted(PgConnection& connection, const detail::pg::BatchView& batch,
                                  const PgResult& result) {
        const auto events = batch.events;
        AppendResult chunk;
        std::set<std::string, std::less<>> unknown;
        for (int row = 0; row < result.rows(); ++row) {
            chunk.stored += static_cast<std::size_t>(integer(result.text(row, 0)));
            // The unknown business ids come back as a text array: {id,id,…}.
            std::string_view listed = result.text(row, 1);
            listed = listed.substr(1, listed.size() - 2);
            while (!listed.empty()) {
                const auto comma = listed.find(',');
                unknown.insert(std::string(listed.substr(0, comma)));
                listed = comma == std::string_view::npos ? std::string_view() : listed.substr(comma + 1);
            }
        }
        std::vector<std::size_t> known;
        for (std::size_t i : batch.indices) {
            const std::string business = events[i].business.toString();
            if (unknown.count(business) != 0) {
                chunk.rejected.push_back(
                    {i, events[i].id, detail::unknownBusiness(events[i].business), RejectionKind::unknown_business});
            } else {
                known.push_back(i);
            }
        }
        // Events not inserted although their business is known have an id that is stored:
        // duplicates, unless stored with another type or quantity.
        std::size_t conflicts = 0;
        if (chunk.stored < known.size()) conflicts = rejectConflicts(connection, events, known, chunk.rejected);
        chunk.duplicates = known.size() - chunk.stored - conflicts;
        return chunk;
    }

    // The cost of the value of each dimension budget in each cycle (one query, none without
    // dimension budgets).
    static std::vector<std::vector<detail::DimensionCost>> dimensionCosts(
        PgConnection& connection, const std::vector<detail::TouchedCycle>& cycles, const std::vector<Budget>& budgets) {
        std::vector<std::vector<detail::DimensionCost>> costs(cycles.size());
        detail::pg::ArrayText businesses, firsts, ends, names, values;
        std::vector<std::pair<std::size_t, const Budget*>> asked;
        for (std::size_t c = 0; c < cycles.size(); ++c) {
            for (const Budget* budget : detail::dimensionBudgetsOf(cycles[c].business, budgets)) {
                asked.emplace_back(c, budget);
                detail::appendUuid(businesses.next(), cycles[c].business.uuid());
                firsts.next() += dayText(cycles[c].cycle.first);
                ends.next() += dayText(cycles[c].cycle.end);
                names.addQuoted(budget->dimension->name);
                values.addQuoted(budget->dimension->value);
            }
        }
        if (asked.empty()) return costs;
        const PgResult rows = connection.exec("read dimension costs", detail::pg::cycle_dimension_costs,
                                              PgParams()
                                                  .add(std::move(businesses).done())
                                                  .add(std::move(firsts).done())
                                                  .add(std::move(ends).done())
                                                  .add(std::move(names).done())
                                                  .add(std::move(values).done()));
        for (int row = 0; row < rows.rows(); ++row) {
            const auto n = static_cast<std::size_t>(integer(rows.text(row, 0)));
            if (n == 0 || n > asked.size()) throw StoreError("postgres: unexpected dimension cost position", false);
            const auto& [c, budget] = asked[n - 1];
            costs[c].push_back({budget->dimension->name, budget->dimension->value, numeric(rows.text(row, 1))});
        }
        return costs;
    }

    // Claims the crossings the batch's rate-card events reach (in the open transaction, after
    // the rollups): one query when none of their businesses has a budget.
    static void claimCrossings(PgConnection& connection, const detail::pg::BatchView& batch) {
        std::set<detail::TouchedDay> touched;
        for (std::size_t i : batch.indices) {
            if (batch.events[i].type.isRateCard()) touched.emplace(batch.events[i].business, batch.days[i]);
        }
        if (touched.empty()) return;
        detail::pg::ArrayText ids;
        for (auto it = touched.begin(); it != touched.end(); ++it) {
            if (it != touched.begin() && std::prev(it)->first == it->first) continue;
            detail::appendUuid(ids.next(), it->first.uuid());
        }
        const PgResult rows =
            connection.exec("read budgets", detail::pg::budgets_of_businesses, PgParams().add(std::move(ids).done()));
        if (rows.rows() == 0) return;
        std::vector<Budget> budgets;
        std::map<BusinessId, int> anchors;
        detail::pg::ArrayText locked;
        for (int row = 0; row < rows.rows(); ++row) {
            budgets.push_back(detail::budgetFromRow(rows.text(row, 0), rows.text(row, 1), rows.optionalText(row, 2),
                                                    rows.text(row, 3), rows.text(row, 4), rows.text(row, 5), "postgres",
                                                    rows.optionalText(row, 7), rows.optionalText(row, 8)));
            if (anchors.emplace(budgets.back().business, static_cast<int>(integer(rows.text(row, 6)))).second) {
                detail::appendUuid(locked.next(), budgets.back().business.uuid());
            }
        }
        connection.exec("lock crossing claims", detail::pg::lock_crossing_claims,
                        PgParams().add(std::move(locked).done()));
        const auto cycles =
            detail::touchedCycles(touched, budgets, [&](const BusinessId& business) { return anchors[business]; });
        detail::pg::ArrayText cycle_businesses, firsts, ends;
        for (const detail::TouchedCycle& cycle : cycles) {
            detail::appendUuid(cycle_businesses.next(), cycle.business.uuid());
            firsts.next() += dayText(cycle.cycle.first);
            ends.next() += dayText(cycle.cycle.end);
        }
        const PgResult cost_rows = connection.exec("read cycle costs", detail::pg::cycle_model_costs,
                                                   PgParams()
                                                       .add(std::move(cycle_businesses).done())
                                                       .add(std::move(firsts).done())
                                                       .add(std::move(ends).done()));
        std::vector<std::vector<detail::ModelCost>> costs(cycles.size());
        for (int row = 0; row < cost_rows.rows(); ++row) {
            const auto n = static_cast<std::size_t>(integer(cost_rows.text(row, 0)));
            if (n == 0 || n > cycles.size()) throw StoreError("postgres: unexpected cycle position", false);
            costs[n - 1].push_back({std::string(cost_rows.text(row, 1)), numeric(cost_rows.text(row, 2))});
        }
        const std::vector<std::vector<detail::DimensionCost>> dimension_costs =
            dimensionCosts(connection, cycles, budgets);
        const Timestamp now = systemNow();
        detail::pg::ArrayText businesses, budget_ids, starts, thresholds, keys, cycle_ends, amounts, spent, times;
        bool any = false;
        for (std::size_t c = 0; c < cycles.size(); ++c) {
            for (const BudgetCrossing& crossing :
                 detail::crossingsIn(cycles[c], budgets, costs[c], dimension_costs[c], now)) {
                any = true;
                detail::appendUuid(businesses.next(), crossing.business.uuid());
                budget_ids.addQuoted(crossing.budget_id);
                starts.next() += dayText(crossing.cycle.first);
                thresholds.next() += std::to_string(crossing.threshold_percent);
                keys.addQuoted(crossing.key);
                cycle_ends.next() += dayText(crossing.cycle.end);
                amounts.next() += crossing.amount.toString();
                spent.next() += crossing.spent.toString();
                times.next() += std::to_string(crossing.crossed_at.time_since_epoch().count());
            }
        }
        if (!any) return;
        connection.exec("claim crossings", detail::pg::claim_crossings,
                        PgParams()
                            .add(std::move(businesses).done())
                            .add(std::move(budget_ids).done())
                            .add(std::move(starts).done())
                            .add(std::move(thresholds).done())
                            .add(std::move(keys).done())
                            .add(std::move(cycle_ends).done())
                            .add(std::move(amounts).done())
                            .add(std::move(spent).done())
                            .add(std::move(times).done()));
    }

    // Rejects the events of `indices` that are stored with another type or quantity;
    // returns how many.
    static std::size_t rejectConflicts(PgConnection& connection, std::span<const UsageEvent> events,
                                       std::span<const std::size_t> indices, std::vector<Rejection>& rejected) {
        detail::pg::ArrayText businesses, ids, types, quantities;
        for (std::size_t i : indices) {
            detail::appendUuid(businesses.next(), events[i].business.uuid());
            detail::appendUuid(ids.next(), events[i].id.uuid());
            types.addQuoted(events[i].type.name());
            detail::appendDecimal(quantities.next(), events[i].quantity);
        }
        const PgResult r = connection.exec("check idempotency", detail::pg::idempotency_conflicts,
                                           PgParams()
                                               .add(std::move(businesses).done())
                                               .add(std::move(ids).done())
                                               .add(std::move(types).done())
                                               .add(std::move(quantities).done()));
        for (int row = 0; row < r.rows(); ++row) {
            const BusinessId business(Uuid::parse(r.text(row, 0)));
            const EventId id(Uuid::parse(r.text(row, 1)));
            for (std::size_t i : indices) {
                if (events[i].business == business && events[i].id == id) {
                    rejected.push_back(
                        {i, id,
                         detail::idempotencyConflict(events[i], EventType(r.text(row, 2)), numeric(r.text(row, 3))),
                         RejectionKind::idempotency_conflict});
                    break;
                }
            }
        }
        return static_cast<std::size_t>(r.rows());
    }

    // What every store says of an event that would take one of its model rollups past its
    // bound (the first part that would), from the rollups of its day.
    std::optional<std::string> modelRollupProblem(const UsageEvent& event, date::local_days day) {
        return pool.run([&](PgConnection& connection) -> std::optional<std::string> {
            const PgResult r = connection.exec("read day model rollups", detail::pg::day_model_rollups_of,
                                               PgParams()
                                                   .add(event.business.toString())
                                                   .add(dayText(day))
                                                   .add(std::string(event.type.name()))
                                                   .add(event.model));
            for (const PricedPart& part : event.parts) {
                ModelUsageTotal total{event.type, event.model, part.part, {}, 0, {}};
                for (int row = 0; row < r.rows(); ++row) {
                    if (r.text(row, 0) == toString(part.part)) {
                        total.quantity = numeric(r.text(row, 1));
                        total.events = integer(r.text(row, 2));
                        total.cost = numeric(r.text(row, 3));
                    }
                }
                if (auto problem = detail::modelRollupProblem(total, event, part)) return problem;
            }
            return std::nullopt;
        });
    }

    // The rejection of an event that failed alone: a day's rollup at its bound is said
    // as every store says it; anything else in the server's words.
    Rejection rejectAlone(const UsageEvent& event, date::local_days day, std::size_t index,
                          const std::exception& failure) {
        const auto* store_error = dynamic_cast<const StoreError*>(&failure);
        if (store_error != nullptr && store_error->sqlstate() == detail::pg::check_violation &&
            std::string_view(failure.what()).find(detail::pg::model_rollup_bounds_constraint) !=
                std::string_view::npos) {
            try {
                if (auto reason = modelRollupProblem(event, day)) {
                    return {index, event.id, *reason, RejectionKind::over_limit};
                }
            } catch (const std::exception&) {
                // Fall back to the server's words.
            }
        }
        if (store_error != nullptr && store_error->sqlstate() == detail::pg::check_violation &&
            std::string_view(failure.what()).find(detail::pg::rollup_bounds_constraint) != std::string_view::npos) {
            try {
                const auto reason = pool.run([&](PgConnection& connection) -> std::optional<std::string> {
                    const PgResult r = connection.exec("read day rollup", detail::pg::day_rollup_of,
                                                       PgParams()
                                                           .add(event.business.toString())
                                                           .add(dayText(day))
                                                           .add(std::string(event.type.name())));
                    UsageTotal total{event.type, {}, 0, {}};
                    if (r.rows() > 0) {
                        total = {event.type, numeric(r.text(0, 0)), integer(r.text(0, 1)),
                                 fromCents(numeric(r.text(0, 2)))};
                    }
                    return detail::rollupProblem(total, event);
                });
                if (reason) return {index, event.id, *reason, RejectionKind::over_limit};
            } catch (const std::exception&) {
                // Fall back to the server's words.
            }
        }
        return {index, event.id, failure.what(), RejectionKind::refused};
    }
};

PostgresStore::PostgresStore(PostgresOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
    try {
        impl_->pool.acquire();  // fail now on bad settings, not at the first append
    } catch (const StoreError& e) {
        // A server that cannot be reached now is connected to on first use: a recorder
        // spooling in front of it starts and records while the database is down.
        if (!e.transient()) throw;
    }
}

PostgresStore::~PostgresStore() = default;

void PostgresStore::migrate() {
    impl_->pool.run([&](PgConnection& connection) {
        connection.inTransaction([&] {
            connection.exec("migrate", detail::pg::lock_migrations);
            connection.exec("migrate", detail::pg::create_version_table);
            const int current =
                static_cast<int>(integer(connection.exec("migrate", detail::pg::current_version).text(0, 0)));
            for (const auto& migration : detail::pg::migrations()) {
                if (migration.version <= current) continue;
                connection.execScript(migration.sql);
                connection.exec("migrate", detail::pg::record_version,
                                PgParams().add(std::to_string(migration.version)).add(migration.description));
            }
            if (connection.exec("migrate", detail::pg::has_plan, PgParams().add("basic")).rows() == 0) {
                savePlanOn(connection, Plan::basic());
            }
        });
    });
}

int PostgresStore::schemaVersion() {
    return impl_->pool.run([&](PgConnection& connection) {
        connection.exec("schema version", detail::pg::create_version_table);
        return static_cast<int>(integer(connection.exec("schema version", detail::pg::current_version).text(0, 0)));
    });
}

void PostgresStore::partitionEventsByMonth() {
    impl_->pool.run([&](PgConnection& connection) {
        connection.inTransaction([&] {
            connection.exec("partition events", detail::pg::lock_migrations);
            if (connection.exec("partition events", detail::pg::events_partitioned).text(0, 0) == "t") {
                throw StoreError("postgres: usage_events is partitioned by month already", false);
            }
            connection.execScript(detail::pg::partition_events);
        });
    });
    impl_->forgetPartitioning();
}

bool PostgresStore::eventsPartitionedByMonth() {
    return impl_->pool.run([&](PgConnection& connection) { return impl_->keyed(connection); });
}

std::vector<std::string> PostgresStore::retireEventsBefore(date::year_month first_kept, Retirement what) {
    const date::year_month_day today(date::floor<date::days>(systemNow()));
    const date::year_month latest = today.year() / today.month() - date::months(1);
    if (!first_kept.ok() || first_kept > latest) {
        throw ValidationError("first_kept", "must be a month no later than " +
                                                dayText(date::local_days(latest / 1)).substr(0, 7) +
                                                ": the raw events of the current and the previous month are kept "
                                                "(open cycles are corrected from them)");
    }
    auto retired = impl_->pool.run([&](PgConnection& connection) {
        if (!impl_->keyed(connection)) {
            throw StoreError("postgres: the raw events are not partitioned by month (partitionEventsByMonth)", false);
        }
        const PgResult r = connection.exec("retire events", detail::pg::retire_events,
                                           PgParams()
                                               .add(dayText(date::local_days(first_kept / 1)))
                                               .add(what == Retirement::detach ? "true" : "false"));
        std::vector<std::string> names;
        names.reserve(static_cast<std::size_t>(r.rows()));
        for (int row = 0; row < r.rows(); ++row) names.emplace_back(r.text(row, 0));
        return names;
    });
    impl_->forgetPartitioning();
    return retired;
}

AppendResult PostgresStore::Impl::appendEvents(std::span<const UsageEvent> events, const BackfillText* backfill) {
    AppendResult result;
    const std::vector<std::size_t> valid = detail::wellFormed(events, result.rejected);
    // The local day of each event, in its business's zone, decided here with the library's
    // time zone database (as every store decides it): unknown businesses are refused first.
    const auto zones = zonesOf(events, valid);
    std::vector<date::local_days> days(events.size());
    std::vector<std::size_t> known;
    known.reserve(valid.size());
    for (std::size_t i : valid) {
        const auto zone = zones.find(events[i].business);
        if (zone == zones.end()) {
            result.rejected.push_back(
                {i, events[i].id, detail::unknownBusiness(events[i].business), RejectionKind::unknown_business});
        } else if (zone->second == nullptr) {
            result.rejected.push_back({i, events[i].id,
                                       "the time zone of business " + events[i].business.toString() +
                                           " is not in this library's time zone database",
                                       RejectionKind::refused});
        } else {
            days[i] = date::floor<date::days>(zone->second->to_local(events[i].occurred_at));
            known.push_back(i);
        }
    }
    // Key order (the order rows are locked in), and each (business, id) sent once: a later
    // repeat within the batch is a duplicate of the first, or a conflict with it.
    std::stable_sort(known.begin(), known.end(), [&](std::size_t a, std::size_t b) {
        return std::tie(events[a].business, events[a].id) < std::tie(events[b].business, events[b].id);
    });
    std::vector<std::size_t> unique;
    unique.reserve(known.size());
    for (std::size_t i : known) {
        if (!unique.empty() && events[unique.back()].business == events[i].business &&
            events[unique.back()].id == events[i].id) {
            const UsageEvent& first = events[unique.back()];
            if (first.type == events[i].type && first.quantity == events[i].quantity) {
                ++result.duplicates;
            } else {
                result.rejected.push_back({i, events[i].id,
                                           detail::idempotencyConflict(events[i], first.type, first.quantity),
                                           RejectionKind::idempotency_conflict});
            }
            continue;
        }
        unique.push_back(i);
    }
    if (partitioned.load() != 0 && pool.run([&](PgConnection& connection) { return keyed(connection); })) {
        unique = inKeptMonths(events, days, unique, result);
    }
    detail::appendIsolating(
        events, unique, result,
        [&](std::span<const std::size_t> chunk) {
            return pool.run([&](PgConnection& c) { return appendChunk(c, {events, days, chunk}, backfill); });
        },
        [&](std::size_t index, const std::exception& failure) {
            return rejectAlone(events[index], days[index], index, failure);
        });
    std::sort(result.rejected.begin(), result.rejected.end(),
              [](const Rejection& a, const Rejection& b) { return a.index < b.index; });
    return result;
}

AppendResult PostgresStore::append(std::span<const UsageEvent> events) { return impl_->appendEvents(events, nullptr); }

void PostgresStore::appendThrough(const std::string& coordinator, std::size_t pool_size) {
    impl_->coordinator.emplace(coordinator, pool_size);
}

std::vector<UsageTotal> PostgresStore::totals(const BusinessId& business, const DayRange& days) {
    return impl_->pool.run([&](PgConnection& connection) {
        const PgResult r =
            connection.exec("read totals", detail::pg::period_totals,
                            PgParams().add(business.toString()).add(dayText(days.first)).add(dayText(days.end)));
        std::vector<UsageTotal> totals;
        totals.reserve(static_cast<std::size_t>(r.rows()));
        for (int row = 0; row < r.rows(); ++row) {
            totals.push_back(detail::normalized({EventType(r.text(row, 0)), numeric(r.text(row, 1)),
                                                 integer(r.text(row, 2)), fromCents(numeric(r.text(row, 3)))}));
        }
        return totals;
    });
}

std::vector<DailyUsage> PostgresStore::daily(const BusinessId& business, const DayRange& days) {
    return impl_->pool.run([&](PgConnection& connection) {
        const PgResult r =
            connection.exec("read daily usage", detail::pg::daily_usage,
                            PgParams().add(business.toString()).add(dayText(days.first)).add(dayText(days.end)));
        std::vector<DailyUsage> rows;
        rows.reserve(static_cast<std::size_t>(r.rows()));
        for (int row = 0; row < r.rows(); ++row) {
            rows.push_back({detail::dayFromText(r.text(row, 0), "postgres"),
                            detail::normalized({EventType(r.text(row, 1)), numeric(r.text(row, 2)),
                                                integer(r.text(row, 3)), fromCents(numeric(r.text(row, 4)))})});
        }
        return rows;
    });
}

namespace {

ModelUsageTotal modelTotalFrom(const PgResult& r, int row, int first) {
    const auto part = parseUsagePart(r.text(row, first + 2));
    if (!part) throw StoreError("postgres: unexpected part " + detail::quoted(r.text(row, first + 2)), false);
    return detail::normalized(ModelUsageTotal{EventType(r.text(row, first)), std::string(r.text(row, first + 1)), *part,
                                              numeric(r.text(row, first + 3)), integer(r.text(row, first + 4)),
                                              numeric(r.text(row, first + 5))});
}

}  // namespace

std::vector<ModelUsageTotal> PostgresStore::modelTotals(const BusinessId& business, const DayRange& days) {
    return impl_->pool.run([&](PgConnection& connection) {
        const PgResult r =
            connection.exec("read model totals", detail::pg::period_model_totals,
                            PgParams().add(business.toString()).add(dayText(days.first)).add(dayText(days.end)));
        std::vector<ModelUsageTotal> totals;
        totals.reserve(static_cast<std::size_t>(r.rows()));
        for (int row = 0; row < r.rows(); ++row) totals.push_back(modelTotalFrom(r, row, 0));
        std::sort(totals.begin(), totals.end(), [](const ModelUsageTotal& a, const ModelUsageTotal& b) {
            return detail::modelKey(a) < detail::modelKey(b);
        });
        return totals;
    });
}

std::vector<DailyModelUsage> PostgresStore::modelDaily(const BusinessId& business, const DayRange& days) {
    return impl_->pool.run([&](PgConnection& connection) {
        const PgResult r =
            connection.exec("read daily model usage", detail::pg::daily_model_usage,
                            PgParams().add(business.toString()).add(dayText(days.first)).add(dayText(days.end)));
        std::vector<DailyModelUsage> rows;
        rows.reserve(static_cast<std::size_t>(r.rows()));
        for (int row = 0; row < r.rows(); ++row) {
            rows.push_back({detail::dayFromText(r.text(row, 0), "postgres"), modelTotalFrom(r, row, 1)});
        }
        detail::sortModelDaily(rows);
        return rows;
    });
}

std::vector<DailyLevel> PostgresStore::levels(const BusinessId& business, const DayRange& days) {
    return impl_->pool.run([&](PgConnection& connection) {
        const PgResult r =
            connection.exec("read level rollups", detail::pg::level_rollups,
                            PgParams().add(business.toString()).add(dayText(days.first)).add(dayText(days.end)));
        std::vector<DailyLevel> rows;
        rows.reserve(static_cast<std::size_t>(r.rows()));
        for (int row = 0; row < r.rows(); ++row) {
            rows.push_back(DailyLevel{EventType(r.text(row, 0)), detail::dayFromText(r.text(row, 1), "postgres"),
                                      Timestamp(std::chrono::microseconds(integer(r.text(row, 2)))),
                                      Timestamp(std::chrono::microseconds(integer(r.text(row, 3)))),
                                      numeric(r.text(row, 4)), numeric(r.text(row, 5)), numeric(r.text(row, 6)),
                                      integer(r.text(row, 7))});
        }
        return rows;
    });
}

std::vector<TransactionAmount> PostgresStore::transactions(const BusinessId& business, const EventType& type,
                                                           const DayRange& days) {
    return impl_->pool.run([&](PgConnection& connection) {
        impl_->requireRawEvents(connection, days, "a per-transaction bound");
        const auto key = [&] {
            return PgParams()
                .add(business.toString())
                .add(std::string(type.name()))
                .add(dayText(days.first))
                .add(dayText(days.end));
        };
        const PgResult r = connection.exec("read transactions", detail::pg::transactions, key());
        std::vector<TransactionAmount> events;
        events.reserve(static_cast<std::size_t>(r.rows()));
        for (int row = 0; row < r.rows(); ++row) {
            events.push_back({detail::dayFromText(r.text(row, 2), "postgres"),
                              Timestamp(std::chrono::microseconds(integer(r.text(row, 1)))),
                              EventId(Uuid::parse(r.text(row, 0))), numeric(r.text(row, 3))});
        }
        const auto changes =
            quantityCorrections(connection.exec("read transactions", detail::pg::transaction_corrections, key()));
        detail::applyCorrections(events, changes, &TransactionAmount::amount);
        detail::sortByTime(events);
        return events;
    });
}

std::vector<RecordedEvent> PostgresStore::recordedEvents(const BusinessId& business, const DayRange& days,
                                                         std::size_t limit, const RecordedEvent* after) {
    return impl_->pool.run([&](PgConnection& connection) {
        impl_->requireRawEvents(connection, days, "reading events back");
        PgParams params;
        params.add(business.toString()).add(dayText(days.first)).add(dayText(days.end));
        if (after != nullptr) {
            params.add(detail::isoTimestamp(after->event.occurred_at, true)).add(after->event.id.toString());
        } else {
            params.addNull().addNull();
        }
        params.add(std::to_string(std::min<std::size_t>(limit, std::numeric_limits<std::int64_t>::max())));
        const PgResult r = connection.exec("read events", detail::pg::recorded_events, params);
        std::vector<RecordedEvent> events;
        events.reserve(static_cast<std::size_t>(r.rows()));
        for (int row = 0; row < r.rows(); ++row) {
            RecordedEvent recorded;
            UsageEvent& e = recorded.event;
            e.id = EventId(Uuid::parse(r.text(row, 0)));
            e.business = business;
            e.type = EventType(r.text(row, 1));
            e.quantity = numeric(r.text(row, 2));
            e.unit_price = fromCents(numeric(r.text(row, 3)));
            e.list_cost = fromCents(numeric(r.text(row, 4)));
            e.metadata = Metadata::fromJson(r.text(row, 5));
            e.occurred_at = Timestamp(std::chrono::microseconds(integer(r.text(row, 6))));
            recorded.day = detail::dayFromText(r.text(row, 7), "postgres");
            e.model = r.text(row, 8);
            e.parts = detail::partsFromText(r.text(row, 9), "postgres");
            e.dimensions = detail::dimensionsFromText(r.text(row, 10), "postgres");
            events.push_back(std::move(recorded));
        }
        return events;
    });
}

std::optional<Account> PostgresStore::findAccount(const BusinessId& business) {
    return impl_->pool.run([&](PgConnection& connection) -> std::optional<Account> {
        const PgResult r =
            connection.exec("find account", detail::pg::find_account, PgParams().add(business.toString()));
        if (r.rows() == 0) return std::nullopt;
        return accountFrom(r, 0);
    });
}

void PostgresStore::saveAccount(const Account& account) {
    account.validate();
    impl_->pool.run([&](PgConnection& connection) {
        try {
            connection.exec("check time zone", detail::pg::check_time_zone, PgParams().add(account.time_zone));
        } catch (const StoreError& e) {
            if (e.sqlstate() == "22023") {
                throw ValidationError("time_zone",
                                      "the database does not know the time zone " + detail::quoted(account.time_zone));
            }
            throw;
        }
        connection.exec("save account", detail::pg::save_account,
                        PgParams()
                            .add(account.id.toString())
                            .add(account.name)
                            .add(account.plan_id)
                            .add(account.time_zone)
                            .add(std::to_string(account.anchor_day)));
    });
}

std::vector<Account> PostgresStore::listAccounts() {
    return impl_->pool.run([&](PgConnection& connection) {
        const PgResult r = connection.exec("list accounts", detail::pg::list_accounts);
        std::vector<Account> accounts;
        accounts.reserve(static_cast<std::size_t>(r.rows()));
        for (int row = 0; row < r.rows(); ++row) accounts.push_back(accountFrom(r, row));
        return accounts;
    });
}

std::vector<Plan> PostgresStore::loadPlans() {
    return impl_->pool.run([&](PgConnection& connection) {
        const PgResult plans = connection.exec("load plans", detail::pg::list_plans);
        const PgResult meters = connection.exec("load plans", detail::pg::list_meters);
        std::vector<detail::PlanRow> plan_rows;
        plan_rows.reserve(static_cast<std::size_t>(plans.rows()));
        for (int row = 0; row < plans.rows(); ++row) {
            std::optional<std::string> ai_billing, commitments;
            if (auto value = plans.optionalText(row, 5)) ai_billing = std::string(*value);
            if (auto value = plans.optionalText(row, 6)) commitments = std::string(*value);
            plan_rows.push_back({std::string(plans.text(row, 0)), std::string(plans.text(row, 1)),
                                 std::string(plans.text(row, 2)), static_cast<int>(integer(plans.text(row, 3))),
                                 std::string(plans.text(row, 4)), std::move(ai_billing), std::move(commitments)});
        }
        std::vector<std::pair<std::string, detail::MeterRow>> meter_rows;
        for (int row = 0; row < meters.rows(); ++row) {
            const auto text = [&](int column) { return std::string(meters.text(row, column)); };
            const auto optional = [&](int column) -> std::optional<std::string> {
                if (auto value = meters.optionalText(row, column)) return std::string(*value);
                return std::nullopt;
            };
            meter_rows.emplace_back(text(0), detail::MeterRow{text(1), text(2), text(3), text(4), text(5), optional(6),
                                                              optional(7), optional(8), optional(9),
                                                              meters.text(row, 10) == "t", optional(11), optional(12)});
        }
        auto result = detail::assemblePlans(plan_rows, meter_rows);
        const PgResult versions = connection.exec("load plans", detail::pg::list_plan_versions);
        for (int row = 0; row < versions.rows(); ++row) {
            result.push_back(
                detail::planVersionFrom(versions.text(row, 2), detail::dayFromText(versions.text(row, 1), "postgres")));
        }
        return result;
    });
}

void PostgresStore::savePlan(const Plan& plan) {
    plan.validate();
    impl_->pool.run([&](PgConnection& connection) {
        connection.inTransaction([&] {
            const auto currencies = [&](const char* sql) {
                std::vector<Currency> found;
                const PgResult r = connection.exec("save plan", sql, PgParams().add(plan.id));
                found.reserve(static_cast<std::size_t>(r.rows()));
                for (int row = 0; row < r.rows(); ++row) {
                    found.push_back(Currency{std::string(r.text(row, 0)), static_cast<int>(integer(r.text(row, 1)))});
                }
                return found;
            };
            const auto first = currencies(detail::pg::plan_currency);
            detail::checkPlanCurrency(plan, first.empty() ? std::nullopt : std::optional(first.front()),
                                      currencies(detail::pg::plan_version_currencies));
            if (!plan.effective) {
                savePlanOn(connection, plan);
                return;
            }
            connection.exec("save plan", detail::pg::save_plan_version,
                            PgParams()
                                .add(plan.id)
                                .add(detail::dayText(*plan.effective))
                                .add(plan.currency.code)
                                .add(std::to_string(plan.currency.minor_units))
                                .add(detail::planVersionColumn(plan)));
        });
    });
}

namespace {
std::vector<PlanChange> planChangesFrom(const BusinessId& business, const PgResult& r) {
    std::vector<PlanChange> changes;
    changes.reserve(static_cast<std::size_t>(r.rows()));
    for (int row = 0; row < r.rows(); ++row) {
        changes.push_back(
            PlanChange{business, detail::dayFromText(r.text(row, 0), "postgres"), std::string(r.text(row, 1))});
    }
    return changes;
}
}  // namespace

PlanChange PostgresStore::savePlanChange(const PlanChange& change) {
    change.validate();
    return impl_->pool.run([&](PgConnection& connection) {
        const PgResult known =
            connection.exec("save plan change", detail::pg::has_business, PgParams().add(change.business.toString()));
        if (known.rows() == 0) throw NotFoundError(detail::unknownBusiness(change.business));
        const std::string day = detail::dayText(change.effective);
        connection.exec("save plan change", detail::pg::save_plan_change,
                        PgParams()
                            .add(change.business.toString())
                            .add(day)
                            .add(change.plan_id)
                            .add(std::to_string(systemNow().time_since_epoch().count())));
        auto stored =
            planChangesFrom(change.business, connection.exec("save plan change", detail::pg::find_plan_change,
                                                             PgParams().add(change.business.toString()).add(day)));
        if (stored.empty()) throw StoreError("postgres: a saved plan change is missing", false);
        return std::move(stored.front());
    });
}

std::vector<PlanChange> PostgresStore::listPlanChanges(const BusinessId& business) {
    return impl_->pool.run([&](PgConnection& connection) {
        return planChangesFrom(business, connection.exec("list plan changes", detail::pg::list_plan_changes,
                                                         PgParams().add(business.toString())));
    });
}

void PostgresStore::saveBudget(const Budget& budget) {
    budget.validate();
    impl_->pool.run([&](PgConnection& connection) {
        connection.inTransaction([&] {
            const PgResult known =
                connection.exec("save budget", detail::pg::has_business, PgParams().add(budget.business.toString()));
            if (known.rows() == 0) throw NotFoundError(detail::unknownBusiness(budget.business));
            PgParams params;
            params.add(budget.business.toString()).add(budget.id);
            if (budget.model) {
                params.add(*budget.model);
            } else {
                params.addNull();
            }
            params.add(budget.amount.toString())
                .add(detail::thresholdsText(budget.thresholds_percent))
                .add(std::string(toString(budget.kind)));
            if (budget.dimension) {
                params.add(budget.dimension->name).add(budget.dimension->value);
            } else {
                params.addNull().addNull();
            }
            connection.exec("save budget", detail::pg::save_budget, params);
        });
    });
}

bool PostgresStore::deleteBudget(const BusinessId& business, const std::string& id) {
    return impl_->pool.run([&](PgConnection& connection) {
        const PgResult r =
            connection.exec("delete budget", detail::pg::delete_budget, PgParams().add(business.toString()).add(id));
        return r.rows() > 0;
    });
}

namespace {

std::vector<Budget> budgetsFrom(const PgResult& r) {
    std::vector<Budget> budgets;
    budgets.reserve(static_cast<std::size_t>(r.rows()));
    for (int row = 0; row < r.rows(); ++row) {
        budgets.push_back(detail::budgetFromRow(r.text(row, 0), r.text(row, 1), r.optionalText(row, 2), r.text(row, 3),
                                                r.text(row, 4), r.text(row, 5), "postgres", r.optionalText(row, 6),
                                                r.optionalText(row, 7)));
    }
    return budgets;
}

}  // namespace

std::vector<Budget> PostgresStore::listBudgets(const BusinessId& business) {
    return impl_->pool.run([&](PgConnection& connection) {
        return budgetsFrom(
            connection.exec("list budgets", detail::pg::list_budgets, PgParams().add(business.toString())));
    });
}

void PostgresStore::saveDimensions(std::span<const Dimension> dimensions) {
    for (const Dimension& d : dimensions) d.validate();
    impl_->pool.run([&](PgConnection& connection) {
        connection.inTransaction([&] {
            for (const Dimension& d : dimensions) {
                PgParams params;
                params.add(d.name).add(std::to_string(d.max_length)).add(std::to_string(d.max_values));
                if (const auto values = detail::dimensionValuesColumn(d)) {
                    params.add(*values);
                } else {
                    params.addNull();
                }
                connection.exec("save dimension", detail::pg::save_dimension, params);
            }
        });
    });
}

std::vector<Dimension> PostgresStore::listDimensions() {
    return impl_->pool.run([&](PgConnection& connection) {
        const PgResult r = connection.exec("list dimensions", detail::pg::list_dimensions);
        std::vector<Dimension> result;
        result.reserve(static_cast<std::size_t>(r.rows()));
        for (int row = 0; row < r.rows(); ++row) {
            std::optional<std::string> values;
            if (auto value = r.optionalText(row, 3)) values = std::string(*value);
            result.push_back({std::string(r.text(row, 0)), static_cast<int>(integer(r.text(row, 1))),
                              static_cast<int>(integer(r.text(row, 2))), detail::dimensionValuesFrom(values)});
        }
        return result;
    });
}

std::vector<DailyDimensionUsage> PostgresStore::dimensionRollups(const BusinessId& business, const DayRange& days,
                                                                 std::string_view dimension) {
    return impl_->pool.run([&](PgConnection& connection) {
        const PgResult r = connection.exec("read dimension rollups", detail::pg::dimension_daily,
                                           PgParams()
                                               .add(business.toString())
                                               .add(std::string(dimension))
                                               .add(dayText(days.first))
                                               .add(dayText(days.end)));
        std::vector<DailyDimensionUsage> rows;
        rows.reserve(static_cast<std::size_t>(r.rows()));
        for (int row = 0; row < r.rows(); ++row) {
            rows.push_back(
                {detail::dayFromText(r.text(row, 0), "postgres"),
                 {std::string(r.text(row, 1)), UsageTotal{EventType(r.text(row, 2)), numeric(r.text(row, 3)),
                                                          integer(r.text(row, 4)), numeric(r.text(row, 5))}}});
        }
        return rows;
    });
}

std::vector<Budget> PostgresStore::listAllBudgets() {
    return impl_->pool.run([&](PgConnection& connection) {
        return budgetsFrom(connection.exec("list budgets", detail::pg::list_all_budgets));
    });
}

namespace {

BudgetCrossing crossingFrom(const PgResult& r, int row) {
    return BudgetCrossing{
        std::string(r.text(row, 0)),
        BusinessId(Uuid::parse(r.text(row, 1))),
        std::string(r.text(row, 2)),
        DayRange{detail::dayFromText(r.text(row, 3), "postgres"), detail::dayFromText(r.text(row, 4), "postgres")},
        static_cast<int>(integer(r.text(row, 5))),
        numeric(r.text(row, 6)),
        numeric(r.text(row, 7)),
        Timestamp(std::chrono::microseconds(integer(r.text(row, 8))))};
}

std::vector<BudgetCrossing> crossingsFrom(const PgResult& r) {
    std::vector<BudgetCrossing> crossings;
    crossings.reserve(static_cast<std::size_t>(r.rows()));
    for (int row = 0; row < r.rows(); ++row) crossings.push_back(crossingFrom(r, row));
    return crossings;
}

}  // namespace

std::vector<BudgetCrossing> PostgresStore::pendingCrossings(std::size_t limit) {
    return impl_->pool.run([&](PgConnection& connection) {
        return crossingsFrom(connection.exec("read pending crossings", detail::pg::pending_crossings,
                                             PgParams().add(std::to_string(std::min<std::size_t>(limit, INT32_MAX)))));
    });
}

void PostgresStore::markCrossingsDelivered(std::span<const std::string> keys) {
    if (keys.empty()) return;
    detail::pg::ArrayText array;
    for (const std::string& key : keys) array.addQuoted(key);
    const std::string text = std::move(array).done();
    impl_->pool.run([&](PgConnection& connection) {
        connection.exec("mark crossings delivered", detail::pg::mark_crossings_delivered, PgParams().add(text));
    });
}

std::vector<BudgetCrossing> PostgresStore::listCrossings(const BusinessId& business) {
    return impl_->pool.run([&](PgConnection& connection) {
        return crossingsFrom(
            connection.exec("list crossings", detail::pg::crossings_of_business, PgParams().add(business.toString())));
    });
}

namespace {

std::vector<Statement> statementsFrom(const PgResult& r) {
    std::vector<Statement> statements;
    statements.reserve(static_cast<std::size_t>(r.rows()));
    for (int row = 0; row < r.rows(); ++row) {
        statements.push_back(Statement{
            BusinessId(Uuid::parse(r.text(row, 0))),
            DayRange{detail::dayFromText(r.text(row, 1), "postgres"), detail::dayFromText(r.text(row, 2), "postgres")},
            std::string(r.text(row, 3)), std::string(r.text(row, 4)), std::string(r.text(row, 5)),
            numeric(r.text(row, 6)), Timestamp(std::chrono::microseconds(integer(r.text(row, 7)))),
            std::string(r.text(row, 8)), detail::adjustmentsFromText(r.text(row, 9), "postgres"),
            std::string(r.text(row, 10)), detail::creditsFromText(r.text(row, 11), "postgres"),
            numeric(r.text(row, 12))});
    }
    return statements;
}

std::optional<Statement> statementOf(PgConnection& connection, const BusinessId& business,
                                     date::local_days cycle_first) {
    auto found = statementsFrom(connection.exec("read statement", detail::pg::find_statement,
                                                PgParams().add(business.toString()).add(detail::dayText(cycle_first))));
    if (found.empty()) return std::nullopt;
    return std::move(found.front());
}

}  // namespace

Statement PostgresStore::saveStatement(const Statement& statement) {
    return impl_->pool.run([&](PgConnection& connection) {
        const PgResult known =
            connection.exec("save statement", detail::pg::has_business, PgParams().add(statement.business.toString()));
        if (known.rows() == 0) throw NotFoundError(detail::unknownBusiness(statement.business));
        connection.exec("save statement", detail::pg::save_statement,
                        PgParams()
                            .add(statement.business.toString())
                            .add(detail::dayText(statement.cycle.first))
                            .add(detail::dayText(statement.cycle.end))
                            .add(statement.time_zone)
                            .add(statement.plan_id)
                            .add(statement.currency)
                            .add(statement.total.toString())
                            .add(std::to_string(statement.closed_at.time_since_epoch().count()))
                            .add(statement.document)
                            .add(detail::adjustmentsText(statement.adjustments))
                            .add(statement.pricing)
                            .add(detail::creditsText(statement.credits))
                            .add(statement.credit_balance.toString()));
        // A new statement (READ COMMITTED): it sees the row of whichever close came first.
        auto stored = statementOf(connection, statement.business, statement.cycle.first);
        if (!stored) throw StoreError("postgres: a saved statement is missing", false);
        return std::move(*stored);
    });
}

std::optional<Statement> PostgresStore::findStatement(const BusinessId& business, date::local_days cycle_first) {
    return impl_->pool.run([&](PgConnection& connection) { return statementOf(connection, business, cycle_first); });
}

std::vector<Statement> PostgresStore::listStatements(const BusinessId& business) {
    return impl_->pool.run([&](PgConnection& connection) {
        return statementsFrom(
            connection.exec("list statements", detail::pg::list_statements, PgParams().add(business.toString())));
    });
}

}  // namespace metered

namespace metered {
namespace {

std::vector<Correction> correctionsFrom(const PgResult& r) {
    std::vector<Correction> result;
    result.reserve(static_cast<std::size_t>(r.rows()));
    for (int row = 0; row < r.rows(); ++row) {
        const auto new_quantity = r.optionalText(row, 6);
        const auto new_metadata = r.optionalText(row, 13);
        result.push_back(Correction{
            BusinessId(Uuid::parse(r.text(row, 0))), EventId(Uuid::parse(r.text(row, 1))),
            static_cast<int>(integer(r.text(row, 2))), detail::correctionKindFrom(r.text(row, 3), "postgres"),
            EventType(r.text(row, 4)), detail::dayFromText(r.text(row, 5), "postgres"),
            new_quantity ? std::optional<Decimal>(numeric(*new_quantity)) : std::nullopt,
            new_metadata ? std::optional<Metadata>(Metadata::fromJson(*new_metadata)) : std::nullopt,
            std::string(r.text(row, 7)), std::string(r.text(row, 8)),
            Timestamp(std::chrono::microseconds(integer(r.text(row, 9)))), numeric(r.text(row, 10)),
            numeric(r.text(row, 11)), integer(r.text(row, 12))});
    }
    return result;
}

// Decides a correction of the event (business, id) with `decide(stored, earlier)`, adjusts
// the rollups the event counts in and stores the correction, in one transaction that holds
// the event's row lock: concurrent corrections of one event run one after the other, and
// the second sees the first (READ COMMITTED: each statement a fresh snapshot).
template <class Decide>
Correction correctOn(PgConnection& connection, const BusinessId& business_id, const EventId& id, Decide decide) {
    return connection.inTransaction([&] {
        const std::string business = business_id.toString();
        const PgResult found = connection.exec("correct event", detail::pg::lock_event_to_correct,
                                               PgParams().add(business).add(id.toString()));
        if (found.rows() == 0) throw NotFoundError(detail::unknownEvent(business_id, id));
        const detail::StoredEvent stored{EventType(found.text(0, 0)),
                                         numeric(found.text(0, 1)),
                                         fromCents(numeric(found.text(0, 2))),
                                         fromCents(numeric(found.text(0, 3))),
                                         detail::dayFromText(found.text(0, 4), "postgres"),
                                         detail::partsFromText(found.text(0, 6), "postgres"),
                                         detail::dimensionsFromText(found.text(0, 7), "postgres")};
        const std::string model(found.text(0, 5));
        const int anchor = static_cast<int>(integer(found.text(0, 8)));
        const std::vector<Correction> earlier = correctionsFrom(connection.exec(
            "correct event", detail::pg::corrections_of_event, PgParams().add(business).add(id.toString())));
        Correction c = decide(stored, std::span<const Correction>(earlier));
        const std::string day = dayText(stored.day);
        const std::string type(stored.type.name());
        const std::string events_delta = std::to_string(c.events_delta);
        const PgResult daily = [&] {
            try {
                return connection.exec("correct event", detail::pg::correct_daily,
                                       PgParams()
                                           .add(business)
                                           .add(day)
                                           .add(type)
                                           .add(c.quantity_delta.toString())
                                           .add(events_delta)
                                           .add(detail::toCents(c.cost_delta).toString()));
            } catch (const StoreError& e) {
                if (e.sqlstate() != detail::pg::check_violation) throw;
                throw ValidationError("quantity",
                                      "would take the day's rollup past its bound (10^15, 10^13 list cost)");
            }
        }();
        if (daily.rows() == 0) throw StoreError("postgres: the rollup of a stored event is missing", false);
        if (integer(daily.text(0, 0)) == 0) {
            connection.exec("correct event", detail::pg::drop_empty_daily, PgParams().add(business).add(day).add(type));
        }
        if (c.kind == CorrectionKind::void_event) {
            for (const PricedPart& part : stored.parts) {
                const auto key = [&] {
                    return PgParams().add(business).add(day).add(type).add(model).add(std::string(toString(part.part)));
                };
                connection.exec("correct event", detail::pg::void_model_part,
                                key().add(part.quantity.toString()).add(part.cost.toString()));
                connection.exec("correct event", detail::pg::drop_empty_model_part, key());
            }
        }
        const std::string cycle = dayText(detail::admissionCycle(stored.day, anchor));
        for (const EventDimension& d : stored.dimensions) {
            // Rolled up under its value when admitted, else under the overflow value.
            const auto adjust = [&](const std::string& value) {
                const auto key = [&] { return PgParams().add(business).add(d.name).add(day).add(value).add(type); };
                const PgResult updated = connection.exec(
                    "correct event", detail::pg::correct_dimension,
                    key().add(c.quantity_delta.toString()).add(events_delta).add(c.cost_delta.toString()));
                if (updated.rows() == 0) return false;
                if (integer(updated.text(0, 0)) == 0) {
                    connection.exec("correct event", detail::pg::drop_empty_dimension, key());
                }
                return true;
            };
            const bool admitted = connection
                                      .exec("correct event", detail::pg::is_admitted,
                                            PgParams().add(business).add(cycle).add(d.name).add(d.value))
                                      .rows() > 0;
            if (!admitted || !adjust(d.value)) adjust(std::string(dimension_overflow_value));
        }
        insertCorrectionOn(connection, c);
        if (stored.type.isLevel()) rollUpLevelOn(connection, business, stored.type, stored.day);
        return c;
    });
}

}  // namespace

Correction PostgresStore::voidEvent(const BusinessId& business, const EventId& id, const std::string& reason,
                                    const std::string& actor) {
    detail::checkCorrectionText(reason, actor);
    return impl_->pool.run([&](PgConnection& connection) {
        return correctOn(connection, business, id,
                         [&](const detail::StoredEvent& stored, std::span<const Correction> earlier) {
                             return detail::planVoid(business, id, stored, earlier, reason, actor, systemNow());
                         });
    });
}

Correction PostgresStore::amendQuantity(const BusinessId& business, const EventId& id, const Decimal& quantity,
                                        const std::string& reason, const std::string& actor) {
    detail::checkCorrectionText(reason, actor);
    detail::checkAmendedQuantity(quantity);
    return impl_->pool.run([&](PgConnection& connection) {
        return correctOn(
            connection, business, id, [&](const detail::StoredEvent& stored, std::span<const Correction> earlier) {
                return detail::planAmend(business, id, stored, earlier, quantity, reason, actor, systemNow());
            });
    });
}

Correction PostgresStore::amendMetadata(const BusinessId& business, const EventId& id, const Metadata& metadata,
                                        const std::string& reason, const std::string& actor) {
    detail::checkCorrectionText(reason, actor);
    return impl_->pool.run([&](PgConnection& connection) {
        return correctOn(
            connection, business, id, [&](const detail::StoredEvent& stored, std::span<const Correction> earlier) {
                return detail::planAmendMetadata(business, id, stored, earlier, metadata, reason, actor, systemNow());
            });
    });
}

AppendResult PostgresStore::backfill(const UsageEvent& event, const std::string& reason, const std::string& actor) {
    detail::checkCorrectionText(reason, actor);
    const BackfillText text{reason, actor};
    return impl_->appendEvents(std::span<const UsageEvent>(&event, 1), &text);
}

std::vector<Correction> PostgresStore::listCorrections(const BusinessId& business, const DayRange& days) {
    return impl_->pool.run([&](PgConnection& connection) {
        auto rows = correctionsFrom(
            connection.exec("list corrections", detail::pg::corrections_of_days,
                            PgParams().add(business.toString()).add(dayText(days.first)).add(dayText(days.end))));
        detail::sortCorrections(rows);
        return rows;
    });
}

namespace {

std::vector<CreditGrant> grantsFrom(const PgResult& r) {
    std::vector<CreditGrant> grants;
    grants.reserve(static_cast<std::size_t>(r.rows()));
    for (int row = 0; row < r.rows(); ++row) {
        grants.push_back(CreditGrant{
            BusinessId(Uuid::parse(r.text(row, 0))), std::string(r.text(row, 1)), numeric(r.text(row, 2)),
            std::string(r.text(row, 3)), detail::dayFromText(r.text(row, 4), "postgres"),
            r.isNull(row, 5) ? std::nullopt : std::optional(detail::dayFromText(r.text(row, 5), "postgres")),
            static_cast<int>(integer(r.text(row, 6)))});
    }
    return grants;
}

}  // namespace

CreditGrant PostgresStore::saveCreditGrant(const CreditGrant& grant) {
    grant.validate();
    return impl_->pool.run([&](PgConnection& connection) {
        const PgResult known =
            connection.exec("save credit grant", detail::pg::has_business, PgParams().add(grant.business.toString()));
        if (known.rows() == 0) throw NotFoundError(detail::unknownBusiness(grant.business));
        PgParams params;
        params.add(grant.business.toString())
            .add(grant.id)
            .add(grant.amount.toString())
            .add(grant.currency)
            .add(detail::dayText(grant.effective));
        if (grant.expires) {
            params.add(detail::dayText(*grant.expires));
        } else {
            params.addNull();
        }
        params.add(std::to_string(grant.priority)).add(std::to_string(systemNow().time_since_epoch().count()));
        connection.exec("save credit grant", detail::pg::save_credit_grant, params);
        auto stored = grantsFrom(connection.exec("save credit grant", detail::pg::find_credit_grant,
                                                 PgParams().add(grant.business.toString()).add(grant.id)));
        if (stored.empty()) throw StoreError("postgres: a saved credit grant is missing", false);
        return std::move(stored.front());
    });
}

std::vector<CreditGrant> PostgresStore::listCreditGrants(const BusinessId& business) {
    return impl_->pool.run([&](PgConnection& connection) {
        return grantsFrom(
            connection.exec("list credit grants", detail::pg::list_credit_grants, PgParams().add(business.toString())));
    });
}

}  // namespace metered
