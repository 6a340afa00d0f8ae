// SPDX-License-Identifier: MIT
#include "metered/usage_reports.h"

#include <algorithm>
#include <map>

#include "commitments.h"
#include "credit_ledger.h"
#include "measure.h"
#include "metered_usage.h"
#include "plan_schedule.h"
#include "metered/errors.h"
#include "metered/json.h"
#include "text_format.h"
#include "untrusted_text.h"

namespace metered {
namespace {

const UsageTotal* findTotal(const std::vector<UsageTotal>& usage, const EventType& type) {
    auto it = std::find_if(usage.begin(), usage.end(), [&](const UsageTotal& t) { return t.type == type; });
    return it == usage.end() ? nullptr : &*it;
}

// One entry per meter of the plan, in the plan's order, zero where there was no usage.
std::vector<UsageTotal> perMeter(const Plan& plan, const std::vector<UsageTotal>& totals) {
    std::vector<UsageTotal> usage;
    usage.reserve(plan.meters.size());
    for (const Meter& meter : plan.meters) {
        const UsageTotal* found = findTotal(totals, meter.type);
        usage.push_back(found ? *found : UsageTotal{meter.type, {}, 0, {}});
    }
    return usage;
}

// The dimensions the plan's charge filters and unique counts use, each once (most plans: none).
std::vector<std::string> pricedDimensions(const Plan& plan) {
    std::vector<std::string> dimensions;
    const auto add = [&](const std::string& dimension) {
        if (std::find(dimensions.begin(), dimensions.end(), dimension) == dimensions.end()) {
            dimensions.push_back(dimension);
        }
    };
    for (const Meter& meter : plan.meters) {
        if (!meter.unique_dimension.empty()) add(meter.unique_dimension);
        for (const ChargeFilter& filter : meter.filters) add(filter.dimension);
    }
    return dimensions;
}

// The usage by value of the dimensions the plan prices by (pricedDimensions), over `days`.
std::vector<FilterUsageTotal> filterTotals(const detail::MeteredUsage& usage, const Plan& plan, const DayRange& days) {
    std::vector<FilterUsageTotal> totals;
    for (const std::string& dimension : pricedDimensions(plan)) {
        for (auto& t : usage.dimensionTotals(days, dimension)) {
            totals.push_back({t.total.type, dimension, std::move(t.value), t.total.quantity, t.total.events});
        }
    }
    return totals;
}

// The parts of billing cycles that `days` covers, with the usage each cycle had before
// and through its part, for pricing with `plan`. A whole cycle is one slice with nothing
// before it (one read); `totals_of_days` and `models_of_days` are the usage of `days`.
std::vector<CycleSlice> cycleSlices(const detail::MeteredUsage& usage, const Plan& plan, const DayRange& days,
                                    int anchor_day, const std::vector<UsageTotal>& totals_of_days,
                                    const std::vector<ModelUsageTotal>& models_of_days) {
    std::vector<CycleSlice> slices;
    for (const DayRange& cycle : BillingPeriod::cyclesOverlapping(days, anchor_day)) {
        const DayRange part{std::max(cycle.first, days.first), std::min(cycle.end, days.end)};
        CycleSlice slice;
        slice.at_cycle_start = part.first == cycle.first;
        if (part.first > cycle.first) {
            slice.before = usage.totals({cycle.first, part.first});
            slice.models_before = usage.modelTotals({cycle.first, part.first});
            slice.filters_before = filterTotals(usage, plan, {cycle.first, part.first});
        }
        // Nothing used before the part: the cycle's usage through it is the part's.
        if (part == days && slice.before.empty() && slice.models_before.empty() && slice.filters_before.empty()) {
            slice.through = totals_of_days;
            slice.models_through = models_of_days;
            slice.filters_through = filterTotals(usage, plan, days);
        } else {
            slice.through = usage.totals({cycle.first, part.end});
            slice.models_through = usage.modelTotals({cycle.first, part.end});
            slice.filters_through = filterTotals(usage, plan, {cycle.first, part.end});
        }
        slices.push_back(std::move(slice));
    }
    return slices;
}

using CalculatorOf = std::function<const PricingCalculator&(const Plan&)>;
// The runs of some days that one plan version prices (planSegments).
using SegmentsOf = std::function<std::vector<detail::PlanSegment>(const DayRange&)>;

// The usage charges of `days` (usage `totals` and `models`): each segment (a run of days
// one plan version prices) priced as the parts of the billing cycles it covers, so that each
// day's usage is priced at its own version while allowances and tiers run over the whole
// cycle; the parts joined (joinBills).
Bill usageCharges(const detail::MeteredUsage& usage, std::span<const detail::PlanSegment> segments,
                  const DayRange& days, int anchor_day, const std::vector<UsageTotal>& totals,
                  const std::vector<ModelUsageTotal>& models, const CalculatorOf& calculator) {
    std::vector<Bill> parts;
    for (const detail::PlanSegment& segment : segments) {
        const bool whole = segment.days == days;
        const auto slices =
            cycleSlices(usage, *segment.plan, segment.days, anchor_day, whole ? totals : usage.totals(segment.days),
                        whole ? models : usage.modelTotals(segment.days));
        parts.push_back(calculator(*segment.plan).billSlices(slices));
    }
    return detail::joinBills(std::move(parts), segments);
}

bool hasCommitments(std::span<const detail::PlanSegment> segments) {
    return std::any_of(segments.begin(), segments.end(), [](const detail::PlanSegment& segment) {
        const Plan& plan = *segment.plan;
        return plan.minimum || plan.maximum ||
               std::any_of(plan.meters.begin(), plan.meters.end(),
                           [](const Meter& meter) { return meter.minimum || meter.maximum; });
    });
}

int dayCount(const DayRange& days) { return static_cast<int>((days.end - days.first).count()); }

// The plan versions of a cycle's segments, with the days each prices.
std::vector<detail::VersionDays> versionDays(std::span<const detail::PlanSegment> segments) {
    std::vector<detail::VersionDays> versions;
    for (const detail::PlanSegment& segment : segments) versions.push_back({segment.plan, dayCount(segment.days)});
    return versions;
}

// The commitment lines (minimums, maximums) of `cycle`, settled on its bill of usage
// charges `charges` under the versions that price its days (`segments`).
std::vector<CommitmentLine> cycleCommitments(Bill charges, std::span<const detail::PlanSegment> segments,
                                             const DayRange& cycle) {
    charges.commitments.clear();
    detail::settleCommitments(charges, versionDays(segments), dayCount(cycle), cycle.first);
    return std::move(charges.commitments);
}

// The recurring fee of `cycle`, priced by the versions of `segments` (Plan::fee).
std::optional<FeeLine> feeOf(std::span<const detail::PlanSegment> segments, const DayRange& cycle) {
    return detail::cycleFee(versionDays(segments), dayCount(cycle), cycle.first);
}

// The bill of `days`: its usage charges (usageCharges), then the commitments of each billing
// cycle whose last day it holds, settled on that cycle's whole bill, then the fee of each
// cycle whose first day it holds.
Bill billDays(const detail::MeteredUsage& usage, const SegmentsOf& segments_of, const DayRange& days, int anchor_day,
              const std::vector<UsageTotal>& totals, const std::vector<ModelUsageTotal>& models,
              const CalculatorOf& calculator) {
    const auto segments = segments_of(days);
    Bill bill = usageCharges(usage, segments, days, anchor_day, totals, models, calculator);
    const auto cycles = BillingPeriod::cyclesOverlapping(days, anchor_day);
    for (const DayRange& cycle : cycles) {
        if (cycle.end > days.end) continue;  // its last day is after the bill's
        const auto cycle_segments = cycle == days ? segments : segments_of(cycle);
        if (!hasCommitments(cycle_segments)) continue;
        const Bill charges = cycle == days ? bill
                                           : usageCharges(usage, cycle_segments, cycle, anchor_day, usage.totals(cycle),
                                                          usage.modelTotals(cycle), calculator);
        for (CommitmentLine& line : cycleCommitments(charges, cycle_segments, cycle)) {
            bill.total += line.amount;
            bill.commitments.push_back(std::move(line));
        }
    }
    for (const DayRange& cycle : cycles) {
        if (cycle.first < days.first) continue;  // its first day is before the bill's
        if (auto fee = feeOf(cycle == days ? segments : segments_of(cycle), cycle)) {
            bill.total += fee->amount;
            bill.fees.push_back(std::move(*fee));
        }
    }
    return bill;
}

}  // namespace

Decimal BillingUsage::quantity(const EventType& type) const {
    const UsageTotal* found = findTotal(usage, type);
    return found ? found->quantity : Decimal();
}

std::int64_t BillingUsage::events(const EventType& type) const {
    const UsageTotal* found = findTotal(usage, type);
    return found ? found->events : 0;
}

Decimal BillingUsage::cost(const EventType& type) const { return bill.amountOf(type); }

Decimal TrendPoint::quantity(const EventType& type) const {
    const UsageTotal* found = findTotal(usage, type);
    return found ? found->quantity : Decimal();
}

bool QuotaStatus::allows(const Decimal& more) const { return !hard || !limit || used + more <= *limit; }

PriceBook storedPriceBook(UsageStore& store) {
    auto plans = store.loadPlans();
    if (plans.empty()) throw ValidationError("price_book", "the store has no plans (run migrate())");
    const bool has_basic = std::any_of(plans.begin(), plans.end(), [](const Plan& p) { return p.id == "basic"; });
    std::string default_plan = has_basic ? "basic" : plans.front().id;
    // Charge filters and unique counts price by dimensions, which the book must declare.
    const bool by_dimension = std::any_of(plans.begin(), plans.end(), [](const Plan& p) {
        return std::any_of(p.meters.begin(), p.meters.end(),
                           [](const Meter& m) { return !m.filters.empty() || !m.unique_dimension.empty(); });
    });
    return PriceBook(std::move(plans), default_plan, by_dimension ? store.listDimensions() : std::vector<Dimension>{});
}

struct UsageReports::Context {
    const PriceBook& book;
    Account account;
    std::vector<PlanChange> changes;  // earliest first
    Timestamp now;

