// SPDX-License-Identifier: MIT
#include "metered/memory_store.h"

#include <algorithm>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "event_checks.h"

namespace metered {

struct MemoryStore::State {
    struct Business {
        Account account;
        std::unordered_set<EventId> seen;
        std::map<date::local_days, std::map<EventType, UsageTotal>> days;
        std::vector<UsageEvent> events;
    };
    std::unordered_map<BusinessId, Business> businesses;
    std::map<std::string, Plan> plans;

    Business* find(const BusinessId& id) {
        auto it = businesses.find(id);
        return it == businesses.end() ? nullptr : &it->second;
    }

    // The rollup rows of `id` on the days of `range`, in day order.
    template <class Visit>
    void forDays(const BusinessId& id, const DayRange& range, Visit visit) {
        Business* business = find(id);
        if (business == nullptr) return;
        for (auto it = business->days.lower_bound(range.first); it != business->days.end() && it->first < range.end; ++it) {
            for (const auto& [type, total] : it->second) visit(it->first, total);
        }
    }
};

MemoryStore::MemoryStore() : state_(std::make_unique<State>()) { migrate(); }
MemoryStore::~MemoryStore() = default;

void MemoryStore::migrate() {
    std::lock_guard lock(mutex_);
    state_->plans.try_emplace("basic", Plan::basic());
}

AppendResult MemoryStore::append(std::span<const UsageEvent> events) {
    std::lock_guard lock(mutex_);
    AppendResult result;
    for (std::size_t i = 0; i < events.size(); ++i) {
        const UsageEvent& event = events[i];
        State::Business* business = state_->find(event.business);
        if (business == nullptr) {
            result.rejected.push_back({i, event.id, "unknown business " + event.business.toString()});
            continue;
        }
        if (auto problem = detail::eventProblem(event)) {
            result.rejected.push_back({i, event.id, *problem});
            continue;
        }
        if (!business->seen.insert(event.id).second) {
            ++result.duplicates;
            continue;
        }
        const auto day = localDay(event.occurred_at, business->account.time_zone);
        auto [slot, fresh] = business->days[day].try_emplace(event.type, UsageTotal{event.type, {}, 0, {}});
        slot->second.quantity += event.quantity;
        slot->second.list_cost += event.list_cost;
        ++slot->second.events;
        business->events.push_back(event);
        ++result.stored;
    }
    return result;
}

std::vector<UsageTotal> MemoryStore::totals(const BusinessId& business, const DayRange& days) {
    std::lock_guard lock(mutex_);
    std::map<EventType, UsageTotal> sums;
    state_->forDays(business, days, [&](date::local_days, const UsageTotal& total) {
        auto [slot, fresh] = sums.try_emplace(total.type, UsageTotal{total.type, {}, 0, {}});
        slot->second.quantity += total.quantity;
        slot->second.list_cost += total.list_cost;
        slot->second.events += total.events;
    });
    std::vector<UsageTotal> result;
    for (auto& [type, total] : sums) result.push_back(std::move(total));
    return result;
}

std::vector<DailyUsage> MemoryStore::daily(const BusinessId& business, const DayRange& days) {
    std::lock_guard lock(mutex_);
    std::vector<DailyUsage> result;
    state_->forDays(business, days, [&](date::local_days day, const UsageTotal& total) { result.push_back({day, total}); });
    return result;
}

std::optional<Account> MemoryStore::findAccount(const BusinessId& business) {
    std::lock_guard lock(mutex_);
    if (const auto* found = state_->find(business)) return found->account;
    return std::nullopt;
}

void MemoryStore::saveAccount(const Account& account) {
    account.validate();
    std::lock_guard lock(mutex_);
    state_->businesses[account.id].account = account;
}

std::vector<Account> MemoryStore::listAccounts() {
    std::lock_guard lock(mutex_);
    std::vector<Account> accounts;
    for (const auto& [id, business] : state_->businesses) accounts.push_back(business.account);
    std::sort(accounts.begin(), accounts.end(), [](const Account& a, const Account& b) {
        return std::tie(a.name, a.id) < std::tie(b.name, b.id);
    });
    return accounts;
}

std::vector<Plan> MemoryStore::loadPlans() {
    std::lock_guard lock(mutex_);
    std::vector<Plan> plans;
    for (const auto& [id, plan] : state_->plans) plans.push_back(plan);
    return plans;
}

void MemoryStore::savePlan(const Plan& plan) {
    plan.validate();
    std::lock_guard lock(mutex_);
    state_->plans.insert_or_assign(plan.id, plan);
}

std::vector<UsageEvent> MemoryStore::events(const BusinessId& business) const {
    std::lock_guard lock(mutex_);
    if (const auto* found = state_->find(business)) return found->events;
    return {};
}

}  // namespace metered
