// SPDX-License-Identifier: MIT
// The rate card: exact prices per model, token type and date; the cost of an LLM call
// worked by hand; hostile card JSON; LiteLLM's public file imported exactly.
#include <catch2/catch.hpp>

#include "test_support.h"
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <new>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "metered/errors.h"
#include "metered/llm_usage.h"
#include "metered/rate_card.h"
#include "metered/voice_pricing.h"

// Counts the allocations of this thread while `counting` is set: pricing promises none.
// The replacement is the whole test program's: every throwing, nothrow and array form of
// operator new and delete, over malloc and free, so that no pair mixes the replaced and the
// library's (or a sanitizer's) forms. The aligned forms are left to the library, as a pair.
namespace {
thread_local bool counting = false;
thread_local std::size_t allocations = 0;

void* allocate(std::size_t size) noexcept {
    if (counting) ++allocations;
    return std::malloc(size == 0 ? 1 : size);
}
}  // namespace

// GCC pairs operator new with operator delete and, inlining this delete into a caller,
// takes its free() for a mismatch; both are replaced here, over malloc and free.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t size) {
    if (void* p = allocate(size)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
    if (void* p = allocate(size)) return p;
    throw std::bad_alloc();
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return allocate(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return allocate(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

using namespace metered;
using date::sys_days;
using metered::testing::errorField;
using metered::testing::num;

namespace {

Timestamp atUtc(int y, unsigned m, unsigned d, int hour = 12) {
    return Timestamp(sys_days(date::year(y) / date::month(m) / date::day(d))) + std::chrono::hours(hour);
}

// A card of the common models, prices per million tokens as the providers publish them.
const char* const common_card_json = R"({
  "strip_date_suffix": true,
  "aliases": {"openai/gpt-4o-latest": "gpt-4o", "anthropic/claude-sonnet-4-0": "claude-sonnet-4"},
  "models": {
    "openai/gpt-4o": {"prices": [
      {"from": "2024-05-13", "per": "1M", "input": "5.00", "output": "15.00", "reasoning_as_output": true},
      {"from": "2024-10-01", "per": "1M", "input": "2.50", "cached_input": "1.25", "output": "10.00",
       "reasoning_as_output": true}]},
    "openai/o1": {"prices": [
      {"from": "2024-12-17", "per": "1M", "input": 15, "cached_input": 7.5, "output": 60, "reasoning_as_output": true}]},
    "openai/gpt-4o-realtime-preview": {"prices": [
      {"from": "2024-12-17", "per": "1M", "input": 5, "cached_input": 2.5, "audio_input": 40,
       "cached_audio_input": 2.5, "output": 20, "audio_output": 80}]},
    "anthropic/claude-sonnet-4": {"prices": [
      {"from": "2025-05-22", "per": "1M", "input": 3, "cached_input": "0.30", "cache_write": 3.75,
       "cache_write_1h": 6, "output": 15, "reasoning_as_output": true,
       "long_context": [{"above": 200000, "input": 6, "cached_input": "0.60", "cache_write": "7.50",
                         "cache_write_1h": 12, "output": "22.50"}]}]},
    "google/gemini-2.0-flash": {"prices": [
      {"from": "2025-02-05", "per": "1M", "input": "0.10", "cached_input": "0.025", "audio_input": "0.70",
       "output": "0.40"}]},
    "acme/flat": {"prices": [{"from": "2025-01-01", "input": "0.000001", "output": "0.000002", "per_request": "0.01"}]}
  }
})";

const RateCard& commonCard() {
    static const RateCard c = RateCard::fromJson(common_card_json);
    return c;
}

LlmUsage usageOf(std::string provider, std::string model) {
    LlmUsage u;
    u.provider = std::move(provider);
    u.model = std::move(model);
    return u;
}

}  // namespace

TEST_CASE("token types: names, counts and parents", "[rate_card]") {
    CHECK(toString(TokenType::cache_write_1h) == "cache_write_1h");
    CHECK(usageField(TokenType::cached_audio_input) == "cached_audio_input_tokens");
    LlmUsage u;
    u.reasoning_tokens = 7;
    CHECK(tokenCount(u, TokenType::reasoning) == 7);
    CHECK(parentType(TokenType::cache_write_1h) == TokenType::cache_write);
    CHECK(parentType(TokenType::cached_audio_input) == TokenType::audio_input);
    CHECK(parentType(TokenType::reasoning) == TokenType::output);
    CHECK_FALSE(parentType(TokenType::input).has_value());
}

TEST_CASE("per-million prices are stored per token, exactly", "[rate_card]") {
    const ModelRates* r = commonCard().find("openai", "gpt-4o", atUtc(2025, 1, 1));
    REQUIRE(r != nullptr);
    CHECK(r->prices.input == num("0.0000025"));  // 2.50 / 10^6
    CHECK(r->prices.cached_input == num("0.00000125"));
    CHECK(r->prices.output == num("0.00001"));
    CHECK_FALSE(r->prices.cache_write.has_value());  // absent, not zero
    CHECK(commonCard().find("google", "gemini-2.0-flash", atUtc(2025, 3, 1))->prices.cached_input ==
          num("0.000000025"));
}

TEST_CASE("OpenAI Chat: cached tokens inside the prompt, priced once", "[rate_card]") {
    const LlmUsage u = parseLlmUsage(LlmApi::openai_chat,
                                     R"({"prompt_tokens": 2006, "completion_tokens": 300, "total_tokens": 2306,
                                         "prompt_tokens_details": {"cached_tokens": 1920}})",
                                     "gpt-4o");
    const LlmCost c = priceLlmCall(commonCard(), u, atUtc(2025, 1, 1));
    // fresh 2006 − 1920 = 86 × 0.0000025 = 0.000215; cached 1920 × 0.00000125 = 0.0024;
    // output 300 × 0.00001 = 0.003; total 0.005615.
    CHECK(c.cost(TokenType::input) == num("0.000215"));
    CHECK(c.cost(TokenType::cached_input) == num("0.0024"));
    CHECK(c.cost(TokenType::output) == num("0.003"));
    CHECK(c.total == num("0.005615"));
    CHECK_FALSE(c.usedFallback());
    CHECK(c.effective_from == sys_days(date::year(2024) / 10 / 1));
}

TEST_CASE("OpenAI Responses: reasoning at the output rate by the model's rule", "[rate_card]") {
    const LlmUsage u = parseLlmUsage(LlmApi::openai_responses,
                                     R"({"input_tokens": 1000, "output_tokens": 500,
                                         "input_tokens_details": {"cached_tokens": 200},
                                         "output_tokens_details": {"reasoning_tokens": 384}})",
                                     "o1");
    const LlmCost c = priceLlmCall(commonCard(), u, atUtc(2025, 1, 1));
    // fresh 800 × 0.000015 = 0.012; cached 200 × 0.0000075 = 0.0015; output 116 × 0.00006 =
    // 0.00696; reasoning 384 × 0.00006 = 0.02304; total 0.0435.
    CHECK(c.cost(TokenType::input) == num("0.012"));
    CHECK(c.cost(TokenType::cached_input) == num("0.0015"));
    CHECK(c.cost(TokenType::output) == num("0.00696"));
    CHECK(c.cost(TokenType::reasoning) == num("0.02304"));
    CHECK(c.total == num("0.0435"));
    CHECK(c.reasoning_at_output_rate);
    CHECK_FALSE(c.usedFallback());
}

