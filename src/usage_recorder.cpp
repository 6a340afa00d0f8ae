// SPDX-License-Identifier: MIT
#include "metered/usage_recorder.h"

#include <algorithm>
#include <array>
#include <charconv>

#include "async/event_codec.h"
#include "async/pipeline.h"
#include "metered/errors.h"
#include "precision.h"
#include "utf8.h"
#include "untrusted_text.h"

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
        if (!detail::isValidUtf8(value)) {
            throw ValidationError("metadata." + detail::clipped(key), "value is not valid UTF-8");
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

}  // namespace

UsageRecorder::UsageRecorder(std::shared_ptr<UsageStore> store, RecorderOptions options)
    : store_(store ? std::move(store) : throw ValidationError("store", "must not be null")),
      default_clock_(!options.clock),
      options_(std::move(options)),
      reports_(store_, options_.price_book ? *options_.price_book : storedPriceBook(*store_),
               options_.clock ? options_.clock : Clock(systemNow)) {
    if (!options_.clock) options_.clock = systemNow;
    if (options_.mode == RecordMode::async) {
        const AsyncOptions& async = options_.async;
        if (async.max_batch == 0) throw ValidationError("async.max_batch", "must be positive");
        if (async.segment_bytes < (64u << 10)) throw ValidationError("async.segment_bytes", "must be at least 64 KiB");
        const bool spool = async.spool == SpoolMode::on || (async.spool == SpoolMode::automatic && store_->remote());
        pipeline_ = std::make_unique<detail::AsyncPipeline>(store_, async, spool);
        if (options_.max_metadata_bytes + 512 > pipeline_->maxEventBytes()) {
            throw ValidationError("max_metadata_bytes", "larger than a log segment holds (raise async.segment_bytes)");
        }
    }
}

UsageRecorder::~UsageRecorder() = default;

void UsageRecorder::prepare(detail::EventDraft& draft, const RecordOptions& options) const {
    if (draft.business.uuid().isNil()) throw ValidationError("business_id", "must not be the nil UUID");
    if (draft.quantity.isNegative()) throw ValidationError("quantity", "must not be negative");
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
    // One clock read serves both the event's time and its time-ordered id.
    const Timestamp now = default_clock_ ? systemNow() : options_.clock();
    draft.id = options.idempotency_key.empty() ? EventId::generate(now)
                                               : EventId::fromKey(draft.business, options.idempotency_key);
    draft.occurred_at = options.occurred_at ? *options.occurred_at : now;
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
        throw RejectedError("event " + event.id.toString() + " rejected: " + result.rejected.front().reason);
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
