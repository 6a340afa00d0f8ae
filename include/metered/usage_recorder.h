// SPDX-License-Identifier: MIT
// The host-facing API: record usage, read bills, trends and quotas.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "metered/async_options.h"
#include "metered/budget.h"
#include "metered/budget_crossing.h"
#include "metered/dimension.h"
#include "metered/export.h"
#include "metered/llm_usage.h"
#include "metered/rate_card.h"
#include "metered/recorder_stats.h"
#include "metered/voice_pricing.h"
#include "metered/usage_reports.h"

namespace metered {

/// What the seed's chat route records with each completion.
struct ApiCall {
    std::string_view operation;  ///< e.g. "chat_completion"
    std::string_view model;      ///< e.g. "gpt-4o-mini"
    std::int64_t tokens = 0;
    std::string_view intent;
    std::string_view session_id;  ///< stored as "sessionId"
};

/// What the seed's voice route records with each transcription.
struct VoiceUsage {
    std::string_view operation;             ///< e.g. "voice_to_text"
    std::int64_t audio_size = 0;            ///< bytes, stored as "audioSize"
    std::int64_t transcription_length = 0;  ///< characters, stored as "transcriptionLength"
    std::string_view session_id;
};

/// An AI-powered operation.
struct AiQuery {
    std::string_view query_type;  ///< stored as "queryType"
    std::string_view complexity;
    std::int64_t tokens = 0;
};

/// A file stored or uploaded.
struct StorageUsage {
    std::string_view file_type;  ///< stored as "fileType"
    std::int64_t size = 0;       ///< bytes
    std::string_view operation;  ///< e.g. "upload"
};

/// Why and by whom usage from the past is recorded on purpose (RecordOptions::backfill).
struct Backfill {
    std::string_view reason;  ///< why (1 to max_correction_text_bytes of UTF-8 without U+0000)
    std::string_view actor;   ///< who (the same bounds)
};

/// Per-call options of every record function.
struct RecordOptions {
    /// The caller's key for this usage (a request id, a UUID). Recording the same key for
    /// the same business again is counted once, so a retried request is never billed
    /// twice. Empty: a fresh UUIDv7 is used.
    std::string_view idempotency_key;
    /// When the usage happened; empty: now.
    std::optional<Timestamp> occurred_at;
    /// Who or what the usage was for: up to max_event_dimensions values of dimensions the
    /// price book declares (e.g. `{{"end_user", "u-42"}, {"feature", "search"}}`), in any
    /// order. ValidationError naming `dimensions.<name>`: a name not declared (or `model`,
    /// which the rate card sets), given twice, an empty value, one longer than the
    /// dimension's max_length bytes, not UTF-8 without U+0000, or dimension_overflow_value.
    /// The views are copied before the call returns (asynchronous mode: into the event log,
    /// without allocating).
    std::span<const DimensionValue> dimensions;
    /// Set: usage that happened before the late-event window (RecorderOptions::
    /// late_event_window), recorded on purpose. The window does not apply (every other
    /// check does, occurred_at's bounds included); `reason` and `actor` are required
    /// (ValidationError naming "backfill.reason" or "backfill.actor": empty, longer than
    /// max_correction_text_bytes, not UTF-8 without U+0000). The event is stored before the
    /// call returns, in either mode (asynchronous mode too: not through the event log;
    /// backfills are administrative, not on a request path), through UsageStore::backfill,
    /// which keeps a Correction of kind `backfill` with the reason and actor (the audit
    /// read, UsageStore::listCorrections). Returns `stored` or `duplicate` (nothing added,
    /// no correction either); a refused event throws as in synchronous mode.
    std::optional<Backfill> backfill;
};

/// What became of a record call.
enum class RecordOutcome : std::uint8_t {
    stored,     ///< the store has it (synchronous mode)
    duplicate,  ///< the store already had this event id; nothing was added (synchronous mode)
    queued,     ///< accepted (and spooled, if the spool is on); the flusher will store it
};

/// The id an event was recorded under, and its outcome.
struct Receipt {
    EventId id;
    RecordOutcome outcome = RecordOutcome::stored;
};

/// What recordLlmCall returns: the receipt, and the call's exact cost at the rate card
/// price in effect when it happened (per token type and in total; a bill rounds later).
/// `cost.provider` and `cost.model` point into the recorder's rate card: valid while the
/// recorder lives.
struct LlmReceipt {
    EventId id;
    RecordOutcome outcome = RecordOutcome::stored;
    LlmCost cost;
};

/// A speech-to-text call: which model transcribed how many seconds of audio (wavDuration
/// gives exact seconds of a WAV file as minutes × 60).
struct Transcription {
    std::string_view provider;  ///< "openai"
    std::string_view model;     ///< "whisper-1"
    Decimal seconds;            ///< as measured; the card's minimum and increment apply
    std::string_view session_id;
};

/// A text-to-speech call: which model spoke how many characters.
struct Speech {
    std::string_view provider;  ///< "openai"
    std::string_view model;     ///< "tts-1"
    std::int64_t characters = 0;
    std::string_view session_id;
};

/// What recordTranscription returns; `cost` as in LlmReceipt.
struct TranscriptionReceipt {
    EventId id;
    RecordOutcome outcome = RecordOutcome::stored;
    TranscriptionCost cost;
};

/// What recordSpeech returns; `cost` as in LlmReceipt.
struct SpeechReceipt {
    EventId id;
    RecordOutcome outcome = RecordOutcome::stored;
    SpeechCost cost;
};

/// Settings of a UsageRecorder. Designated initializers read well:
/// `RecorderOptions{.max_metadata_bytes = 4096}`.
struct RecorderOptions {
    /// Plans and list prices. Empty: the store's plans, with `basic` as default.
    std::optional<PriceBook> price_book;
    /// Largest metadata accepted, in Metadata::byteSize() bytes.
    std::size_t max_metadata_bytes = std::size_t{8} * 1024;
    /// The time source for occurred_at and for "today" in reports. Empty: the system clock.
    Clock clock;
    /// Synchronous (the default) or asynchronous recording.
    RecordMode mode = RecordMode::sync;
    /// Queue, spool, retry and logging settings of asynchronous recording.
    AsyncOptions async;
    /// The prices LLM and voice calls are recorded at. Empty: RateCard::standard(), the
    /// dated card shipped with the library (replace it, or overlay your own prices on it).
    std::shared_ptr<const RateCard> rate_card;
    /// What recordLlmCall may do when the card lacks a price. The default: nothing (a
    /// ValidationError naming the model or the usage field). A fallback used is flagged on
    /// the receipt (LlmCost::usedFallback()), in the stored event's metadata
    /// (`pricing_fallback`) and counted in RecorderStats::priced_with_fallback.
    PricingFallback pricing_fallback;
    /// How often the budgets (UsageStore::listAllBudgets) and what each has spent in its
    /// current cycle are reloaded into the in-memory running totals that decide hard caps
    /// (docs/budgets.md). Asynchronous mode: by a background thread, after a flush. Synchronous
    /// mode: by the first record call or checkBudget after the interval. Zero: only on
    /// construction and refreshBudgets().
    std::chrono::milliseconds budget_refresh = std::chrono::seconds(1);
    /// Called with each budget threshold crossing the store claimed (BudgetCrossing: any
    /// business's, whichever process's append claimed it), at least once: dedupe by BudgetCrossing::key (a crash
    /// between the call and its marking, or several recorders delivering, can repeat one). A crossing is marked
    /// delivered only after the callback returns; one that throws is called again at the next round. Rounds run after
    /// each budget refresh (budget_refresh) and on deliverCrossings(): asynchronous mode on the background refresh
    /// thread; synchronous mode on the recording thread whose call passes the refresh interval (keep the callback
    /// short: hand the crossing to a queue). Empty: crossings are claimed but not delivered by this recorder.
    std::function<void(const BudgetCrossing&)> on_budget_crossing;
    /// Closes billing cycles automatically, `statement_grace` whole days after they end (3 by
    /// default, as Lago's documented example grace period; docs/history.md): every
    /// business's (UsageStore::listAccounts) due cycles, by UsageReports::closeDueStatements,
    /// at most once per statement_close_interval. Asynchronous mode: on the background thread,
    /// after a flush. Synchronous mode: by the first record call after the interval, once it
    /// has stored its event. Failures are counted (RecorderStats::statement_close_failures),
    /// never thrown. Empty: only closeStatement closes.
    std::optional<std::chrono::days> statement_grace = std::chrono::days(3);
    /// How often automatic closing runs (the first round: on the first opportunity).
    std::chrono::milliseconds statement_close_interval = std::chrono::hours(1);
    /// How late a record call may be: one whose occurred_at is more than this before the
    /// recorder's clock is refused (ValidationError naming "occurred_at") and records nothing.
    /// 35 days by default, as Stripe's meter events accept; late data past a closed cycle
    /// lands in the live bill and as an adjustment on the next statement, never in its own
    /// (docs/history.md#late-data). Empty: no limit (loading history, replaying an export).
    /// Not checked by UsageStore::append, nor for a call with RecordOptions::backfill (one
    /// past event, with a reason and an actor).
    std::optional<std::chrono::days> late_event_window = std::chrono::days(35);
};

/// Records what each business uses and answers what it owes: the seed's billing
/// tracker, exact and idempotent.
///
/// Every record call validates its input (ValidationError: negative quantity, too many
/// fractional digits, unknown event type, oversized or non-UTF-8 metadata, bad
/// idempotency key; nothing is recorded) and prices the event at list. Then:
///
/// - **Synchronous mode** appends the event to the store before returning. An event the
///   store refuses (unknown business) throws RejectedError; a store failure throws
///   StoreError (`transient()` says whether to retry: with the same idempotency key a
///   retry can never double-count).
/// - **Asynchronous mode** (`RecordMode::async`) writes the event into a bounded event log
///   (one atomic add and a copy: no lock, no system call, no database round trip) and
///   returns `queued`; a flusher thread stores events in batches, retries transient
///   failures with backoff, and dead-letters events the store refuses. With the spool on
///   (the default for PostgreSQL) the log is a set of memory-mapped files: an event whose
///   record call returned survives a crash of the process and is stored exactly once
///   after restart. A full queue follows AsyncOptions::overflow (QueueFullError).
///
/// @code
/// auto store = metered::openStore("memory:");
/// store->saveAccount({.id = business, .name = "Acme Pizza"});
/// metered::UsageRecorder recorder(store);
/// recorder.recordApiCall(business, {.operation = "chat_completion", .model = "gpt-4o-mini", .tokens = 412});
/// recorder.recordVoiceMinutes(business, metered::Decimal::parse("2.5"));
/// auto usage = recorder.getBillingUsage(business);   // usage.bill.total
/// @endcode
///
/// **Budgets**: a rate-card call (recordLlmCall, recordTranscription, recordSpeech) of a
/// business with a hard budget that is already reached (the business's, or its model's) is
/// refused after pricing with BudgetExceededError, and nothing is recorded. The call that
/// crosses the amount is recorded (a call already made is billed); only later calls are
/// refused. See checkBudget and docs/budgets.md. **Alerts**: each threshold crossing the
/// store claims is handed to RecorderOptions::on_budget_crossing at least once.
///
/// Thread-safe: any thread may call any method. Reads see what the store has: in
/// asynchronous mode, call flush() first to include what is still queued.
class METERED_API UsageRecorder : private UsageReports {
public:
    explicit UsageRecorder(std::shared_ptr<UsageStore> store, RecorderOptions options = {});
    ~UsageRecorder();
    UsageRecorder(const UsageRecorder&) = delete;
    UsageRecorder& operator=(const UsageRecorder&) = delete;

