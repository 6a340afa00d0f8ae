// SPDX-License-Identifier: MIT
#include "metered/usage_recorder.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <unistd.h>

#include "async/event_codec.h"
#include "async/pipeline.h"
#include "event_checks.h"
#include "metered/errors.h"
#include "precision.h"
#include "utf8.h"

namespace metered {
namespace {

using detail::DraftField;
using detail::FieldKind;

// The metadata fields of a typed record call, kept as views (no allocation) until the
// event is encoded.
class DraftFields {
public:
    void text(std::string_view key, std::string_view value) {
        if (value.empty()) return;
        if (!detail::isStorableText(value)) {
            throw ValidationError("metadata." + std::string(key), "value is not valid UTF-8 without U+0000");
        }
        fields_[count_++] = {FieldKind::string, key, value};
    }
    void integer(std::string_view key, std::int64_t value) {
        auto& buffer = numbers_[count_];
        const auto end = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value).ptr;
        fields_[count_++] = {FieldKind::json, key, std::string_view(buffer.data(), static_cast<std::size_t>(end - buffer.data()))};
    }
    std::span<const DraftField> view() const noexcept { return {fields_.data(), count_}; }

private:
    // Left uninitialized on purpose: only the first count_ entries are ever read.
    std::array<DraftField, 6> fields_;
    std::array<std::array<char, 24>, 6> numbers_;
    std::size_t count_ = 0;
};

detail::EventDraft draftOf(const BusinessId& business, EventType type, const Decimal& quantity) {
    detail::EventDraft draft;
    draft.business = business;
    draft.type = type;
    draft.quantity = quantity;
    return draft;
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

}  // namespace

UsageRecorder::UsageRecorder(std::shared_ptr<UsageStore> store, RecorderOptions options)
    : store_(store ? std::move(store) : throw ValidationError("store", "must not be null")),
      default_clock_(!options.clock),
      options_(std::move(options)),
      reports_(store_, initialPriceBook(*store_, options_), options_.clock ? options_.clock : Clock(systemNow)) {
    if (!options_.clock) options_.clock = systemNow;
    if (options_.mode == RecordMode::async) {
        const AsyncOptions& async = options_.async;
        if (async.max_batch == 0) throw ValidationError("async.max_batch", "must be positive");
        if (async.segment_bytes < (64u << 10)) throw ValidationError("async.segment_bytes", "must be at least 64 KiB");
        pipeline_ = std::make_unique<detail::AsyncPipeline>(store_, async, spooled(options_, *store_));
        if (options_.max_metadata_bytes + 512 > pipeline_->maxEventBytes()) {
            throw ValidationError("max_metadata_bytes", "larger than a log segment holds (raise async.segment_bytes)");
        }
    }
}

UsageRecorder::~UsageRecorder() = default;

void UsageRecorder::prepare(detail::EventDraft& draft, const RecordOptions& options) const {
    if (draft.business.uuid().isNil()) throw ValidationError("business_id", "must not be the nil UUID");
    if (draft.quantity.isNegative()) throw ValidationError("quantity", "must not be negative");
    if (draft.quantity > detail::max_event_quantity) {
        throw ValidationError("quantity", "must not exceed 1000000000000 (10^12) per event");
    }
    if (draft.quantity.scale() > detail::max_quantity_scale && draft.quantity.significantScale() > detail::max_quantity_scale) {
        throw ValidationError("quantity", "has more than " + std::to_string(detail::max_quantity_scale) +
                                              " fractional digits");
    }
    const std::size_t metadata_bytes = draft.metadataBytes();
    if (metadata_bytes > options_.max_metadata_bytes) {
        throw ValidationError("metadata", std::to_string(metadata_bytes) + " bytes exceed the limit of " +
                                              std::to_string(options_.max_metadata_bytes));
    }
    draft.unit_price = priceBook().listMeter(draft.type).unit_price;
    // quantity ≤ 10^12, so a list price up to 10 (every common one) keeps the list cost
    // within its bound of 10^13 without a multiplication on the host's thread.
    if (draft.unit_price > Decimal(10)) {
        bool cost_fits = false;
        try {
            cost_fits = draft.quantity * draft.unit_price <= detail::max_day_list_cost;
        } catch (const ArithmeticError&) {
            // Too many digits: refused below, like a cost above the bound.
        }
        if (!cost_fits) throw ValidationError("quantity", "its list cost exceeds 10000000000000 (10^13) per event");
    }
    // One clock read serves both the event's time and its time-ordered id.
    const Timestamp now = default_clock_ ? systemNow() : options_.clock();
    draft.id = options.idempotency_key.empty() ? EventId::generate(now)
                                               : EventId::fromKey(draft.business, options.idempotency_key);
    draft.occurred_at = options.occurred_at ? *options.occurred_at : now;
    if (draft.occurred_at < detail::earliest_occurred_at || draft.occurred_at >= detail::latest_occurred_at) {
        throw ValidationError("occurred_at", "must be from 2000-01-01 to 2199-12-31 (UTC)");
    }
}

Receipt UsageRecorder::submit(detail::EventDraft& draft, const RecordOptions& options) {
    prepare(draft, options);
    if (pipeline_) {
        pipeline_->submit(draft);
        return Receipt{draft.id, RecordOutcome::queued};
    }
    const UsageEvent event = detail::toEvent(draft);
    const AppendResult result = store_->append(std::span<const UsageEvent>(&event, 1));
    if (!result.rejected.empty()) {
        const Rejection& rejection = result.rejected.front();
        const std::string message = "event " + event.id.toString() + " rejected: " + rejection.reason;
        if (rejection.kind == RejectionKind::idempotency_conflict) throw IdempotencyConflictError(message);
        throw RejectedError(message);
    }
    sync_recorded_.fetch_add(1, std::memory_order_relaxed);
    (result.duplicates > 0 ? sync_duplicates_ : sync_stored_).fetch_add(1, std::memory_order_relaxed);
    return Receipt{event.id, result.duplicates > 0 ? RecordOutcome::duplicate : RecordOutcome::stored};
}

UsageEvent UsageRecorder::makeEvent(const BusinessId& business, const EventType& type, const Decimal& quantity,
                                    Metadata metadata, const RecordOptions& options) const {
    auto draft = draftOf(business, type, quantity);
    draft.encoded_metadata = metadata.encoded();
    prepare(draft, options);
    return detail::toEvent(draft);
}

Receipt UsageRecorder::recordApiCall(const BusinessId& business, const ApiCall& call, const RecordOptions& options) {
    DraftFields fields;
    fields.text("operation", call.operation);
    fields.text("model", call.model);
    fields.integer("tokens", call.tokens);
    fields.text("intent", call.intent);
    fields.text("sessionId", call.session_id);
    auto draft = draftOf(business, EventType::apiCall(), Decimal(1));
    draft.fields = fields.view();
    return submit(draft, options);
}

Receipt UsageRecorder::recordVoiceMinutes(const BusinessId& business, const Decimal& minutes, const VoiceUsage& voice,
                                          const RecordOptions& options) {
    DraftFields fields;
    fields.text("operation", voice.operation);
    fields.integer("audioSize", voice.audio_size);
    fields.integer("transcriptionLength", voice.transcription_length);
    fields.text("sessionId", voice.session_id);
    auto draft = draftOf(business, EventType::voiceMinute(), minutes);
    draft.fields = fields.view();
    return submit(draft, options);
}

Receipt UsageRecorder::recordAiQuery(const BusinessId& business, const AiQuery& query, const RecordOptions& options) {
    DraftFields fields;
    fields.text("queryType", query.query_type);
    fields.text("complexity", query.complexity);
    fields.integer("tokens", query.tokens);
    auto draft = draftOf(business, EventType::aiQuery(), Decimal(1));
    draft.fields = fields.view();
    return submit(draft, options);
}

Receipt UsageRecorder::recordStorage(const BusinessId& business, const Decimal& megabytes, const StorageUsage& storage,
                                     const RecordOptions& options) {
    DraftFields fields;
    fields.text("fileType", storage.file_type);
    fields.integer("size", storage.size);
    fields.text("operation", storage.operation);
    auto draft = draftOf(business, EventType::storageMb(), megabytes);
    draft.fields = fields.view();
    return submit(draft, options);
}

Receipt UsageRecorder::record(const BusinessId& business, const EventType& type, const Decimal& quantity,
                              const Metadata& metadata, const RecordOptions& options) {
    auto draft = draftOf(business, type, quantity);
    draft.encoded_metadata = metadata.encoded();
    return submit(draft, options);
}

bool UsageRecorder::flush(std::chrono::milliseconds timeout) { return pipeline_ ? pipeline_->flush(timeout) : true; }

bool UsageRecorder::close(std::chrono::milliseconds timeout) { return pipeline_ ? pipeline_->close(timeout) : true; }

RecorderStats UsageRecorder::stats() const {
    RecorderStats stats;
    if (pipeline_) {
        pipeline_->fillStats(stats);
    } else {
        stats.recorded = sync_recorded_.load(std::memory_order_relaxed);
        stats.stored = sync_stored_.load(std::memory_order_relaxed);
        stats.duplicates = sync_duplicates_.load(std::memory_order_relaxed);
    }
    return stats;
}

BillingUsage UsageRecorder::getBillingUsage(const BusinessId& business, const PeriodSpec& period) const {
    return reports_.getBillingUsage(business, period);
}

std::vector<TrendPoint> UsageRecorder::getUsageTrends(const BusinessId& business, int days) const {
    return reports_.getUsageTrends(business, days);
}

QuotaStatus UsageRecorder::checkQuota(const BusinessId& business, const EventType& type) const {
    return reports_.checkQuota(business, type);
}

}  // namespace metered
