// SPDX-License-Identifier: MIT
#include "metered/memory_store.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

#include "correction_rules.h"
#include "crossing_claims.h"
#include "event_checks.h"
#include "level_rollup.h"
#include "metered/errors.h"
#include "plan_rows.h"
#include "quantity_corrections.h"
#include "store_text.h"

namespace metered {

struct MemoryStore::State {
    struct Business {
        Account account;
        std::unordered_map<EventId, std::size_t> index;  // id -> position in events
        std::map<date::local_days, std::map<EventType, UsageTotal>> days;
        std::map<date::local_days, std::map<detail::ModelKey, ModelUsageTotal>> model_days;
        std::vector<UsageEvent> events;
        std::vector<date::local_days> event_days;                // indexed like events: the rolled-up day
        std::map<EventId, std::vector<Correction>> corrections;  // by event, in sequence order
        // (dimension, value, type) per day; the values admitted per (cycle start, dimension).
        std::map<date::local_days, std::map<std::tuple<std::string, std::string, EventType>, UsageTotal>>
            dimension_days;
        std::map<std::pair<date::local_days, std::string>, std::set<std::string>> admitted;
        // Level types: the positions of each day's reports, and each day's rollup.
        std::map<std::pair<EventType, date::local_days>, std::vector<std::size_t>> level_reports;
        std::map<EventType, std::map<date::local_days, DailyLevel>> levels;

        // Computes the level rollup of (type, day) again from its reports as corrected.
        void rollUpLevel(const EventType& type, date::local_days day) {
            std::vector<detail::LevelReport> reports;
            std::vector<detail::QuantityCorrection> changes;
            for (std::size_t position : level_reports[{type, day}]) {
                const UsageEvent& event = events[position];
                reports.push_back({event.occurred_at, event.id, event.quantity});
                if (auto found = corrections.find(event.id); found != corrections.end()) {
                    for (const Correction& c : found->second) changes.push_back({c.event, c.kind, c.quantity_delta});
                }
            }
            if (auto row = detail::levelDay(type, day, std::move(reports), changes)) {
                levels[type][day] = *row;
            } else if (auto of_type = levels.find(type); of_type != levels.end()) {
                of_type->second.erase(day);
            }
        }
    };
    std::unordered_map<BusinessId, Business> businesses;
    std::map<std::string, Dimension> dimensions;

    int maxValues(const std::string& dimension) const {
        auto it = dimensions.find(dimension);
        return it == dimensions.end() ? Dimension{}.max_values : it->second.max_values;
    }
    std::map<std::string, Plan> plans;
    std::map<std::pair<std::string, date::local_days>, Plan> plan_versions;
    std::map<std::pair<BusinessId, date::local_days>, PlanChange> plan_changes;
    std::map<std::pair<BusinessId, std::string>, Budget> budgets;

    // Has `business` a budget on `d`'s value? (Such a value is always admitted.)
    bool budgeted(const BusinessId& business, const EventDimension& d) const {
        for (auto it = budgets.lower_bound({business, std::string()});
             it != budgets.end() && it->first.first == business; ++it) {
            if (it->second.dimension == d) return true;
        }
        return false;
    }
    struct Claimed {
        BudgetCrossing crossing;
        std::uint64_t order = 0;  // claim order
        bool delivered = false;
    };
    std::map<std::string, Claimed> crossings;  // by key
    std::map<std::pair<BusinessId, date::local_days>, Statement> statements;
    std::map<std::pair<BusinessId, std::string>, CreditGrant> grants;
    std::uint64_t claims = 0;

