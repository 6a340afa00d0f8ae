// SPDX-License-Identifier: MIT
// Where usage events, their rollups, accounts and plans are kept.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "metered/account.h"
#include "metered/billing_period.h"
#include "metered/budget.h"
#include "metered/budget_crossing.h"
#include "metered/correction.h"
#include "metered/credit.h"
#include "metered/dimension.h"
#include "metered/dimension_usage.h"
#include "metered/export.h"
#include "metered/level_usage.h"
#include "metered/model_usage.h"
#include "metered/plan.h"
#include "metered/recorded_event.h"
#include "metered/statement.h"
#include "metered/transaction_amount.h"
#include "metered/usage_event.h"
#include "metered/usage_total.h"

namespace metered {

/// One day's usage of one event type, in the business's local calendar.
struct DailyUsage {
    date::local_days day;
    UsageTotal total;
    friend bool operator==(const DailyUsage&, const DailyUsage&) = default;
};

/// Why a store refused an event. Every store decides in this order: the event itself,
/// its business, its id, the day's rollup.
enum class RejectionKind : std::uint8_t {
    invalid,               ///< malformed or out of bounds (see docs/inputs.md)
    unknown_business,      ///< no account for its business
    idempotency_conflict,  ///< its id is already stored with another event type or quantity
    over_limit,            ///< it would take a rollup of its day past the bound (10^15 units, 10^13 list cost;
                           ///< per type, and per model and part for a rate-card event)
    refused,               ///< the database refused it for another permanent reason (given in `reason`)
};

/// An event a store refused for a permanent reason; the rest of its batch is unaffected.
struct Rejection {
    std::size_t index = 0;  ///< position in the appended batch
    EventId id;
    std::string reason;
    RejectionKind kind = RejectionKind::refused;
};

/// What became of an appended batch. stored + duplicates + rejected.size() is the batch size.
struct AppendResult {
    std::size_t stored = 0;      ///< new events, now counted in the rollups
    std::size_t duplicates = 0;  ///< events whose id the store already had (or that repeat within the batch)
    std::vector<Rejection> rejected;
};

/// The storage interface every backend implements (PostgreSQL, SQLite, memory).
///
/// Contract, pinned by one test suite run against every backend:
/// - `append` is idempotent per (business, event id): appending an event again, from a
///   retry, a replay or another process, stores and counts it once. Events and their
///   rollups change in one transaction, so a reader never sees one without the other.
/// - An event already stored under the same (business, id) with a different event type or
///   quantity is not a duplicate but an idempotency conflict: it is rejected, never
///   silently dropped (its metadata and time may differ: a retry is the same usage).
/// - An event the store refuses (invalid or out-of-bounds values, unknown business,
///   idempotency conflict, a day's rollup at its bound) is returned in
///   `AppendResult::rejected` with its kind and reason; the other events of the batch are
///   stored. A batch is applied atomically: what is not rejected is all stored, or, when
///   append throws, nothing is.
/// - A rate-card event (an LLM call, a transcription, a speech synthesis) is stored with
///   its model and parts, and each of its parts is also added to the per-model rollup of
///   its day, type, model and part, in the same transaction; the per-type rollup counts it
///   like any event (quantity 1, its cost as list cost).
/// - When newly stored rate-card events count in a billing cycle of a business with
///   budgets, the same transaction claims each threshold the cycle's spend has reached
///   (Budget: what counts as spent) as a BudgetCrossing, once per (business, budget, cycle,
///   threshold): a crossing already claimed, by this process or another, is not claimed
///   again (see pendingCrossings).
/// - An event's dimension values (UsageEvent::dimensions) are stored with it, and the event
///   is added to the rollup of each (business, local day, dimension, value, event type) in
///   the same transaction. Per (business, billing cycle containing the local day, dimension)
///   at most the dimension's max_values distinct values (saveDimensions; 1000 for a
///   dimension without a declaration) are admitted into rollups, first come first admitted,
///   in a table of admitted values that every process shares; any other value is rolled up
///   under dimension_overflow_value (the event keeps its value).
/// - An event of a level type (EventType::isLevel) reports a level; it is rolled up like
///   any event (its quantity summed) and, in the same transaction, the level rollup of its
///   (business, level type, local day) is computed again from that day's reports
///   (DailyLevel), as it is after a void or an amendment of one of them.
/// - Reads (`totals`, `daily`, `modelTotals`, `modelDaily`, `dimensionTotals`,
///   `dimensionDaily`) are answered from per-day rollups keyed by the business's local day
///   (its account's time zone when the event was appended), never by scanning events, so
///   their cost does not grow with the number of events.
/// - A failure throws StoreError; `transient()` tells whether retrying can help.
///
/// Every method may be called from any thread; implementations synchronise internally.
class METERED_API UsageStore {
public:
    UsageStore() = default;
    UsageStore(const UsageStore&) = delete;
    UsageStore& operator=(const UsageStore&) = delete;
    virtual ~UsageStore() = default;