    /// One API call (quantity 1) with the chat route's metadata.
    Receipt recordApiCall(const BusinessId& business, const ApiCall& call = {}, const RecordOptions& options = {});
    /// Voice minutes (see wavDuration for exact minutes from a WAV file).
    Receipt recordVoiceMinutes(const BusinessId& business, const Decimal& minutes, const VoiceUsage& voice = {},
                               const RecordOptions& options = {});
    /// One AI query (quantity 1).
    Receipt recordAiQuery(const BusinessId& business, const AiQuery& query = {}, const RecordOptions& options = {});
    /// Megabytes of storage, summed as the seed's `storage_mb` (uploads); to bill what is
    /// stored over time, see setStorageLevel.
    Receipt recordStorage(const BusinessId& business, const Decimal& megabytes, const StorageUsage& storage = {},
                          const RecordOptions& options = {});
    /// The megabytes `business` stores from now on (or from RecordOptions::occurred_at): a
    /// report of the level type `storage_level`, billed as MB-months by a meter with
    /// aggregation time_weighted (or its peak, `max`, or its last level, `latest`) in the
    /// business's plan; the default plan must meter it. Report after each upload and delete
    /// (or periodically): each report holds until the next. Any level type (a name ending in
    /// `_level`, e.g. `seats_level`) is reported the same way with record(). See
    /// docs/pricing.md, "Storage billed as a level".
    Receipt setStorageLevel(const BusinessId& business, const Decimal& megabytes, const RecordOptions& options = {});
    /// One LLM call (quantity 1 of `llm_call`), priced at the rate card in effect at
    /// occurred_at: the receipt carries the exact cost. Stored with the model that priced it
    /// and the cost of each token type. Throws ValidationError for usage that does not add
    /// up (LlmUsage::validate), an unknown model or a token count without a price (see
    /// RecorderOptions::pricing_fallback). Never allocates or locks on the calling thread
    /// in asynchronous mode.
    LlmReceipt recordLlmCall(const BusinessId& business, const LlmUsage& usage, const RecordOptions& options = {});
    /// One speech-to-text call (quantity 1 of `transcription`), priced per billed second
    /// (the card's minimum and billing increment applied) as recordLlmCall prices tokens.
    /// Stored with parts `audio_seconds` (billed) and `requests`; the measured seconds in
    /// metadata (`seconds`). ValidationError: "seconds", "model" (see priceTranscription).
    TranscriptionReceipt recordTranscription(const BusinessId& business, const Transcription& call,
                                             const RecordOptions& options = {});
    /// One text-to-speech call (quantity 1 of `speech`), priced per character. Stored with
    /// parts `characters` and `requests`. ValidationError: "characters", "model".
    SpeechReceipt recordSpeech(const BusinessId& business, const Speech& call, const RecordOptions& options = {});
    /// Any recordable type, built-in or host-defined, with free-form metadata. The rate-card
    /// types (llm_call, transcription, speech) are recorded by their own calls.
    Receipt record(const BusinessId& business, const EventType& type, const Decimal& quantity,
                   const Metadata& metadata = {}, const RecordOptions& options = {});