    // Claims the crossings reached in the cycles of `touched` (under the store's mutex,
    // after the batch is applied: the same critical section).
    void claimCrossings(const std::set<detail::TouchedDay>& touched) {
        if (touched.empty() || budgets.empty()) return;
        std::vector<Budget> all;
        for (const auto& [key, budget] : budgets) all.push_back(budget);
        const auto cycles =
            detail::touchedCycles(touched, all, [&](const BusinessId& id) { return find(id)->account.anchor_day; });
        const Timestamp now = systemNow();
        for (const detail::TouchedCycle& cycle : cycles) {
            std::vector<detail::ModelCost> costs;
            const Business& business = *find(cycle.business);
            for (auto it = business.model_days.lower_bound(cycle.cycle.first);
                 it != business.model_days.end() && it->first < cycle.cycle.end; ++it) {
                for (const auto& [key, total] : it->second) costs.push_back({total.model, total.cost});
            }
            std::vector<detail::DimensionCost> dimension_costs;
            for (const Budget* budget : detail::dimensionBudgetsOf(cycle.business, all)) {
                detail::DimensionCost cost{budget->dimension->name, budget->dimension->value, {}};
                for (auto it = business.dimension_days.lower_bound(cycle.cycle.first);
                     it != business.dimension_days.end() && it->first < cycle.cycle.end; ++it) {
                    for (const auto& [key, total] : it->second) {
                        const auto& [name, value, type] = key;
                        if (name == cost.dimension && value == cost.value && type.isRateCard()) {
                            cost.cost += total.list_cost;
                        }
                    }
                }
                dimension_costs.push_back(std::move(cost));
            }
            for (BudgetCrossing& crossing : detail::crossingsIn(cycle, all, costs, dimension_costs, now)) {
                std::string key = crossing.key;
                crossings.try_emplace(std::move(key), Claimed{std::move(crossing), claims++, false});
            }
        }
    }

    // Decides a correction of the event (business, id) with `decide(stored, earlier)` and
    // applies it to the rollups the event counts in, all under the store's mutex.
    template <class Decide>
    Correction correct(const BusinessId& business_id, const EventId& id, Decide decide) {
        Business* business = find(business_id);
        if (business == nullptr) throw NotFoundError(detail::unknownEvent(business_id, id));
        auto position = business->index.find(id);
        if (position == business->index.end()) throw NotFoundError(detail::unknownEvent(business_id, id));
        const UsageEvent& event = business->events[position->second];
        const date::local_days day = business->event_days[position->second];
        const detail::StoredEvent stored{event.type, event.quantity, event.unit_price, event.list_cost,
                                         day,        event.parts,    event.dimensions};
        std::vector<Correction>& earlier = business->corrections[id];
        Correction correction = decide(stored, std::span<const Correction>(earlier));
        auto& on_day = business->days[day];
        UsageTotal& total = on_day.try_emplace(event.type, UsageTotal{event.type, {}, 0, {}}).first->second;
        detail::checkCorrectedRollup(total, correction);
        const auto adjust = [&](UsageTotal& t) {
            t.quantity += correction.quantity_delta;
            t.list_cost += correction.cost_delta;
            t.events += correction.events_delta;
        };
        adjust(total);
        if (total.events == 0) on_day.erase(event.type);
        if (on_day.empty()) business->days.erase(day);
        if (correction.kind == CorrectionKind::void_event && !event.parts.empty()) {
            auto& models = business->model_days[day];
            for (const PricedPart& part : event.parts) {
                auto it = models.find({event.type, event.model, part.part});
                if (it == models.end()) continue;
                it->second.quantity -= part.quantity;
                it->second.cost -= part.cost;
                if (--it->second.events == 0) models.erase(it);
            }
            if (models.empty()) business->model_days.erase(day);
        }
        if (!event.dimensions.empty()) {
            auto& values = business->dimension_days[day];
            const auto cycle = detail::admissionCycle(day, business->account.anchor_day);
            for (const EventDimension& d : event.dimensions) {
                // Rolled up under its value when admitted, else under the overflow value.
                auto admitted = business->admitted.find({cycle, d.name});
                auto it = values.end();
                if (admitted != business->admitted.end() && admitted->second.count(d.value) > 0) {
                    it = values.find({d.name, d.value, event.type});
                }
                if (it == values.end()) it = values.find({d.name, std::string(dimension_overflow_value), event.type});
                if (it == values.end()) continue;
                adjust(it->second);
                if (it->second.events == 0) values.erase(it);
            }
            if (values.empty()) business->dimension_days.erase(day);
        }
        earlier.push_back(correction);
        if (event.type.isLevel()) business->rollUpLevel(event.type, day);
        return correction;
    }

