// SPDX-License-Identifier: MIT
// Micro-benchmarks of the pieces the record path and the flusher are made of.
#include <benchmark/benchmark.h>

#include <metered/metered.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "async/event_codec.h"
#include "chat_event.h"
#include "draft_fields.h"

using namespace metered;

namespace {

const Decimal quantity = Decimal::parse("75.5");
const Decimal price = Decimal::parse("0.02");

// The record section's chat completion, priced.
detail::EventDraft chatDraft(detail::DraftFields& fields) {
    detail::EventDraft draft = bench::chatCompletionDraft(fields, 412);
    draft.unit_price = Decimal::parse("0.01");
    return draft;
}

void decimalMultiply(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(quantity * price);
}
BENCHMARK(decimalMultiply);

void decimalParse(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(Decimal::tryParse("1234.567890"));
}
BENCHMARK(decimalParse);

void uuidV7(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(Uuid::generateV7());
}
BENCHMARK(uuidV7);

void idFromKey(benchmark::State& state) {
    const BusinessId business(Uuid::generateV7());
    for (auto _ : state) benchmark::DoNotOptimize(EventId::fromKey(business, "request-123456"));
}
BENCHMARK(idFromKey);

void encodeEvent(benchmark::State& state) {
    detail::DraftFields fields(8192);
    const auto draft = chatDraft(fields);
    std::vector<std::byte> out(detail::encodedEventSize(draft));
    for (auto _ : state) {
        detail::encodeEvent(draft, out.data());
        benchmark::DoNotOptimize(out.data());
    }
}
BENCHMARK(encodeEvent);

void decodeEvent(benchmark::State& state) {
    detail::DraftFields fields(8192);
    const auto draft = chatDraft(fields);
    std::vector<std::byte> bytes(detail::encodedEventSize(draft));
    detail::encodeEvent(draft, bytes.data());
    for (auto _ : state) benchmark::DoNotOptimize(detail::decodeEvent(bytes));
}
BENCHMARK(decodeEvent);

void metadataToJson(benchmark::State& state) {
    Metadata m;
    m.set("operation", "chat_completion").set("model", "gpt-4o-mini").set("tokens", 412).set("sessionId", "session-42");
    for (auto _ : state) benchmark::DoNotOptimize(m.toJson());
}
BENCHMARK(metadataToJson);

void billOfAPeriod(benchmark::State& state) {
    const PricingCalculator calculator(Plan::basic());
    const std::vector<UsageTotal> totals = {{EventType::apiCall(), Decimal(1500), 1500, {}},
                                            {EventType::voiceMinute(), quantity, 31, {}},
                                            {EventType::aiQuery(), Decimal(150), 150, {}},
                                            {EventType::storageMb(), Decimal(1500), 2, {}}};
    for (auto _ : state) benchmark::DoNotOptimize(calculator.bill(totals));
}
BENCHMARK(billOfAPeriod);

// LiteLLM's public file (2,455 models), if the shared data is where CMake was told.
std::string liteLlmFile() {
    std::ifstream in(METERED_SHARED_DATA_DIR "/litellm/model_prices_and_context_window.json", std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

void liteLlmImport(benchmark::State& state) {
    const std::string text = liteLlmFile();
    if (text.empty()) {
        state.SkipWithError("no LiteLLM file under METERED_SHARED_DATA_DIR");
        return;
    }
    for (auto _ : state) benchmark::DoNotOptimize(RateCard::fromLiteLlm(text));
}
BENCHMARK(liteLlmImport)->Unit(benchmark::kMillisecond);

// A lookup and the exact cost of one call, on the full imported card.
void priceLlmCallOnFullCard(benchmark::State& state) {
    const std::string text = liteLlmFile();
    if (text.empty()) {
        state.SkipWithError("no LiteLLM file under METERED_SHARED_DATA_DIR");
        return;
    }
    const RateCard card = RateCard::fromLiteLlm(text).card;
    LlmUsage usage;
    usage.provider = "openai";
    usage.model = "gpt-4o-mini";
    usage.input_tokens = 86;
    usage.cached_input_tokens = 1920;
    usage.output_tokens = 300;
    const Timestamp at = systemNow();
    for (auto _ : state) benchmark::DoNotOptimize(priceLlmCall(card, usage, at));
}
BENCHMARK(priceLlmCallOnFullCard);

}  // namespace