    /// Creates or upgrades the schema and seeds the standard `basic` plan. Idempotent and
    /// safe to run from several processes at once.
    virtual void migrate() = 0;

    /// Stores a batch of events idempotently, with their rollups, in one transaction.
    virtual AppendResult append(std::span<const UsageEvent> events) = 0;

    /// Per-type totals of `business` over the local days `days`. Types with no usage are
    /// absent.
    virtual std::vector<UsageTotal> totals(const BusinessId& business, const DayRange& days) = 0;

    /// Per-day, per-type usage of `business` over `days`, ordered by day then type; days
    /// without usage are absent.
    virtual std::vector<DailyUsage> daily(const BusinessId& business, const DayRange& days) = 0;

    /// Per-model totals of `business`'s rate-card events over the local days `days`: for
    /// each event type, model ("provider/model") and part, the sum of the part's quantities
    /// and exact costs and the number of events with it. Ordered by type, model (bytewise)
    /// and part (UsagePart order); parts never used are absent.
    virtual std::vector<ModelUsageTotal> modelTotals(const BusinessId& business, const DayRange& days) = 0;

    /// Per-day ModelUsageTotals of `business` over `days`, ordered by day, then type, model
    /// and part as modelTotals; days without rate-card usage are absent.
    virtual std::vector<DailyModelUsage> modelDaily(const BusinessId& business, const DayRange& days) = 0;

    virtual std::optional<Account> findAccount(const BusinessId& business) = 0;
    /// Creates or replaces an account (validated; ValidationError).
    virtual void saveAccount(const Account& account) = 0;
    /// All accounts, ordered by name.
    virtual std::vector<Account> listAccounts() = 0;

    /// Every stored plan (the standard `basic` plan after migrate()), first versions ordered
    /// by id, then every later version (Plan::effective) ordered by id and day.
    virtual std::vector<Plan> loadPlans() = 0;
    /// Creates or replaces a plan (validated; ValidationError), or with `effective` set, one
    /// later version of it (docs/history.md#plan-and-price-versions). A version needs the
    /// plan's first version stored and the same currency ("plan.effective",
    /// "plans.<id>.currency"); a first version is refused a currency its versions do not
    /// bill in. Closed statements keep the plan that priced them, whatever is saved later.
    virtual void savePlan(const Plan& plan) = 0;
    /// Stores `change` unless the business has one on that day, and returns the change
    /// stored: the first one saved wins and never changes. NotFoundError when the business
    /// has no account; ValidationError for a malformed change. The default throws StoreError.
    virtual PlanChange savePlanChange(const PlanChange& change);
    /// Every plan change of `business`, earliest day first. The default returns none.
    virtual std::vector<PlanChange> listPlanChanges(const BusinessId& business);