TEST_CASE("OpenAI Realtime: audio at the audio rates, not text", "[rate_card]") {
    LlmUsage u = usageOf("openai", "gpt-4o-realtime-preview");
    u.input_tokens = 100;
    u.cached_input_tokens = 50;
    u.audio_input_tokens = 1000;
    u.cached_audio_input_tokens = 500;
    u.output_tokens = 40;
    u.audio_output_tokens = 2000;
    const LlmCost c = priceLlmCall(commonCard(), u, atUtc(2025, 1, 1));
    // 100 × 0.000005 = 0.0005; 50 × 0.0000025 = 0.000125; 1000 × 0.00004 = 0.04;
    // 500 × 0.0000025 = 0.00125; 40 × 0.00002 = 0.0008; 2000 × 0.00008 = 0.16; total 0.202675.
    CHECK(c.cost(TokenType::audio_input) == num("0.04"));
    CHECK(c.cost(TokenType::cached_audio_input) == num("0.00125"));
    CHECK(c.cost(TokenType::audio_output) == num("0.16"));
    CHECK(c.total == num("0.202675"));
}

TEST_CASE("Anthropic: cache reads and both write lifetimes added to input", "[rate_card]") {
    const LlmUsage u = parseLlmUsage(LlmApi::anthropic_messages,
                                     R"({"input_tokens": 100, "cache_read_input_tokens": 5000,
                                         "cache_creation_input_tokens": 1000,
                                         "cache_creation": {"ephemeral_5m_input_tokens": 600,
                                                            "ephemeral_1h_input_tokens": 400},
                                         "output_tokens": 250})",
                                     "claude-sonnet-4");
    const LlmCost c = priceLlmCall(commonCard(), u, atUtc(2025, 6, 1));
    // 100 × 0.000003 = 0.0003; 5000 × 0.0000003 = 0.0015; 600 × 0.00000375 = 0.00225;
    // 400 × 0.000006 = 0.0024; 250 × 0.000015 = 0.00375; total 0.0102.
    CHECK(c.cost(TokenType::cache_write) == num("0.00225"));
    CHECK(c.cost(TokenType::cache_write_1h) == num("0.0024"));
    CHECK(c.total == num("0.0102"));
    CHECK_FALSE(c.long_context_above.has_value());
}

TEST_CASE("Gemini: audio input at its own rate", "[rate_card]") {
    const LlmUsage u = parseLlmUsage(LlmApi::gemini,
                                     R"({"promptTokenCount": 3000, "candidatesTokenCount": 500,
                                         "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 1000},
                                                                 {"modality": "AUDIO", "tokenCount": 2000}]})",
                                     "gemini-2.0-flash");
    const LlmCost c = priceLlmCall(commonCard(), u, atUtc(2025, 3, 1));
    // 1000 × 0.0000001 = 0.0001; audio 2000 × 0.0000007 = 0.0014; output 500 × 0.0000004 =
    // 0.0002; total 0.0017.
    CHECK(c.cost(TokenType::audio_input) == num("0.0014"));
    CHECK(c.total == num("0.0017"));
}

TEST_CASE("per-request fee times the request count", "[rate_card]") {
    LlmUsage u = usageOf("acme", "flat");
    u.input_tokens = 1000;
    u.request_count = 3;
    const LlmCost c = priceLlmCall(commonCard(), u, atUtc(2025, 2, 1));
    // 1000 × 0.000001 = 0.001; 3 × 0.01 = 0.03; total 0.031.
    CHECK(c.per_request == num("0.03"));
    CHECK(c.total == num("0.031"));
}

TEST_CASE("long context: exactly at the threshold is not above it", "[rate_card]") {
    LlmUsage u = usageOf("anthropic", "claude-sonnet-4");
    u.input_tokens = 200000;
    u.output_tokens = 1000;
    LlmCost c = priceLlmCall(commonCard(), u, atUtc(2025, 6, 1));
    // 200000 × 0.000003 = 0.6; 1000 × 0.000015 = 0.015.
    CHECK_FALSE(c.long_context_above.has_value());
    CHECK(c.total == num("0.615"));

    u.input_tokens = 200001;
    c = priceLlmCall(commonCard(), u, atUtc(2025, 6, 1));
    // Every token at the tier: 200001 × 0.000006 = 1.200006; 1000 × 0.0000225 = 0.0225.
    CHECK(c.long_context_above == 200000);
    CHECK(c.total == num("1.222506"));

    // Cache reads count toward the threshold: 50001 fresh + 150000 read = 200001.
    u.input_tokens = 50001;
    u.cached_input_tokens = 150000;
    c = priceLlmCall(commonCard(), u, atUtc(2025, 6, 1));
    // 50001 × 0.000006 = 0.300006; 150000 × 0.0000006 = 0.09; 1000 × 0.0000225 = 0.0225.
    CHECK(c.total == num("0.412506"));
}

TEST_CASE("long context: the highest threshold passed", "[rate_card]") {
    ModelRates r;
    r.prices.input = num("1");
    r.long_context = {{100, {}}, {200, {}}};
    r.long_context[0].prices.input = num("2");
    r.long_context[1].prices.input = num("3");
    CHECK(r.pricesFor(100).input == num("1"));
    CHECK(r.pricesFor(101).input == num("2"));
    CHECK(r.pricesFor(200).input == num("2"));
    CHECK(r.pricesFor(201).input == num("3"));
}

TEST_CASE("effective dates: from 00:00 UTC of the day, earlier usage keeps its price", "[rate_card]") {
    const RateCard& c = commonCard();
    CHECK(c.find("openai", "gpt-4o", atUtc(2024, 5, 12, 23)) == nullptr);  // before the first price
    CHECK(c.find("openai", "gpt-4o", atUtc(2024, 5, 13, 0))->prices.input == num("0.000005"));
    CHECK(c.find("openai", "gpt-4o", atUtc(2024, 9, 30, 23))->prices.input == num("0.000005"));
    CHECK(c.find("openai", "gpt-4o", atUtc(2024, 10, 1, 0))->prices.input == num("0.0000025"));
    LlmUsage u = usageOf("openai", "gpt-4o");
    u.input_tokens = 10;
    CHECK(errorField([&] { priceLlmCall(c, u, atUtc(2024, 1, 1)); }) == "model");
}