    // Appends a batch (UsageStore::append), under the store's mutex.
    AppendResult append(std::span<const UsageEvent> events) {
        // Each event is decided in order against what is stored plus what this batch accepted
        // before it; the accepted ones are applied together at the end (all or nothing).
        AppendResult result;
        std::vector<std::pair<std::size_t, date::local_days>> accepted;
        std::map<std::pair<BusinessId, EventId>, std::size_t> accepted_ids;
        std::map<std::tuple<BusinessId, date::local_days, EventType>, UsageTotal> rollups;  // after the batch
        using ModelSlot = std::pair<BusinessId, date::local_days>;
        std::map<std::pair<ModelSlot, detail::ModelKey>, ModelUsageTotal> model_rollups;  // after the batch
        std::set<detail::TouchedDay> touched;  // by newly stored rate-card events
        // Dimension rollups after the batch, and the values this batch admits.
        using DimensionSlot = std::tuple<BusinessId, date::local_days, std::string, std::string, EventType>;
        std::map<DimensionSlot, UsageTotal> dimension_rollups;
        std::map<std::tuple<BusinessId, date::local_days, std::string>, std::set<std::string>> admitted;
        for (std::size_t i = 0; i < events.size(); ++i) {
            const UsageEvent& event = events[i];
            if (auto problem = detail::eventProblem(event)) {
                result.rejected.push_back({i, event.id, *problem, RejectionKind::invalid});
                continue;
            }
            State::Business* business = find(event.business);
            if (business == nullptr) {
                result.rejected.push_back(
                    {i, event.id, detail::unknownBusiness(event.business), RejectionKind::unknown_business});
                continue;
            }
            const UsageEvent* stored = nullptr;
            if (auto it = business->index.find(event.id); it != business->index.end())
                stored = &business->events[it->second];
            if (auto it = accepted_ids.find({event.business, event.id}); it != accepted_ids.end())
                stored = &events[it->second];
            if (stored != nullptr) {
                if (stored->type == event.type && stored->quantity == event.quantity) {
                    ++result.duplicates;
                } else {
                    result.rejected.push_back({i, event.id,
                                               detail::idempotencyConflict(event, stored->type, stored->quantity),
                                               RejectionKind::idempotency_conflict});
                }
                continue;
            }
            const auto day = localDay(event.occurred_at, business->account.time_zone);
            auto [slot, fresh] =
                rollups.try_emplace({event.business, day, event.type}, UsageTotal{event.type, {}, 0, {}});
            if (fresh) {
                if (auto on_day = business->days.find(day); on_day != business->days.end()) {
                    if (auto it = on_day->second.find(event.type); it != on_day->second.end())
                        slot->second = it->second;
                }
            }
            UsageTotal& total = slot->second;
            if (auto problem = detail::rollupProblem(total, event)) {
                result.rejected.push_back({i, event.id, *problem, RejectionKind::over_limit});
                continue;
            }
            // The event's model rollups (each part's, as it will be after the event).
            std::vector<ModelUsageTotal*> part_totals;
            std::optional<std::string> model_problem;
            for (const PricedPart& part : event.parts) {
                detail::ModelKey key{event.type, event.model, part.part};
                auto [model_slot, new_key] = model_rollups.try_emplace(
                    {{event.business, day}, key}, ModelUsageTotal{event.type, event.model, part.part, {}, 0, {}});
                if (new_key) {
                    if (auto on_day = business->model_days.find(day); on_day != business->model_days.end()) {
                        if (auto it = on_day->second.find(key); it != on_day->second.end()) {
                            model_slot->second = it->second;
                        }
                    }
                }
                model_problem = detail::modelRollupProblem(model_slot->second, event, part);
                if (model_problem) break;
                part_totals.push_back(&model_slot->second);
            }
            if (model_problem) {
                result.rejected.push_back({i, event.id, *model_problem, RejectionKind::over_limit});
                continue;
            }
            for (std::size_t p = 0; p < event.parts.size(); ++p) {
                part_totals[p]->quantity += event.parts[p].quantity;
                part_totals[p]->cost += event.parts[p].cost;
                ++part_totals[p]->events;
            }
            total.quantity += event.quantity;
            total.list_cost += event.list_cost;
            ++total.events;
            for (const EventDimension& d : event.dimensions) {
                const auto cycle = detail::admissionCycle(day, business->account.anchor_day);
                const std::set<std::string>* stored_values = nullptr;
                if (auto it = business->admitted.find({cycle, d.name}); it != business->admitted.end())
                    stored_values = &it->second;
                std::set<std::string>& added = admitted[{event.business, cycle, d.name}];
                const bool known =
                    added.count(d.value) > 0 || (stored_values != nullptr && stored_values->count(d.value));
                std::string value = d.value;
                if (!known) {
                    const std::size_t count = added.size() + (stored_values != nullptr ? stored_values->size() : 0);
                    if (count < static_cast<std::size_t>(maxValues(d.name)) || budgeted(event.business, d)) {
                        added.insert(d.value);
                    } else {
                        value = std::string(dimension_overflow_value);
                    }
                }
                auto [dimension_slot, new_slot] = dimension_rollups.try_emplace(
                    {event.business, day, d.name, value, event.type}, UsageTotal{event.type, {}, 0, {}});
                if (new_slot) {
                    if (auto on_day = business->dimension_days.find(day); on_day != business->dimension_days.end()) {
                        if (auto it = on_day->second.find({d.name, value, event.type}); it != on_day->second.end()) {
                            dimension_slot->second = it->second;
                        }
                    }
                }
                dimension_slot->second.quantity += event.quantity;
                dimension_slot->second.list_cost += event.list_cost;
                ++dimension_slot->second.events;
            }
            accepted_ids.emplace(std::make_pair(event.business, event.id), i);
            accepted.emplace_back(i, day);
            if (event.type.isRateCard()) touched.emplace(event.business, day);
        }
        for (auto& [key, total] : rollups) {
            if (total.events > 0) find(std::get<0>(key))->days[std::get<1>(key)][std::get<2>(key)] = std::move(total);
        }
        for (auto& [key, total] : model_rollups) {
            if (total.events > 0) {
                find(key.first.first)->model_days[key.first.second][key.second] = std::move(total);
            }
        }
        for (auto& [key, total] : dimension_rollups) {
            const auto& [business, day, dimension, value, type] = key;
            find(business)->dimension_days[day][{dimension, value, type}] = std::move(total);
        }
        for (auto& [key, values] : admitted) {
            const auto& [business, cycle, dimension] = key;
            if (!values.empty()) find(business)->admitted[{cycle, dimension}].merge(values);
        }
        std::set<std::tuple<BusinessId, EventType, date::local_days>> level_days;
        for (const auto& [i, day] : accepted) {
            State::Business& business = *find(events[i].business);
            if (events[i].type.isLevel()) {
                business.level_reports[{events[i].type, day}].push_back(business.events.size());
                level_days.emplace(events[i].business, events[i].type, day);
            }
            business.index.emplace(events[i].id, business.events.size());
            business.events.push_back(events[i]);
            business.event_days.push_back(day);
        }
        for (const auto& [business, type, day] : level_days) find(business)->rollUpLevel(type, day);
        result.stored = accepted.size();
        claimCrossings(touched);
        return result;
    }

