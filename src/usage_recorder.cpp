// SPDX-License-Identifier: MIT
#include "metered/usage_recorder.h"

#include <algorithm>
#include <atomic>
#include <array>
#include <condition_variable>
#include <fstream>
#include <limits>
#include <memory>
#include <mutex>
#include <stop_token>
#include <thread>
#include <type_traits>
#include <unistd.h>

#include "append_timer.h"
#include "async/event_codec.h"
#include "async/pipeline.h"
#include "async/sharded_counter.h"
#include "budget_table.h"
#include "correction_rules.h"
#include "crossing_delivery.h"
#include "draft_fields.h"
#include "event_checks.h"
#include "metered/errors.h"

namespace metered {
namespace {

using detail::DraftFields;

detail::EventDraft draftOf(const BusinessId& business, EventType type, const Decimal& quantity) {
    detail::EventDraft draft;
    draft.business = business;
    draft.type = type;
    draft.quantity = quantity;
    return draft;
}

// A typed record call's event: its fields are views into `fields`.
detail::EventDraft draftOf(const BusinessId& business, EventType type, const Decimal& quantity,
                           const DraftFields& fields) {
    detail::EventDraft draft = draftOf(business, type, quantity);
    fields.setIn(draft);
    return draft;
}

// The metadata of each seed payload, under the seed's field names.
void addFields(DraftFields& fields, const ApiCall& call) {
    fields.text("operation", call.operation);
    fields.text("model", call.model);
    fields.integer("tokens", call.tokens);
    fields.text("intent", call.intent);
    fields.text("sessionId", call.session_id);
}
void addFields(DraftFields& fields, const VoiceUsage& voice) {
    fields.text("operation", voice.operation);
    fields.integer("audioSize", voice.audio_size);
    fields.integer("transcriptionLength", voice.transcription_length);
    fields.text("sessionId", voice.session_id);
}
void addFields(DraftFields& fields, const AiQuery& query) {
    fields.text("queryType", query.query_type);
    fields.text("complexity", query.complexity);
    fields.integer("tokens", query.tokens);
}
void addFields(DraftFields& fields, const StorageUsage& storage) {
    fields.text("fileType", storage.file_type);
    fields.integer("size", storage.size);
    fields.text("operation", storage.operation);
}

bool spooled(const RecorderOptions& options, const UsageStore& store) {
    const SpoolMode spool = options.async.spool;
    return options.mode == RecordMode::async &&
           (spool == SpoolMode::on || (spool == SpoolMode::automatic && store.remote()));
}

// The price book events are recorded at: the host's, else the store's plans. With the
// spool on, the store's plans are also kept in the spool directory, so that a process
// that starts while the store is unreachable records at the prices it last saw (the
// standard book, the very first time) and stores everything once the store is back.
PriceBook initialPriceBook(UsageStore& store, const RecorderOptions& options) {
    if (options.price_book) return *options.price_book;
    if (!spooled(options, store)) return storedPriceBook(store);
    const auto cache = options.async.spool_dir / "price-book.json";
    try {
        PriceBook book = storedPriceBook(store);
        std::error_code ec;
        std::filesystem::create_directories(options.async.spool_dir, ec);
        const auto temporary = cache.string() + "." + std::to_string(getpid());
        if (std::ofstream out(temporary, std::ios::trunc); out << book.toJson() && out.flush()) {
            std::filesystem::rename(temporary, cache, ec);
        }
        std::filesystem::remove(temporary, ec);
        return book;
    } catch (const StoreError& e) {
        if (!e.transient()) throw;
        return std::filesystem::exists(cache) ? PriceBook::load(cache) : PriceBook();
    }
}

UsageStore& checkedStore(const std::shared_ptr<UsageStore>& store) {
    if (!store) throw ValidationError("store", "must not be null");
    return *store;
}

// What a rate-card call's cost is made of, built on the stack in UsagePart order.
class CallParts {
public:
    CallParts() noexcept {}  // NOLINT(modernize-use-equals-default): leaves the parts unconstructed
    void add(UsagePart part, const Decimal& quantity, const Decimal& cost) noexcept {
        std::construct_at(&parts_[count_++], PricedPart{part, quantity, cost});
    }
    std::span<const PricedPart> view() const noexcept { return {parts_, count_}; }

private:
    // Constructed as added: default-constructing all twelve zeroed 960 bytes on every call.
    // PricedPart is trivially destructible, so nothing is destroyed.
    static_assert(std::is_trivially_destructible_v<PricedPart>);
    union {
        PricedPart parts_[token_type_count + 1];
    };
    std::size_t count_ = 0;
};

// What a fallback priced, for the stored event's metadata.
std::string_view fallbackText(const LlmCost& cost) noexcept {
    const bool parent = std::find(cost.parent_rate.begin(), cost.parent_rate.end(), true) != cost.parent_rate.end();
    if (cost.fallback_model) return parent ? "model+parent_rate" : "model";
    return parent ? "parent_rate" : "";
}

}  // namespace

struct UsageRecorder::Impl {
    std::shared_ptr<UsageStore> store;
    bool default_clock;  // no clock given: read the system clock directly
    RecorderOptions options;
    const UsageReports& reports;  // the recorder's base
    // The default plan's meters of the typed calls' built-in types (null: not priced), found
    // once: the price book is fixed for the recorder's life.
    const Meter* const api_call_meter = defaultMeter(EventType::apiCall());
    const Meter* const voice_minute_meter = defaultMeter(EventType::voiceMinute());
    const Meter* const ai_query_meter = defaultMeter(EventType::aiQuery());
    const Meter* const storage_mb_meter = defaultMeter(EventType::storageMb());
    // The default plan has later versions: an event's list price depends on its day.
    const bool list_versioned = !reports.priceBook().versionDays(reports.priceBook().defaultPlan().id).empty();
    std::unique_ptr<detail::AsyncPipeline> pipeline;
    std::atomic<std::uint64_t> sync_recorded{0}, sync_stored{0}, sync_duplicates{0};
    detail::AppendTimer sync_appends;  // the synchronous appends
    std::shared_ptr<const RateCard> rate_card;
    detail::ShardedCounter priced_with_fallback;
    detail::BudgetTable budgets;
    std::atomic<std::int64_t> next_budget_refresh{0};  // steady clock, ns (synchronous mode)
    std::condition_variable_any budget_wakeup;
    std::mutex budget_wakeup_mutex;
    detail::CrossingDelivery crossings{*store, options.on_budget_crossing};
    std::atomic<std::int64_t> next_statement_close{0};  // steady clock, ns
    std::atomic<std::uint64_t> statement_close_rounds{0}, statements_closed{0}, statement_close_failures{0};
    std::jthread budget_refresher;  // last: stopped before the pipeline goes