    /// The reports (UsageReports) on what this recorder stores, at its prices: the seed's
    /// getBillingUsage, getUsageTrends and getBillingAnalytics, their GroupBy forms, topValues
    /// and checkQuota. The rest of the read side is reports().
    using UsageReports::checkQuota;
    using UsageReports::getBillingAnalytics;
    using UsageReports::getBillingUsage;
    using UsageReports::getUsageTrends;
    using UsageReports::topValues;

    /// Throws BudgetExceededError when a hard budget of `business` is reached (its running
    /// total ≥ its amount) or when `estimate` (> 0, the expected cost of a call about to be
    /// made) would take it past its amount. `model` ("provider/model"): that model's
    /// budgets are checked too; empty: only the business's whole-business budgets. Decided
    /// in memory (no store round trip, no lock, no allocation unless it throws); see
    /// docs/budgets.md for how current the running totals are.
    void checkBudget(const BusinessId& business, const Decimal& estimate = Decimal(),
                     std::string_view model = {}) const;
    /// checkBudget, also checking the budgets of the dimension values `dimensions` (those the
    /// record call about to be made will pass in RecordOptions::dimensions, e.g.
    /// {{"end_user", "u-42"}}): a hard budget on one of them refuses. Budgets on values not
    /// given are not checked. `model` may be empty.
    void checkBudget(const BusinessId& business, const Decimal& estimate, std::string_view model,
                     std::span<const DimensionValue> dimensions) const;
    /// The status of each budget of `business` (ordered by id), computed exactly from the
    /// store in the business's current billing cycle (asynchronous mode: flush() first to
    /// include what is queued). NotFoundError when the business has no account.
    std::vector<BudgetStatus> budgetStatus(const BusinessId& business) const;
    /// Reloads the budgets and their spent-so-far from the store now (after a flush in
    /// asynchronous mode). Throws StoreError when the store cannot answer.
    void refreshBudgets();
    /// Delivers the store's pending budget crossings to RecorderOptions::on_budget_crossing
    /// now, on the calling thread (nothing without a callback). Never throws: a failing
    /// callback or store leaves the crossings pending.
    void deliverCrossings();

    /// Waits until every event recorded before the call is stored (asynchronous mode);
    /// returns false on timeout. Synchronous mode: returns true at once.
    bool flush(std::chrono::milliseconds timeout = std::chrono::seconds(10));
    /// Stops accepting events and stores what is queued, waiting up to `timeout`
    /// (AsyncOptions::close_timeout from the destructor). Later record calls throw Error.
    /// Returns true when nothing was left unstored (with the spool on, what is left is
    /// stored by the next recorder that opens the spool directory).
    bool close(std::chrono::milliseconds timeout = std::chrono::seconds(10));
    /// A snapshot of the counters.
    RecorderStats stats() const;

    /// The read side alone (for a dashboard that shares this recorder's store and prices).
    const UsageReports& reports() const noexcept;
    /// The prices events are recorded at.
    using UsageReports::priceBook;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace metered
