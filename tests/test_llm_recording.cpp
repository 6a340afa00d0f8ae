// SPDX-License-Identifier: MIT
// recordLlmCall: the cost comes back on the receipt, the event is stored with its model
// and parts, and the spool carries them.
#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <rapidcheck.h>
#include <rapidcheck/catch.h>

#include "async/event_codec.h"
#include "metered/errors.h"
#include "metered/json.h"
#include "metered/memory_store.h"
#include "metered/usage_recorder.h"
#include "test_support.h"

using namespace metered;
using namespace metered::testing;
using namespace date::literals;
using std::chrono::hours;

namespace {

// gpt-4o's price cut of 2024-10-01 brought its first cached-input price; Sonnet 4 prices
// cache writes and reads.
constexpr std::string_view llm_card_json = R"({"models": {
  "openai/gpt-4o": {"prices": [
    {"from": "2024-05-13", "per": "1M", "input": "5.00", "output": "15.00", "reasoning_as_output": true},
    {"from": "2024-10-01", "per": "1M", "input": "2.50", "cached_input": "1.25", "output": "10.00",
     "reasoning_as_output": true}]},
  "deepgram/nova-3": {"prices": [
    {"from": "2025-01-01", "per_second": "0.0001", "minimum_seconds": 10, "billing_increment_seconds": 15}]},
  "anthropic/claude-sonnet-4": {"prices": [
    {"from": "2025-05-22", "per": "1M", "input": "3", "cached_input": "0.30", "cache_write": "3.75", "output": "15"}]}},
  "aliases": {"openai/gpt-4o-2024-08-06": "gpt-4o"}})";

LlmUsage gpt4o(std::int64_t input, std::int64_t cached, std::int64_t output) {
    LlmUsage usage;
    usage.provider = "openai";
    usage.model = "gpt-4o";
    usage.input_tokens = input;
    usage.cached_input_tokens = cached;
    usage.output_tokens = output;
    return usage;
}

RecorderOptions withCard(RecorderOptions options) {
    options.rate_card = std::make_shared<const RateCard>(RateCard::fromJson(llm_card_json));
    return options;
}

struct LlmSetup : RecorderSetup {
    explicit LlmSetup(RecorderOptions options = {}) : RecorderSetup(withCard(std::move(options))) {}
};

}  // namespace

TEST_CASE("recordLlmCall returns the exact cost and stores the event with its model and parts", "[llm_recording]") {
    LlmSetup setup;
    // 1000 fresh + 500 cached input, 200 output at $2.50 / $1.25 / $10 per million:
    // 0.0025 + 0.000625 + 0.002 = 0.005125.
    const LlmReceipt receipt = setup.recorder.recordLlmCall(setup.business.id, gpt4o(1000, 500, 200));
    CHECK(receipt.outcome == RecordOutcome::stored);
    CHECK(receipt.cost.total == num("0.005125"));
    CHECK(receipt.cost.cost(TokenType::cached_input) == num("0.000625"));
    CHECK(receipt.cost.model == "gpt-4o");
    CHECK_FALSE(receipt.cost.usedFallback());

    const auto events = setup.store->events(setup.business.id);
    REQUIRE(events.size() == 1);
    const UsageEvent& event = events.front();
    CHECK(event.id == receipt.id);
    CHECK(event.type == EventType::llmCall());
    CHECK(event.quantity == num("1"));
    CHECK(event.list_cost == num("0.005125"));
    CHECK(event.model == "openai/gpt-4o");
    const std::vector<PricedPart> parts = {{UsagePart::input, num("1000"), num("0.0025")},
                                           {UsagePart::cached_input, num("500"), num("0.000625")},
                                           {UsagePart::output, num("200"), num("0.002")},
                                           {UsagePart::requests, num("1"), num("0")}};
    CHECK(event.parts == parts);
    CHECK(event.metadata.empty());

    // A retry with the same key is the same call: counted once, priced the same.
    const auto first = setup.recorder.recordLlmCall(setup.business.id, gpt4o(10, 0, 10), {.idempotency_key = "req-1"});
    const auto again = setup.recorder.recordLlmCall(setup.business.id, gpt4o(10, 0, 10), {.idempotency_key = "req-1"});
    CHECK(first.outcome == RecordOutcome::stored);
    CHECK(again.outcome == RecordOutcome::duplicate);
    CHECK(again.id == first.id);
    CHECK(again.cost.total == first.cost.total);
    CHECK(setup.store->events(setup.business.id).size() == 2);
}