    /// Creates or replaces the budget (business, id) (validated: ValidationError); throws
    /// NotFoundError when the business has no account.
    virtual void saveBudget(const Budget& budget) = 0;
    /// Deletes the budget (business, id); false when there was none.
    virtual bool deleteBudget(const BusinessId& business, const std::string& id) = 0;
    /// The budgets of `business`, ordered by id (bytewise).
    virtual std::vector<Budget> listBudgets(const BusinessId& business) = 0;
    /// Every budget of every business, ordered by business, then id (what a recorder loads).
    virtual std::vector<Budget> listAllBudgets() = 0;

    /// Claimed crossings not yet marked delivered, oldest claim first, at most `limit`.
    /// A store that claims none (a test double) returns nothing.
    virtual std::vector<BudgetCrossing> pendingCrossings(std::size_t limit) {
        static_cast<void>(limit);
        return {};
    }
    /// Marks the crossings with these keys delivered (unknown keys are ignored): they are
    /// no longer pending.
    virtual void markCrossingsDelivered(std::span<const std::string> keys) { static_cast<void>(keys); }
    /// Every claimed crossing of `business`, delivered or not, ordered by key.
    virtual std::vector<BudgetCrossing> listCrossings(const BusinessId& business) {
        static_cast<void>(business);
        return {};
    }

    /// Stores `statement` unless its (business, cycle.first) has one, and returns the
    /// statement stored: the first one saved wins, across processes, and is never changed.
    /// Throws NotFoundError when the business has no account. The default throws StoreError
    /// (a store that keeps no statements).
    virtual Statement saveStatement(const Statement& statement);
    /// The statement of `business` for the cycle that begins on `cycle_first`, if closed.
    virtual std::optional<Statement> findStatement(const BusinessId& business, date::local_days cycle_first);
    /// Every statement of `business`, oldest cycle first.
    virtual std::vector<Statement> listStatements(const BusinessId& business);

    /// Stores a prepaid credit grant (validated first: ValidationError naming the field)
    /// unless the business has one with its id, and returns the grant stored: the first one
    /// saved wins and never changes. Throws NotFoundError when the business has no account.
    /// The default throws StoreError (a store that keeps no credits).
    virtual CreditGrant saveCreditGrant(const CreditGrant& grant);
    /// Every credit grant of `business`, ordered by id. The default throws StoreError.
    virtual std::vector<CreditGrant> listCreditGrants(const BusinessId& business);

    /// Voids the stored event (business, id): it stays stored as appended, a Correction is
    /// stored beside it, and it stops counting in every rollup (per day and type, per model
    /// and part for a rate-card event, per dimension value), all in one transaction.
    /// Appending the event again is still a duplicate. Returns the correction stored.
    /// ValidationError: `reason` or `actor` empty, longer than max_correction_text_bytes or
    /// not UTF-8 (naming it); the event already voided ("event"). NotFoundError: no such
    /// event. Of concurrent voids of one event, from any process, exactly one succeeds.
    /// The default throws StoreError (a store that keeps no corrections).
    virtual Correction voidEvent(const BusinessId& business, const EventId& id, const std::string& reason,
                                 const std::string& actor);
    /// Amends the quantity of the stored event (business, id): its rollups change by the
    /// difference with the quantity it counted with, and its list cost becomes `quantity` ×
    /// its unit price, in one transaction with the stored Correction. ValidationError as
    /// voidEvent, and "quantity" for a quantity a record call would refuse (negative, above
    /// 10^12, more than 9 fractional digits, a list cost above 10^13, a day's rollup taken
    /// past its bound); "event" for a voided event or a rate-card event (its quantity is
    /// always 1: void it and record the call again). The default throws StoreError.
    virtual Correction amendQuantity(const BusinessId& business, const EventId& id, const Decimal& quantity,
                                     const std::string& reason, const std::string& actor);
    /// Amends the metadata of the stored event (business, id): the Correction keeps the new
    /// metadata (no rollup changes; the event's stored row keeps the original).
    /// ValidationError as voidEvent, "metadata" above 1 MiB, "event" for a voided event.
    /// The default throws StoreError.
    virtual Correction amendMetadata(const BusinessId& business, const EventId& id, const Metadata& metadata,
                                     const std::string& reason, const std::string& actor);
    /// Backfills `event`: usage that happened in the past (typically before a recorder's
    /// late-event window), stored on purpose with a reason and an actor. The event is
    /// appended exactly as `append` appends a batch of one (the same checks, rollups and
    /// idempotency; the result says stored, duplicate or rejected), and, when it is stored,
    /// a Correction of kind `backfill` (its sequence 1: +quantity, +list cost, +1 event) is
    /// stored beside it in the same transaction. A duplicate (the id is already stored)
    /// adds nothing, no correction either; a rejected event stores nothing. The event can be
    /// voided or amended later like any other (sequence 2, …). ValidationError: `reason` or
    /// `actor` as voidEvent, checked first. The default throws StoreError.
    virtual AppendResult backfill(const UsageEvent& event, const std::string& reason, const std::string& actor);
    /// Every correction of `business` whose event's local day is in `days` (the audit
    /// read; backfills included), ordered by when it was stored, then event and sequence.
    /// The default throws StoreError.
    virtual std::vector<Correction> listCorrections(const BusinessId& business, const DayRange& days);

