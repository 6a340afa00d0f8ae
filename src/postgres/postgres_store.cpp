// SPDX-License-Identifier: MIT
#include "metered/postgres_store.h"

#include <algorithm>
#include <set>
#include <unordered_map>

#include "../event_checks.h"
#include "../plan_rows.h"
#include "../text_format.h"
#include "../iso_date.h"
#include "connection_pool.h"
#include "metered/errors.h"
#include "schema.h"
#include "../untrusted_text.h"

namespace metered {
namespace {

using detail::PgConnection;
using detail::PgParams;
using detail::PgResult;

const Decimal hundred(100);
const Decimal hundredth = Decimal::fromMantissa(1, 2);  // cents back to currency units

// Array literals are built in place: '{' elements separated by ',' '}'. Quoted elements
// escape \ and ".
void separate(std::string& array) {
    if (array.size() > 1) array.push_back(',');
}

void addQuoted(std::string& array, std::string_view value) {
    separate(array);
    array.push_back('"');
    for (char c : value) {
        if (c == '"' || c == '\\') array.push_back('\\');
        array.push_back(c);
    }
    array.push_back('"');
}

std::string dayText(date::local_days day) { return detail::isoDay(day); }

Decimal numeric(std::string_view text) { return Decimal::parse(text, "numeric column"); }

std::int64_t integer(std::string_view text) {
    const auto value = Decimal::parse(text, "integer column").toInt64();
    if (!value) throw StoreError("postgres: unexpected non-integer count", false);
    return *value;
}

date::local_days parseDay(std::string_view text) {
    const auto day = detail::parseIsoDate(text);
    if (!day) throw StoreError("postgres: unexpected date " + detail::quoted(text), false);
    return date::local_days(*day);
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
    connection.exec("save plan", detail::pg::save_plan,
                    PgParams()
                        .add(plan.id)
                        .add(plan.name)
                        .add(plan.currency.code)
                        .add(std::to_string(plan.currency.minor_units))
                        .add(std::string(toString(plan.rounding))));
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
        connection.exec("save plan", detail::pg::save_meter, params);
    }
}

}  // namespace

struct PostgresStore::Impl {
    detail::ConnectionPool pool;

    explicit Impl(const PostgresOptions& options) : pool(options.conninfo, options.pool_size) {}

    struct ChunkResult {
        std::size_t stored = 0;
        std::set<std::string> unknown_businesses;
    };

    ChunkResult appendChunk(PgConnection& connection, std::span<const UsageEvent> events,
                            std::span<const std::size_t> indices) {
        std::string businesses = "{", ids = "{", types = "{", quantities = "{", prices = "{", costs = "{",
                    metadata = "{", times = "{";
        for (auto* array : {&businesses, &ids}) array->reserve(indices.size() * 37 + 2);
        metadata.reserve(indices.size() * 160);
        std::string json;  // reused for each event's metadata
        for (std::size_t i : indices) {
            const UsageEvent& e = events[i];
            separate(businesses);
            detail::appendUuid(businesses, e.business.uuid());
            separate(ids);
            detail::appendUuid(ids, e.id.uuid());
            addQuoted(types, e.type.name());
            separate(quantities);
            detail::appendDecimal(quantities, e.quantity);
            separate(prices);
            detail::appendDecimal(prices, e.unit_price * hundred);
            separate(costs);
            detail::appendDecimal(costs, e.list_cost * hundred);
            json = e.metadata.toJson();
            addQuoted(metadata, json);
            separate(times);
            times.push_back('"');
            detail::appendIsoTimestamp(times, e.occurred_at, true);
            times.push_back('"');
        }
        // The batch is sorted by business: its distinct businesses are the changes.
        std::string distinct = "{";
        const BusinessId* previous = nullptr;
        for (std::size_t i : indices) {
            if (previous != nullptr && *previous == events[i].business) continue;
            previous = &events[i].business;
            separate(distinct);
            detail::appendUuid(distinct, events[i].business.uuid());
        }
        for (auto* array : {&businesses, &ids, &types, &quantities, &prices, &costs, &metadata, &times, &distinct}) {
            array->push_back('}');
        }
        const PgResult result = connection.exec("append", detail::pg::append_events,
                                                PgParams()
                                                    .add(std::move(businesses))
                                                    .add(std::move(ids))
                                                    .add(std::move(types))
                                                    .add(std::move(quantities))
                                                    .add(std::move(prices))
                                                    .add(std::move(costs))
                                                    .add(std::move(metadata))
                                                    .add(std::move(times))
                                                    .add(std::move(distinct)));
        ChunkResult chunk;
        chunk.stored = static_cast<std::size_t>(integer(result.text(0, 0)));
        // The unknown business ids come back as a text array: {id,id,…}.
        std::string_view unknown = result.text(0, 1);
        unknown = unknown.substr(1, unknown.size() - 2);
        while (!unknown.empty()) {
            const auto comma = unknown.find(',');
            chunk.unknown_businesses.insert(std::string(unknown.substr(0, comma)));
            unknown = comma == std::string_view::npos ? std::string_view() : unknown.substr(comma + 1);
        }
        return chunk;
    }

