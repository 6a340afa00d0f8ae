// SPDX-License-Identifier: MIT
// Reading bills, trends and quotas from a store.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "metered/export.h"
#include "metered/price_book.h"
#include "metered/reports.h"
#include "metered/statement.h"
#include "metered/time.h"
#include "metered/usage_store.h"

namespace metered {
/// When UsageReports::changePlan moves a business to another plan.
enum class PlanChangeTiming : std::uint8_t {
    next_cycle,   ///< from the first day of the next billing cycle
    immediately,  ///< from today, the business's local day
};

/// The plans a store holds, as a price book whose default is `basic` (or, without a
/// `basic` plan, the first by id), with the store's dimension declarations when a plan has
/// charge filters. Throws ValidationError when the store has no plans.
METERED_API PriceBook storedPriceBook(UsageStore& store);

/// Answers "what has this business used and owed" from a store's rollups and a price
/// book. Every figure comes from PricingCalculator, so the dashboard, the trends and the
/// quota check always agree. Periods are resolved in each business's own time zone.
///
/// Reads only rollups: the cost of a call does not grow with the number of events.
/// Thread-safe (const methods, and the store is thread-safe).
class METERED_API UsageReports {
public:
    UsageReports(std::shared_ptr<UsageStore> store, PriceBook price_book, Clock clock = systemNow);
    /// Prices with the store's own plans (storedPriceBook).
    explicit UsageReports(std::shared_ptr<UsageStore> store, Clock clock = systemNow);

    /// Usage and bill of `business` over `period` under its plan. Throws NotFoundError for an
    /// unknown business or plan.
    ///
    /// A period that is one whole billing cycle (current_month, previous_month and the
    /// cycles) is that cycle's invoice. Any other span (calendar_month with an anchor day
    /// other than 1, custom ranges) is priced as the parts of the cycles it covers: each
    /// part costs its cycle's bill through the part minus the bill before it, so each
    /// cycle's allowance is applied once, to the cycle's earliest usage, and the bill of
    /// any span equals the sum of its days' trend costs (PricingCalculator::billSlices).
    BillingUsage getBillingUsage(const BusinessId& business,
                                 const PeriodSpec& period = PeriodSpec::currentMonth()) const;

    /// One point per local day for the last `days` days (1–366) up to and including today,
    /// days without usage included as zeros, oldest first. Each day's cost is its share of
    /// its own billing cycle's bill. Throws ValidationError("days", …) outside 1–366.
    std::vector<TrendPoint> getUsageTrends(const BusinessId& business, int days = 30) const;

    /// Usage of `business` over `period` grouped by the values of `group.dimension`, read
    /// from the dimension rollups (`model`: the model rollups), never from events. Each
    /// value's cost is its list cost: what the recorder priced its events at when they were
    /// recorded (the one pricing code), not a share of the plan's bill. ValidationError
    /// ("dimension") for a name that is not a dimension name; NotFoundError as above.
    GroupedBillingUsage getBillingUsage(const BusinessId& business, const PeriodSpec& period,
                                        const GroupBy& group) const;
    /// Per local day of the last `days` days (1–366, as getUsageTrends), each value's usage
    /// and list cost that day (days without usage included, with no groups), oldest first.
    std::vector<GroupedTrendPoint> getUsageTrends(const BusinessId& business, int days, const GroupBy& group) const;
    /// The `n` values of `dimension` with the highest list cost over `period`, highest
    /// first, ties by value (bytewise). ValidationError("n") for n < 1.
    std::vector<GroupedUsage> topValues(const BusinessId& business, const PeriodSpec& period,
                                        std::string_view dimension, std::size_t n) const;