TEST_CASE("recordLlmCall prices at the card entry in effect when the call happened", "[llm_recording]") {
    LlmSetup setup({.late_event_window = std::nullopt});  // calls of September and October
    // Before the cut: $5 / $15 per million. 1000 × 0.000005 + 200 × 0.000015 = 0.008.
    const auto before = setup.recorder.recordLlmCall(setup.business.id, gpt4o(1000, 0, 200),
                                                     {.occurred_at = at(2024_y / 9 / 30, hours(23))});
    const auto after =
        setup.recorder.recordLlmCall(setup.business.id, gpt4o(1000, 0, 200), {.occurred_at = at(2024_y / 10 / 1)});
    CHECK(before.cost.total == num("0.008"));
    CHECK(after.cost.total == num("0.0045"));
    CHECK(before.cost.effective_from == 2024_y / 5 / 13);
    // An alias is priced as its model, and stored under it.
    LlmUsage snapshot = gpt4o(1000, 0, 0);
    snapshot.model = "gpt-4o-2024-08-06";
    CHECK(setup.recorder.recordLlmCall(setup.business.id, snapshot).cost.total == num("0.0025"));
    CHECK(setup.store->events(setup.business.id).back().model == "openai/gpt-4o");
}

TEST_CASE("an unknown model or an unpriced token type is refused, or priced by a flagged and counted fallback",
          "[llm_recording]") {
    SECTION("refused by default, nothing recorded") {
        LlmSetup setup({.late_event_window = std::nullopt});
        LlmUsage unknown = gpt4o(10, 0, 10);
        unknown.model = "gpt-9";
        CHECK(errorField([&] { setup.recorder.recordLlmCall(setup.business.id, unknown); }) == "model");
        // Cached input before the entry that first priced it.
        CHECK(errorField([&] {
                  setup.recorder.recordLlmCall(setup.business.id, gpt4o(10, 5, 10),
                                               {.occurred_at = at(2024_y / 9 / 1)});
              }) == "cached_input_tokens");
        LlmUsage broken = gpt4o(10, 0, 10);
        broken.output_tokens = -1;
        CHECK(errorField([&] { setup.recorder.recordLlmCall(setup.business.id, broken); }) == "output_tokens");
        CHECK(setup.store->events(setup.business.id).empty());
        CHECK(setup.recorder.stats().recorded == 0);
        CHECK(setup.recorder.stats().priced_with_fallback == 0);
    }
    SECTION("a fallback is flagged on the receipt and in the event, and counted") {
        LlmSetup setup(
            {.pricing_fallback = {.fallback_provider = "openai", .fallback_model = "gpt-4o", .parent_rates = true},
             .late_event_window = std::nullopt});
        // Cached input at the input rate of the older entry: 1000 × 0.000005 + 500 × 0.000005
        // + 200 × 0.000015 = 0.0105.
        const auto parent =
            setup.recorder.recordLlmCall(setup.business.id, gpt4o(1000, 500, 200), {.occurred_at = at(2024_y / 9 / 1)});
        CHECK(parent.cost.total == num("0.0105"));
        CHECK(parent.cost.usedParentRate(TokenType::cached_input));
        LlmUsage unknown = gpt4o(1000, 0, 0);
        unknown.model = "gpt-9";
        const auto model = setup.recorder.recordLlmCall(setup.business.id, unknown);
        CHECK(model.cost.fallback_model);
        CHECK(model.cost.total == num("0.0025"));
        CHECK(setup.recorder.stats().priced_with_fallback == 2);
        const auto events = setup.store->events(setup.business.id);
        REQUIRE(events.size() == 2);
        const auto metadata = [&](std::size_t i) { return nlohmann::json::parse(events[i].metadata.toJson()); };
        CHECK(metadata(0) == nlohmann::json{{"pricing_fallback", "parent_rate"}});
        CHECK(metadata(1) == nlohmann::json{{"pricing_fallback", "model"}, {"requested_model", "gpt-9"}});
    }
}