    /// Creates or replaces these dimension declarations (others stay): what bounds each
    /// dimension's values per business and billing cycle. A recorder saves its price book's.
    virtual void saveDimensions(std::span<const Dimension> dimensions);
    /// Every saved declaration, ordered by name.
    virtual std::vector<Dimension> listDimensions();

    /// Per-value, per-type usage of `business` over the local days `days` for `dimension`,
    /// ordered by value (bytewise), then type; values without usage are absent. `model` (built
    /// in) is answered from the model rollups: each model's events (quantity 1 each) and their
    /// costs per type. ValidationError for a name that is not a dimension name.
    std::vector<DimensionUsageTotal> dimensionTotals(const BusinessId& business, const DayRange& days,
                                                     std::string_view dimension);
    /// The same per local day, ordered by day, then value and type.
    std::vector<DailyDimensionUsage> dimensionDaily(const BusinessId& business, const DayRange& days,
                                                    std::string_view dimension);

    /// The level rollups (DailyLevel) of `business` that a time-weighted bill of `days`
    /// needs: per level type, its last row before `days.first` (the level carried into the
    /// range), then its rows on the days of `days`; ordered by type, then day. The default
    /// throws StoreError (a store without level rollups).
    virtual std::vector<DailyLevel> levels(const BusinessId& business, const DayRange& days);

    /// The events of `type` of `business` on the local days `days`, one per stored event
    /// that is not voided, each with its quantity as amended, in the order they happened
    /// (then id): what a percentage meter with per-transaction bounds prices one by one. It
    /// reads the events, not the rollups, so only such meters use it. The default throws
    /// StoreError.
    virtual std::vector<TransactionAmount> transactions(const BusinessId& business, const EventType& type,
                                                        const DayRange& days);

    /// Up to `limit` of `business`'s stored events on the local days `days`, as appended
    /// (voided ones too; corrections are listCorrections'), in the order they happened (time,
    /// then id): after `after` (the previous page's last event) when it is not null, so that
    /// calls from nullptr on read every event once however many there are. The metadata
    /// reads as the store keeps it (PostgreSQL's jsonb orders an object's keys its own
    /// way). The default throws StoreError.
    virtual std::vector<RecordedEvent> recordedEvents(const BusinessId& business, const DayRange& days,
                                                      std::size_t limit, const RecordedEvent* after);

    /// True for a store behind a network connection (PostgreSQL), which asynchronous
    /// recording spools in front of by default.
    virtual bool remote() const noexcept { return false; }

protected:
    /// The dimension rollup rows of a declared (non-`model`) dimension, in any order:
    /// what dimensionDaily answers. The default throws StoreError (a store without dimensions).
    virtual std::vector<DailyDimensionUsage> dimensionRollups(const BusinessId& business, const DayRange& days,
                                                              std::string_view dimension);
};

}  // namespace metered