    Impl(std::shared_ptr<UsageStore> s, RecorderOptions o, const UsageReports& r)
        : store(std::move(s)),
          default_clock(!o.clock),
          options(std::move(o)),
          reports(r),
          rate_card(options.rate_card
                        ? options.rate_card
                        // The shipped card lives as long as the program: not owned.
                        : std::shared_ptr<const RateCard>(std::shared_ptr<void>(), &RateCard::standard())) {
        if (!options.clock) options.clock = systemNow;
        if (options.mode == RecordMode::async) {
            const AsyncOptions& async = options.async;
            if (async.max_batch == 0) throw ValidationError("async.max_batch", "must be positive");
            if (async.appends_in_flight == 0 || async.appends_in_flight > 4) {
                throw ValidationError("async.appends_in_flight", "must be 1 to 4");
            }
            if (async.segment_bytes < (64u << 10))
                throw ValidationError("async.segment_bytes", "must be at least 64 KiB");
            pipeline = std::make_unique<detail::AsyncPipeline>(store, async, spooled(options, *store));
            // 1536: the fixed fields, a model and parts; then the most dimensions an event carries.
            constexpr std::size_t dimension_bytes = max_event_dimensions * (3 + 32 + Dimension::max_value_bytes);
            if (options.max_metadata_bytes + 1536 + dimension_bytes > pipeline->maxEventBytes()) {
                throw ValidationError("max_metadata_bytes",
                                      "larger than a log segment holds (raise async.segment_bytes)");
            }
        }
        if (options.budget_refresh.count() < 0) throw ValidationError("budget_refresh", "must not be negative");
        if (options.statement_grace &&
            (options.statement_grace->count() < 0 || options.statement_grace->count() > 366)) {
            throw ValidationError("statement_grace", "must be from 0 to 366 days");
        }
        if (options.statement_close_interval.count() <= 0) {
            throw ValidationError("statement_close_interval", "must be positive");
        }
        if (options.late_event_window && options.late_event_window->count() < 0) {
            throw ValidationError("late_event_window", "must not be negative");
        }
        saveDimensions();
        try {
            // Nothing recorded by this recorder yet: nothing of its own to flush first.
            budgets.refresh(*store, now(), [] { return true; });
        } catch (const StoreError&) {
            // Unreachable or failing now: the next refresh (or refreshBudgets) loads them.
        }
        const bool refreshing = options.budget_refresh.count() > 0;
        if (pipeline && (refreshing || options.statement_grace)) {
            // Wakes at the shorter of the two intervals; each job runs when its own is due.
            const auto period = !options.statement_grace ? options.budget_refresh
                                : refreshing ? std::min(options.budget_refresh, options.statement_close_interval)
                                             : options.statement_close_interval;
            budget_refresher = std::jthread([this, period, refreshing](const std::stop_token& stop) {
                auto next_refresh = std::chrono::steady_clock::now() + options.budget_refresh;
                while (!stop.stop_requested()) {
                    std::unique_lock lock(budget_wakeup_mutex);
                    budget_wakeup.wait_for(lock, stop, period, [] { return false; });
                    lock.unlock();
                    if (stop.stop_requested()) break;
                    if (refreshing && std::chrono::steady_clock::now() >= next_refresh) {
                        next_refresh = std::chrono::steady_clock::now() + options.budget_refresh;
                        try {
                            refreshBudgets(options.budget_refresh);
                        } catch (const std::exception&) {
                            // The store is unreachable or failing: the running totals keep counting
                            // this recorder's calls; the next interval tries again.
                        }
                        crossings.deliver();
                    }
                    maybeCloseStatements(stop);
                }
            });
        }
    }