TEST_CASE("effective dates: a price change never changes an earlier cost (property)", "[rate_card]") {
    std::mt19937 random(20241201);
    const sys_days first = sys_days(date::year(2024) / 1 / 1);
    for (int round = 0; round < 200; ++round) {
        std::uniform_int_distribution<int> day(0, 700);
        std::uniform_int_distribution<std::int64_t> tokens(0, 3'000'000);
        const sys_days change = first + date::days(day(random) + 1);
        RateCardEntry before{"openai", "m", first, {}};
        before.rates.prices.input = Decimal::fromMantissa(std::uniform_int_distribution<int>(0, 99999)(random), 9);
        before.rates.prices.output = Decimal::fromMantissa(std::uniform_int_distribution<int>(0, 99999)(random), 9);
        before.rates.long_context = {{128000, before.rates.prices}};
        before.rates.long_context[0].prices.input = *before.rates.prices.input + *before.rates.prices.input;
        RateCardEntry after{"openai", "m", change, {}};
        after.rates.prices.input = Decimal::fromMantissa(std::uniform_int_distribution<int>(0, 99999)(random), 9);
        after.rates.prices.output = Decimal::fromMantissa(std::uniform_int_distribution<int>(0, 99999)(random), 9);
        const RateCard old_card({before});
        const RateCard new_card({before, after});
        for (int i = 0; i < 20; ++i) {
            LlmUsage u = usageOf("openai", "m");
            u.input_tokens = tokens(random);
            u.output_tokens = tokens(random);
            const Timestamp when = Timestamp(first + date::days(day(random))) +
                                   std::chrono::seconds(std::uniform_int_distribution<int>(0, 86399)(random));
            const LlmCost then = priceLlmCall(new_card, u, when);
            if (when < Timestamp(change)) {
                CHECK(then.total == priceLlmCall(old_card, u, when).total);
            } else {
                CHECK(then.total == *after.rates.prices.input * Decimal(u.input_tokens) +
                                        *after.rates.prices.output * Decimal(u.output_tokens));
            }
        }
    }
}

TEST_CASE("aliases and dated snapshot names", "[rate_card]") {
    const RateCard& c = commonCard();
    CHECK(c.findEntry("openai", "gpt-4o-latest", atUtc(2025, 1, 1))->model == "gpt-4o");
    CHECK(c.findEntry("openai", "gpt-4o-2024-08-06", atUtc(2025, 1, 1))->model == "gpt-4o");  // strip_date_suffix
    CHECK(c.findEntry("anthropic", "claude-sonnet-4-0", atUtc(2025, 6, 1))->model == "claude-sonnet-4");
    CHECK(c.find("openai", "gpt-4o-2024-8-06", atUtc(2025, 1, 1)) == nullptr);
    CHECK(c.find("anthropic", "gpt-4o", atUtc(2025, 1, 1)) == nullptr);  // the provider is part of the key
    const RateCard no_strip({c.entries()}, {}, false);
    CHECK(no_strip.find("openai", "gpt-4o-2024-08-06", atUtc(2025, 1, 1)) == nullptr);
    CHECK(errorField([&] { RateCard({c.entries()}, {{"openai", "x", "nope"}}); }) == "aliases[\"openai/x\"]");
    CHECK(errorField([&] { RateCard({c.entries()}, {{"openai", "o1", "gpt-4o"}}); }) == "aliases[\"openai/o1\"]");
}

TEST_CASE("a missing price is an error, or a flagged fallback, never zero", "[rate_card]") {
    LlmUsage u = usageOf("openai", "gpt-4o");
    u.input_tokens = 100;
    u.cache_write_1h_tokens = 10;
    CHECK(errorField([&] { priceLlmCall(commonCard(), u, atUtc(2025, 1, 1)); }) == "cache_write_1h_tokens");

    PricingFallback parents;
    parents.parent_rates = true;
    const LlmCost c = priceLlmCall(commonCard(), u, atUtc(2025, 1, 1), parents);
    // cache_write_1h → cache_write (none) → input: 10 × 0.0000025 = 0.000025.
    CHECK(c.usedParentRate(TokenType::cache_write_1h));
    CHECK_FALSE(c.usedParentRate(TokenType::input));
    CHECK(c.cost(TokenType::cache_write_1h) == num("0.000025"));
    CHECK(c.usedFallback());

    // Reasoning without a price and without the rule: an error.
    LlmUsage r = usageOf("openai", "gpt-4o-realtime-preview");
    r.reasoning_tokens = 1;
    CHECK(errorField([&] { priceLlmCall(commonCard(), r, atUtc(2025, 1, 1)); }) == "reasoning_tokens");

    // A zero count needs no price.
    u.cache_write_1h_tokens = 0;
    CHECK_FALSE(priceLlmCall(commonCard(), u, atUtc(2025, 1, 1)).usedFallback());

    LlmUsage unknown = usageOf("openai", "gpt-9");
    unknown.input_tokens = 1;
    CHECK(errorField([&] { priceLlmCall(commonCard(), unknown, atUtc(2025, 1, 1)); }) == "model");
    PricingFallback other;
    other.fallback_model = "gpt-4o";
    const LlmCost f = priceLlmCall(commonCard(), unknown, atUtc(2025, 1, 1), other);
    CHECK(f.fallback_model);
    CHECK(f.model == "gpt-4o");
    CHECK(f.total == num("0.0000025"));
    other.fallback_model = "gpt-8";
    CHECK(errorField([&] { priceLlmCall(commonCard(), unknown, atUtc(2025, 1, 1), other); }) == "model");

    LlmUsage bad = usageOf("openai", "gpt-4o");
    bad.input_tokens = -1;
    CHECK(errorField([&] { priceLlmCall(commonCard(), bad, atUtc(2025, 1, 1)); }) == "input_tokens");
}

TEST_CASE("one card, many threads pricing at once", "[rate_card]") {
    LlmUsage u = usageOf("anthropic", "claude-sonnet-4");
    u.input_tokens = 100;
    u.cached_input_tokens = 5000;
    u.output_tokens = 250;
    const Decimal expected = priceLlmCall(commonCard(), u, atUtc(2025, 6, 1)).total;
    std::vector<int> wrong(4, 0);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < wrong.size(); ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 2000; ++i) {
                if (priceLlmCall(commonCard(), u, atUtc(2025, 6, 1)).total != expected) ++wrong[t];
                if (commonCard().find("openai", "gpt-4o-2024-08-06", atUtc(2025, 1, 1)) == nullptr) ++wrong[t];
            }
        });
    }
    for (std::thread& thread : threads) thread.join();
    CHECK(wrong == std::vector<int>(4, 0));
}

TEST_CASE("names: what LlmUsage accepts, and not empty", "[rate_card]") {
    CHECK(RateCard::isValidName("gpt-4o"));
    CHECK(RateCard::isValidName("deepseek-ai/DeepSeek-R1"));
    CHECK_FALSE(RateCard::isValidName(""));
    CHECK_FALSE(RateCard::isValidName("a\nb"));
    CHECK_FALSE(RateCard::isValidName("\xff"));
    CHECK_FALSE(RateCard::isValidName(std::string(257, 'a')));
    RateCardEntry e{"openai", "bad\x01name", sys_days(date::year(2024) / 1 / 1), {}};
    CHECK(errorField([&] { RateCard({e}); }) == "models[\"openai/bad\\x01name\"]");
    CHECK(errorField([] {
              RateCard::fromJson(R"({"models": {"openai/a\u0001": {"prices": [{"from": "2024-01-01"}]}}})");
          }).starts_with("models[\"openai/a"));
}

