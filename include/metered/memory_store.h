// SPDX-License-Identifier: MIT
// A UsageStore held in process memory, for tests and examples.
#pragma once

#include <memory>
#include <mutex>

#include "metered/export.h"
#include "metered/usage_store.h"

namespace metered {

/// A complete UsageStore in memory: the same contract as the database stores (idempotent
/// appends, per-day rollups, poison events rejected), nothing persisted. Ready to use on
/// construction (already migrated). Thread-safe: one mutex guards everything.
class METERED_API MemoryStore final : public UsageStore {
public:
    MemoryStore();
    ~MemoryStore() override;

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

    /// Every stored event of `business`, in the order stored (for tests and inspection).
    std::vector<UsageEvent> events(const BusinessId& business) const;

protected:
    std::vector<DailyDimensionUsage> dimensionRollups(const BusinessId& business, const DayRange& days,
                                                      std::string_view dimension) override;

private:
    struct State;
    mutable std::mutex mutex_;
    std::unique_ptr<State> state_;
};

}  // namespace metered