    // Closes every business's due statements when statement_close_interval has passed since
    // the last round (one caller at a time; the others go on). Never throws: failures are
    // counted, and the next round tries again.
    void maybeCloseStatements(const std::stop_token& stop) noexcept {
        if (!options.statement_grace) return;
        const std::int64_t steady = std::chrono::steady_clock::now().time_since_epoch().count();
        std::int64_t next = next_statement_close.load(std::memory_order_relaxed);
        if (steady < next) return;
        const std::int64_t after =
            steady +
            std::chrono::duration_cast<std::chrono::steady_clock::duration>(options.statement_close_interval).count();
        if (!next_statement_close.compare_exchange_strong(next, after, std::memory_order_relaxed)) return;
        try {
            // What is queued may belong to a due cycle: store it first (bounded).
            if (pipeline) pipeline->flush(std::chrono::seconds(1));
            for (const Account& account : store->listAccounts()) {
                if (stop.stop_requested()) return;
                try {
                    const auto closed = reports.closeDueStatements(account.id, *options.statement_grace);
                    statements_closed.fetch_add(closed.size(), std::memory_order_relaxed);
                } catch (const std::exception&) {
                    statement_close_failures.fetch_add(1, std::memory_order_relaxed);
                }
            }
            statement_close_rounds.fetch_add(1, std::memory_order_relaxed);
        } catch (const std::exception&) {
            statement_close_failures.fetch_add(1, std::memory_order_relaxed);  // listAccounts failed
        }
    }

    // The book's dimension declarations, into the store that bounds their values. A store
    // that cannot be reached now (asynchronous mode: the spool holds the events) keeps the
    // declarations it has; one it never had counts up to the default 1000 values.
    void saveDimensions() {
        const auto& dimensions = reports.priceBook().dimensions();
        if (dimensions.empty()) return;
        try {
            store->saveDimensions(dimensions);
        } catch (const StoreError& e) {
            if (!pipeline || !e.transient()) throw;
        }
    }

    void refreshBudgets(std::chrono::milliseconds flush_timeout) {
        budgets.refresh(*store, now(), [&] { return pipeline ? pipeline->flush(flush_timeout) : true; });
    }