TEST_CASE("card JSON round trip and overlay", "[rate_card]") {
    const RateCard again = RateCard::fromJson(commonCard().toJson());
    CHECK(again.entries() == commonCard().entries());
    CHECK(again.stripsDateSuffix());
    CHECK(again.findEntry("openai", "gpt-4o-latest", atUtc(2025, 1, 1))->model == "gpt-4o");

    const RateCard overrides = RateCard::fromJson(R"({"models": {
        "openai/gpt-4o": {"prices": [{"from": "2025-01-01", "input": "0.000002", "output": "0.000008"}]},
        "openai/new": {"prices": [{"from": "2025-01-01", "input": 0}]}},
      "aliases": {"openai/o1": "new", "openai/gpt-4o-realtime-preview": "new"}})");
    const RateCard merged = commonCard().overlay(overrides);
    // The override replaces every date of gpt-4o: before 2025 it has no price at all.
    CHECK(merged.find("openai", "gpt-4o", atUtc(2024, 12, 1)) == nullptr);
    CHECK(merged.find("openai", "gpt-4o", atUtc(2025, 2, 1))->prices.input == num("0.000002"));
    CHECK(merged.find("openai", "gpt-4o-latest", atUtc(2025, 2, 1))->prices.input == num("0.000002"));
    CHECK(merged.findEntry("openai", "o1", atUtc(2025, 2, 1))->model == "new");  // the override's alias wins
    CHECK(merged.find("anthropic", "claude-sonnet-4", atUtc(2025, 6, 1)) != nullptr);
    CHECK(merged.modelCount() ==
          commonCard().modelCount() - 1);  // o1 and the realtime model became aliases, "new" came
    // An alias of the base card follows a model the overrides turned into an alias.
    const RateCard based =
        RateCard::fromJson(R"({"models": {"openai/o1": {"prices": [{"from": "2024-01-01", "input": 1}]}},
                                                  "aliases": {"openai/o1-latest": "o1"}})")
            .overlay(overrides);
    CHECK(based.findEntry("openai", "o1-latest", atUtc(2025, 2, 1))->model == "new");
}

TEST_CASE("hostile card JSON: refused with the path", "[rate_card]") {
    const auto field = [](const std::string& json) { return errorField([&] { RateCard::fromJson(json); }); };
    const std::string m = R"({"models": {"openai/gpt-4o": {"prices": [)";
    const std::string ok = R"({"from": "2024-01-01", "input": 1})";
    CHECK(field("[]") == "rate card");
    CHECK(field("{") == "rate card");
    CHECK(field(R"({"models": {}, "extra": 1})") == "rate card.extra");
    CHECK(field(R"({"models": {"gpt-4o": {"prices": []}}})") == "models[\"gpt-4o\"]");
    CHECK(field(R"({"models": {"openai/gpt-4o": {"prices": []}}})") == "models[\"openai/gpt-4o\"].prices");
    CHECK(field(m + ok + R"(, {"from": "2024-02-01", "output": -1}]}}})") ==
          "models[\"openai/gpt-4o\"].prices[1].output");
    CHECK(field(m + ok + R"(, {"from": "2024-02-01", "output": "1e"}]}}})") ==
          "models[\"openai/gpt-4o\"].prices[1].output");
    CHECK(field(m + ok + R"(, {"from": "2024-02-01", "output": true}]}}})") ==
          "models[\"openai/gpt-4o\"].prices[1].output");
    CHECK(field(m + ok + R"(, {"from": "2024-02-01", "outptu": 1}]}}})") ==
          "models[\"openai/gpt-4o\"].prices[1].outptu");
    CHECK(field(m + ok + "," + ok + "]}}}") == "models[\"openai/gpt-4o\"].prices[1].from");  // duplicate date
    CHECK(field(m + R"({"from": "2024-02-01", "input": 1}, )" + ok + "]}}}") ==
          "models[\"openai/gpt-4o\"].prices[1].from");  // unsorted
    CHECK(field(m + R"({"from": "2024-02-30", "input": 1}]}}})") == "models[\"openai/gpt-4o\"].prices[0].from");
    CHECK(field(m + R"({"input": 1}]}}})") == "models[\"openai/gpt-4o\"].prices[0].from");
    CHECK(field(m + R"({"from": "2024-01-01", "per": "1G", "input": 1}]}}})") ==
          "models[\"openai/gpt-4o\"].prices[0].per");
    // Duplicate keys and nesting are refused by the JSON reader, with its own path form.
    CHECK(field(m + R"({"from": "2024-01-01", "input": 1, "input": 2}]}}})") == "models.openai/gpt-4o.prices[0].input");
    CHECK(field(m + R"({"from": "2024-01-01", "long_context": [{"above": 200}, {"above": 200}]}]}}})") ==
          "models[\"openai/gpt-4o\"].prices[0].long_context[1].above");
    CHECK(field(m + R"({"from": "2024-01-01", "long_context": [{"above": -5}]}]}}})") ==
          "models[\"openai/gpt-4o\"].prices[0].long_context[0].above");
    CHECK(field(m + R"({"from": "2024-01-01", "long_context": [{"above": 5, "output": "2000000"}]}]}}})") ==
          "models[\"openai/gpt-4o\"].prices[0].long_context[0].output");
    CHECK(field(m + R"({"from": "2024-01-01", "input": "0.0000000000000000001"}]}}})") ==
          "models[\"openai/gpt-4o\"].prices[0].input");
    CHECK(field(m + R"({"from": "2024-01-01", "per": "1M", "input": "0.0000000000000001"}]}}})") ==
          "models[\"openai/gpt-4o\"].prices[0].input");
    CHECK(field(R"({"models": {}, "aliases": {"openai/a": 5}})") == "aliases[\"openai/a\"]");
    CHECK(field(R"({"models": {}, "strip_date_suffix": "yes"})") == "strip_date_suffix");
    CHECK(field(std::string(30, '[') + std::string(30, ']')).starts_with("[0][0]"));
    // The exact digits survive: no double on the way.
    CHECK(RateCard::fromJson(m + R"({"from": "2024-01-01", "input": 1.5e-07}]}}})").entries()[0].rates.prices.input ==
          num("0.00000015"));
}

TEST_CASE("LiteLLM: a small file, every problem reported", "[rate_card]") {
    const LiteLlmImport imported = RateCard::fromLiteLlm(R"({
      "sample_spec": {"litellm_provider": "one of …", "input_cost_per_token": 0.0},
      "m1": {"litellm_provider": "openai", "input_cost_per_token": 1.5e-07, "output_cost_per_token": 6e-07,
             "output_cost_per_reasoning_token": 2e-06, "input_cost_per_second": 0.0001},
      "acme/m2": {"litellm_provider": "acme", "input_cost_per_token": 0.54, "output_cost_per_token": -1e-06,
                  "cache_read_input_token_cost": 1e-07, "input_cost_per_token_cache_hit": 2e-07,
                  "input_cost_per_token_above_200k_tokens": 4e-07, "mode": "chat"},
      "m3": {"litellm_provider": "acme", "output_cost_per_image": 0.04}
    })");
    CHECK(imported.models == 3);
    CHECK(imported.skipped == 1);
    const RateCard& c = imported.card;
    const ModelRates* m1 = c.find("openai", "m1", atUtc(2025, 1, 1));
    REQUIRE(m1 != nullptr);
    CHECK(m1->prices.input == num("0.00000015"));
    CHECK(m1->prices.reasoning == num("0.000002"));
    CHECK(m1->reasoning_as_output);
    const ModelRates* m2 = c.find("acme", "m2", atUtc(2025, 1, 1));  // "acme/" stripped, the key an alias
    REQUIRE(m2 != nullptr);
    CHECK(c.find("acme", "acme/m2", atUtc(2025, 1, 1)) == m2);
    CHECK_FALSE(m2->prices.input.has_value());   // 0.54 per token: above the bound
    CHECK_FALSE(m2->prices.output.has_value());  // negative
    CHECK(m2->prices.cached_input == num("0.0000001"));
    REQUIRE(m2->long_context.size() == 1);
    CHECK(m2->long_context[0].above_input_tokens == 200000);
    CHECK(m2->long_context[0].prices.input == num("0.0000004"));
    CHECK(m2->long_context[0].prices.cached_input == num("0.0000001"));  // the base price, reported
    std::set<std::pair<std::string, std::string>> reported;
    for (const LiteLlmProblem& p : imported.problems) reported.emplace(p.model, p.field);
    CHECK(reported == std::set<std::pair<std::string, std::string>>{{"m1", "input_cost_per_second"},
                                                                    {"acme/m2", "input_cost_per_token"},
                                                                    {"acme/m2", "output_cost_per_token"},
                                                                    {"acme/m2", "input_cost_per_token_cache_hit"},
                                                                    {"acme/m2", "*_above_200k_tokens"},
                                                                    {"m3", "output_cost_per_image"},
                                                                    {"m3", ""}});
    CHECK(errorField([] { RateCard::fromLiteLlm("[1]"); }) == "litellm");
}