    /// Closes the billing cycle `period` of `business` (one whole cycle, e.g.
    /// PeriodSpec::previousCycle(), that has ended in the business's zone): prices it as
    /// getBillingUsage does and stores the result (UsageStore::saveStatement). Idempotent
    /// and safe from several processes at once: every close of a cycle returns the first
    /// statement stored, unchanged. ValidationError("period") for a span that is not one
    /// whole billing cycle or a cycle not yet ended; NotFoundError as above.
    ///
    /// The new statement carries an adjustment (StatementAdjustment) for each earlier closed
    /// cycle whose bill, priced now with the plan that priced its statement, differs from
    /// what was stated for it: its statement's total plus the adjustments for it on every
    /// other statement stored. Corrections and late events that reach a closed cycle are
    /// billed so, on the next statement, and the closed one never changes. A cycle whose
    /// plan is gone from the price book, or bills in another currency, is not adjusted.
    Statement closeStatement(const BusinessId& business, const PeriodSpec& period) const;
    /// The closed statement of the billing cycle `period`, or nothing when it is not closed.
    /// ValidationError("period") for a span that is not one whole billing cycle.
    std::optional<Statement> getStatement(const BusinessId& business, const PeriodSpec& period) const;
    /// Every closed statement of `business`, oldest cycle first.
    std::vector<Statement> listStatements(const BusinessId& business) const;
    /// How many billing cycles closeDueStatements looks back over, the latest due one included.
    static constexpr int max_due_cycles = 12;
    /// Closes every billing cycle of `business` that is due and not closed yet, oldest first,
    /// and returns the statements stored for them (another closer's, when it stored one first).
    /// A cycle is due once `grace` whole days have passed since its end: its last local day
    /// plus 1 + `grace` is today or earlier in the business's zone (a cycle ending Nov 30
    /// is due on Dec 4 with a grace of 3 days). Looks back over the latest max_due_cycles
    /// due cycles only, and closes none before the one holding the business's first usage
    /// in that span (one read of the daily rollups): a business without usage there has
    /// nothing closed. ValidationError("grace") outside 0–366 days; NotFoundError as above.
    std::vector<Statement> closeDueStatements(const BusinessId& business, std::chrono::days grace) const;

    /// The prepaid credit `business` has now, in its plan's currency (docs/history.md#prepaid-credits):
    /// what its grants in effect today hold after the statements stored drew on them, less
    /// what the bills of its cycles not closed yet would draw (each cycle after the latest
    /// statement, the current one included, at most max_due_cycles back, priced now as
    /// getBillingUsage prices it, in the order statements draw). NotFoundError as above.
    Decimal creditBalance(const BusinessId& business) const;
    /// The plan `business` is on today (its own plan, or the latest PlanChange in effect), in
    /// the version in effect today. NotFoundError as above.
    const Plan& currentPlan(const BusinessId& business) const;
    /// Moves `business` to plan `plan_id` (docs/history.md#plan-and-price-versions): from the
    /// first day of its next billing cycle (the default), or from today (its local day),
    /// when every day of the cycle before today keeps its plan's prices and the rest of the
    /// cycle is priced at the new plan's, allowances and tiers running over the whole cycle
    /// (no allowance is granted twice or lost). Stores the change (UsageStore::savePlanChange,
    /// the first change of a day wins) and returns the change stored. NotFoundError for an
    /// unknown business or plan; ValidationError("plan_id") for a plan billing in another
    /// currency.
    PlanChange changePlan(const BusinessId& business, std::string_view plan_id,
                          PlanChangeTiming timing = PlanChangeTiming::next_cycle) const;
    /// Quota standing of `business` for `type` in its current billing cycle.
    QuotaStatus checkQuota(const BusinessId& business, const EventType& type) const;

    /// The seed's `/api/billing/analytics` payload: the bill of `period` (getBillingUsage)
    /// and `days` of daily trends (getUsageTrends); `to_json` writes it.
    BillingAnalytics getBillingAnalytics(const BusinessId& business,
                                         const PeriodSpec& period = PeriodSpec::currentMonth(), int days = 30) const;

    const PriceBook& priceBook() const noexcept { return price_book_; }

private:
    struct Context;
    Context contextFor(const BusinessId& business) const;
    BillingUsage billingUsageOf(const Context& context, const BillingPeriod& period) const;
    BillingPeriod wholeCycle(const Context& context, const PeriodSpec& period) const;
    Statement closeCycle(const Context& context, const BillingPeriod& cycle) const;
    std::vector<StatementAdjustment> adjustmentsBefore(const Context& context, const std::vector<Statement>& statements,
                                                       const DayRange& cycle, std::string_view currency) const;
    std::string keptPricing(const Context& context, const DayRange& cycle) const;
    const PricingCalculator& calculator(const Plan& plan) const;

    std::shared_ptr<UsageStore> store_;
    PriceBook price_book_;
    std::vector<PricingCalculator> calculators_;  // one per plan of the book, in its order
    Clock clock_;
};

}  // namespace metered