    // Synchronous mode: refreshes when the interval has passed (one caller at a time; the
    // others go on with the totals as they are).
    void maybeRefreshBudgets() {
        if (pipeline || options.budget_refresh.count() == 0) return;
        const std::int64_t steady = std::chrono::steady_clock::now().time_since_epoch().count();
        if (steady < next_budget_refresh.load(std::memory_order_relaxed)) return;
        next_budget_refresh.store(
            steady + std::chrono::duration_cast<std::chrono::steady_clock::duration>(options.budget_refresh).count(),
            std::memory_order_relaxed);
        budgets.tryRefresh(*store, now(), [] { return true; });
        crossings.tryDeliver();
    }

    Timestamp now() const { return default_clock ? systemNow() : options.clock(); }

    const Meter* defaultMeter(const EventType& type) const noexcept {
        return reports.priceBook().defaultPlan().meter(type);
    }

    // The default plan's meter of `type` in the version in effect on `when`'s UTC day (the
    // recorder does not know the business's zone); ValidationError for a type it does not price.
    const Meter& listMeterOn(const EventType& type, Timestamp when) const {
        const PriceBook& book = reports.priceBook();
        const date::local_days day(std::chrono::floor<std::chrono::days>(when).time_since_epoch());
        if (const Meter* meter = book.findPlan(book.defaultPlan().id, day)->meter(type)) return *meter;
        return book.listMeter(type);
    }

    // A seed record call (recordApiCall, recordVoiceMinutes, recordAiQuery, recordStorage):
    // an event of `type` with `payload`'s fields as its metadata, priced at list.
    template <class Payload>
    Receipt recordSeed(const BusinessId& business, EventType type, const Decimal& quantity, const Payload& payload,
                       const RecordOptions& record, const Meter* meter) {
        DraftFields fields(options.max_metadata_bytes);
        addFields(fields, payload);
        auto draft = draftOf(business, type, quantity, fields);
        return submit(draft, record, meter);
    }

    // Prices a draft at list and records it. Its type is not a rate-card type (the typed
    // calls' built-in types; record() checks the host's). `meter`: the type's meter in the
    // default plan, when the caller has it and the plan has no later versions.
    Receipt submit(detail::EventDraft& draft, const RecordOptions& record, const Meter* meter = nullptr) {
        const Timestamp at = now();
        draft.occurred_at = record.occurred_at ? *record.occurred_at : at;
        checkLateWindow(draft, record, at);
        if (meter == nullptr || list_versioned) meter = &listMeterOn(draft.type, draft.occurred_at);
        // A level's report has no list price: what it costs depends on how long it is held.
        draft.unit_price = isLevelAggregation(meter->aggregation) ? Decimal() : meter->unit_price;
        return submit(draft, record, at);
    }

    // Prices and records a rate-card call of `type`: `price(at)` gives its cost at the card
    // entry in effect at occurred_at; `describe(cost, parts, fields)` says what the cost is
    // made of (and adds metadata), returning whether a fallback priced it.
    template <class CallReceipt, class Price, class Describe>
    CallReceipt recordCall(const BusinessId& business, EventType type, const RecordOptions& record, const Price& price,
                           const Describe& describe) {
        const Timestamp at = now();
        auto draft = draftOf(business, type, Decimal(1));
        draft.occurred_at = record.occurred_at ? *record.occurred_at : at;
        checkLateWindow(draft, record, at);  // before pricing it and checking its budgets
        CallReceipt receipt{.cost = price(draft.occurred_at)};
        CallParts parts;
        DraftFields fields(options.max_metadata_bytes);
        const bool fallback = describe(receipt.cost, parts, fields);
        draft.unit_price = receipt.cost.total;
        draft.model_provider = receipt.cost.provider;
        draft.model_name = receipt.cost.model;
        draft.parts = parts.view();
        fields.setIn(draft);
        maybeRefreshBudgets();
        budgets.check(business, draft.model_provider, draft.model_name, record.dimensions, at, 0);
        const Receipt recorded = submit(draft, record, at);
        if (recorded.outcome != RecordOutcome::duplicate) {
            budgets.advance(business, draft.model_provider, draft.model_name, record.dimensions,
                            detail::ceilNanos(receipt.cost.total));
        }
        if (fallback) priced_with_fallback.add(1);
        receipt.id = recorded.id;
        receipt.outcome = recorded.outcome;
        return receipt;
    }