TEST_CASE("LiteLLM: the public file imports exactly", "[rate_card]") {
    const std::filesystem::path path =
        std::filesystem::path(METERED_SHARED_DATA_DIR) / "litellm" / "model_prices_and_context_window.json";
    INFO("LiteLLM's file looked for at " << path.string() << " (set METERED_SHARED_DATA_DIR)");
    REQUIRE(std::filesystem::is_regular_file(path));
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    LiteLlmImportOptions options;
    options.effective_from = sys_days(date::year(2025) / 12 / 1);
    const LiteLlmImport imported = RateCard::fromLiteLlm(text.str(), options);
    CHECK(imported.models == 2455);
    CHECK(imported.skipped == 1);  // sample_spec
    CHECK(imported.card.entries().size() == 2455);
    CHECK(imported.card.find("openai", "gpt-4o", atUtc(2025, 11, 30)) == nullptr);  // before the import's date

    const Timestamp when = atUtc(2025, 12, 2);
    const ModelRates* mini = imported.card.find("openai", "gpt-4o-mini", when);
    REQUIRE(mini != nullptr);
    CHECK(mini->prices.input == num("0.00000015"));          // 1.5e-07
    CHECK(mini->prices.cached_input == num("0.000000075"));  // 7.5e-08
    CHECK(mini->prices.output == num("0.0000006"));          // 6e-07
    const ModelRates* sonnet = imported.card.find("anthropic", "claude-sonnet-4-20250514", when);
    REQUIRE(sonnet != nullptr);
    CHECK(sonnet->prices.cache_write == num("0.00000375"));   // 3.75e-06
    CHECK(sonnet->prices.cache_write_1h == num("0.000006"));  // 6e-06
    REQUIRE(sonnet->long_context.size() == 1);
    CHECK(sonnet->long_context[0].above_input_tokens == 200000);
    CHECK(sonnet->long_context[0].prices.output == num("0.0000225"));                 // 2.25e-05
    const ModelRates* gemini = imported.card.find("gemini", "gemini-1.5-pro", when);  // key "gemini/gemini-1.5-pro"
    REQUIRE(gemini != nullptr);
    CHECK(gemini->prices.output == num("0.0000105"));  // 1.05e-05
    REQUIRE(gemini->long_context.size() == 1);
    CHECK(gemini->long_context[0].above_input_tokens == 128000);
    CHECK(gemini->long_context[0].prices.input == num("0.000007"));  // 7e-06

    // Every price field of the file is imported or reported: none dropped silently.
    const auto file = nlohmann::json::parse(text.str());
    std::set<std::pair<std::string, std::string>> reported;
    for (const LiteLlmProblem& p : imported.problems) reported.emplace(p.model, p.field);
    const std::set<std::string> mapped = {"input_cost_per_token",
                                          "cache_read_input_token_cost",
                                          "input_cost_per_token_cache_hit",
                                          "cache_creation_input_token_cost",
                                          "cache_creation_input_token_cost_above_1hr",
                                          "output_cost_per_token",
                                          "output_cost_per_reasoning_token",
                                          "input_cost_per_audio_token",
                                          "cache_read_input_audio_token_cost",
                                          "output_cost_per_audio_token",
                                          "input_cost_per_image_token",
                                          "cache_read_input_image_token_cost",
                                          "input_cost_per_request",
                                          "input_cost_per_token_above_200k_tokens",
                                          "output_cost_per_token_above_200k_tokens",
                                          "cache_read_input_token_cost_above_200k_tokens",
                                          "cache_creation_input_token_cost_above_200k_tokens",
                                          "input_cost_per_token_above_128k_tokens",
                                          "output_cost_per_token_above_128k_tokens"};
    std::size_t unmapped = 0;
    std::size_t voice = 0;
    for (const auto& [key, model] : file.items()) {
        if (key == "sample_spec") continue;
        const std::string mode = model.value("mode", "");
        for (const auto& [field, value] : model.items()) {
            const bool price = field.find("cost") != std::string::npos || field.find("pric") != std::string::npos;
            if (!price || mapped.contains(field)) continue;
            // Voice prices are taken only where the model's mode says what they count.
            if ((mode == "audio_transcription" && field == "input_cost_per_second") ||
                (mode == "audio_speech" &&
                 (field == "input_cost_per_character" || field == "output_cost_per_character"))) {
                ++voice;
                continue;
            }
            ++unmapped;
            INFO(key << "." << field);
            CHECK(reported.contains({key, field}));
        }
    }
    CHECK(unmapped > 0);
    CHECK(voice > 0);
    // Transcription per second of input audio, speech per character of text; whisper's
    // output_cost_per_second is reported, not added.
    REQUIRE(imported.card.find("openai", "whisper-1", when) != nullptr);
    CHECK(imported.card.find("openai", "whisper-1", when)->per_second == num("0.0001"));  // 0.0001
    CHECK(reported.contains({"whisper-1", "output_cost_per_second"}));
    CHECK_FALSE(reported.contains({"whisper-1", "input_cost_per_second"}));
    CHECK(imported.card.find("openai", "tts-1", when)->per_character == num("0.000015"));  // 1.5e-05
    CHECK_FALSE(reported.contains({"tts-1", "input_cost_per_character"}));
    // A minute of audio: 60 × 0.0001 = 0.006; 1000 characters: 1000 × 0.000015 = 0.015.
    CHECK(priceTranscription(imported.card, "openai", "whisper-1", num("60"), when).total == num("0.006"));
    CHECK(priceSpeech(imported.card, "openai", "tts-1", 1000, when).total == num("0.015"));
    // The unit errors: W&B's per-million prices written per token.
    CHECK(reported.contains({"wandb/deepseek-ai/DeepSeek-R1-0528", "output_cost_per_token"}));

    // A real call priced from the imported card: 1000 fresh × 0.00000015 + 500 × 0.0000006 = 0.00045.
    LlmUsage u = usageOf("openai", "gpt-4o-mini");
    u.input_tokens = 1000;
    u.output_tokens = 500;
    CHECK(priceLlmCall(imported.card, u, when).total == num("0.00045"));
}