    Business* find(const BusinessId& id) {
        auto it = businesses.find(id);
        return it == businesses.end() ? nullptr : &it->second;
    }

    // The rollup rows of `id` on the days of `range`, in day order.
    template <class Visit>
    void forDays(const BusinessId& id, const DayRange& range, Visit visit) {
        Business* business = find(id);
        if (business == nullptr) return;
        for (auto it = business->days.lower_bound(range.first); it != business->days.end() && it->first < range.end;
             ++it) {
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
    return state_->append(events);
}

std::vector<UsageTotal> MemoryStore::totals(const BusinessId& business, const DayRange& days) {
    return detail::sumByType(daily(business, days));
}

std::vector<DailyUsage> MemoryStore::daily(const BusinessId& business, const DayRange& days) {
    std::lock_guard lock(mutex_);
    std::vector<DailyUsage> result;
    state_->forDays(business, days, [&](date::local_days day, const UsageTotal& total) {
        result.push_back({day, detail::normalized(total)});
    });
    return result;
}

std::vector<ModelUsageTotal> MemoryStore::modelTotals(const BusinessId& business, const DayRange& days) {
    return detail::sumByModel(modelDaily(business, days));
}

std::vector<DailyModelUsage> MemoryStore::modelDaily(const BusinessId& business, const DayRange& days) {
    std::lock_guard lock(mutex_);
    std::vector<DailyModelUsage> result;
    State::Business* found = state_->find(business);
    if (found == nullptr) return result;
    for (auto it = found->model_days.lower_bound(days.first); it != found->model_days.end() && it->first < days.end;
         ++it) {
        for (const auto& [key, total] : it->second) result.push_back({it->first, detail::normalized(total)});
    }
    return result;
}

void MemoryStore::saveDimensions(std::span<const Dimension> dimensions) {
    for (const Dimension& d : dimensions) d.validate();
    std::lock_guard lock(mutex_);
    for (const Dimension& d : dimensions) state_->dimensions.insert_or_assign(d.name, d);
}

std::vector<Dimension> MemoryStore::listDimensions() {
    std::lock_guard lock(mutex_);
    std::vector<Dimension> result;
    for (const auto& [name, d] : state_->dimensions) result.push_back(d);
    return result;
}

std::vector<DailyDimensionUsage> MemoryStore::dimensionRollups(const BusinessId& business, const DayRange& days,
                                                               std::string_view dimension) {
    std::lock_guard lock(mutex_);
    std::vector<DailyDimensionUsage> result;
    State::Business* found = state_->find(business);
    if (found == nullptr) return result;
    for (auto it = found->dimension_days.lower_bound(days.first);
         it != found->dimension_days.end() && it->first < days.end; ++it) {
        for (const auto& [key, total] : it->second) {
            if (std::get<0>(key) == dimension) result.push_back({it->first, {std::get<1>(key), total}});
        }
    }
    return result;
}

std::vector<DailyLevel> MemoryStore::levels(const BusinessId& business, const DayRange& days) {
    std::lock_guard lock(mutex_);
    std::vector<DailyLevel> result;
    State::Business* found = state_->find(business);
    if (found == nullptr) return result;
    for (const auto& [type, rows] : found->levels) {
        auto it = rows.lower_bound(days.first);
        if (it != rows.begin()) result.push_back(std::prev(it)->second);
        for (; it != rows.end() && it->first < days.end; ++it) result.push_back(it->second);
    }
    return result;
}

std::vector<TransactionAmount> MemoryStore::transactions(const BusinessId& business, const EventType& type,
                                                         const DayRange& days) {
    std::lock_guard lock(mutex_);
    std::vector<TransactionAmount> result;
    State::Business* found = state_->find(business);
    if (found == nullptr) return result;
    std::vector<detail::QuantityCorrection> changes;
    for (std::size_t i = 0; i < found->events.size(); ++i) {
        const UsageEvent& event = found->events[i];
        if (event.type != type || !days.contains(found->event_days[i])) continue;
        result.push_back({found->event_days[i], event.occurred_at, event.id, event.quantity});
        if (auto corrected = found->corrections.find(event.id); corrected != found->corrections.end()) {
            for (const Correction& c : corrected->second) changes.push_back({c.event, c.kind, c.quantity_delta});
        }
    }
    detail::applyCorrections(result, changes, &TransactionAmount::amount);
    detail::sortByTime(result);
    return result;
}

std::vector<RecordedEvent> MemoryStore::recordedEvents(const BusinessId& business, const DayRange& days,
                                                       std::size_t limit, const RecordedEvent* after) {
    std::lock_guard lock(mutex_);
    std::vector<RecordedEvent> result;
    State::Business* found = state_->find(business);
    if (found == nullptr) return result;
    const auto later = [](const UsageEvent& a, const UsageEvent& b) {
        return std::tie(a.occurred_at, a.id) > std::tie(b.occurred_at, b.id);
    };
    for (std::size_t i = 0; i < found->events.size(); ++i) {
        const UsageEvent& event = found->events[i];
        if (!days.contains(found->event_days[i]) || (after != nullptr && !later(event, after->event))) continue;
        result.push_back({event, found->event_days[i]});
    }
    std::sort(result.begin(), result.end(),
              [&](const RecordedEvent& a, const RecordedEvent& b) { return later(b.event, a.event); });
    if (result.size() > limit) result.resize(limit);
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
    std::sort(accounts.begin(), accounts.end(),
              [](const Account& a, const Account& b) { return std::tie(a.name, a.id) < std::tie(b.name, b.id); });
    return accounts;
}

std::vector<Plan> MemoryStore::loadPlans() {
    std::lock_guard lock(mutex_);
    std::vector<Plan> plans;
    for (const auto& [id, plan] : state_->plans) plans.push_back(plan);
    for (const auto& [key, version] : state_->plan_versions) plans.push_back(version);
    return plans;
}

void MemoryStore::savePlan(const Plan& plan) {
    plan.validate();
    std::lock_guard lock(mutex_);
    const auto first = state_->plans.find(plan.id);
    std::vector<Currency> versions;
    for (auto it = state_->plan_versions.lower_bound({plan.id, date::local_days::min()});
         it != state_->plan_versions.end() && it->first.first == plan.id; ++it) {
        versions.push_back(it->second.currency);
    }
    detail::checkPlanCurrency(plan, first == state_->plans.end() ? std::nullopt : std::optional(first->second.currency),
                              versions);
    if (plan.effective) {
        state_->plan_versions.insert_or_assign({plan.id, *plan.effective}, plan);
    } else {
        state_->plans.insert_or_assign(plan.id, plan);
    }
}

PlanChange MemoryStore::savePlanChange(const PlanChange& change) {
    change.validate();
    std::lock_guard lock(mutex_);
    if (state_->find(change.business) == nullptr) throw NotFoundError(detail::unknownBusiness(change.business));
    return state_->plan_changes.try_emplace({change.business, change.effective}, change).first->second;
}

std::vector<PlanChange> MemoryStore::listPlanChanges(const BusinessId& business) {
    std::lock_guard lock(mutex_);
    std::vector<PlanChange> result;
    for (auto it = state_->plan_changes.lower_bound({business, date::local_days::min()});
         it != state_->plan_changes.end() && it->first.first == business; ++it) {
        result.push_back(it->second);
    }
    return result;
}

void MemoryStore::saveBudget(const Budget& budget) {
    budget.validate();
    std::lock_guard lock(mutex_);
    if (state_->find(budget.business) == nullptr) throw NotFoundError(detail::unknownBusiness(budget.business));
    state_->budgets.insert_or_assign({budget.business, budget.id}, budget);
}

bool MemoryStore::deleteBudget(const BusinessId& business, const std::string& id) {
    std::lock_guard lock(mutex_);
    return state_->budgets.erase({business, id}) > 0;
}

std::vector<Budget> MemoryStore::listBudgets(const BusinessId& business) {
    std::lock_guard lock(mutex_);
    std::vector<Budget> budgets;
    for (auto it = state_->budgets.lower_bound({business, std::string()});
         it != state_->budgets.end() && it->first.first == business; ++it) {
        budgets.push_back(it->second);
    }
    return budgets;
}

std::vector<Budget> MemoryStore::listAllBudgets() {
    std::lock_guard lock(mutex_);
    std::vector<Budget> budgets;
    for (const auto& [key, budget] : state_->budgets) budgets.push_back(budget);
    return budgets;
}

std::vector<BudgetCrossing> MemoryStore::pendingCrossings(std::size_t limit) {
    std::lock_guard lock(mutex_);
    std::vector<const State::Claimed*> pending;
    for (const auto& [key, claimed] : state_->crossings) {
        if (!claimed.delivered) pending.push_back(&claimed);
    }
    std::sort(pending.begin(), pending.end(),
              [](const State::Claimed* a, const State::Claimed* b) { return a->order < b->order; });
    std::vector<BudgetCrossing> result;
    for (std::size_t i = 0; i < pending.size() && i < limit; ++i) result.push_back(pending[i]->crossing);
    return result;
}

void MemoryStore::markCrossingsDelivered(std::span<const std::string> keys) {
    std::lock_guard lock(mutex_);
    for (const std::string& key : keys) {
        if (auto it = state_->crossings.find(key); it != state_->crossings.end()) it->second.delivered = true;
    }
}

std::vector<BudgetCrossing> MemoryStore::listCrossings(const BusinessId& business) {
    std::lock_guard lock(mutex_);
    std::vector<BudgetCrossing> result;
    for (const auto& [key, claimed] : state_->crossings) {
        if (claimed.crossing.business == business) result.push_back(claimed.crossing);
    }
    return result;
}

Correction MemoryStore::voidEvent(const BusinessId& business, const EventId& id, const std::string& reason,
                                  const std::string& actor) {
    detail::checkCorrectionText(reason, actor);
    std::lock_guard lock(mutex_);
    return state_->correct(business, id, [&](const detail::StoredEvent& stored, std::span<const Correction> earlier) {
        return detail::planVoid(business, id, stored, earlier, reason, actor, systemNow());
    });
}

Correction MemoryStore::amendQuantity(const BusinessId& business, const EventId& id, const Decimal& quantity,
                                      const std::string& reason, const std::string& actor) {
    detail::checkCorrectionText(reason, actor);
    detail::checkAmendedQuantity(quantity);
    std::lock_guard lock(mutex_);
    return state_->correct(business, id, [&](const detail::StoredEvent& stored, std::span<const Correction> earlier) {
        return detail::planAmend(business, id, stored, earlier, quantity, reason, actor, systemNow());
    });
}

Correction MemoryStore::amendMetadata(const BusinessId& business, const EventId& id, const Metadata& metadata,
                                      const std::string& reason, const std::string& actor) {
    detail::checkCorrectionText(reason, actor);
    std::lock_guard lock(mutex_);
    return state_->correct(business, id, [&](const detail::StoredEvent& stored, std::span<const Correction> earlier) {
        return detail::planAmendMetadata(business, id, stored, earlier, metadata, reason, actor, systemNow());
    });
}

AppendResult MemoryStore::backfill(const UsageEvent& event, const std::string& reason, const std::string& actor) {
    detail::checkCorrectionText(reason, actor);
    std::lock_guard lock(mutex_);
    AppendResult result = state_->append(std::span<const UsageEvent>(&event, 1));
    if (result.stored == 1) {
        // One critical section: no reader sees the event without its correction.
        State::Business& business = *state_->find(event.business);
        business.corrections[event.id].push_back(
            detail::planBackfill(event, business.event_days.back(), reason, actor, systemNow()));
    }
    return result;
}

std::vector<Correction> MemoryStore::listCorrections(const BusinessId& business, const DayRange& days) {
    std::lock_guard lock(mutex_);
    std::vector<Correction> result;
    const State::Business* found = state_->find(business);
    if (found == nullptr) return result;
    for (const auto& [id, corrections] : found->corrections) {
        for (const Correction& c : corrections) {
            if (c.day >= days.first && c.day < days.end) result.push_back(c);
        }
    }
    detail::sortCorrections(result);
    return result;
}

std::vector<UsageEvent> MemoryStore::events(const BusinessId& business) const {
    std::lock_guard lock(mutex_);
    if (const auto* found = state_->find(business)) return found->events;
    return {};
}

Statement MemoryStore::saveStatement(const Statement& statement) {
    std::lock_guard lock(mutex_);
    if (state_->find(statement.business) == nullptr) throw NotFoundError(detail::unknownBusiness(statement.business));
    return state_->statements.try_emplace({statement.business, statement.cycle.first}, statement).first->second;
}

std::optional<Statement> MemoryStore::findStatement(const BusinessId& business, date::local_days cycle_first) {
    std::lock_guard lock(mutex_);
    auto it = state_->statements.find({business, cycle_first});
    if (it == state_->statements.end()) return std::nullopt;
    return it->second;
}

std::vector<Statement> MemoryStore::listStatements(const BusinessId& business) {
    std::lock_guard lock(mutex_);
    std::vector<Statement> result;
    for (auto it = state_->statements.lower_bound({business, date::local_days::min()});
         it != state_->statements.end() && it->first.first == business; ++it) {
        result.push_back(it->second);
    }
    return result;
}

CreditGrant MemoryStore::saveCreditGrant(const CreditGrant& grant) {
    grant.validate();
    std::lock_guard lock(mutex_);
    if (state_->find(grant.business) == nullptr) throw NotFoundError(detail::unknownBusiness(grant.business));
    return state_->grants.try_emplace({grant.business, grant.id}, grant).first->second;
}

std::vector<CreditGrant> MemoryStore::listCreditGrants(const BusinessId& business) {
    std::lock_guard lock(mutex_);
    std::vector<CreditGrant> result;
    for (auto it = state_->grants.lower_bound({business, std::string()});
         it != state_->grants.end() && it->first.first == business; ++it) {
        result.push_back(it->second);
    }
    return result;
}

}  // namespace metered
