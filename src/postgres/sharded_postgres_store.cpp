// SPDX-License-Identifier: MIT
#include "metered/sharded_postgres_store.h"

#include <algorithm>
#include <iterator>
#include <mutex>
#include <tuple>
#include <unordered_map>

#include <libpq-fe.h>

#include "../text_format.h"
#include "connection_pool.h"
#include "event_rows.h"
#include "metered/errors.h"
#include "schema.h"

namespace metered {
namespace {

bool powerOfTwo(int n) { return n > 0 && (n & (n - 1)) == 0; }

// Runs the statement the server's format() makes of `params`: identifiers and literals are
// quoted there, never here.
void runFormatted(detail::PgConnection& connection, const char* format, const detail::PgParams& params) {
    const std::string statement(connection.exec("make statement", format, params).text(0, 0));
    connection.execScript(statement.c_str());
}

// What every server must hold alike (reference data): the first server's, or StoreError
// naming the first server that differs.
template <class Read>
auto sameOnEvery(std::vector<std::unique_ptr<PostgresStore>>& shards, std::string_view what, Read read) {
    auto first = read(*shards.front());
    for (std::size_t s = 1; s < shards.size(); ++s) {
        if (read(*shards[s]) != first) {
            throw StoreError("sharded postgres: server " + std::to_string(s + 1) + " holds other " + std::string(what) +
                                 " than server 1 (a write that did not reach every server): write them again",
                             false);
        }
    }
    return first;
}

}  // namespace

struct ShardedPostgresStore::Impl {
    std::vector<std::unique_ptr<PostgresStore>> shards;
    std::vector<std::string> conninfos;
    int partitions;
    std::vector<std::size_t> placement;
    // Computes partitions with the servers' own hash (metered_business_partition).
    detail::ConnectionPool router;
    std::mutex mutex;
    std::unordered_map<BusinessId, int> partition_of;  // businesses seen lately (bounded)
    // The coordinator this store writes through or attached: movePartition re-points it.
    std::string coordinator;

    explicit Impl(ShardedPostgresOptions& options)
        : partitions(options.partitions),
          placement(std::move(options.placement)),
          router(options.shards.empty() ? std::string() : options.shards.front(), 1) {}

    // The partitions of `businesses`, asking the server for those not seen yet.
    std::vector<int> partitionsOf(std::span<const BusinessId> businesses) {
        std::vector<int> result(businesses.size(), -1);
        detail::pg::ArrayText unknown;
        bool any = false;
        {
            const std::lock_guard lock(mutex);
            for (std::size_t i = 0; i < businesses.size(); ++i) {
                const auto found = partition_of.find(businesses[i]);
                if (found != partition_of.end()) {
                    result[i] = found->second;
                } else {
                    detail::appendUuid(unknown.next(), businesses[i].uuid());
                    any = true;
                }
            }
        }
        if (!any) return result;
        router.run([&](detail::PgConnection& connection) {
            const detail::PgResult r =
                connection.exec("partition businesses", detail::pg::business_partitions,
                                detail::PgParams().add(std::move(unknown).done()).add(std::to_string(partitions)));
            const std::lock_guard lock(mutex);
            // Bounded: past about a million businesses (some 64 MB) the answers are asked again.
            constexpr std::size_t remembered = std::size_t{1} << 20;
            if (partition_of.size() + static_cast<std::size_t>(r.rows()) > remembered) partition_of.clear();
            for (int row = 0; row < r.rows(); ++row) {
                const int partition = std::stoi(std::string(r.text(row, 1)));
                if (partition < 0 || partition >= partitions) {
                    throw StoreError("sharded postgres: a partition out of range from the server", false);
                }
                partition_of.emplace(BusinessId(Uuid::parse(r.text(row, 0))), partition);
            }
            for (std::size_t i = 0; i < businesses.size(); ++i) {
                if (result[i] < 0) result[i] = partition_of.at(businesses[i]);
            }
        });
        return result;
    }

    // On a server: the views of partition p's rows that a coordinator's foreign tables read.
    void makePartitionViews(detail::PgConnection& server, int p) const {
        for (const auto& [table, key] : detail::pg::coordinator_tables) {
            runFormatted(server, detail::pg::partition_view,
                         detail::PgParams()
                             .add(partitionView(p, table))
                             .add(table)
                             .add(key)
                             .add(std::to_string(partitions))
                             .add(std::to_string(p)));
        }
    }