TEST_CASE("the rate-card types are recorded only through their own calls", "[llm_recording]") {
    LlmSetup setup;
    CHECK(errorField([&] { setup.recorder.record(setup.business.id, EventType::llmCall(), num("1")); }) ==
          "event_type");
    CHECK(setup.store->events(setup.business.id).empty());
}

TEST_CASE("asynchronous recordLlmCall returns the cost at once and the flusher stores the event", "[llm_recording]") {
    LlmSetup setup(asyncInMemory());
    // Sonnet 4: 100 fresh, 2000 written, 3000 read, 50 out:
    // 0.0003 + 0.0075 + 0.0009 + 0.00075 = 0.00945.
    LlmUsage usage;
    usage.provider = "anthropic";
    usage.model = "claude-sonnet-4";
    usage.input_tokens = 100;
    usage.cache_write_tokens = 2000;
    usage.cached_input_tokens = 3000;
    usage.output_tokens = 50;
    const auto receipt = setup.recorder.recordLlmCall(setup.business.id, usage, {.occurred_at = at(2025_y / 6 / 1)});
    CHECK(receipt.outcome == RecordOutcome::queued);
    CHECK(receipt.cost.total == num("0.00945"));
    REQUIRE(setup.recorder.flush());
    const auto events = setup.store->events(setup.business.id);
    REQUIRE(events.size() == 1);
    CHECK(events[0].model == "anthropic/claude-sonnet-4");
    CHECK(events[0].list_cost == num("0.00945"));
    CHECK(events[0].parts.size() == 5);
    CHECK(events[0].parts[2] == PricedPart{UsagePart::cache_write, num("2000"), num("0.0075")});
}

TEST_CASE("the event log carries a rate-card event's model and parts, and still reads version-1 records",
          "[llm_recording]") {
    const std::array<PricedPart, 2> parts = {PricedPart{UsagePart::input, num("1200"), num("0.000000000000000001")},
                                             PricedPart{UsagePart::requests, num("1"), num("0.25")}};
    detail::EventDraft draft;
    draft.business = account("A").id;
    draft.type = EventType::llmCall();
    draft.quantity = num("1");
    draft.unit_price = num("0.250000000000000001");
    draft.id = EventId::generate(at(2025_y / 1 / 1));
    draft.occurred_at = at(2025_y / 1 / 1);
    draft.model_provider = "openai";
    draft.model_name = "ft:gpt-4o/x";
    draft.parts = parts;
    std::vector<std::byte> bytes(detail::encodedEventSize(draft));
    detail::encodeEvent(draft, bytes.data());
    const UsageEvent event = detail::decodeEvent(bytes);
    CHECK(event.model == "openai/ft:gpt-4o/x");
    CHECK(event.parts == std::vector<PricedPart>(parts.begin(), parts.end()));
    CHECK(event.list_cost == draft.unit_price);
    const UsageEvent direct = detail::toEvent(draft);
    CHECK(direct.model == event.model);
    CHECK(direct.parts == event.parts);

    // An ordinary event written by version 1 (no model, no parts): the same bytes without
    // the four trailing ones (model length, part count, dimension count), and version 1;
    // by version 2 (no dimensions): without the last one, and version 2.
    detail::EventDraft plain = draft;
    plain.type = EventType::apiCall();
    plain.unit_price = num("0.01");
    plain.model_provider = {};
    plain.model_name = {};
    plain.parts = {};
    std::vector<std::byte> v3(detail::encodedEventSize(plain));
    detail::encodeEvent(plain, v3.data());
    CHECK(v3[0] == std::byte{3});
    std::vector<std::byte> v1(v3.begin(), v3.end() - 4);
    v1[0] = std::byte{1};
    const UsageEvent old = detail::decodeEvent(v1);
    CHECK(old.type == EventType::apiCall());
    CHECK(old.model.empty());
    CHECK(old.parts.empty());
    std::vector<std::byte> v2(v3.begin(), v3.end() - 1);
    v2[0] = std::byte{2};
    const UsageEvent older = detail::decodeEvent(v2);
    CHECK(older.type == EventType::apiCall());
    CHECK(older.dimensions.empty());
    CHECK(older.quantity == plain.quantity);
    // Damaged: a model without its provider, an unknown part, or a part count past the end.
    detail::EventDraft bare = draft;
    bare.model_provider = "p";
    bare.model_name = "m";
    std::vector<std::byte> unnamed(detail::encodedEventSize(bare));
    detail::encodeEvent(bare, unnamed.data());
    const std::byte slash{'/'};
    const auto at = std::find(unnamed.end() - 2 * (1 + 2 * 17) - 1 - 3 - 1, unnamed.end(), slash);
    REQUIRE(at != unnamed.end());
    *at = std::byte{'_'};
    CHECK_THROWS_AS(detail::decodeEvent(unnamed), ValidationError);
    bytes[bytes.size() - 2 * (1 + 2 * 17) - 1 - 1] = std::byte{200};
    CHECK_THROWS_AS(detail::decodeEvent(bytes), ValidationError);
    v2[v2.size() - 1] = std::byte{3};  // version 2: a part count past the end
    CHECK_THROWS_AS(detail::decodeEvent(v2), ValidationError);
    v3[v3.size() - 1] = std::byte{1};  // a dimension count past the end
    CHECK_THROWS_AS(detail::decodeEvent(v3), ValidationError);
    v3[v3.size() - 1] = std::byte{9};  // more dimensions than an event may carry
    CHECK_THROWS_AS(detail::decodeEvent(v3), ValidationError);
    v3[0] = std::byte{4};  // a version from the future
    v3[v3.size() - 1] = std::byte{0};
    CHECK_THROWS_AS(detail::decodeEvent(v3), ValidationError);
}