/// The override of every UsageStore call but remote(), for the class of a store that
/// implements them all, as each store of the library does: the list said once, here, beside
/// the contracts. dimensionRollups stays protected; what follows the macro is public. A
/// store that keeps some of the defaults declares its overrides one by one.
#define METERED_USAGE_STORE_OVERRIDES                                                                              \
    void migrate() override;                                                                                       \
    AppendResult append(std::span<const UsageEvent> events) override;                                              \
    std::vector<UsageTotal> totals(const BusinessId& business, const DayRange& days) override;                     \
    std::vector<DailyUsage> daily(const BusinessId& business, const DayRange& days) override;                      \
    std::vector<ModelUsageTotal> modelTotals(const BusinessId& business, const DayRange& days) override;           \
    std::vector<DailyModelUsage> modelDaily(const BusinessId& business, const DayRange& days) override;            \
    std::optional<Account> findAccount(const BusinessId& business) override;                                       \
    void saveAccount(const Account& account) override;                                                             \
    std::vector<Account> listAccounts() override;                                                                  \
    std::vector<Plan> loadPlans() override;                                                                        \
    void savePlan(const Plan& plan) override;                                                                      \
    PlanChange savePlanChange(const PlanChange& change) override;                                                  \
    std::vector<PlanChange> listPlanChanges(const BusinessId& business) override;                                  \
    void saveBudget(const Budget& budget) override;                                                                \
    bool deleteBudget(const BusinessId& business, const std::string& id) override;                                 \
    std::vector<Budget> listBudgets(const BusinessId& business) override;                                          \
    std::vector<Budget> listAllBudgets() override;                                                                 \
    std::vector<BudgetCrossing> pendingCrossings(std::size_t limit) override;                                      \
    void markCrossingsDelivered(std::span<const std::string> keys) override;                                       \
    std::vector<BudgetCrossing> listCrossings(const BusinessId& business) override;                                \
    Statement saveStatement(const Statement& statement) override;                                                  \
    std::optional<Statement> findStatement(const BusinessId& business, date::local_days cycle_first) override;     \
    std::vector<Statement> listStatements(const BusinessId& business) override;                                    \
    CreditGrant saveCreditGrant(const CreditGrant& grant) override;                                                \
    std::vector<CreditGrant> listCreditGrants(const BusinessId& business) override;                                \
    Correction voidEvent(const BusinessId& business, const EventId& id, const std::string& reason,                 \
                         const std::string& actor) override;                                                       \
    Correction amendQuantity(const BusinessId& business, const EventId& id, const Decimal& quantity,               \
                             const std::string& reason, const std::string& actor) override;                        \
    Correction amendMetadata(const BusinessId& business, const EventId& id, const Metadata& metadata,              \
                             const std::string& reason, const std::string& actor) override;                        \
    AppendResult backfill(const UsageEvent& event, const std::string& reason, const std::string& actor) override;  \
    std::vector<Correction> listCorrections(const BusinessId& business, const DayRange& days) override;            \
    void saveDimensions(std::span<const Dimension> dimensions) override;                                           \
    std::vector<Dimension> listDimensions() override;                                                              \
    std::vector<DailyLevel> levels(const BusinessId& business, const DayRange& days) override;                     \
    std::vector<TransactionAmount> transactions(const BusinessId& business, const EventType& type,                 \
                                                const DayRange& days) override;                                    \
    std::vector<RecordedEvent> recordedEvents(const BusinessId& business, const DayRange& days, std::size_t limit, \
                                              const RecordedEvent* after) override;                                \
                                                                                                                   \
protected:                                                                                                         \
    std::vector<DailyDimensionUsage> dimensionRollups(const BusinessId& business, const DayRange& days,            \
                                                      std::string_view dimension) override;                        \
                                                                                                                   \
public:
