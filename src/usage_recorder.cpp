// SPDX-License-Identifier: MIT
#include "metered/usage_recorder.h"

#include <algorithm>

#include "metered/errors.h"
#include "precision.h"

namespace metered {
namespace {

PriceBook priceBookOf(UsageStore& store) {
    auto plans = store.loadPlans();
    if (plans.empty()) throw ValidationError("price_book", "the store has no plans (run migrate())");
    const bool has_basic = std::any_of(plans.begin(), plans.end(), [](const Plan& p) { return p.id == "basic"; });
    std::string default_plan = has_basic ? "basic" : plans.front().id;
    return PriceBook(std::move(plans), std::move(default_plan));
}

void setIfPresent(Metadata& metadata, std::string_view key, std::string_view value) {
    if (!value.empty()) metadata.set(key, value);
}

}  // namespace

UsageRecorder::UsageRecorder(std::shared_ptr<UsageStore> store, RecorderOptions options)
    : store_(store ? std::move(store) : throw ValidationError("store", "must not be null")),
      options_(std::move(options)),
      reports_(store_, options_.price_book ? *options_.price_book : priceBookOf(*store_),
               options_.clock ? options_.clock : Clock(systemNow)) {
    if (!options_.clock) options_.clock = systemNow;
}

UsageRecorder::~UsageRecorder() = default;

UsageEvent UsageRecorder::makeEvent(const BusinessId& business, const EventType& type, const Decimal& quantity,
                                    Metadata metadata, const RecordOptions& options) const {
    if (business.uuid().isNil()) throw ValidationError("business_id", "must not be the nil UUID");
    if (quantity.isNegative()) throw ValidationError("quantity", "must not be negative");
    if (quantity.significantScale() > detail::max_quantity_scale) {
        throw ValidationError("quantity", "has more than " + std::to_string(detail::max_quantity_scale) +
                                              " fractional digits");
    }
    if (metadata.byteSize() > options_.max_metadata_bytes) {
        throw ValidationError("metadata", std::to_string(metadata.byteSize()) + " bytes exceed the limit of " +
                                              std::to_string(options_.max_metadata_bytes));
    }
    const Meter& list = priceBook().listMeter(type);
    UsageEvent event;
    event.id = options.idempotency_key.empty() ? EventId::generate() : EventId::fromKey(business, options.idempotency_key);
    event.business = business;
    event.type = type;
    event.quantity = quantity;
    event.unit_price = list.unit_price;
    event.list_cost = quantity * list.unit_price;
    event.metadata = std::move(metadata);
    event.occurred_at = options.occurred_at ? *options.occurred_at : options_.clock();
    return event;
}

Receipt UsageRecorder::append(UsageEvent event) {
    const AppendResult result = store_->append(std::span<const UsageEvent>(&event, 1));
    if (!result.rejected.empty()) {
        throw RejectedError("event " + event.id.toString() + " rejected: " + result.rejected.front().reason);
    }
    return Receipt{event.id, result.duplicates > 0 ? RecordOutcome::duplicate : RecordOutcome::stored};
}

Receipt UsageRecorder::recordApiCall(const BusinessId& business, const ApiCall& call, const RecordOptions& options) {
    Metadata metadata;
    setIfPresent(metadata, "operation", call.operation);
    setIfPresent(metadata, "model", call.model);
    metadata.set("tokens", call.tokens);
    setIfPresent(metadata, "intent", call.intent);
    setIfPresent(metadata, "sessionId", call.session_id);
    return append(makeEvent(business, EventType::apiCall(), Decimal(1), std::move(metadata), options));
}

Receipt UsageRecorder::recordVoiceMinutes(const BusinessId& business, const Decimal& minutes, const VoiceUsage& voice,
                                          const RecordOptions& options) {
    Metadata metadata;
    setIfPresent(metadata, "operation", voice.operation);
    metadata.set("audioSize", voice.audio_size);
    metadata.set("transcriptionLength", voice.transcription_length);
    setIfPresent(metadata, "sessionId", voice.session_id);
    return append(makeEvent(business, EventType::voiceMinute(), minutes, std::move(metadata), options));
}

Receipt UsageRecorder::recordAiQuery(const BusinessId& business, const AiQuery& query, const RecordOptions& options) {
    Metadata metadata;
    setIfPresent(metadata, "queryType", query.query_type);
    setIfPresent(metadata, "complexity", query.complexity);
    metadata.set("tokens", query.tokens);
    return append(makeEvent(business, EventType::aiQuery(), Decimal(1), std::move(metadata), options));
}

Receipt UsageRecorder::recordStorage(const BusinessId& business, const Decimal& megabytes, const StorageUsage& storage,
                                     const RecordOptions& options) {
    Metadata metadata;
    setIfPresent(metadata, "fileType", storage.file_type);
    metadata.set("size", storage.size);
    setIfPresent(metadata, "operation", storage.operation);
    return append(makeEvent(business, EventType::storageMb(), megabytes, std::move(metadata), options));
}

Receipt UsageRecorder::record(const BusinessId& business, const EventType& type, const Decimal& quantity,
                              const Metadata& metadata, const RecordOptions& options) {
    return append(makeEvent(business, type, quantity, metadata, options));
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
