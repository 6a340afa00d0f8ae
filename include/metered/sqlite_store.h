// SPDX-License-Identifier: MIT
// The embedded store: one SQLite file.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>

#include "metered/export.h"
#include "metered/usage_store.h"

namespace metered {

/// Settings of a SqliteStore.
struct SqliteOptions {
    /// The database file (created if missing); ":memory:" for a private in-memory database.
    std::filesystem::path path;
    /// How long a writer waits for another process's lock before failing (transiently).
    std::chrono::milliseconds busy_timeout{5000};
};

/// A UsageStore in one SQLite file: the embedded default, no server needed.
///
/// - WAL journal mode; appends are one transaction per batch, with the day and cycle
///   rollups updated in the same transaction, so readers never see one without the other.
/// - Exact: every quantity, price and cost is stored as decimal text and added with
///   Decimal in C++; no column holds a REAL.
/// - Idempotent on (business_id, id); events of unknown businesses are rejected with
///   their reason, the rest of the batch is stored.
/// - Its own versioned migrations in `metered_schema_version`.
///
/// Thread-safe: calls are serialised on one connection. Several processes may share the
/// file (SQLite's locking; a busy database is a transient StoreError).
class METERED_API SqliteStore final : public UsageStore {
public:
    /// Opens (or creates) the file; throws StoreError when it cannot.
    explicit SqliteStore(const SqliteOptions& options);
    ~SqliteStore() override;

    void migrate() override;
    AppendResult append(std::span<const UsageEvent> events) override;
    std::vector<UsageTotal> totals(const BusinessId& business, const DayRange& days) override;
    std::vector<DailyUsage> daily(const BusinessId& business, const DayRange& days) override;
    std::vector<ModelUsageTotal> modelTotals(const BusinessId& business, const DayRange& days) override;
    std::vector<DailyModelUsage> modelDaily(const BusinessId& business, const DayRange& days) override;
    std::optional<Account> findAccount(const BusinessId& business) override;
    void saveAccount(const Account& account) override;
    std::vector<Account> listAccounts() override;
    std::vector<Plan> loadPlans() override;
    void savePlan(const Plan& plan) override;
    void saveBudget(const Budget& budget) override;
    bool deleteBudget(const BusinessId& business, const std::string& id) override;
    std::vector<Budget> listBudgets(const BusinessId& business) override;
    std::vector<Budget> listAllBudgets() override;
    std::vector<BudgetCrossing> pendingCrossings(std::size_t limit) override;
    void markCrossingsDelivered(std::span<const std::string> keys) override;
    std::vector<BudgetCrossing> listCrossings(const BusinessId& business) override;
    Statement saveStatement(const Statement& statement) override;
    std::optional<Statement> findStatement(const BusinessId& business, date::local_days cycle_first) override;
    std::vector<Statement> listStatements(const BusinessId& business) override;
    PlanChange savePlanChange(const PlanChange& change) override;
    std::vector<PlanChange> listPlanChanges(const BusinessId& business) override;
    CreditGrant saveCreditGrant(const CreditGrant& grant) override;
    std::vector<CreditGrant> listCreditGrants(const BusinessId& business) override;
    Correction voidEvent(const BusinessId& business, const EventId& id, const std::string& reason,
                         const std::string& actor) override;
    Correction amendQuantity(const BusinessId& business, const EventId& id, const Decimal& quantity,
                             const std::string& reason, const std::string& actor) override;
    Correction amendMetadata(const BusinessId& business, const EventId& id, const Metadata& metadata,
                             const std::string& reason, const std::string& actor) override;
    AppendResult backfill(const UsageEvent& event, const std::string& reason, const std::string& actor) override;
    std::vector<Correction> listCorrections(const BusinessId& business, const DayRange& days) override;
    void saveDimensions(std::span<const Dimension> dimensions) override;
    std::vector<Dimension> listDimensions() override;
    std::vector<DailyLevel> levels(const BusinessId& business, const DayRange& days) override;
    std::vector<TransactionAmount> transactions(const BusinessId& business, const EventType& type,
                                                const DayRange& days) override;
    std::vector<RecordedEvent> recordedEvents(const BusinessId& business, const DayRange& days, std::size_t limit,
                                              const RecordedEvent* after) override;

    /// The schema version migrate() brought the file to (0 before).
    int schemaVersion();

protected:
    std::vector<DailyDimensionUsage> dimensionRollups(const BusinessId& business, const DayRange& days,
                                                      std::string_view dimension) override;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace metered