    // Checks the call's dimension values and sorts them by name into an array on the
    // stack (the draft's view), then returns then(). Most calls have none: then no array
    // is made (zeroed) at all.
    template <class Then>
    auto withDimensions(detail::EventDraft& draft, const RecordOptions& record, const Then& then) const {
        if (record.dimensions.empty()) return then();
        std::array<DimensionValue, max_event_dimensions> sorted;
        draft.dimensions = detail::checkDimensions(record.dimensions, reports.priceBook(), sorted);
        return then();
    }

    // Refuses a draft older than the late-event window, unless it is a backfill.
    void checkLateWindow(const detail::EventDraft& draft, const RecordOptions& record, Timestamp now) const {
        if (!record.backfill && options.late_event_window && draft.occurred_at < now - *options.late_event_window) {
            tooLate();
        }
    }
    // Out of line: the check above is on every record call, inline.
    [[noreturn]] [[gnu::noinline]] void tooLate() const {
        throw ValidationError("occurred_at", "is more than " + std::to_string(options.late_event_window->count()) +
                                                 " days before now (RecorderOptions::late_event_window)");
    }

    // Validates a priced draft (occurred_at set and within the late-event window), gives it
    // its id and records it. One clock read (`now`) serves both the event's time and its
    // time-ordered id.
    Receipt submit(detail::EventDraft& draft, const RecordOptions& record, Timestamp now) {
        if (record.backfill) [[unlikely]]
            return submitBackfill(draft, record, now);
        return withDimensions(draft, record, [&] {
            identify(draft, record, now);
            if (pipeline) {
                pipeline->submit(draft);
                return Receipt{draft.id, RecordOutcome::queued};
            }
            const UsageEvent event = detail::toEvent(draft);
            const AppendResult result =
                sync_appends.timed([&] { return store->append(std::span<const UsageEvent>(&event, 1)); });
            return storedSynchronously(event, result);
        });
    }

    // The checks of a draft (its dimensions checked) beyond the late-event window, and its id.
    void identify(detail::EventDraft& draft, const RecordOptions& record, Timestamp now) const {
        detail::checkDraft(draft, options.max_metadata_bytes);
        draft.id = record.idempotency_key.empty() ? EventId::generate(now)
                                                  : EventId::fromKey(draft.business, record.idempotency_key);
    }

    // A backfill (RecordOptions::backfill): no late-event window, stored now through
    // UsageStore::backfill in either mode.
    Receipt submitBackfill(detail::EventDraft& draft, const RecordOptions& record, Timestamp now) {
        const Backfill& backfill = *record.backfill;
        detail::checkCorrectionText(backfill.reason, backfill.actor, "backfill.");
        const UsageEvent event = withDimensions(draft, record, [&] {
            identify(draft, record, now);
            return detail::toEvent(draft);
        });
        const AppendResult result = store->backfill(event, std::string(backfill.reason), std::string(backfill.actor));
        if (!pipeline) return storedSynchronously(event, result);
        throwIfRejected(event, result);
        return Receipt{event.id, result.duplicates > 0 ? RecordOutcome::duplicate : RecordOutcome::stored};
    }

    // RejectedError (IdempotencyConflictError for a conflict) when the store refused `event`.
    static void throwIfRejected(const UsageEvent& event, const AppendResult& result) {
        if (result.rejected.empty()) return;
        const Rejection& rejection = result.rejected.front();
        const std::string message = "event " + event.id.toString() + " rejected: " + rejection.reason;
        if (rejection.kind == RejectionKind::idempotency_conflict) throw IdempotencyConflictError(message);
        throw RejectedError(message);
    }