    // Appends events[indices]; on a permanent failure, halves the chunk until the poison
    // event is alone and rejects it with the server's reason.
    void appendIsolating(std::span<const UsageEvent> events, std::span<const std::size_t> indices,
                         AppendResult& result) {
        if (indices.empty()) return;
        try {
            const ChunkResult chunk = pool.run([&](PgConnection& c) { return appendChunk(c, events, indices); });
            std::size_t rejected = 0;
            for (std::size_t i : indices) {
                if (chunk.unknown_businesses.count(events[i].business.toString()) != 0) {
                    result.rejected.push_back({i, events[i].id, "unknown business " + events[i].business.toString()});
                    ++rejected;
                }
            }
            result.stored += chunk.stored;
            result.duplicates += indices.size() - chunk.stored - rejected;
        } catch (const StoreError& e) {
            if (e.transient()) throw;
            if (indices.size() == 1) {
                result.rejected.push_back({indices[0], events[indices[0]].id, e.what()});
                return;
            }
            const std::size_t half = indices.size() / 2;
            appendIsolating(events, indices.subspan(0, half), result);
            appendIsolating(events, indices.subspan(half), result);
        }
    }
};

PostgresStore::PostgresStore(PostgresOptions options) : impl_(std::make_unique<Impl>(options)) {
    impl_->pool.acquire();  // fail now on bad settings, not at the first append
}

PostgresStore::~PostgresStore() = default;