    date::local_days today() const { return localDay(now, account.time_zone); }
    // The runs of `days` one version of the business's plan prices (planSegments).
    std::vector<detail::PlanSegment> segments(const DayRange& days) const {
        return detail::planSegments([&](std::string_view id, date::local_days day) { return book.findPlan(id, day); },
                                    account.plan_id, changes, days);
    }
    const Plan& planOn(date::local_days day) const { return *segments({day, day + date::days(1)}).front().plan; }
    // The business's usage as its plans count it (level types by the plan of each cycle's
    // first day, bounded transactions by the plan of each event's day).
    detail::MeteredUsage usage(UsageStore& store) const {
        return {store, account, now, [this](date::local_days day) -> const Plan& { return planOn(day); },
                detail::boundsTransactions(book)};
    }
};

UsageReports::UsageReports(std::shared_ptr<UsageStore> store, PriceBook price_book, Clock clock)
    : store_(std::move(store)), price_book_(std::move(price_book)), clock_(std::move(clock)) {
    if (!store_) throw ValidationError("store", "must not be null");
    if (!clock_) clock_ = systemNow;
    for (const Plan& plan : price_book_.plans()) calculators_.emplace_back(plan);
}

// NOLINTNEXTLINE(performance-unnecessary-value-param): copied, not moved: the same call reads *store
UsageReports::UsageReports(std::shared_ptr<UsageStore> store, Clock clock)
    : UsageReports(store, store ? storedPriceBook(*store) : throw ValidationError("store", "must not be null"),
                   std::move(clock)) {}

UsageReports::Context UsageReports::contextFor(const BusinessId& business) const {
    auto account = store_->findAccount(business);
    if (!account) throw NotFoundError("unknown business " + business.toString());
    price_book_.plan(account->plan_id);  // NotFoundError for a plan the book does not have
    return Context{price_book_, std::move(*account), store_->listPlanChanges(business), clock_()};
}

const PricingCalculator& UsageReports::calculator(const Plan& plan) const {
    return calculators_[static_cast<std::size_t>(&plan - price_book_.plans().data())];
}

const Plan& UsageReports::currentPlan(const BusinessId& business) const {
    const Context context = contextFor(business);
    return context.planOn(context.today());
}

PlanChange UsageReports::changePlan(const BusinessId& business, std::string_view plan_id,
                                    PlanChangeTiming timing) const {
    const Context context = contextFor(business);
    const auto today = context.today();
    const auto effective = timing == PlanChangeTiming::immediately
                               ? today
                               : BillingPeriod::cycleContaining(today, context.account.anchor_day).end;
    const Plan* next = price_book_.findPlan(plan_id, effective);
    if (next == nullptr) throw NotFoundError("no plan " + detail::quoted(plan_id) + " in the price book");
    const Plan& now = context.planOn(today);
    if (next->currency != now.currency) {
        throw ValidationError("plan_id", "plan " + detail::quoted(plan_id) + " bills in " + next->currency.code +
                                             ", the business's plan in " + now.currency.code);
    }
    return store_->savePlanChange(PlanChange{business, effective, std::string(plan_id)});
}

BillingUsage UsageReports::getBillingUsage(const BusinessId& business, const PeriodSpec& period) const {
    const Context context = contextFor(business);
    return billingUsageOf(context, BillingPeriod::resolve(period, context.account, context.now));
}

BillingUsage UsageReports::billingUsageOf(const Context& context, const BillingPeriod& period) const {
    const auto usage = context.usage(*store_);
    BillingUsage result;
    result.business = context.account.id;
    result.period = period;
    const auto totals = usage.totals(result.period.days);
    auto models = usage.modelTotals(result.period.days);
    const auto parts = context.segments(result.period.days);
    result.bill = billDays(
        usage, [&](const DayRange& days) { return context.segments(days); }, result.period.days,
        context.account.anchor_day, totals, models,
        [&](const Plan& plan) -> const PricingCalculator& { return calculator(plan); });
    result.usage = perMeter(*parts.back().plan, totals);
    result.models = std::move(models);
    return result;
}

std::vector<TrendPoint> UsageReports::getUsageTrends(const BusinessId& business, int days) const {
    if (days < 1 || days > 366) throw ValidationError("days", "must be between 1 and 366");
    const Context context = contextFor(business);
    const auto today = context.today();
    const auto first = today - date::days(days - 1);
    const auto end = today + date::days(1);

    // Costs are marginal within each billing cycle, so read from the first cycle's start.
    DayRange cycle = BillingPeriod::cycleContaining(first, context.account.anchor_day);
    const auto parts = context.segments({cycle.first, end});
    const auto planOf = [&](date::local_days day) -> const Plan& {
        return *std::find_if(parts.begin(), parts.end(), [&](const auto& part) {
                    return part.days.contains(day);
                })->plan;
    };
    const auto usage = context.usage(*store_);
    std::map<date::local_days, std::vector<UsageTotal>> by_day;
    for (auto& row : usage.daily({cycle.first, end})) by_day[row.day].push_back(std::move(row.total));
    std::map<date::local_days, std::vector<ModelUsageTotal>> models_by_day;
    for (auto& row : usage.modelDaily({cycle.first, end})) {
        models_by_day[row.day].push_back(std::move(row.total));
    }
    std::vector<std::string> dimensions;  // every version prices by (pricedDimensions)
    for (const auto& part : parts) {
        for (std::string& dimension : pricedDimensions(*part.plan)) {
            if (std::find(dimensions.begin(), dimensions.end(), dimension) == dimensions.end()) {
                dimensions.push_back(std::move(dimension));
            }
        }
    }
    std::map<date::local_days, std::vector<FilterUsageTotal>> filters_by_day;
    for (const std::string& dimension : dimensions) {
        for (auto& row : usage.dimensionDaily({cycle.first, end}, dimension)) {
            filters_by_day[row.day].push_back({row.total.total.type, dimension, std::move(row.total.value),
                                               row.total.total.quantity, row.total.total.events});
        }
    }

    std::vector<TrendPoint> points;
    points.reserve(static_cast<std::size_t>(days));
    while (cycle.first < end) {
        std::vector<std::vector<UsageTotal>> cycle_days;
        std::vector<std::vector<ModelUsageTotal>> cycle_models;
        std::vector<std::vector<FilterUsageTotal>> cycle_filters;
        const auto last = std::min(cycle.end, end);
        for (auto day = cycle.first; day < last; day += date::days(1)) {
            auto found = by_day.find(day);
            cycle_days.push_back(found == by_day.end() ? std::vector<UsageTotal>{} : found->second);
            auto models = models_by_day.find(day);
            cycle_models.push_back(models == models_by_day.end() ? std::vector<ModelUsageTotal>{} : models->second);
            auto filters = filters_by_day.find(day);
            cycle_filters.push_back(filters == filters_by_day.end() ? std::vector<FilterUsageTotal>{}
                                                                    : filters->second);
        }
        // Each day costs its share of the cycle's bill under the version in effect that day.
        std::vector<Decimal> costs(cycle_days.size());
        for (const auto& part : parts) {
            const auto from = std::max(part.days.first, cycle.first);
            const auto to = std::min(part.days.end, last);
            if (from >= to) continue;
            const auto part_costs = calculator(*part.plan).dailyCosts(cycle_days, cycle_models, cycle_filters);
            for (auto day = from; day < to; day += date::days(1)) {
                const auto i = static_cast<std::size_t>((day - cycle.first).count());
                costs[i] = part_costs[i];
            }
        }
        // The cycle's fee is charged on its first day, its minimums and maximums settle on its last.
        const auto cycle_segments = context.segments(cycle);
        if (auto fee = feeOf(cycle_segments, cycle)) costs.front() += fee->amount;
        if (last == cycle.end) {
            if (hasCommitments(cycle_segments)) {
                const Bill charges =
                    usageCharges(usage, cycle_segments, cycle, context.account.anchor_day, usage.totals(cycle),
                                 usage.modelTotals(cycle),
                                 [&](const Plan& plan) -> const PricingCalculator& { return calculator(plan); });
                for (const CommitmentLine& line : cycleCommitments(charges, cycle_segments, cycle)) {
                    costs.back() += line.amount;
                }
            }
        }
        for (std::size_t i = 0; i < cycle_days.size(); ++i) {
            const auto day = cycle.first + date::days(static_cast<int>(i));
            if (day < first) continue;
            points.push_back({date::year_month_day(day), perMeter(planOf(day), cycle_days[i]),
                              std::move(cycle_models[i]), costs[i]});
        }
        cycle = BillingPeriod::cycleContaining(cycle.end, context.account.anchor_day);
    }
    return points;
}

BillingPeriod UsageReports::wholeCycle(const Context& context, const PeriodSpec& period) const {
    BillingPeriod resolved = BillingPeriod::resolve(period, context.account, context.now);
    if (resolved.days != BillingPeriod::cycleContaining(resolved.days.first, context.account.anchor_day)) {
        throw ValidationError("period", "a statement is of one whole billing cycle, not " + period.toString());
    }
    return resolved;
}

Statement UsageReports::closeStatement(const BusinessId& business, const PeriodSpec& period) const {
    const Context context = contextFor(business);
    const BillingPeriod cycle = wholeCycle(context, period);
    if (context.today() < cycle.days.end) {
        throw ValidationError("period",
                              "the billing cycle ending " + detail::isoDay(cycle.days.end) + " has not ended");
    }
    if (auto stored = store_->findStatement(business, cycle.days.first)) return std::move(*stored);
    return closeCycle(context, cycle);
}

Statement UsageReports::closeCycle(const Context& context, const BillingPeriod& cycle) const {
    const BillingUsage usage = billingUsageOf(context, cycle);
    const BusinessId& business = context.account.id;
    const std::string& currency = usage.bill.currency.code;
    const auto statements = store_->listStatements(business);
    Statement statement{business,
                        cycle.days,
                        context.account.time_zone,
                        usage.bill.plan_id,
                        currency,
                        usage.bill.total,
                        context.now,
                        to_json(usage),
                        adjustmentsBefore(context, statements, cycle.days, currency),
                        keptPricing(context, cycle.days)};
    // Prepaid credit pays what the statement comes to, adjustments included.
    const auto grants = store_->listCreditGrants(business);
    auto left = detail::creditLeft(grants, statements);
    statement.credits = detail::drawCredit(grants, left, cycle.days, currency, statement.amountDue());
    statement.credit_balance = detail::creditOn(grants, left, cycle.days.end, currency);
    return store_->saveStatement(statement);
}

// The plans as they price `cycle` now, kept with its statement: what the cycle is adjusted
// with. Every version of each plan the cycle uses that is in effect by its end, as a price
// book whose default is the plan of the cycle's first day.
std::string UsageReports::keptPricing(const Context& context, const DayRange& cycle) const {
    const auto parts = context.segments(cycle);
    std::vector<Plan> plans;
    for (const Plan& plan : price_book_.plans()) {
        const bool used = std::any_of(parts.begin(), parts.end(), [&](const auto& p) { return p.plan->id == plan.id; });
        if (used && (!plan.effective || *plan.effective < cycle.end)) plans.push_back(plan);
    }
    return PriceBook(std::move(plans), parts.front().plan->id, price_book_.dimensions()).toJson();
}

// The true-up of every closed cycle before `cycle`: its usage now, priced with the plans that
// priced its statement, minus what the statements stored so far said it owed.
std::vector<StatementAdjustment> UsageReports::adjustmentsBefore(const Context& context,
                                                                 const std::vector<Statement>& statements,
                                                                 const DayRange& cycle,
                                                                 std::string_view currency) const {
    std::vector<StatementAdjustment> adjustments;
    for (const Statement& earlier : statements) {
        if (earlier.cycle.first >= cycle.first || earlier.currency != currency) continue;
        // A statement stored before statements kept their plans: the plans of those ids now.
        const std::optional<PriceBook> kept =
            earlier.pricing.empty() ? std::nullopt : std::optional(PriceBook::fromJson(earlier.pricing));
        const auto lookup = [&](std::string_view id, date::local_days day) {
            const Plan* plan = kept ? kept->findPlan(id, day) : nullptr;
            return plan != nullptr ? plan : price_book_.findPlan(id, day);
        };
        const std::string base_plan = kept ? kept->defaultPlan().id : earlier.plan_id;
        const SegmentsOf segments_of = [&](const DayRange& days) {
            return detail::planSegments(lookup, base_plan, context.changes, days);
        };
        std::vector<detail::PlanSegment> parts;
        try {
            parts = segments_of(earlier.cycle);
        } catch (const NotFoundError&) {
            continue;  // a plan gone from the price book
        }
        if (std::any_of(parts.begin(), parts.end(), [&](const auto& p) { return p.plan->currency.code != currency; })) {
            continue;
        }
        Decimal stated = earlier.total;
        for (const Statement& other : statements) {
            for (const StatementAdjustment& adjustment : other.adjustments) {
                if (adjustment.cycle == earlier.cycle) stated += adjustment.amount;
            }
        }
        std::map<const Plan*, PricingCalculator> calculators;
        const auto calculatorOf = [&](const Plan& plan) -> const PricingCalculator& {
            return calculators.try_emplace(&plan, plan).first->second;
        };
        const detail::MeteredUsage usage(
            *store_, context.account, context.now,
            [&](date::local_days day) -> const Plan& {
                return *segments_of({day, day + date::days(1)}).front().plan;
            },
            detail::boundsTransactions(price_book_) || (kept && detail::boundsTransactions(*kept)));
        const Decimal now = billDays(usage, segments_of, earlier.cycle, context.account.anchor_day,
                                     usage.totals(earlier.cycle), usage.modelTotals(earlier.cycle), calculatorOf)
                                .total;
        if (now != stated) adjustments.push_back({earlier.cycle, now - stated});
    }
    return adjustments;
}

std::vector<Statement> UsageReports::closeDueStatements(const BusinessId& business, std::chrono::days grace) const {
    if (grace.count() < 0 || grace.count() > 366) throw ValidationError("grace", "must be from 0 to 366 days");
    const Context context = contextFor(business);
    const int anchor = context.account.anchor_day;
    // A cycle is due when its end + grace <= today: the latest due cycle is the one before
    // the cycle holding today - grace.
    const auto limit = context.today() - date::days(static_cast<int>(grace.count()));
    std::vector<DayRange> due;  // latest first
    for (DayRange cycle = BillingPeriod::cycleContaining(limit, anchor);
         static_cast<int>(due.size()) < max_due_cycles;) {
        cycle = BillingPeriod::cycleContaining(cycle.first - date::days(1), anchor);
        due.push_back(cycle);
    }
    // A level held counts as usage, reported in the cycle or not.
    const auto used = context.usage(*store_).daily({due.back().first, due.front().end});
    if (used.empty()) return {};
    const auto first_used = used.front().day;  // ordered by day
    std::vector<date::local_days> closed;
    for (const Statement& statement : store_->listStatements(business)) closed.push_back(statement.cycle.first);

    std::vector<Statement> statements;
    for (auto cycle = due.rbegin(); cycle != due.rend(); ++cycle) {
        if (cycle->end <= first_used || std::find(closed.begin(), closed.end(), cycle->first) != closed.end()) continue;
        statements.push_back(closeCycle(context, BillingPeriod::ofDays(*cycle, context.account.time_zone)));
    }
    return statements;
}

Decimal UsageReports::creditBalance(const BusinessId& business) const {
    const Context context = contextFor(business);
    const auto grants = store_->listCreditGrants(business);
    if (grants.empty()) return {};
    const std::string& currency = context.planOn(context.today()).currency.code;
    const auto statements = store_->listStatements(business);  // oldest cycle first
    auto left = detail::creditLeft(grants, statements);
    const auto earliest = std::min_element(grants.begin(), grants.end(), [](const auto& a, const auto& b) {
                              return a.effective < b.effective;
                          })->effective;
    const auto today = context.today();
    // The cycles not closed yet that a grant could pay for, latest first.
    std::vector<DayRange> open;
    for (DayRange cycle = BillingPeriod::cycleContaining(today, context.account.anchor_day);
         static_cast<int>(open.size()) <= max_due_cycles && cycle.end > earliest &&
         (statements.empty() || cycle.first > statements.back().cycle.first);
         cycle = BillingPeriod::cycleContaining(cycle.first - date::days(1), context.account.anchor_day)) {
        open.push_back(cycle);
    }
    for (auto cycle = open.rbegin(); cycle != open.rend(); ++cycle) {
        const Decimal owed =
            billingUsageOf(context, BillingPeriod::ofDays(*cycle, context.account.time_zone)).bill.total;
        detail::drawCredit(grants, left, *cycle, currency, owed);
    }
    return detail::creditOn(grants, left, today, currency);
}

std::optional<Statement> UsageReports::getStatement(const BusinessId& business, const PeriodSpec& period) const {
    const Context context = contextFor(business);
    return store_->findStatement(business, wholeCycle(context, period).days.first);
}

std::vector<Statement> UsageReports::listStatements(const BusinessId& business) const {
    return store_->listStatements(business);
}

GroupedBillingUsage UsageReports::getBillingUsage(const BusinessId& business, const PeriodSpec& period,
                                                  const GroupBy& group) const {
    const Context context = contextFor(business);
    GroupedBillingUsage result;
    result.business = business;
    result.period = BillingPeriod::resolve(period, context.account, context.now);
    result.dimension = group.dimension;
    result.groups = groupByValue(store_->dimensionTotals(business, result.period.days, group.dimension));
    return result;
}

std::vector<GroupedTrendPoint> UsageReports::getUsageTrends(const BusinessId& business, int days,
                                                            const GroupBy& group) const {
    if (days < 1 || days > 366) throw ValidationError("days", "must be between 1 and 366");
    const Context context = contextFor(business);
    const auto today = localDay(context.now, context.account.time_zone);
    const auto first = today - date::days(days - 1);
    std::map<date::local_days, std::vector<DimensionUsageTotal>> by_day;
    for (auto& row : store_->dimensionDaily(business, {first, today + date::days(1)}, group.dimension)) {
        by_day[row.day].push_back(std::move(row.total));
    }
    std::vector<GroupedTrendPoint> points;
    points.reserve(static_cast<std::size_t>(days));
    for (auto day = first; day <= today; day += date::days(1)) {
        auto found = by_day.find(day);
        points.push_back({date::year_month_day(day),
                          found == by_day.end() ? std::vector<GroupedUsage>{} : groupByValue(found->second)});
    }
    return points;
}

std::vector<GroupedUsage> UsageReports::topValues(const BusinessId& business, const PeriodSpec& period,
                                                  std::string_view dimension, std::size_t n) const {
    if (n < 1) throw ValidationError("n", "must be at least 1");
    auto groups = getBillingUsage(business, period, GroupBy{std::string(dimension)}).groups;
    const auto order = [](const GroupedUsage& a, const GroupedUsage& b) {
        return a.list_cost != b.list_cost ? a.list_cost > b.list_cost : a.value < b.value;
    };
    if (groups.size() > n) {
        std::partial_sort(groups.begin(), groups.begin() + static_cast<std::ptrdiff_t>(n), groups.end(), order);
        groups.resize(n);
    } else {
        std::sort(groups.begin(), groups.end(), order);
    }
    return groups;
}

QuotaStatus UsageReports::checkQuota(const BusinessId& business, const EventType& type) const {
    const Context context = contextFor(business);
    const Plan& plan = context.planOn(context.today());
    const Meter* meter = plan.meter(type);
    if (meter == nullptr) {
        throw ValidationError("event_type", "plan '" + plan.id + "' has no price for '" + type.toString() + "'");
    }
    QuotaStatus status;
    status.business = business;
    status.type = type;
    status.period = BillingPeriod::resolve(PeriodSpec::currentCycle(), context.account, context.now);
    const auto usage = context.usage(*store_);
    if (meter->aggregation == Aggregation::unique) {
        status.used = Decimal(detail::uniqueValues(*meter, filterTotals(usage, plan, status.period.days)));
    } else {
        const auto totals = usage.totals(status.period.days);
        if (const UsageTotal* found = findTotal(totals, type)) {
            status.used = detail::measure(*meter, found->quantity, found->events);
        }
    }
    status.included = meter->included;
    if (meter->quota) {
        status.limit = meter->quota->limit;
        status.hard = meter->quota->hard;
        status.remaining = max(*status.limit - status.used, Decimal());
        status.exceeded = status.hard ? status.used >= *status.limit : status.used > *status.limit;
    }
    return status;
}

BillingAnalytics UsageReports::getBillingAnalytics(const BusinessId& business, const PeriodSpec& period,
                                                   int days) const {
    return {getBillingUsage(business, period), getUsageTrends(business, days)};
}

}  // namespace metered