    // On a coordinator: partition p of each table it reads, a foreign table on
    // `foreign_server` (of the servers' schema `remote_schema`).
    void makeForeignPartitions(detail::PgConnection& coord, int p, const std::string& foreign_server,
                               const std::string& remote_schema) const {
        for (const auto& [table, key] : detail::pg::coordinator_tables) {
            runFormatted(coord, detail::pg::foreign_partition,
                         detail::PgParams()
                             .add(foreignPartition(p, table))
                             .add(table)
                             .add(std::to_string(partitions))
                             .add(std::to_string(p))
                             .add(foreign_server)
                             .add(remote_schema)
                             .add(partitionView(p, table)));
        }
    }

    // After partition p was copied to server `to` (of schema `remote_schema`): the
    // coordinator reads it there, and its PL/Proxy cluster sends its appends there.
    void moveOnCoordinator(int p, std::size_t to, detail::PgConnection& target, const std::string& remote_schema) {
        makePartitionViews(target, p);
        detail::PgConnection coord(coordinator);
        coord.inTransaction([&] {
            const detail::PgResult named = coord.exec("read foreign server", detail::pg::coordinator_server_of,
                                                      detail::PgParams().add(std::to_string(to)));
            if (named.rows() == 0) {
                throw StoreError("sharded postgres: the coordinator has no foreign server for server " +
                                     std::to_string(to + 1) + " (attachCoordinator)",
                                 false);
            }
            const std::string foreign_server(named.text(0, 0));
            for (const auto& [table, key] : detail::pg::coordinator_tables) {
                runFormatted(coord, detail::pg::drop_foreign_partition,
                             detail::PgParams().add(foreignPartition(p, table)));
            }
            makeForeignPartitions(coord, p, foreign_server, remote_schema);
            const std::string cluster = proxyCluster(remote_schema);
            if (coord.exec("read cluster", detail::pg::proxy_cluster_exists, detail::PgParams().add(cluster))
                    .text(0, 0) != "0") {
                runFormatted(
                    coord, detail::pg::repoint_proxy_partition,
                    detail::PgParams().add(cluster).add(std::to_string(p)).add(proxyConninfo(coord, foreign_server)));
            }
        });
    }

    // A server's view of partition p of `table`, and the coordinator's foreign table of it.
    static std::string partitionView(int p, std::string_view table) {
        return "metered_p" + std::to_string(p) + "_" + std::string(table);
    }
    static std::string foreignPartition(int p, std::string_view table) {
        return std::string(table) + "_p" + std::to_string(p);
    }
    // The coordinator's PL/Proxy cluster for the servers' schema.
    static std::string proxyCluster(const std::string& remote_schema) { return "metered_" + remote_schema; }
    // The connection string a coordinator's PL/Proxy partition reaches `foreign_server` with.
    static std::string proxyConninfo(detail::PgConnection& coord, const std::string& foreign_server) {
        return std::string(coord
                               .exec("read foreign server", detail::pg::foreign_server_conninfo,
                                     detail::PgParams().add(foreign_server))
                               .text(0, 0));
    }

    PostgresStore& of(const BusinessId& business) {
        const int partition = partitionsOf(std::span(&business, 1)).front();
        return *shards[placement[static_cast<std::size_t>(partition)]];
    }

    template <class Work>
    void onEvery(Work work) {
        for (auto& shard : shards) work(*shard);
    }