void PostgresStore::migrate() {
    impl_->pool.run([&](PgConnection& connection) {
        connection.inTransaction([&] {
            connection.exec("migrate", detail::pg::lock_migrations);
            connection.exec("migrate", detail::pg::create_version_table);
            const int current = static_cast<int>(integer(connection.exec("migrate", detail::pg::current_version).text(0, 0)));
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

AppendResult PostgresStore::append(std::span<const UsageEvent> events) {
    AppendResult result;
    std::vector<std::size_t> valid;
    valid.reserve(events.size());
    for (std::size_t i = 0; i < events.size(); ++i) {
        if (auto problem = detail::eventProblem(events[i])) {
            result.rejected.push_back({i, events[i].id, *problem});
        } else {
            valid.push_back(i);
        }
    }
    // Key order (the order rows are locked in) and no repeats within the batch.
    std::sort(valid.begin(), valid.end(), [&](std::size_t a, std::size_t b) {
        return std::tie(events[a].business, events[a].id) < std::tie(events[b].business, events[b].id);
    });
    const auto repeats = std::unique(valid.begin(), valid.end(), [&](std::size_t a, std::size_t b) {
        return events[a].business == events[b].business && events[a].id == events[b].id;
    });
    result.duplicates += static_cast<std::size_t>(valid.end() - repeats);
    valid.erase(repeats, valid.end());
    impl_->appendIsolating(events, valid, result);
    std::sort(result.rejected.begin(), result.rejected.end(),
              [](const Rejection& a, const Rejection& b) { return a.index < b.index; });
    return result;
}

std::vector<UsageTotal> PostgresStore::totals(const BusinessId& business, const DayRange& days) {
    return impl_->pool.run([&](PgConnection& connection) {
        const PgResult r = connection.exec(
            "read totals", detail::pg::period_totals,
            PgParams().add(business.toString()).add(dayText(days.first)).add(dayText(days.end)));
        std::vector<UsageTotal> totals;
        for (int row = 0; row < r.rows(); ++row) {
            totals.push_back({EventType(r.text(row, 0)), numeric(r.text(row, 1)), integer(r.text(row, 2)),
                              numeric(r.text(row, 3)) * hundredth});
        }
        return totals;
    });
}

std::vector<DailyUsage> PostgresStore::daily(const BusinessId& business, const DayRange& days) {
    return impl_->pool.run([&](PgConnection& connection) {
        const PgResult r = connection.exec(
            "read daily usage", detail::pg::daily_usage,
            PgParams().add(business.toString()).add(dayText(days.first)).add(dayText(days.end)));
        std::vector<DailyUsage> rows;
        for (int row = 0; row < r.rows(); ++row) {
            rows.push_back({parseDay(r.text(row, 0)),
                            UsageTotal{EventType(r.text(row, 1)), numeric(r.text(row, 2)), integer(r.text(row, 3)),
                                       numeric(r.text(row, 4)) * hundredth}});
        }
        return rows;
    });
}

std::optional<Account> PostgresStore::findAccount(const BusinessId& business) {
    return impl_->pool.run([&](PgConnection& connection) -> std::optional<Account> {
        const PgResult r = connection.exec("find account", detail::pg::find_account, PgParams().add(business.toString()));
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
                throw ValidationError("time_zone", "the database does not know the time zone " + detail::quoted(account.time_zone));
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
        for (int row = 0; row < r.rows(); ++row) accounts.push_back(accountFrom(r, row));
        return accounts;
    });
}

std::vector<Plan> PostgresStore::loadPlans() {
    return impl_->pool.run([&](PgConnection& connection) {
        const PgResult plans = connection.exec("load plans", detail::pg::list_plans);
        const PgResult meters = connection.exec("load plans", detail::pg::list_meters);
        std::vector<Plan> result;
        std::unordered_map<std::string, std::size_t> index;
        for (int row = 0; row < plans.rows(); ++row) {
            Plan plan;
            plan.id = std::string(plans.text(row, 0));
            plan.name = std::string(plans.text(row, 1));
            plan.currency = Currency{std::string(plans.text(row, 2)), static_cast<int>(integer(plans.text(row, 3)))};
            plan.rounding = parseRounding(plans.text(row, 4));
            index[plan.id] = result.size();
            result.push_back(std::move(plan));
        }
        for (int row = 0; row < meters.rows(); ++row) {
            auto found = index.find(std::string(meters.text(row, 0)));
            if (found == index.end()) continue;
            const auto text = [&](int column) { return std::string(meters.text(row, column)); };
            const auto optional = [&](int column) -> std::optional<std::string> {
                if (auto value = meters.optionalText(row, column)) return std::string(*value);
                return std::nullopt;
            };
            Meter meter = detail::fromRow({text(1), text(2), text(3), text(4), text(5), optional(6), optional(7),
                                           optional(8), optional(9), meters.text(row, 10) == "t"});
            result[found->second].meters.push_back(std::move(meter));
        }
        return result;
    });
}

void PostgresStore::savePlan(const Plan& plan) {
    plan.validate();
    impl_->pool.run([&](PgConnection& connection) { connection.inTransaction([&] { savePlanOn(connection, plan); }); });
}

}  // namespace metered
