// SPDX-License-Identifier: MIT
// Stores that misbehave on purpose, around a real MemoryStore.
#pragma once

#include <atomic>
#include <condition_variable>
#include <chrono>
#include <mutex>
#include <thread>

#include "metered/errors.h"
#include "metered/memory_store.h"

namespace metered::testing {

/// Forwards to a MemoryStore; appends can be made to fail (transiently) or to wait at a
/// gate, to play a store that is down or slow. Reads always work.
class UnreliableStore final : public UsageStore {
public:
    std::shared_ptr<MemoryStore> inner = std::make_shared<MemoryStore>();
    std::atomic<bool> down{false};      ///< appends throw a transient StoreError
    std::atomic<int> failures_left{0};  ///< the next N appends throw a transient StoreError
    std::atomic<int> appends{0};        ///< append calls that reached the inner store
    std::atomic<int> most_at_once{0};   ///< the most appends running at once
    /// The next append waits (up to 5 s) until a second one runs beside it.
    std::atomic<bool> wait_for_company{false};

    /// Appends wait while the gate is closed.
    void closeGate() {
        std::lock_guard lock(mutex_);
        gate_open_ = false;
    }
    void openGate() {
        {
            std::lock_guard lock(mutex_);
            gate_open_ = true;
        }
        gate_.notify_all();
    }

    void migrate() override { inner->migrate(); }
    AppendResult append(std::span<const UsageEvent> events) override {
        {
            std::unique_lock lock(mutex_);
            gate_.wait(lock, [&] { return gate_open_; });
        }
        const int now = ++running_;
        struct Leave {
            std::atomic<int>& running;
            ~Leave() { --running; }
        } leave{running_};
        for (int most = most_at_once.load(); now > most && !most_at_once.compare_exchange_weak(most, now);) {}
        if (wait_for_company.exchange(false)) {
            const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
            while (running_.load() < 2 && std::chrono::steady_clock::now() < until) {
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            }
        }
        if (down || failures_left.fetch_sub(1) > 0) throw StoreError("connection refused (test)", true);
        ++appends;
        return inner->append(events);
    }
    std::vector<UsageTotal> totals(const BusinessId& b, const DayRange& d) override { return inner->totals(b, d); }
    std::vector<DailyUsage> daily(const BusinessId& b, const DayRange& d) override { return inner->daily(b, d); }
    std::vector<ModelUsageTotal> modelTotals(const BusinessId& b, const DayRange& d) override {
        return inner->modelTotals(b, d);
    }
    std::vector<DailyModelUsage> modelDaily(const BusinessId& b, const DayRange& d) override {
        return inner->modelDaily(b, d);
    }
    std::optional<Account> findAccount(const BusinessId& b) override { return inner->findAccount(b); }
    void saveAccount(const Account& a) override { inner->saveAccount(a); }
    std::vector<Account> listAccounts() override { return inner->listAccounts(); }
    std::vector<Plan> loadPlans() override { return inner->loadPlans(); }
    void savePlan(const Plan& p) override { inner->savePlan(p); }
    void saveBudget(const Budget& b) override { inner->saveBudget(b); }
    bool deleteBudget(const BusinessId& b, const std::string& id) override { return inner->deleteBudget(b, id); }
    std::vector<BudgetCrossing> pendingCrossings(std::size_t limit) override {
        if (down) throw StoreError("connection refused (test)", true);
        return inner->pendingCrossings(limit);
    }
    void markCrossingsDelivered(std::span<const std::string> keys) override {
        if (down) throw StoreError("connection refused (test)", true);
        inner->markCrossingsDelivered(keys);
    }
    std::vector<BudgetCrossing> listCrossings(const BusinessId& b) override { return inner->listCrossings(b); }
    std::vector<Budget> listBudgets(const BusinessId& b) override { return inner->listBudgets(b); }
    std::vector<Budget> listAllBudgets() override { return inner->listAllBudgets(); }

private:
    std::atomic<int> running_{0};
    std::mutex mutex_;
    std::condition_variable gate_;
    bool gate_open_ = true;
};

}  // namespace metered::testing