TEST_CASE("recordTranscription bills started increments above the minimum; recordSpeech bills characters",
          "[llm_recording]") {
    LlmSetup setup;
    const RecordOptions june{.occurred_at = at(2025_y / 6 / 1)};
    // 16 s at $0.0001 per second, at least 10 s, per started 15 s: 30 s billed, $0.003.
    const auto receipt = setup.recorder.recordTranscription(
        setup.business.id, {.provider = "deepgram", .model = "nova-3", .seconds = num("16"), .session_id = "s-1"},
        june);
    CHECK(receipt.cost.billed_seconds == num("30"));
    CHECK(receipt.cost.total == num("0.003"));
    // 4 s: the 10 s minimum, one started increment: 15 s.
    CHECK(setup.recorder
              .recordTranscription(setup.business.id, {.provider = "deepgram", .model = "nova-3", .seconds = num("4")},
                                   june)
              .cost.total == num("0.0015"));
    const auto events = setup.store->events(setup.business.id);
    REQUIRE(events.size() == 2);
    CHECK(events[0].type == EventType::transcription());
    CHECK(events[0].model == "deepgram/nova-3");
    CHECK(events[0].list_cost == num("0.003"));
    const std::vector<PricedPart> parts = {{UsagePart::requests, num("1"), num("0")},
                                           {UsagePart::audio_seconds, num("30"), num("0.003")}};
    CHECK(events[0].parts == parts);
    CHECK(nlohmann::json::parse(events[0].metadata.toJson()) ==
          nlohmann::json::parse(R"({"seconds": 16, "sessionId": "s-1"})"));
    CHECK(errorField([&] {
              setup.recorder.recordTranscription(
                  setup.business.id, {.provider = "deepgram", .model = "nova-3", .seconds = num("-1")}, june);
          }) == "seconds");
    // A model the card prices per token only cannot transcribe.
    CHECK(errorField([&] {
              setup.recorder.recordTranscription(setup.business.id,
                                                 {.provider = "openai", .model = "gpt-4o", .seconds = num("1")}, june);
          }) == "seconds");
    CHECK(setup.store->events(setup.business.id).size() == 2);
}