    // What `read` gives on every server, one after the other.
    template <class Read>
    auto fromEvery(Read read) {
        decltype(read(*shards.front())) all;
        for (auto& shard : shards) {
            auto part = read(*shard);
            all.insert(all.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
        }
        return all;
    }
};

ShardedPostgresStore::ShardedPostgresStore(ShardedPostgresOptions options) {
    if (options.shards.empty()) throw ValidationError("shards", "must name at least one server");
    if (!powerOfTwo(options.partitions) || options.partitions < static_cast<int>(options.shards.size())) {
        throw ValidationError("partitions", "must be a power of 2, at least the number of servers");
    }
    if (options.placement.empty()) {
        for (int p = 0; p < options.partitions; ++p) {
            options.placement.push_back(static_cast<std::size_t>(p) % options.shards.size());
        }
    }
    if (options.placement.size() != static_cast<std::size_t>(options.partitions)) {
        throw ValidationError("placement", "must give a server for each partition");
    }
    for (std::size_t server : options.placement) {
        if (server >= options.shards.size()) throw ValidationError("placement", "names a server that is not in shards");
    }
    impl_ = std::make_unique<Impl>(options);
    impl_->conninfos = options.shards;
    impl_->coordinator = options.coordinator;
    for (std::string& conninfo : options.shards) {
        impl_->shards.push_back(std::make_unique<PostgresStore>(
            PostgresOptions{.conninfo = std::move(conninfo), .pool_size = options.pool_size}));
        if (!options.coordinator.empty()) impl_->shards.back()->appendThrough(options.coordinator, options.pool_size);
    }
}

ShardedPostgresStore::~ShardedPostgresStore() = default;

void ShardedPostgresStore::attachCoordinator(const std::string& coordinator,
                                             const std::vector<std::string>& foreign_servers) {
    if (foreign_servers.size() != impl_->shards.size()) {
        throw ValidationError("foreign_servers", "must name one foreign server for each server of the cluster");
    }
    const std::string modulus = std::to_string(impl_->partitions);
    // On each server, a view of each of its partitions' rows.
    for (std::size_t s = 0; s < impl_->shards.size(); ++s) {
        detail::PgConnection server(impl_->conninfos[s]);
        for (int p = 0; p < impl_->partitions; ++p) {
            if (impl_->placement[static_cast<std::size_t>(p)] == s) impl_->makePartitionViews(server, p);
        }
    }
    // The servers' schema, cycle functions and seed views, as the first server has them.
    detail::PgConnection first(impl_->conninfos.front());
    const std::string remote_schema(first.exec("read schema", "SELECT current_schema()").text(0, 0));
    const detail::PgResult functions = first.exec("read functions", detail::pg::coordinator_functions);
    const detail::PgResult views = first.exec("read views", detail::pg::coordinator_views);

    detail::PgConnection coord(coordinator);
    coord.inTransaction([&] {
        runFormatted(coord, detail::pg::import_tables,
                     detail::PgParams().add(remote_schema).add(foreign_servers.front()));
        for (const auto& [table, key] : detail::pg::coordinator_tables) {
            runFormatted(coord, detail::pg::partitioned_table, detail::PgParams().add(table).add(key));
        }
        coord.execScript(detail::pg::coordinator_servers_table);
        for (std::size_t s = 0; s < foreign_servers.size(); ++s) {
            coord.exec("save foreign server", detail::pg::save_coordinator_server,
                       detail::PgParams().add(std::to_string(s)).add(foreign_servers[s]));
        }
        for (int p = 0; p < impl_->partitions; ++p) {
            impl_->makeForeignPartitions(coord, p, foreign_servers[impl_->placement[static_cast<std::size_t>(p)]],
                                         remote_schema);
        }
        coord.execScript("DROP SCHEMA metered_coordinator_import CASCADE");
        for (int row = 0; row < functions.rows(); ++row) coord.execScript(std::string(functions.text(row, 0)).c_str());
        for (int row = 0; row < views.rows(); ++row) {
            runFormatted(coord, detail::pg::seed_view,
                         detail::PgParams().add(std::string(views.text(row, 0))).add(std::string(views.text(row, 1))));
        }
        // With PL/Proxy, the write path: a cluster of the partitions, each the connection
        // string of its server's foreign server, and the function that routes appends.
        if (coord.exec("read extensions", detail::pg::has_plproxy).text(0, 0) == "0") return;
        const std::string cluster = Impl::proxyCluster(remote_schema);
        detail::pg::ArrayText partitions;
        for (int p = 0; p < impl_->partitions; ++p) {
            partitions.addQuoted(
                Impl::proxyConninfo(coord, foreign_servers[impl_->placement[static_cast<std::size_t>(p)]]));
        }
        runFormatted(coord, detail::pg::proxy_cluster,
                     detail::PgParams().add(cluster).add(std::move(partitions).done()).add(foreign_servers.front()));
        runFormatted(coord, detail::pg::proxy_append_function, detail::PgParams().add(cluster).add(modulus));
    });
    impl_->coordinator = coordinator;
}

void ShardedPostgresStore::partitionEventsByMonth() {
    impl_->onEvery([](PostgresStore& shard) {
        if (!shard.eventsPartitionedByMonth()) shard.partitionEventsByMonth();
    });
}

std::vector<std::string> ShardedPostgresStore::retireEventsBefore(date::year_month first_kept, Retirement what) {
    return impl_->fromEvery([&](PostgresStore& shard) { return shard.retireEventsBefore(first_kept, what); });
}

void ShardedPostgresStore::movePartition(int partition, std::size_t to) {
    if (partition < 0 || partition >= impl_->partitions) throw ValidationError("partition", "is out of range");
    if (to >= impl_->shards.size()) throw ValidationError("to", "names a server that is not in shards");
    const auto p = static_cast<std::size_t>(partition);
    const std::size_t from = impl_->placement[p];
    if (from == to) return;
    const std::string number = std::to_string(partition);
    const std::string modulus = std::to_string(impl_->partitions);
    // The old server's connection settings, for the new one's foreign server.
    detail::pg::ArrayText keys, values, user_keys, user_values;
    {
        char* error = nullptr;
        std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(
            PQconninfoParse(impl_->conninfos[from].c_str(), &error), PQconninfoFree);
        if (options == nullptr) {
            PQfreemem(error);
            throw StoreError(
                "sharded postgres: the connection string of server " + std::to_string(from + 1) + " cannot be read",
                false);
        }
        for (const PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
            if (o->val == nullptr || *o->val == '\0') continue;
            const std::string_view keyword = o->keyword;
            if (keyword == "user" || keyword == "password") {
                user_keys.addQuoted(keyword);
                user_values.addQuoted(o->val);
            } else if (keyword == "host" || keyword == "hostaddr" || keyword == "port" || keyword == "dbname" ||
                       keyword.substr(0, 3) == "ssl" || keyword == "connect_timeout") {
                keys.addQuoted(keyword);
                values.addQuoted(o->val);
            }
        }
    }
    detail::PgConnection source(impl_->conninfos[from]);
    const std::string source_schema(source.exec("read schema", "SELECT current_schema()").text(0, 0));
    detail::PgConnection target(impl_->conninfos[to]);
    const detail::PgResult tables = target.exec("read tables", detail::pg::business_tables);
    // The partition's rows of the table of `row` (its name, the column that places them).
    const auto tableRows = [&](int row) {
        return detail::PgParams()
            .add(std::string(tables.text(row, 0)))
            .add(std::string(tables.text(row, 1)))
            .add(number)
            .add(modulus);
    };
    target.inTransaction([&] {
        runFormatted(target, detail::pg::move_source_server,
                     detail::PgParams()
                         .add(std::move(keys).done())
                         .add(std::move(values).done())
                         .add(std::move(user_keys).done())
                         .add(std::move(user_values).done()));
        runFormatted(target, detail::pg::import_move_source, detail::PgParams().add(source_schema));
        if (target.exec("read partitioning", detail::pg::events_partitioned).text(0, 0) == "t") {
            target.exec("make month partitions", detail::pg::move_event_months,
                        detail::PgParams().add(number).add(modulus));
        }
        for (int row = 0; row < tables.rows(); ++row) {
            runFormatted(target, detail::pg::copy_partition_rows, tableRows(row));
        }
        target.execScript(detail::pg::drop_move_source);
    });
    impl_->placement[p] = to;
    if (!impl_->coordinator.empty()) impl_->moveOnCoordinator(partition, to, target, source_schema);
    // The old copies: deleted past the triggers that keep statements, corrections, grants
    // and plan changes from changing (they are not changing: they moved).
    source.inTransaction([&] {
        source.execScript("SET LOCAL session_replication_role = replica");
        for (int row = tables.rows() - 1; row >= 0; --row) {
            runFormatted(source, detail::pg::delete_partition_rows, tableRows(row));
        }
        for (const auto& [table, key] : detail::pg::coordinator_tables) {
            runFormatted(source, detail::pg::drop_partition_view,
                         detail::PgParams().add(Impl::partitionView(partition, table)));
        }
    });
}

int ShardedPostgresStore::partitionOf(const BusinessId& business) {
    return impl_->partitionsOf(std::span(&business, 1)).front();
}

std::size_t ShardedPostgresStore::shardOf(const BusinessId& business) {
    return impl_->placement[static_cast<std::size_t>(partitionOf(business))];
}

void ShardedPostgresStore::migrate() {
    impl_->onEvery([](PostgresStore& shard) { shard.migrate(); });
}

AppendResult ShardedPostgresStore::append(std::span<const UsageEvent> events) {
    std::vector<BusinessId> businesses;
    businesses.reserve(events.size());
    for (const UsageEvent& e : events) businesses.push_back(e.business);
    const std::vector<int> partitions = impl_->partitionsOf(businesses);
    // Each server's part, in the batch's order, and where each of its events came from.
    std::vector<std::vector<UsageEvent>> parts(impl_->shards.size());
    std::vector<std::vector<std::size_t>> origins(impl_->shards.size());
    for (std::size_t i = 0; i < events.size(); ++i) {
        const std::size_t server = impl_->placement[static_cast<std::size_t>(partitions[i])];
        parts[server].push_back(events[i]);
        origins[server].push_back(i);
    }
    AppendResult result;
    for (std::size_t s = 0; s < parts.size(); ++s) {
        if (parts[s].empty()) continue;
        AppendResult part = impl_->shards[s]->append(parts[s]);
        result.stored += part.stored;
        result.duplicates += part.duplicates;
        for (Rejection& rejection : part.rejected) {
            rejection.index = origins[s][rejection.index];
            result.rejected.push_back(std::move(rejection));
        }
    }
    std::sort(result.rejected.begin(), result.rejected.end(),
              [](const Rejection& a, const Rejection& b) { return a.index < b.index; });
    return result;
}

std::vector<UsageTotal> ShardedPostgresStore::totals(const BusinessId& business, const DayRange& days) {
    return impl_->of(business).totals(business, days);
}

std::vector<DailyUsage> ShardedPostgresStore::daily(const BusinessId& business, const DayRange& days) {
    return impl_->of(business).daily(business, days);
}

std::vector<ModelUsageTotal> ShardedPostgresStore::modelTotals(const BusinessId& business, const DayRange& days) {
    return impl_->of(business).modelTotals(business, days);
}

std::vector<DailyModelUsage> ShardedPostgresStore::modelDaily(const BusinessId& business, const DayRange& days) {
    return impl_->of(business).modelDaily(business, days);
}

std::optional<Account> ShardedPostgresStore::findAccount(const BusinessId& business) {
    return impl_->of(business).findAccount(business);
}

void ShardedPostgresStore::saveAccount(const Account& account) { impl_->of(account.id).saveAccount(account); }

std::vector<Account> ShardedPostgresStore::listAccounts() {
    std::vector<Account> accounts = impl_->fromEvery([](PostgresStore& shard) { return shard.listAccounts(); });
    // As one server orders them: by name, then id.
    std::sort(accounts.begin(), accounts.end(),
              [](const Account& a, const Account& b) { return std::tie(a.name, a.id) < std::tie(b.name, b.id); });
    return accounts;
}

std::vector<Plan> ShardedPostgresStore::loadPlans() {
    return sameOnEvery(impl_->shards, "plans", [](PostgresStore& shard) { return shard.loadPlans(); });
}

void ShardedPostgresStore::savePlan(const Plan& plan) {
    impl_->onEvery([&](PostgresStore& shard) { shard.savePlan(plan); });
}

PlanChange ShardedPostgresStore::savePlanChange(const PlanChange& change) {
    return impl_->of(change.business).savePlanChange(change);
}

std::vector<PlanChange> ShardedPostgresStore::listPlanChanges(const BusinessId& business) {
    return impl_->of(business).listPlanChanges(business);
}

void ShardedPostgresStore::saveBudget(const Budget& budget) { impl_->of(budget.business).saveBudget(budget); }

bool ShardedPostgresStore::deleteBudget(const BusinessId& business, const std::string& id) {
    return impl_->of(business).deleteBudget(business, id);
}

std::vector<Budget> ShardedPostgresStore::listBudgets(const BusinessId& business) {
    return impl_->of(business).listBudgets(business);
}

std::vector<Budget> ShardedPostgresStore::listAllBudgets() {
    std::vector<Budget> budgets = impl_->fromEvery([](PostgresStore& shard) { return shard.listAllBudgets(); });
    // As one server orders them: by business, then id (bytewise).
    std::sort(budgets.begin(), budgets.end(),
              [](const Budget& a, const Budget& b) { return std::tie(a.business, a.id) < std::tie(b.business, b.id); });
    return budgets;
}

std::vector<BudgetCrossing> ShardedPostgresStore::pendingCrossings(std::size_t limit) {
    std::vector<BudgetCrossing> crossings =
        impl_->fromEvery([&](PostgresStore& shard) { return shard.pendingCrossings(limit); });
    // The oldest first, as one server gives them.
    std::stable_sort(crossings.begin(), crossings.end(), [](const BudgetCrossing& a, const BudgetCrossing& b) {
        return std::tie(a.crossed_at, a.business) < std::tie(b.crossed_at, b.business);
    });
    if (crossings.size() > limit) crossings.resize(limit);
    return crossings;
}

void ShardedPostgresStore::markCrossingsDelivered(std::span<const std::string> keys) {
    // A key names its business first ("<business>/<budget>/…"): each goes to its server.
    std::vector<std::vector<std::string>> by_server(impl_->shards.size());
    for (const std::string& key : keys) {
        const auto uuid = Uuid::tryParse(std::string_view(key).substr(0, key.find('/')));
        if (!uuid) continue;  // no crossing has such a key
        by_server[shardOf(BusinessId(*uuid))].push_back(key);
    }
    for (std::size_t s = 0; s < by_server.size(); ++s) {
        if (!by_server[s].empty()) impl_->shards[s]->markCrossingsDelivered(by_server[s]);
    }
}

std::vector<BudgetCrossing> ShardedPostgresStore::listCrossings(const BusinessId& business) {
    return impl_->of(business).listCrossings(business);
}

Statement ShardedPostgresStore::saveStatement(const Statement& statement) {
    return impl_->of(statement.business).saveStatement(statement);
}

std::optional<Statement> ShardedPostgresStore::findStatement(const BusinessId& business, date::local_days cycle_first) {
    return impl_->of(business).findStatement(business, cycle_first);
}

std::vector<Statement> ShardedPostgresStore::listStatements(const BusinessId& business) {
    return impl_->of(business).listStatements(business);
}

CreditGrant ShardedPostgresStore::saveCreditGrant(const CreditGrant& grant) {
    return impl_->of(grant.business).saveCreditGrant(grant);
}

std::vector<CreditGrant> ShardedPostgresStore::listCreditGrants(const BusinessId& business) {
    return impl_->of(business).listCreditGrants(business);
}

Correction ShardedPostgresStore::voidEvent(const BusinessId& business, const EventId& id, const std::string& reason,
                                           const std::string& actor) {
    return impl_->of(business).voidEvent(business, id, reason, actor);
}

Correction ShardedPostgresStore::amendQuantity(const BusinessId& business, const EventId& id, const Decimal& quantity,
                                               const std::string& reason, const std::string& actor) {
    return impl_->of(business).amendQuantity(business, id, quantity, reason, actor);
}

Correction ShardedPostgresStore::amendMetadata(const BusinessId& business, const EventId& id, const Metadata& metadata,
                                               const std::string& reason, const std::string& actor) {
    return impl_->of(business).amendMetadata(business, id, metadata, reason, actor);
}

AppendResult ShardedPostgresStore::backfill(const UsageEvent& event, const std::string& reason,
                                            const std::string& actor) {
    return impl_->of(event.business).backfill(event, reason, actor);
}

std::vector<Correction> ShardedPostgresStore::listCorrections(const BusinessId& business, const DayRange& days) {
    return impl_->of(business).listCorrections(business, days);
}

void ShardedPostgresStore::saveDimensions(std::span<const Dimension> dimensions) {
    impl_->onEvery([&](PostgresStore& shard) { shard.saveDimensions(dimensions); });
}

std::vector<Dimension> ShardedPostgresStore::listDimensions() {
    return sameOnEvery(impl_->shards, "dimensions", [](PostgresStore& shard) { return shard.listDimensions(); });
}

std::vector<DailyLevel> ShardedPostgresStore::levels(const BusinessId& business, const DayRange& days) {
    return impl_->of(business).levels(business, days);
}

std::vector<TransactionAmount> ShardedPostgresStore::transactions(const BusinessId& business, const EventType& type,
                                                                  const DayRange& days) {
    return impl_->of(business).transactions(business, type, days);
}

std::vector<RecordedEvent> ShardedPostgresStore::recordedEvents(const BusinessId& business, const DayRange& days,
                                                                std::size_t limit, const RecordedEvent* after) {
    return impl_->of(business).recordedEvents(business, days, limit, after);
}

std::vector<DailyDimensionUsage> ShardedPostgresStore::dimensionRollups(const BusinessId& business,
                                                                        const DayRange& days,
                                                                        std::string_view dimension) {
    return impl_->of(business).dimensionDaily(business, days, dimension);
}

}  // namespace metered