// Not run by default: prints what the importer reported on the public file, by field.
TEST_CASE("LiteLLM: the report on the public file, by field", "[.litellm_report]") {
    std::ifstream in(
        std::filesystem::path(METERED_SHARED_DATA_DIR) / "litellm" / "model_prices_and_context_window.json",
        std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    const LiteLlmImport imported = RateCard::fromLiteLlm(text.str());
    std::map<std::string, int> by_kind;
    for (const LiteLlmProblem& p : imported.problems) {
        const std::string kind =
            p.problem.substr(0, std::min<std::size_t>(p.problem.find_first_of(":,0123456789"), 40));
        ++by_kind[(p.field.empty() ? std::string("(model)") : p.field) + " | " + kind];
    }
    std::cout << "models " << imported.models << ", skipped " << imported.skipped << ", problems "
              << imported.problems.size() << ", aliases " << imported.card.aliases().size() << "\n";
    for (const auto& [kind, n] : by_kind) std::cout << n << "  " << kind << "\n";
    for (const LiteLlmProblem& p : imported.problems) {
        if (p.problem.find("not imported") != std::string::npos &&
            p.problem.find("not understood") == std::string::npos) {
            std::cout << p.model << " " << p.field << ": " << p.problem << "\n";
        }
    }
}

// ---- voice: per second, per character ---------------------------------------------------

namespace {

const char* const voice_json = R"({
  "models": {
    "acme/stt": {"prices": [{"from": "2025-01-01", "per_second": "0.0004", "minimum_seconds": 10,
                             "billing_increment_seconds": 15, "per_request": "0.002"}]},
    "acme/stt-per-second": {"prices": [{"from": "2025-01-01", "per_second": "0.0001",
                                        "billing_increment_seconds": "1"}]},
    "openai/whisper-1": {"prices": [{"from": "2025-01-01", "per_second": "0.0001",
                                     "source": {"url": "https://platform.openai.com/docs/pricing", "taken": "2025-01-01"}}]},
    "openai/tts-1": {"prices": [{"from": "2025-01-01", "per": "1M", "per_character": 15, "per_request": "0.001"}]},
    "openai/gpt-4o": {"prices": [{"from": "2025-01-01", "per": "1M", "input": "2.50", "output": 10}]}
  }
})";

const RateCard& voiceCard() {
    static const RateCard c = RateCard::fromJson(voice_json);
    return c;
}

TranscriptionCost stt(std::string_view model, const char* seconds) {
    return priceTranscription(voiceCard(), "acme", model, num(seconds), atUtc(2025, 6, 1));
}

}  // namespace

TEST_CASE("transcription: minimum, then the started increment, then the request fee", "[rate_card][voice]") {
    // acme/stt: 0.0004 per second, at least 10 s, per started 15 s, 0.002 per call.
    const TranscriptionCost exact = stt("stt", "15");  // exactly one increment: 15 s
    CHECK(exact.seconds == num("15"));
    CHECK(exact.billed_seconds == num("15"));
    CHECK(exact.cost == num("0.006"));  // 15 × 0.0004
    CHECK(exact.per_request == num("0.002"));
    CHECK(exact.total == num("0.008"));
    CHECK(exact.provider == "acme");
    CHECK(exact.model == "stt");
    CHECK(exact.effective_from == sys_days(date::year(2025) / 1 / 1));
    CHECK_FALSE(exact.fallback_model);
    const TranscriptionCost over = stt("stt", "15.001");  // a second increment started: 30 s
    CHECK(over.billed_seconds == num("30"));
    CHECK(over.cost == num("0.012"));
    CHECK(over.total == num("0.014"));
    const TranscriptionCost empty = stt("stt", "0");  // an empty call still pays the minimum: 10 s → 15 s
    CHECK(empty.billed_seconds == num("15"));
    CHECK(empty.total == num("0.008"));
    CHECK(stt("stt", "3").billed_seconds == num("15"));
    CHECK(stt("stt", "45").billed_seconds == num("45"));
    CHECK(stt("stt", "45.5").total == num("0.026"));  // 60 × 0.0004 + 0.002
    // Per started second: 12.345 s → 13 s → 0.0013.
    CHECK(stt("stt-per-second", "12.345").billed_seconds == num("13"));
    CHECK(stt("stt-per-second", "12.345").total == num("0.0013"));
    CHECK(stt("stt-per-second", "12").total == num("0.0012"));
    // No increment: the seconds as measured, to the microsecond; no minimum: 0 s is free.
    const TranscriptionCost whisper =
        priceTranscription(voiceCard(), "openai", "whisper-1", num("12.345678"), atUtc(2025, 6, 1));
    CHECK(whisper.billed_seconds == num("12.345678"));
    CHECK(whisper.total == num("0.0012345678"));
    CHECK(priceTranscription(voiceCard(), "openai", "whisper-1", num("0"), atUtc(2025, 6, 1)).total == num("0"));
}

TEST_CASE("speech: characters times the per-character price, plus the request fee", "[rate_card][voice]") {
    // tts-1: 15 per million characters = 0.000015 each; 0.001 per call.
    const SpeechCost c = priceSpeech(voiceCard(), "openai", "tts-1", 1234, atUtc(2025, 6, 1));
    CHECK(c.characters == 1234);
    CHECK(c.cost == num("0.01851"));  // 1234 × 0.000015
    CHECK(c.per_request == num("0.001"));
    CHECK(c.total == num("0.01951"));
    CHECK(c.model == "tts-1");
    CHECK(priceSpeech(voiceCard(), "openai", "tts-1", 0, atUtc(2025, 6, 1)).total == num("0.001"));
    CHECK(voiceCard().find("openai", "tts-1", atUtc(2025, 6, 1))->per_character == num("0.000015"));
}

TEST_CASE("voice pricing errors name the field; fallback is flagged", "[rate_card][voice]") {
    const RateCard& c = voiceCard();
    const Timestamp when = atUtc(2025, 6, 1);
    const auto seconds = [&](const char* s) {
        return errorField([&] { priceTranscription(c, "openai", "whisper-1", num(s), when); });
    };
    CHECK(seconds("-1") == "seconds");
    CHECK(seconds("10000000.000001") == "seconds");
    CHECK(seconds("1.0000001") == "seconds");  // beyond the microsecond
    CHECK(seconds("10000000") == "");
    CHECK(errorField([&] { priceTranscription(c, "openai", "whisper-9", num("1"), when); }) == "model");
    CHECK(errorField([&] { priceTranscription(c, "openai", "whisper-1", num("1"), atUtc(2024, 6, 1)); }) == "model");
    CHECK(errorField([&] { priceTranscription(c, "openai", "gpt-4o", num("1"), when); }) == "seconds");
    CHECK(errorField([&] { priceSpeech(c, "openai", "whisper-1", 5, when); }) == "characters");
    CHECK(errorField([&] { priceSpeech(c, "openai", "tts-1", -1, when); }) == "characters");
    CHECK(errorField([&] { priceSpeech(c, "openai", "tts-1", max_speech_characters + 1, when); }) == "characters");
    CHECK(errorField([&] { priceSpeech(c, "openai", "tts-9", 5, when); }) == "model");
    PricingFallback fallback;
    fallback.fallback_model = "whisper-1";
    const TranscriptionCost f = priceTranscription(c, "openai", "whisper-9", num("10"), when, fallback);
    CHECK(f.fallback_model);
    CHECK(f.model == "whisper-1");
    CHECK(f.total == num("0.001"));
    fallback.fallback_provider = "acme";
    fallback.fallback_model = "stt";
    CHECK(priceTranscription(c, "openai", "whisper-9", num("1"), when, fallback).total == num("0.008"));
}

