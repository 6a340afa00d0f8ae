// SPDX-License-Identifier: MIT
#include "metered_usage.h"

#include <algorithm>
#include <set>
#include <utility>

#include "level_measure.h"
#include "metered/pricing.h"

namespace metered::detail {

MeteredUsage::MeteredUsage(UsageStore& store, const Account& account, Timestamp now, PlanOfDay plan_of,
                           bool bounds_transactions)
    : store_(store),
      account_(account),
      now_(now),
      plan_of_(std::move(plan_of)),
      bounds_transactions_(bounds_transactions) {}

bool boundsTransactions(const PriceBook& book) {
    return std::any_of(book.plans().begin(), book.plans().end(), [](const Plan& plan) {
        return std::any_of(plan.meters.begin(), plan.meters.end(),
                           [](const Meter& m) { return m.transaction_minimum || m.transaction_maximum; });
    });
}

std::map<EventType, std::map<date::local_days, Decimal>> MeteredUsage::levelDays(const DayRange& days) const {
    std::map<EventType, std::map<date::local_days, Decimal>> result;
    const auto cycles = BillingPeriod::cyclesOverlapping(days, account_.anchor_day);
    std::vector<std::pair<DayRange, const Meter*>> meters;
    for (const DayRange& cycle : cycles) {
        for (const Meter& meter : plan_of_(cycle.first).meters) {
            if (isLevelAggregation(meter.aggregation)) meters.emplace_back(cycle, &meter);
        }
    }
    if (meters.empty()) return result;
    const auto rows = store_.levels(account_.id, {cycles.front().first, days.end});
    for (const auto& [cycle, meter] : meters) {
        const auto type = meter->type;
        const auto first = std::find_if(rows.begin(), rows.end(), [&](const DailyLevel& r) { return r.type == type; });
        const auto last = std::find_if(first, rows.end(), [&](const DailyLevel& r) { return r.type != type; });
        const auto through = levelThrough(meter->aggregation, std::span(first, last), cycle, account_.time_zone, now_);
        auto& of_type = result[type];
        for (std::size_t i = 0; i < through.size(); ++i) {
            const auto day = cycle.first + date::days(static_cast<int>(i));
            if (!days.contains(day)) continue;
            of_type[day] = i == 0 ? through[i] : through[i] - through[i - 1];
        }
    }
    return result;
}

std::map<EventType, std::map<date::local_days, Decimal>> MeteredUsage::boundDays(const DayRange& days) const {
    std::map<EventType, std::map<date::local_days, Decimal>> result;
    if (!bounds_transactions_) return result;
    std::map<const Plan*, PricingCalculator> calculators;
    for (const DayRange& cycle : BillingPeriod::cyclesOverlapping(days, account_.anchor_day)) {
        // The cycle's earlier events count (allowance, free transactions): read from its start.
        const DayRange read{cycle.first, std::min(cycle.end, days.end)};
        std::vector<const Plan*> plans;  // per day of `read`
        std::set<EventType> bounded;
        for (auto day = read.first; day < read.end; day += date::days(1)) {
            plans.push_back(&plan_of_(day));
            for (const Meter& meter : plans.back()->meters) {
                if (meter.transaction_minimum || meter.transaction_maximum) bounded.insert(meter.type);
            }
        }
        for (const EventType& type : bounded) {
            Decimal before;
            std::int64_t count = 0;
            for (const TransactionAmount& t : store_.transactions(account_.id, type, read)) {
                const Plan& plan = *plans[static_cast<std::size_t>((t.day - read.first).count())];
                if (days.contains(t.day) && plan.meter(type) != nullptr) {
                    const auto& calculator = calculators.try_emplace(&plan, plan).first->second;
                    result[type][t.day] += calculator.boundTransaction(type, t.amount, before, count);
                }
                before += t.amount;
                ++count;
            }
        }
    }
    return result;
}

std::vector<UsageTotal> MeteredUsage::totals(const DayRange& days) const {
    auto totals = store_.totals(account_.id, days);
    for (const auto& [type, by_day] : boundDays(days)) {
        auto found =
            std::find_if(totals.begin(), totals.end(), [&type = type](const UsageTotal& t) { return t.type == type; });
        if (found == totals.end()) continue;  // no events (a store's read is consistent with its rollups)
        for (const auto& [day, bounds] : by_day) found->transaction_bounds += bounds;
    }
    for (const auto& [type, by_day] : levelDays(days)) {
        Decimal quantity;
        for (const auto& [day, value] : by_day) quantity += value;
        auto found =
            std::find_if(totals.begin(), totals.end(), [&type = type](const UsageTotal& t) { return t.type == type; });
        if (found != totals.end()) {
            found->quantity = quantity;
        } else if (!quantity.isZero()) {
            totals.push_back({type, quantity, 0, {}});
        }
    }
    return totals;
}

std::vector<DailyUsage> MeteredUsage::daily(const DayRange& days) const {
    auto rows = store_.daily(account_.id, days);
    for (const auto& [type, by_day] : boundDays(days)) {
        for (const auto& [day, bounds] : by_day) {
            auto found = std::find_if(rows.begin(), rows.end(), [&type = type, &day = day](const DailyUsage& r) {
                return r.day == day && r.total.type == type;
            });
            if (found != rows.end()) found->total.transaction_bounds += bounds;
        }
    }
    const auto levels = levelDays(days);
    if (levels.empty()) return rows;
    for (const auto& [type, by_day] : levels) {
        for (const auto& [day, value] : by_day) {
            const auto same = [&type = type, &day = day](const DailyUsage& r) {
                return r.day == day && r.total.type == type;
            };
            if (auto found = std::find_if(rows.begin(), rows.end(), same); found != rows.end()) {
                found->total.quantity = value;
            } else if (!value.isZero()) {
                rows.push_back({day, {type, value, 0, {}}});
            }
        }
    }
    std::stable_sort(rows.begin(), rows.end(), [](const DailyUsage& a, const DailyUsage& b) {
        return std::tie(a.day, a.total.type) < std::tie(b.day, b.total.type);
    });
    return rows;
}

}  // namespace metered::detail