TEST_CASE("without a card of its own, a recorder prices at the shipped card", "[llm_recording]") {
    auto store = std::make_shared<MemoryStore>();
    const Account business = account("Acme Voice");
    store->saveAccount(business);
    UsageRecorder recorder(store);
    const auto& card = RateCard::standard();
    const RecordOptions day{.occurred_at = at(2026_y / 12 / 2)};
    // Each figure from the card's own prices: what a host sees is what the card says.
    LlmUsage usage;
    usage.provider = "openai";
    usage.model = "gpt-4o-mini";
    usage.input_tokens = 1000;
    CHECK(recorder.recordLlmCall(business.id, usage, day).cost.total ==
          *card.find("openai", "gpt-4o-mini", *day.occurred_at)->prices.input * Decimal(1000));
    const auto spoken =
        recorder.recordSpeech(business.id, {.provider = "openai", .model = "tts-1", .characters = 1000}, day);
    CHECK(spoken.cost.total == *card.find("openai", "tts-1", *day.occurred_at)->per_character * Decimal(1000));
    CHECK_FALSE(spoken.cost.total.isZero());
    const auto heard = recorder.recordTranscription(
        business.id, {.provider = "openai", .model = "whisper-1", .seconds = num("12.345")}, day);
    CHECK(heard.cost.cost == *card.find("openai", "whisper-1", *day.occurred_at)->per_second *
                                 card.find("openai", "whisper-1", *day.occurred_at)->billedSeconds(num("12.345")));
    const auto events = store->events(business.id);
    REQUIRE(events.size() == 3);
    CHECK(events[1].type == EventType::speech());
    CHECK(events[1].parts.back() == PricedPart{UsagePart::characters, num("1000"), spoken.cost.cost});
    CHECK(nlohmann::json::parse(events[2].metadata.toJson())["seconds"].dump() == "12.345");
}

TEST_CASE("a bill charges rate-card usage per model under the plan's AI terms; days of the cycle sum to it",
          "[llm_recording]") {
    Plan pro = Plan::basic();
    pro.id = "pro";
    pro.name = "Pro";
    pro.ai = AiBilling{.markup_percent = num("20"), .included_amount = num("0.01")};
    auto store = std::make_shared<MemoryStore>();
    const Account business = account("Acme AI", "UTC", "pro");
    store->saveAccount(business);
    FixedClock clock;
    *clock.now = at(2024_y / 12 / 5, hours(20));
    UsageRecorder recorder(store, {.price_book = PriceBook({Plan::basic(), pro}, "basic"),
                                   .clock = clock,
                                   .rate_card = std::make_shared<const RateCard>(RateCard::fromJson(llm_card_json))});
    // Four gpt-4o calls on four days, $0.005125 each: $0.0205 at cost, $0.0246 with 20 %,
    // rounded once to $0.02; the first $0.01 is included.
    for (unsigned day = 1; day <= 4; ++day) {
        recorder.recordLlmCall(business.id, gpt4o(1000, 500, 200),
                               {.occurred_at = at(2024_y / 12 / date::day(day), hours(9))});
    }
    const BillingUsage usage = recorder.getBillingUsage(business.id);
    REQUIRE(usage.bill.ai_lines.size() == 1);
    const AiLine& line = usage.bill.ai_lines.front();
    CHECK(line.model == "openai/gpt-4o");
    CHECK(line.cost == num("0.0205"));
    CHECK(line.exact_amount == num("0.0246"));
    CHECK(line.amount == num("0.02"));
    REQUIRE(usage.bill.ai_credit.has_value());
    CHECK(usage.bill.ai_credit->amount == num("-0.01"));
    CHECK(usage.bill.total == num("0.01"));
    // The seed's figures keep their meaning: no API calls were recorded.
    CHECK(usage.quantity(EventType::apiCall()) == num("0"));
    CHECK(usage.bill.line(EventType::apiCall())->amount == num("0"));
    // The period's rate-card usage per part, exact.
    const auto cached = std::find_if(usage.models.begin(), usage.models.end(),
                                     [](const ModelUsageTotal& m) { return m.part == UsagePart::cached_input; });
    REQUIRE(cached != usage.models.end());
    CHECK(cached->quantity == num("2000"));
    CHECK(cached->cost == num("0.0025"));
    CHECK(cached->events == 4);

    // The days of the cycle add up to the bill; the included amount is used up first.
    const auto trends = recorder.getUsageTrends(business.id, 5);
    Decimal sum;
    for (const TrendPoint& point : trends) sum += point.cost;
    CHECK(sum == usage.bill.total);
    CHECK(trends[0].cost == num("0"));  // Dec 1: $0.00615 charged, within the $0.01 included
    CHECK(trends[0].models.size() == 4);

    const auto json = nlohmann::json::parse(to_json(usage));
    CHECK(json["cost"].dump() == "0.01");
    CHECK(json["aiUsage"][0]["model"] == "openai/gpt-4o");
    CHECK(json["aiUsage"][0]["calls"] == 4);
    CHECK(json["aiUsage"][0]["cost"].dump() == "0.0205");
    CHECK(json["aiUsage"][0]["amount"].dump() == "0.02");
    CHECK(json["aiIncluded"]["amount"].dump() == "-0.01");
    const auto bill = nlohmann::json::parse(to_json(usage.bill));
    CHECK(bill["aiLines"][0]["parts"].size() == 4);
    CHECK(bill["aiLines"][0]["parts"][1]["part"] == "cached_input");
    CHECK(bill["aiLines"][0]["parts"][1]["charge"].dump() == "0.003");
}