TEST_CASE("voice rates: validation and JSON paths", "[rate_card][voice]") {
    ModelRates r;
    r.minimum_seconds = num("5");
    CHECK(errorField([&] { r.validate("x"); }) == "x.minimum_seconds");  // without a per_second price
    r.per_second = num("0.0001");
    CHECK(errorField([&] { r.validate("x"); }) == "");
    r.billing_increment_seconds = num("0");
    CHECK(errorField([&] { r.validate("x"); }) == "x.billing_increment_seconds");
    r.billing_increment_seconds = num("0.5");
    CHECK(r.billedSeconds(num("0.2")) == num("5"));     // the minimum
    CHECK(r.billedSeconds(num("5.01")) == num("5.5"));  // a started half second
    r.per_character = num("-1");
    CHECK(errorField([&] { r.validate("x"); }) == "x.per_character");

    const auto field = [](const std::string& json) { return errorField([&] { RateCard::fromJson(json); }); };
    const std::string m = R"({"models": {"acme/v": {"prices": [{"from": "2025-01-01", )";
    const std::string p = "models[\"acme/v\"].prices[0].";
    CHECK(field(m + R"("per_second": -1}]}}})") == p + "per_second");
    CHECK(field(m + R"("per_second": "x"}]}}})") == p + "per_second");
    CHECK(field(m + R"("per_character": -0.1}]}}})") == p + "per_character");
    CHECK(field(m + R"("per_second": 1, "billing_increment_seconds": 0}]}}})") == p + "billing_increment_seconds");
    CHECK(field(m + R"("per_second": 1, "billing_increment_seconds": 86401}]}}})") == p + "billing_increment_seconds");
    CHECK(field(m + R"("per_second": 1, "minimum_seconds": -1}]}}})") == p + "minimum_seconds");
    CHECK(field(m + R"("per_second": 1, "minimum_seconds": "1.0000001"}]}}})") == p + "minimum_seconds");
    CHECK(field(m + R"("per_second": 1, "minimum_seconds": true}]}}})") == p + "minimum_seconds");
    CHECK(field(m + R"("minimum_seconds": 10}]}}})") == p + "minimum_seconds");
    CHECK(field(m + R"("billing_increment_seconds": 15}]}}})") == p + "billing_increment_seconds");
    CHECK(field(m + R"("input": 1, "source": "openai"}]}}})") == p + "source");
    CHECK(field(m + R"("input": 1, "source": {"url": "https://x"}}]}}})") == p + "source.taken");
    CHECK(field(m + R"("input": 1, "source": {"taken": "2025-01-01"}}]}}})") == p + "source.url");
    CHECK(field(m + R"("input": 1, "source": {"url": "", "taken": "2025-01-01"}}]}}})") == p + "source.url");
    CHECK(field(m + R"("input": 1, "source": {"url": "https://x", "taken": "2025-13-01"}}]}}})") == p + "source.taken");
    CHECK(field(m + R"("input": 1, "source": {"url": "https://x", "taken": "2025-01-01", "by": 1}}]}}})") ==
          p + "source.by");
    // per_second is never scaled by `per`; per_character is, like a token price.
    const RateCard scaled =
        RateCard::fromJson(m + R"("per": "1K", "per_second": "0.0001", "per_character": "0.03"}]}}})");
    CHECK(scaled.entries()[0].rates.per_second == num("0.0001"));
    CHECK(scaled.entries()[0].rates.per_character == num("0.00003"));
}

TEST_CASE("voice rates and sources: JSON round trip", "[rate_card][voice]") {
    const RateCard again = RateCard::fromJson(voiceCard().toJson());
    CHECK(again.entries() == voiceCard().entries());
    const RateCardEntry* whisper = again.findEntry("openai", "whisper-1", atUtc(2025, 6, 1));
    REQUIRE(whisper != nullptr);
    REQUIRE(whisper->source.has_value());
    CHECK(whisper->source->url == "https://platform.openai.com/docs/pricing");
    CHECK(whisper->source->taken == sys_days(date::year(2025) / 1 / 1));
    const ModelRates* stt = again.find("acme", "stt", atUtc(2025, 6, 1));
    CHECK(stt->minimum_seconds == num("10"));
    CHECK(stt->billing_increment_seconds == num("15"));
    CHECK_FALSE(again.find("acme", "stt-per-second", atUtc(2025, 6, 1))->minimum_seconds.isNegative());
}

TEST_CASE("LiteLLM: per-second and per-character prices where the mode says what they count", "[rate_card][voice]") {
    const LiteLlmImport imported = RateCard::fromLiteLlm(R"({
      "whisper-x": {"litellm_provider": "openai", "mode": "audio_transcription",
                    "input_cost_per_second": 0.0001, "output_cost_per_second": 0.0001},
      "tts-x": {"litellm_provider": "openai", "mode": "audio_speech", "input_cost_per_character": 1.5e-05},
      "tts-y": {"litellm_provider": "openai", "mode": "audio_speech", "input_cost_per_character": 1.5e-05,
                "output_cost_per_character": 3e-05},
      "chat-x": {"litellm_provider": "vertex", "mode": "chat", "input_cost_per_token": 1e-06,
                 "input_cost_per_character": 2.5e-07, "input_cost_per_second": 0.001}
    })");
    const Timestamp when = atUtc(2025, 1, 1);
    CHECK(imported.card.find("openai", "whisper-x", when)->per_second == num("0.0001"));
    CHECK(imported.card.find("openai", "tts-x", when)->per_character == num("0.000015"));
    CHECK(imported.card.find("openai", "tts-y", when)->per_character ==
          num("0.000015"));  // the first, the other reported
    CHECK_FALSE(imported.card.find("vertex", "chat-x", when)->per_character.has_value());
    CHECK_FALSE(imported.card.find("vertex", "chat-x", when)->per_second.has_value());
    std::set<std::pair<std::string, std::string>> reported;
    for (const LiteLlmProblem& problem : imported.problems) reported.emplace(problem.model, problem.field);
    CHECK(reported == std::set<std::pair<std::string, std::string>>{{"whisper-x", "output_cost_per_second"},
                                                                    {"tts-y", "output_cost_per_character"},
                                                                    {"chat-x", "input_cost_per_character"},
                                                                    {"chat-x", "input_cost_per_second"}});
    // 90.5 s × 0.0001 = 0.00905 (no increment: the seconds as measured).
    CHECK(priceTranscription(imported.card, "openai", "whisper-x", num("90.5"), when).total == num("0.00905"));
}

TEST_CASE("pricing an LLM call, a transcription or a speech allocates nothing", "[rate_card][voice]") {
    const RateCard& c = voiceCard();
    LlmUsage u = usageOf("openai", "gpt-4o");
    u.input_tokens = 1000;
    u.output_tokens = 100;
    const Decimal seconds = num("15.001");
    const Timestamp when = atUtc(2025, 6, 1);
    PricingFallback fallback;
    fallback.fallback_model = "whisper-1";
    allocations = 0;
    counting = true;
    const LlmCost llm = priceLlmCall(c, u, when);
    const TranscriptionCost t = priceTranscription(c, "acme", "stt", seconds, when);
    const TranscriptionCost f = priceTranscription(c, "openai", "whisper-9", seconds, when, fallback);
    const SpeechCost s = priceSpeech(c, "openai", "tts-1", 1234, when);
    counting = false;
    CHECK(allocations == 0);
    counting = true;  // the counter counts: a string of 100 characters allocates
    static std::string probe;
    probe.assign(100, 'x');
    counting = false;
    CHECK(allocations > 0);
    CHECK(llm.total == num("0.0035"));  // 1000 × 0.0000025 + 100 × 0.00001
    CHECK(t.total == num("0.014"));
    CHECK(f.total == num("0.0015001"));
    CHECK(s.total == num("0.01951"));
}

// ---- the shipped card --------------------------------------------------------------------

TEST_CASE("the shipped card: loads, every price has its source, priced by hand", "[rate_card][standard]") {
    const RateCard& card = RateCard::standard();
    CHECK(&card == &RateCard::standard());  // parsed once
    CHECK(card.modelCount() == 12);
    CHECK(card.stripsDateSuffix());
    for (const RateCardEntry& e : card.entries()) {
        INFO(e.provider << "/" << e.model);
        REQUIRE(e.source.has_value());
        CHECK(e.source->url.starts_with("https://"));
        CHECK(e.source->taken == sys_days(date::year(2026) / 12 / 1));
        // A price applies from the day it took effect (a launch or a price change), before the
        // day it was read.
        CHECK(e.effective_from < e.source->taken);
    }
    // The installed file and the built-in text are one card.
    std::ifstream in(std::filesystem::path(METERED_SOURCE_DIR) / "data" / "rate-card.json", std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    CHECK(RateCard::fromJson(text.str()).entries() == card.entries());

    const Timestamp when = atUtc(2026, 12, 2);
    CHECK(card.find("openai", "gpt-4o", atUtc(2024, 9, 30)) == nullptr);  // before its 2024-10-01 price
    CHECK(card.find("openai", "gpt-4o", atUtc(2024, 10, 1)) != nullptr);
    // One sample call for each chat model: 10,000 fresh input, 2,000 cached, 1,000 output tokens.
    const std::map<std::pair<std::string, std::string>, const char*> expected = {
        // 10000 × 2.50 + 2000 × 1.25 + 1000 × 10 = 37500 per million → 0.0375
        {{"openai", "gpt-4o"}, "0.0375"},
        // 1500 + 150 + 600 = 2250 → 0.00225
        {{"openai", "gpt-4o-mini"}, "0.00225"},
        // 20000 + 1000 + 8000 = 29000 → 0.029
        {{"openai", "gpt-4.1"}, "0.029"},
        // 4000 + 200 + 1600 = 5800 → 0.0058
        {{"openai", "gpt-4.1-mini"}, "0.0058"},
        {{"openai", "o3"}, "0.029"},
        // 11000 + 550 + 4400 = 15950 → 0.01595
        {{"openai", "o4-mini"}, "0.01595"},
        // 30000 + 600 + 15000 = 45600 → 0.0456
        {{"anthropic", "claude-sonnet-4-20250514"}, "0.0456"},
        // 8000 + 160 + 4000 = 12160 → 0.01216
        {{"anthropic", "claude-3-5-haiku-latest"}, "0.01216"},
        // 12500 + 250 + 10000 = 22750 → 0.02275
        {{"google", "gemini-2.5-pro"}, "0.02275"},
        // 3000 + 60 + 2500 = 5560 → 0.00556
        {{"google", "gemini-2.5-flash"}, "0.00556"},
    };
    for (const auto& [key, total] : expected) {
        INFO(key.first << "/" << key.second);
        LlmUsage u = usageOf(key.first, key.second);
        u.input_tokens = 10000;
        u.cached_input_tokens = 2000;
        u.output_tokens = 1000;
        CHECK(priceLlmCall(card, u, when).total == num(total));
    }
    // Anthropic's two cache-write lifetimes: 1,000 of each on Haiku 3.5: 1000 × 1 + 1000 × 1.6 = 2600 → 0.0026.
    LlmUsage haiku = usageOf("anthropic", "claude-3-5-haiku");
    haiku.cache_write_tokens = 1000;
    haiku.cache_write_1h_tokens = 1000;
    CHECK(priceLlmCall(card, haiku, when).total == num("0.0026"));
    // Reasoning at the output rate: o4-mini, 500 reasoning tokens × 4.40 per million = 0.0022.
    LlmUsage o4 = usageOf("openai", "o4-mini-2025-04-16");
    o4.reasoning_tokens = 500;
    CHECK(priceLlmCall(card, o4, when).total == num("0.0022"));
    // Gemini 2.5 Pro above 200k input: 250000 × 2.50 + 1000 × 15.00 = 640000 per million → 0.64.
    LlmUsage pro = usageOf("google", "gemini-2.5-pro");
    pro.input_tokens = 250000;
    pro.output_tokens = 1000;
    const LlmCost long_cost = priceLlmCall(card, pro, when);
    CHECK(long_cost.long_context_above == 200000);
    CHECK(long_cost.total == num("0.64"));
    // Sonnet 4 above 200k: 250000 × 6 + 1000 × 22.50 = 1522500 per million → 1.5225.
    LlmUsage sonnet = usageOf("anthropic", "claude-sonnet-4");
    sonnet.input_tokens = 250000;
    sonnet.output_tokens = 1000;
    CHECK(priceLlmCall(card, sonnet, when).total == num("1.5225"));
    // Gemini 2.5 Flash audio input: 1000 × 1.00 per million = 0.001.
    LlmUsage flash = usageOf("google", "gemini-2.5-flash");
    flash.audio_input_tokens = 1000;
    CHECK(priceLlmCall(card, flash, when).total == num("0.001"));
    // whisper-1 at $0.006 a minute: 90.5 s × 0.0001 = 0.00905; tts-1 at $15 per million characters: 0.015.
    CHECK(priceTranscription(card, "openai", "whisper-1", num("90.5"), when).total == num("0.00905"));
    CHECK(priceSpeech(card, "openai", "tts-1", 1000, when).total == num("0.015"));
    // A host's own prices on top.
    const RateCard mine = card.overlay(RateCard::fromJson(
        R"({"models": {"openai/gpt-4o": {"prices": [{"from": "2026-01-01", "per": "1M", "input": 1, "output": 2}]}}})"));
    LlmUsage u = usageOf("openai", "gpt-4o");
    u.input_tokens = 1000000;
    CHECK(priceLlmCall(mine, u, when).total == num("1"));
    CHECK(mine.find("openai", "gpt-4o-mini", when) != nullptr);
}