    // What a synchronous record call returns once the store answered `result` for `event`.
    Receipt storedSynchronously(const UsageEvent& event, const AppendResult& result) {
        throwIfRejected(event, result);
        sync_recorded.fetch_add(1, std::memory_order_relaxed);
        (result.duplicates > 0 ? sync_duplicates : sync_stored).fetch_add(1, std::memory_order_relaxed);
        maybeCloseStatements({});
        return Receipt{event.id, result.duplicates > 0 ? RecordOutcome::duplicate : RecordOutcome::stored};
    }
};

UsageRecorder::UsageRecorder(std::shared_ptr<UsageStore> store, RecorderOptions options)
    : UsageReports(store, initialPriceBook(checkedStore(store), options),
                   options.clock ? options.clock : Clock(systemNow)),
      impl_(std::make_unique<Impl>(std::move(store), std::move(options), reports())) {}

UsageRecorder::~UsageRecorder() = default;

const UsageReports& UsageRecorder::reports() const noexcept { return *this; }

Receipt UsageRecorder::recordApiCall(const BusinessId& business, const ApiCall& call, const RecordOptions& options) {
    return impl_->recordSeed(business, EventType::apiCall(), Decimal(1), call, options, impl_->api_call_meter);
}

Receipt UsageRecorder::recordVoiceMinutes(const BusinessId& business, const Decimal& minutes, const VoiceUsage& voice,
                                          const RecordOptions& options) {
    return impl_->recordSeed(business, EventType::voiceMinute(), minutes, voice, options, impl_->voice_minute_meter);
}

Receipt UsageRecorder::recordAiQuery(const BusinessId& business, const AiQuery& query, const RecordOptions& options) {
    return impl_->recordSeed(business, EventType::aiQuery(), Decimal(1), query, options, impl_->ai_query_meter);
}

Receipt UsageRecorder::recordStorage(const BusinessId& business, const Decimal& megabytes, const StorageUsage& storage,
                                     const RecordOptions& options) {
    return impl_->recordSeed(business, EventType::storageMb(), megabytes, storage, options, impl_->storage_mb_meter);
}

namespace {

// The metadata of a voice call priced by a fallback model.
void voiceFallback(bool fallback_model, std::string_view requested, DraftFields& fields) {
    if (!fallback_model) return;
    fields.text("pricing_fallback", "model");
    fields.text("requested_model", requested);
}

}  // namespace

LlmReceipt UsageRecorder::recordLlmCall(const BusinessId& business, const LlmUsage& usage,
                                        const RecordOptions& options) {
    Impl& impl = *impl_;
    return impl.recordCall<LlmReceipt>(
        business, EventType::llmCall(), options,
        [&](Timestamp at) { return priceLlmCall(*impl.rate_card, usage, at, impl.options.pricing_fallback); },
        [&](const LlmCost& cost, CallParts& parts, DraftFields& fields) {
            for (std::size_t t = 0; t < token_type_count; ++t) {
                const auto type = static_cast<TokenType>(t);
                if (const std::int64_t count = tokenCount(usage, type)) {
                    parts.add(toUsagePart(type), Decimal(count), cost.tokens[t]);
                }
            }
            parts.add(UsagePart::requests, Decimal(usage.request_count), cost.per_request);
            const std::string_view fallback = fallbackText(cost);
            fields.text("pricing_fallback", fallback);
            if (cost.fallback_model) fields.text("requested_model", usage.model);
            return !fallback.empty();
        });
}

TranscriptionReceipt UsageRecorder::recordTranscription(const BusinessId& business, const Transcription& call,
                                                        const RecordOptions& options) {
    Impl& impl = *impl_;
    return impl.recordCall<TranscriptionReceipt>(
        business, EventType::transcription(), options,
        [&](Timestamp at) {
            return priceTranscription(*impl.rate_card, call.provider, call.model, call.seconds, at,
                                      impl.options.pricing_fallback);
        },
        [&](const TranscriptionCost& cost, CallParts& parts, DraftFields& fields) {
            parts.add(UsagePart::requests, Decimal(1), cost.per_request);
            parts.add(UsagePart::audio_seconds, cost.billed_seconds, cost.cost);
            fields.decimal("seconds", call.seconds);
            fields.text("sessionId", call.session_id);
            voiceFallback(cost.fallback_model, call.model, fields);
            return cost.fallback_model;
        });
}

SpeechReceipt UsageRecorder::recordSpeech(const BusinessId& business, const Speech& call,
                                          const RecordOptions& options) {
    Impl& impl = *impl_;
    return impl.recordCall<SpeechReceipt>(
        business, EventType::speech(), options,
        [&](Timestamp at) {
            return priceSpeech(*impl.rate_card, call.provider, call.model, call.characters, at,
                               impl.options.pricing_fallback);
        },
        [&](const SpeechCost& cost, CallParts& parts, DraftFields& fields) {
            parts.add(UsagePart::requests, Decimal(1), cost.per_request);
            parts.add(UsagePart::characters, Decimal(call.characters), cost.cost);
            fields.text("sessionId", call.session_id);
            voiceFallback(cost.fallback_model, call.model, fields);
            return cost.fallback_model;
        });
}

Receipt UsageRecorder::setStorageLevel(const BusinessId& business, const Decimal& megabytes,
                                       const RecordOptions& options) {
    auto draft = draftOf(business, EventType::storageLevel(), megabytes);
    return impl_->submit(draft, options);
}

Receipt UsageRecorder::record(const BusinessId& business, const EventType& type, const Decimal& quantity,
                              const Metadata& metadata, const RecordOptions& options) {
    if (type.isRateCard()) {
        throw ValidationError("event_type", type.toString() +
                                                " is recorded by its own call (recordLlmCall, "
                                                "recordTranscription, recordSpeech)");
    }
    auto draft = draftOf(business, type, quantity);
    draft.encoded_metadata = detail::MetadataEncoding::bytes(metadata);
    return impl_->submit(draft, options);
}

void UsageRecorder::checkBudget(const BusinessId& business, const Decimal& estimate, std::string_view model) const {
    checkBudget(business, estimate, model, {});
}

void UsageRecorder::checkBudget(const BusinessId& business, const Decimal& estimate, std::string_view model,
                                std::span<const DimensionValue> dimensions) const {
    if (estimate.isNegative()) throw ValidationError("estimate", "must not be negative");
    impl_->maybeRefreshBudgets();
    impl_->budgets.check(business, model, {}, dimensions, impl_->now(), detail::ceilNanos(estimate));
}

std::vector<BudgetStatus> UsageRecorder::budgetStatus(const BusinessId& business) const {
    UsageStore& store = *impl_->store;
    const auto account = store.findAccount(business);
    if (!account) throw NotFoundError(detail::unknownBusiness(business));
    const Timestamp now = impl_->now();
    const BillingPeriod period = BillingPeriod::resolve(PeriodSpec::currentCycle(), *account, now);
    const Plan* plan = priceBook().findPlan(account->plan_id);
    const int minor_units = (plan != nullptr ? *plan : priceBook().defaultPlan()).currency.minor_units;
    const auto totals = store.modelTotals(business, period.days);
    std::vector<BudgetStatus> statuses;
    for (const Budget& budget : store.listBudgets(business)) {
        statuses.push_back(budgetStatusOf(budget, detail::storedSpentOf(store, budget, period.days, totals),
                                          period.days, localDay(now, account->time_zone), minor_units));
    }
    return statuses;
}

void UsageRecorder::refreshBudgets() { impl_->refreshBudgets(std::chrono::seconds(10)); }

void UsageRecorder::deliverCrossings() { impl_->crossings.deliver(); }

bool UsageRecorder::flush(std::chrono::milliseconds timeout) {
    return impl_->pipeline ? impl_->pipeline->flush(timeout) : true;
}

bool UsageRecorder::close(std::chrono::milliseconds timeout) {
    return impl_->pipeline ? impl_->pipeline->close(timeout) : true;
}

RecorderStats UsageRecorder::stats() const {
    RecorderStats stats;
    stats.priced_with_fallback = static_cast<std::uint64_t>(impl_->priced_with_fallback.sum());
    stats.budget_refreshes = impl_->budgets.refreshes();
    stats.crossings_delivered = impl_->crossings.delivered();
    stats.crossing_delivery_failures = impl_->crossings.failures();
    stats.statement_close_rounds = impl_->statement_close_rounds.load(std::memory_order_relaxed);
    stats.statements_closed = impl_->statements_closed.load(std::memory_order_relaxed);
    stats.statement_close_failures = impl_->statement_close_failures.load(std::memory_order_relaxed);
    if (impl_->pipeline) {
        impl_->pipeline->fillStats(stats);
    } else {
        stats.recorded = impl_->sync_recorded.load(std::memory_order_relaxed);
        stats.stored = impl_->sync_stored.load(std::memory_order_relaxed);
        stats.duplicates = impl_->sync_duplicates.load(std::memory_order_relaxed);
        stats.append_latency = impl_->sync_appends.snapshot();
    }
    return stats;
}

}  // namespace metered