TEST_CASE("a price change with an effective date leaves every earlier day's stored cost and bill unchanged",
          "[llm_recording][properties]") {
    rc::prop("recorded under the old card, then the new one", [] {
        const auto entry = [](const char* from, const std::string& input, const std::string& output) {
            return fmt::format(R"({{"from": "{}", "per": "1M", "input": "{}", "output": "{}"}})", from, input, output);
        };
        const auto price = [] { return fmt::format("{}.{:02}", *rc::gen::inRange(0, 20), *rc::gen::inRange(0, 100)); };
        const std::string first = entry("2024-10-01", price(), price());
        const int change = *rc::gen::inRange(2, 29);  // the new price applies from March `change`
        const std::string changed = entry(fmt::format("2025-03-{:02}", change).c_str(), price(), price());
        const auto cardOf = [](const std::string& entries) {
            return std::make_shared<const RateCard>(
                RateCard::fromJson(R"({"models": {"openai/gpt-4o": {"prices": [)" + entries + "]}}}"));
        };
        auto store = std::make_shared<MemoryStore>();
        const Account business = account("Acme");
        store->saveAccount(business);
        FixedClock clock;
        *clock.now = at(2025_y / 3 / 31, hours(23));
        struct Call {
            unsigned day;
            LlmUsage usage;
            std::string key;
        };
        std::vector<Call> calls;
        for (int i = *rc::gen::inRange(1, 25); i > 0; --i) {
            const auto day = static_cast<unsigned>(*rc::gen::inRange(1, 32));
            calls.push_back({day, gpt4o(*rc::gen::inRange(0, 200000), 0, *rc::gen::inRange(0, 20000)),
                             fmt::format("call-{}", calls.size())});
        }
        const auto recordAll = [&](UsageRecorder& recorder, const std::vector<Call>& list) {
            for (const Call& c : list) {
                recorder.recordLlmCall(
                    business.id, c.usage,
                    {.idempotency_key = c.key, .occurred_at = at(2025_y / 3 / date::day(c.day), hours(12))});
            }
        };
        UsageRecorder old_prices(store, {.clock = clock, .rate_card = cardOf(first)});
        recordAll(old_prices, calls);
        const auto before = old_prices.getUsageTrends(business.id, 31);
        const auto stored = store->events(business.id);

        // The new card: every call again (retries: nothing changes), then each call once more
        // under a new key: before the change it costs what the old card said.
        UsageRecorder new_prices(store, {.clock = clock, .rate_card = cardOf(first + "," + changed)});
        recordAll(new_prices, calls);
        std::vector<Call> more = calls;
        for (Call& c : more) c.key += "-more";
        recordAll(new_prices, more);
        const auto after = new_prices.getUsageTrends(business.id, 31);

        RC_ASSERT(before.size() == 31u);
        RC_ASSERT(after.size() == 31u);
        for (std::size_t i = 0; i + 1 < static_cast<std::size_t>(change); ++i) {
            RC_ASSERT(after[i].models.size() == before[i].models.size());
            for (std::size_t m = 0; m < before[i].models.size(); ++m) {
                RC_ASSERT(after[i].models[m].quantity == before[i].models[m].quantity * Decimal(2));
                RC_ASSERT(after[i].models[m].cost == before[i].models[m].cost * Decimal(2));
            }
        }
        const auto events = store->events(business.id);
        for (std::size_t i = 0; i < stored.size(); ++i) {
            RC_ASSERT(events[i].id == stored[i].id);
            RC_ASSERT(events[i].list_cost == stored[i].list_cost);  // never re-priced
        }
    });
}
