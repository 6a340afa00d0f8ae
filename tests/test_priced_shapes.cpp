// SPDX-License-Identifier: MIT
// The issue's acceptance test for provider parsers × pricing: for each of the five parsers,
// usage shapes as the providers publish them (with cache, with reasoning, with audio where the
// provider has it) parsed and priced to the hand-worked exact cost and cent; the
// double-counting mistakes (cached tokens counted twice, cache reads taken as part of
// Anthropic's input_tokens, audio billed as text, reasoning missed) each priced both ways,
// the naive cost shown to differ; and one stream per provider priced as its non-streamed twin.
//
// Shapes named "sample N <name>" are ../shared/data/provider-usage/samples.json's entry of
// that name (N: its index in the file), read from there, never copied here; the others are
// written by hand in the shape of the provider's API reference.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "metered/decimal.h"
#include "metered/llm_usage.h"
#include "metered/rate_card.h"
#include "test_support.h"

using namespace metered;
using namespace metered::testing;

namespace {

// All shapes are priced on one day, after every entry's start.
const Timestamp priced_at = Timestamp(date::sys_days(date::year(2026) / 11 / 2));

// Per-million prices as the providers' pricing pages publish them (OpenAI
// platform.openai.com/docs/pricing, Anthropic docs.claude.com/en/docs/about-claude/pricing,
// Google ai.google.dev/gemini-api/docs/pricing), for the models the shapes name.
// - gpt-5's `cache_write` is its input price: OpenAI publishes no write premium, so a write
//   is billed as the input it is; given explicitly because an absent price is an error.
// - The samples' gpt-5.6-sol, gpt-realtime-2.1 and claude-opus-5 have no price page this
//   test could check: aliases price them at gpt-5, gpt-realtime and claude-opus-4-5.
// - Anthropic's dated ids (claude-sonnet-4-5-20250929) carry no dashes in the date: aliases.
const char* const shapes_card_json = R"({
  "strip_date_suffix": true,
  "aliases": {
    "openai/gpt-5.6-sol": "gpt-5",
    "openai/gpt-realtime-2.1": "gpt-realtime",
    "anthropic/claude-sonnet-4-5-20250929": "claude-sonnet-4-5",
    "anthropic/claude-sonnet-4-20250514": "claude-sonnet-4",
    "anthropic/claude-haiku-4-5-20251001": "claude-haiku-4-5",
    "anthropic/claude-opus-5": "claude-opus-4-5"
  },
  "models": {
    "openai/gpt-4o": {"prices": [
      {"from": "2024-10-01", "per": "1M", "input": "2.50", "cached_input": "1.25", "output": "10.00",
       "reasoning_as_output": true}]},
    "openai/gpt-4o-audio-preview": {"prices": [
      {"from": "2024-12-17", "per": "1M", "input": "2.50", "output": "10.00", "audio_input": "40.00",
       "audio_output": "80.00"}]},
    "openai/gpt-5": {"prices": [
      {"from": "2025-08-07", "per": "1M", "input": "1.25", "cached_input": "0.125", "cache_write": "1.25",
       "output": "10.00", "reasoning_as_output": true}]},
    "openai/gpt-realtime": {"prices": [
      {"from": "2025-08-28", "per": "1M", "input": "4.00", "cached_input": "0.40", "output": "16.00",
       "audio_input": "32.00", "cached_audio_input": "0.40", "audio_output": "64.00",
       "image_input": "5.00", "cached_image_input": "0.50"}]},
    "anthropic/claude-sonnet-4": {"prices": [
      {"from": "2025-05-22", "per": "1M", "input": "3", "cached_input": "0.30", "cache_write": "3.75",
       "cache_write_1h": "6", "output": "15", "reasoning_as_output": true,
       "long_context": [{"above": 200000, "input": "6", "cached_input": "0.60", "cache_write": "7.50",
                         "cache_write_1h": "12", "output": "22.50"}]}]},
    "anthropic/claude-sonnet-4-5": {"prices": [
      {"from": "2025-09-29", "per": "1M", "input": "3", "cached_input": "0.30", "cache_write": "3.75",
       "cache_write_1h": "6", "output": "15", "reasoning_as_output": true,
       "long_context": [{"above": 200000, "input": "6", "cached_input": "0.60", "cache_write": "7.50",
                         "cache_write_1h": "12", "output": "22.50"}]}]},
    "anthropic/claude-haiku-4-5": {"prices": [
      {"from": "2025-10-15", "per": "1M", "input": "1", "cached_input": "0.10", "cache_write": "1.25",
       "cache_write_1h": "2", "output": "5", "reasoning_as_output": true}]},
    "anthropic/claude-opus-4-5": {"prices": [
      {"from": "2025-11-24", "per": "1M", "input": "5", "cached_input": "0.50", "cache_write": "6.25",
       "cache_write_1h": "10", "output": "25", "reasoning_as_output": true}]},
    "google/gemini-2.5-pro": {"prices": [
      {"from": "2025-06-17", "per": "1M", "input": "1.25", "cached_input": "0.125", "output": "10.00",
       "reasoning_as_output": true,
       "long_context": [{"above": 200000, "input": "2.50", "cached_input": "0.25", "output": "15.00"}]}]},
    "google/gemini-2.5-flash": {"prices": [
      {"from": "2025-06-17", "per": "1M", "input": "0.30", "cached_input": "0.03", "audio_input": "1.00",
       "cached_audio_input": "0.10", "image_input": "0.30", "cached_image_input": "0.03", "output": "2.50",
       "reasoning_as_output": true}]}
  }
})";

const RateCard& shapesCard() {
    static const RateCard c = RateCard::fromJson(shapes_card_json);
    return c;
}

// ../shared/data/provider-usage/samples.json's "samples" object.
const nlohmann::json& samples() {
    static const nlohmann::json document = [] {
        const std::filesystem::path file =
            std::filesystem::path(METERED_SHARED_DATA_DIR) / "provider-usage/samples.json";
        std::ifstream in(file);
        if (!in) FAIL("the provider usage samples are missing: looked for " << file.string());
        return nlohmann::json::parse(in);
    }();
    return document.at("samples");
}

const nlohmann::json& sampleUsage(const std::string& name) { return samples().at(name).at("usage"); }

// The sample's usage parsed as `api` with the sample's own model name.
LlmUsage sample(LlmApi api, const std::string& name) {
    INFO("sample " << name);
    const auto& s = samples().at(name);
    return parseLlmUsage(api, s.at("usage").dump(), s.at("model").get<std::string>());
}

Decimal total(const LlmUsage& usage) { return priceLlmCall(shapesCard(), usage, priced_at).total; }

Decimal cents(const Decimal& amount) { return amount.rounded(2, Rounding::half_even); }

// What a wrong rule would have read: the counts built by hand, priced at the same card.
LlmUsage naive(std::string provider, std::string model) {
    LlmUsage u;
    u.provider = std::move(provider);
    u.model = std::move(model);
    return u;
}

// Own shapes, in the API references' layouts.
// Chat Completions with reasoning (gpt-5): 1500 prompt (1024 cached), 2100 completion of which
// 1664 reasoning.
const char* const chat_reasoning = R"({"prompt_tokens":1500,"completion_tokens":2100,"total_tokens":3600,
    "prompt_tokens_details":{"cached_tokens":1024,"audio_tokens":0},
    "completion_tokens_details":{"reasoning_tokens":1664,"audio_tokens":0,"accepted_prediction_tokens":0,
                                 "rejected_prediction_tokens":0}})";
// Chat Completions audio in and out (gpt-4o-audio-preview): prompt 214 = 27 text + 187 audio;
// completion 612 = 72 text + 540 audio.
const char* const chat_audio_out = R"({"prompt_tokens":214,"completion_tokens":612,"total_tokens":826,
    "prompt_tokens_details":{"cached_tokens":0,"audio_tokens":187,"text_tokens":27,"image_tokens":0},
    "completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":540,"text_tokens":72,
                                 "accepted_prediction_tokens":0,"rejected_prediction_tokens":0}})";
// Responses with an image in the prompt (gpt-4o): the image's tokens are inside input_tokens
// (Responses does not report them apart), billed at the text input rate.
const char* const responses_image = R"({"input_tokens":1893,"input_tokens_details":{"cached_tokens":0},
    "output_tokens":87,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":1980})";
// Realtime voice turn (gpt-realtime): input 1157 = text 461 + audio 696, cached 960 = text 448
// + audio 512; output 300 = text 63 + audio 237.
const char* const realtime_voice = R"({"total_tokens":1457,"input_tokens":1157,"output_tokens":300,
    "input_token_details":{"text_tokens":461,"audio_tokens":696,"image_tokens":0,"cached_tokens":960,
                           "cached_tokens_details":{"text_tokens":448,"audio_tokens":512,"image_tokens":0}},
    "output_token_details":{"text_tokens":63,"audio_tokens":237}})";
// Realtime text session with a cached prefix: 22000 text in, 19200 of it cached; 1800 text out.
const char* const realtime_text = R"({"total_tokens":23800,"input_tokens":22000,"output_tokens":1800,
    "input_token_details":{"text_tokens":22000,"audio_tokens":0,"cached_tokens":19200,
                           "cached_tokens_details":{"text_tokens":19200,"audio_tokens":0}},
    "output_token_details":{"text_tokens":1800,"audio_tokens":0}})";
// Anthropic cache reads on top of a fresh 2000 (claude-sonnet-4-5).
const char* const anthropic_reads = R"({"input_tokens":2000,"cache_creation_input_tokens":0,
    "cache_read_input_tokens":1500,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},
    "output_tokens":100,"service_tier":"standard"})";
// Anthropic long prompt (claude-sonnet-4-5, 1M context): 180000 fresh + 40000 cache reads =
// 220000 input, above the 200000 threshold.
const char* const anthropic_long = R"({"input_tokens":180000,"cache_creation_input_tokens":0,
    "cache_read_input_tokens":40000,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},
    "output_tokens":2000,"service_tier":"standard"})";
// Gemini audio (gemini-2.5-flash): prompt 40000 = TEXT 8000 + AUDIO 32000, of which 20000
// AUDIO from the context cache; 2500 TEXT out.
const char* const gemini_audio = R"({"promptTokenCount":40000,"candidatesTokenCount":2500,"totalTokenCount":42500,
    "cachedContentTokenCount":20000,
    "promptTokensDetails":[{"modality":"TEXT","tokenCount":8000},{"modality":"AUDIO","tokenCount":32000}],
    "cacheTokensDetails":[{"modality":"AUDIO","tokenCount":20000}],
    "candidatesTokensDetails":[{"modality":"TEXT","tokenCount":2500}]})";

}  // namespace

TEST_CASE("the test card: per-million prices read exactly", "[priced_shapes]") {
    const ModelRates* r = shapesCard().find("openai", "gpt-realtime-2.1", priced_at);
    REQUIRE(r != nullptr);
    CHECK(r->prices.audio_input == num("0.000032"));
    CHECK(r->prices.cached_audio_input == num("0.0000004"));
    CHECK(shapesCard().find("openai", "gpt-5-2025-08-07", priced_at) ==
          shapesCard().find("openai", "gpt-5", priced_at));
    CHECK(shapesCard().find("anthropic", "claude-opus-5", priced_at)->prices.output == num("0.000025"));
}

TEST_CASE("OpenAI Chat Completions shapes priced to the cent", "[priced_shapes]") {
    SECTION("cache read: sample 0 oai-chat-cached-real-gpt-5.6-sol") {
        const LlmUsage u = sample(LlmApi::openai_chat, "oai-chat-cached-real-gpt-5.6-sol");
        // prompt 4020 − cached 4012 = 8 fresh × 1.25/1M = 0.00001; 4012 cached × 0.125/1M =
        // 0.0005015; 4 out × 10/1M = 0.00004. Total 0.0005515 → $0.00.
        const LlmCost c = priceLlmCall(shapesCard(), u, priced_at);
        CHECK(c.model == "gpt-5");
        CHECK(c.cost(TokenType::cached_input) == num("0.0005015"));
        CHECK(c.total == num("0.0005515"));
        CHECK(cents(c.total) == num("0.00"));
    }
    SECTION("cache write: sample 1 oai-chat-cache-write-gpt-5.6-sol") {
        const LlmUsage u = sample(LlmApi::openai_chat, "oai-chat-cache-write-gpt-5.6-sol");
        // 2006 − 1920 written = 86 fresh × 1.25/1M = 0.0001075; 1920 written × 1.25/1M =
        // 0.0024; 300 out × 10/1M = 0.003. Total 0.0055075 → $0.01.
        CHECK(priceLlmCall(shapesCard(), u, priced_at).cost(TokenType::cache_write) == num("0.0024"));
        CHECK(total(u) == num("0.0055075"));
        CHECK(cents(total(u)) == num("0.01"));
    }
    SECTION("reasoning (own shape, gpt-5)") {
        const LlmUsage u = parseLlmUsage(LlmApi::openai_chat, chat_reasoning, "gpt-5");
        // 1500 − 1024 = 476 fresh × 1.25/1M = 0.000595; 1024 cached × 0.125/1M = 0.000128;
        // 2100 − 1664 = 436 out × 10/1M = 0.00436; 1664 reasoning × 10/1M = 0.01664.
        // Total 0.021723 → $0.02.
        const LlmCost c = priceLlmCall(shapesCard(), u, priced_at);
        CHECK(c.cost(TokenType::reasoning) == num("0.01664"));
        CHECK(c.reasoning_at_output_rate);
        CHECK(c.total == num("0.021723"));
        CHECK(cents(c.total) == num("0.02"));
    }
    SECTION("audio in: sample 2 oai-chat-audio-real-gpt-4o-audio-preview") {
        const LlmUsage u = sample(LlmApi::openai_chat, "oai-chat-audio-real-gpt-4o-audio-preview");
        // 81 − 69 audio = 12 text × 2.50/1M = 0.00003; 69 audio × 40/1M = 0.00276; 72 out ×
        // 10/1M = 0.00072. Total 0.00351 → $0.00.
        CHECK(priceLlmCall(shapesCard(), u, priced_at).cost(TokenType::audio_input) == num("0.00276"));
        CHECK(total(u) == num("0.00351"));
        CHECK(cents(total(u)) == num("0.00"));
    }
    SECTION("audio in and out (own shape, gpt-4o-audio-preview)") {
        const LlmUsage u = parseLlmUsage(LlmApi::openai_chat, chat_audio_out, "gpt-4o-audio-preview-2024-12-17");
        // 27 text × 2.50/1M = 0.0000675; 187 audio × 40/1M = 0.00748; 72 text out × 10/1M =
        // 0.00072; 540 audio out × 80/1M = 0.0432. Total 0.0514675 → $0.05.
        const LlmCost c = priceLlmCall(shapesCard(), u, priced_at);
        CHECK(c.cost(TokenType::audio_output) == num("0.0432"));
        CHECK(c.total == num("0.0514675"));
        CHECK(cents(c.total) == num("0.05"));
    }
}

TEST_CASE("OpenAI Responses shapes priced to the cent", "[priced_shapes]") {
    SECTION("cache (and reasoning): sample 3 oai-resp-real-gpt-5-cache-reasoning-a") {
        const LlmUsage u = sample(LlmApi::openai_responses, "oai-resp-real-gpt-5-cache-reasoning-a");
        // 9703 − 8576 = 1127 fresh × 1.25/1M = 0.00140875; 8576 cached × 0.125/1M = 0.001072;
        // 638 − 576 = 62 out × 10/1M = 0.00062; 576 reasoning × 10/1M = 0.00576.
        // Total 0.00886075 → $0.01.
        const LlmCost c = priceLlmCall(shapesCard(), u, priced_at);
        CHECK(c.cost(TokenType::input) == num("0.00140875"));
        CHECK(c.cost(TokenType::cached_input) == num("0.001072"));
        CHECK(c.total == num("0.00886075"));
        CHECK(cents(c.total) == num("0.01"));
    }
    SECTION("reasoning: sample 4 oai-resp-real-gpt-5-cache-reasoning-b") {
        const LlmUsage u = sample(LlmApi::openai_responses, "oai-resp-real-gpt-5-cache-reasoning-b");
        // 1493 − 1280 = 213 × 1.25/1M = 0.00026625; 1280 × 0.125/1M = 0.00016; 125 − 64 = 61
        // × 10/1M = 0.00061; 64 reasoning × 10/1M = 0.00064. Total 0.00167625 → $0.00.
        const LlmCost c = priceLlmCall(shapesCard(), u, priced_at);
        CHECK(c.cost(TokenType::reasoning) == num("0.00064"));
        CHECK(c.total == num("0.00167625"));
        CHECK(cents(c.total) == num("0.00"));
    }
    SECTION("image in the prompt (own shape, gpt-4o): no audio in Responses") {
        const LlmUsage u = parseLlmUsage(LlmApi::openai_responses, responses_image, "gpt-4o");
        // 1893 input (image included) × 2.50/1M = 0.0047325; 87 out × 10/1M = 0.00087.
        // Total 0.0056025 → $0.01.
        CHECK(u.image_input_tokens == 0);
        CHECK(total(u) == num("0.0056025"));
        CHECK(cents(total(u)) == num("0.01"));
    }
}

TEST_CASE("OpenAI Realtime shapes priced to the cent", "[priced_shapes]") {
    SECTION("audio, text, image and cached of each: sample 5 oai-rt-modalities-gpt-realtime-2.1") {
        const LlmUsage u = sample(LlmApi::openai_realtime, "oai-rt-modalities-gpt-realtime-2.1");
        // text 600 − 250 cached = 350 × 4/1M = 0.0014; 250 cached text × 0.40/1M = 0.0001;
        // audio 250 − 100 = 150 × 32/1M = 0.0048; 100 cached audio × 0.40/1M = 0.00004;
        // image 150 − 50 = 100 × 5/1M = 0.0005; 50 cached image × 0.50/1M = 0.000025;
        // 200 text out × 16/1M = 0.0032; 300 audio out × 64/1M = 0.0192.
        // Total 0.029265 → $0.03.
        const LlmCost c = priceLlmCall(shapesCard(), u, priced_at);
        CHECK(c.model == "gpt-realtime");
        CHECK(c.cost(TokenType::audio_input) == num("0.0048"));
        CHECK(c.cost(TokenType::cached_audio_input) == num("0.00004"));
        CHECK(c.cost(TokenType::audio_output) == num("0.0192"));
        CHECK(c.total == num("0.029265"));
        CHECK(cents(c.total) == num("0.03"));
    }
    SECTION("voice turn with cached audio (own shape)") {
        const LlmUsage u = parseLlmUsage(LlmApi::openai_realtime, realtime_voice, "gpt-realtime");
        // text 461 − 448 = 13 × 4/1M = 0.000052; 448 cached text × 0.40/1M = 0.0001792;
        // audio 696 − 512 = 184 × 32/1M = 0.005888; 512 cached audio × 0.40/1M = 0.0002048;
        // 63 text out × 16/1M = 0.001008; 237 audio out × 64/1M = 0.015168.
        // Total 0.0225 → $0.02.
        CHECK(total(u) == num("0.0225"));
        CHECK(cents(total(u)) == num("0.02"));
    }
    SECTION("text session with a cached prefix (own shape)") {
        const LlmUsage u = parseLlmUsage(LlmApi::openai_realtime, realtime_text, "gpt-realtime");
        // 22000 − 19200 = 2800 × 4/1M = 0.0112; 19200 cached × 0.40/1M = 0.00768; 1800 out ×
        // 16/1M = 0.0288. Total 0.04768 → $0.05.
        CHECK(total(u) == num("0.04768"));
        CHECK(cents(total(u)) == num("0.05"));
    }
}

TEST_CASE("Anthropic Messages shapes priced to the cent", "[priced_shapes]") {
    SECTION("cache writes 5m and 1h: sample 9 ant-cache-write-5m-and-1h-sonnet-4") {
        const LlmUsage u = sample(LlmApi::anthropic_messages, "ant-cache-write-5m-and-1h-sonnet-4");
        // 504 fresh × 3/1M = 0.001512; 100 written 5m × 3.75/1M = 0.000375; 23 written 1h ×
        // 6/1M = 0.000138; 97 out × 15/1M = 0.001455. Total 0.00348 → $0.00.
        const LlmCost c = priceLlmCall(shapesCard(), u, priced_at);
        CHECK(c.cost(TokenType::cache_write) == num("0.000375"));
        CHECK(c.cost(TokenType::cache_write_1h) == num("0.000138"));
        CHECK(c.total == num("0.00348"));
        CHECK(cents(c.total) == num("0.00"));
    }
    SECTION("cache read and 5m write: sample 8 ant-cache-write-5m-real-sonnet-4.5") {
        const LlmUsage u = sample(LlmApi::anthropic_messages, "ant-cache-write-5m-real-sonnet-4.5");
        // 3 × 3/1M = 0.000009; 1111 read × 0.30/1M = 0.0003333; 418 written × 3.75/1M =
        // 0.0015675; 33 out × 15/1M = 0.000495. Total 0.0024048 → $0.00.
        CHECK(total(u) == num("0.0024048"));
        CHECK(cents(total(u)) == num("0.00"));
    }
    SECTION("cache read: sample 7 ant-cache-read-real-haiku-4.5") {
        const LlmUsage u = sample(LlmApi::anthropic_messages, "ant-cache-read-real-haiku-4.5");
        // 3 × 1/1M = 0.000003; 9511 read × 0.10/1M = 0.0009511; 1944 out × 5/1M = 0.00972.
        // Total 0.0106741 → $0.01.
        CHECK(total(u) == num("0.0106741"));
        CHECK(cents(total(u)) == num("0.01"));
    }
    SECTION("thinking: sample 10 ant-thinking-real-opus-5") {
        const LlmUsage u = sample(LlmApi::anthropic_messages, "ant-thinking-real-opus-5");
        // 13 × 5/1M = 0.000065; 44 − 33 thinking = 11 out × 25/1M = 0.000275; 33 thinking ×
        // 25/1M = 0.000825. Total 0.001165 → $0.00.
        const LlmCost c = priceLlmCall(shapesCard(), u, priced_at);
        CHECK(c.cost(TokenType::reasoning) == num("0.000825"));
        CHECK(c.total == num("0.001165"));
        CHECK(cents(c.total) == num("0.00"));
    }
    SECTION("long prompt above 200K (own shape): no audio in Messages") {
        const LlmUsage u = parseLlmUsage(LlmApi::anthropic_messages, anthropic_long, "claude-sonnet-4-5-20250929");
        // input 180000 + 40000 read = 220000 > 200000: the long-context prices.
        // 180000 × 6/1M = 1.08; 40000 read × 0.60/1M = 0.024; 2000 out × 22.50/1M = 0.045.
        // Total 1.149 → $1.15.
        const LlmCost c = priceLlmCall(shapesCard(), u, priced_at);
        CHECK(c.long_context_above == 200000);
        CHECK(c.total == num("1.149"));
        CHECK(cents(c.total) == num("1.15"));
    }
}

TEST_CASE("Gemini shapes priced to the cent", "[priced_shapes]") {
    SECTION("cache (text and image) with thoughts: sample 12 gem-cached-thoughts-real-2.5-flash") {
        const LlmUsage u = sample(LlmApi::gemini, "gem-cached-thoughts-real-2.5-flash");
        // TEXT 115 − 63 cached = 52 × 0.30/1M = 0.0000156; 63 cached × 0.03/1M = 0.00000189;
        // IMAGE 258 − 141 = 117 × 0.30/1M = 0.0000351; 141 cached image × 0.03/1M =
        // 0.00000423; 89 out × 2.50/1M = 0.0002225; 167 thoughts × 2.50/1M = 0.0004175.
        // Total 0.00069682 → $0.00.
        const LlmCost c = priceLlmCall(shapesCard(), u, priced_at);
        CHECK(c.cost(TokenType::cached_image_input) == num("0.00000423"));
        CHECK(c.total == num("0.00069682"));
        CHECK(cents(c.total) == num("0.00"));
    }
    SECTION("thoughts: sample 11 gem-thoughts-real-2.5-pro") {
        const LlmUsage u = sample(LlmApi::gemini, "gem-thoughts-real-2.5-pro");
        // 1106 × 1.25/1M = 0.0013825; 778 out × 10/1M = 0.00778; 1089 thoughts × 10/1M =
        // 0.01089. Total 0.0200525 → $0.02.
        const LlmCost c = priceLlmCall(shapesCard(), u, priced_at);
        CHECK(c.cost(TokenType::reasoning) == num("0.01089"));
        CHECK(c.total == num("0.0200525"));
        CHECK(cents(c.total) == num("0.02"));
    }
    SECTION("tool use prompt: sample 13 gem-tool-use-real-2.5-pro") {
        const LlmUsage u = sample(LlmApi::gemini, "gem-tool-use-real-2.5-pro");
        // 17 + 119 tool-use = 136 × 1.25/1M = 0.00017; 201 out × 10/1M = 0.00201; 213
        // thoughts × 10/1M = 0.00213. Total 0.00431 → $0.00.
        CHECK(total(u) == num("0.00431"));
        CHECK(cents(total(u)) == num("0.00"));
    }
    SECTION("AUDIO modality with cached audio (own shape, gemini-2.5-flash)") {
        const LlmUsage u = parseLlmUsage(LlmApi::gemini, gemini_audio, "gemini-2.5-flash");
        // TEXT 8000 × 0.30/1M = 0.0024; AUDIO 32000 − 20000 cached = 12000 × 1/1M = 0.012;
        // 20000 cached audio × 0.10/1M = 0.002; 2500 out × 2.50/1M = 0.00625.
        // Total 0.02265 → $0.02.
        const LlmCost c = priceLlmCall(shapesCard(), u, priced_at);
        CHECK(c.cost(TokenType::audio_input) == num("0.012"));
        CHECK(c.cost(TokenType::cached_audio_input) == num("0.002"));
        CHECK(c.total == num("0.02265"));
        CHECK(cents(c.total) == num("0.02"));
    }
}

TEST_CASE("double counting: cached tokens counted twice", "[priced_shapes]") {
    SECTION("OpenAI Chat counts cached tokens inside prompt_tokens: sample 0") {
        const Decimal right = total(sample(LlmApi::openai_chat, "oai-chat-cached-real-gpt-5.6-sol"));
        // Naive: all 4020 prompt tokens at input and the 4012 cached again at the cached rate:
        // 4020 × 1.25/1M = 0.005025 + 0.0005015 + 0.00004 = 0.0055665 (ten times the right 0.0005515).
        LlmUsage twice = naive("openai", "gpt-5.6-sol");
        twice.input_tokens = 4020;
        twice.cached_input_tokens = 4012;
        twice.output_tokens = 4;
        CHECK(right == num("0.0005515"));
        CHECK(total(twice) == num("0.0055665"));
        CHECK(right != total(twice));
        CHECK(cents(right) != cents(total(twice)));  // $0.00 against $0.01
    }
    SECTION("OpenAI Chat counts cache writes inside prompt_tokens: sample 1") {
        const Decimal right = total(sample(LlmApi::openai_chat, "oai-chat-cache-write-gpt-5.6-sol"));
        // Naive: 2006 × 1.25/1M = 0.0025075 + 1920 written × 1.25/1M = 0.0024 + 0.003 = 0.0079075.
        LlmUsage twice = naive("openai", "gpt-5.6-sol");
        twice.input_tokens = 2006;
        twice.cache_write_tokens = 1920;
        twice.output_tokens = 300;
        CHECK(right == num("0.0055075"));
        CHECK(total(twice) == num("0.0079075"));
        CHECK(right != total(twice));
    }
    SECTION("OpenAI Responses: cached inside input_tokens, sample 3") {
        const Decimal right = total(sample(LlmApi::openai_responses, "oai-resp-real-gpt-5-cache-reasoning-a"));
        // Naive: 9703 × 1.25/1M = 0.01212875 + 0.001072 + 0.00062 + 0.00576 = 0.01958075.
        LlmUsage twice = naive("openai", "gpt-5");
        twice.input_tokens = 9703;
        twice.cached_input_tokens = 8576;
        twice.output_tokens = 62;
        twice.reasoning_tokens = 576;
        CHECK(right == num("0.00886075"));
        CHECK(total(twice) == num("0.01958075"));
        CHECK(cents(right) != cents(total(twice)));  // $0.01 against $0.02
    }
    SECTION("Gemini: cachedContentTokenCount inside promptTokenCount, per modality: sample 12") {
        const Decimal right = total(sample(LlmApi::gemini, "gem-cached-thoughts-real-2.5-flash"));
        // Naive: TEXT 115 × 0.30/1M = 0.0000345, IMAGE 258 × 0.30/1M = 0.0000774, and the
        // cached 63 + 141 again (0.00000189 + 0.00000423) + 0.0002225 + 0.0004175 = 0.00075802.
        LlmUsage twice = naive("google", "gemini-2.5-flash");
        twice.input_tokens = 115;
        twice.cached_input_tokens = 63;
        twice.image_input_tokens = 258;
        twice.cached_image_input_tokens = 141;
        twice.output_tokens = 89;
        twice.reasoning_tokens = 167;
        CHECK(right == num("0.00069682"));
        CHECK(total(twice) == num("0.00075802"));
        CHECK(right != total(twice));
    }
    SECTION("Anthropic adds reads and writes on top of input_tokens: taking them as inside it underbills") {
        // Own shape: 2000 fresh + 1500 read. Right: 2000 × 3/1M = 0.006 + 1500 × 0.30/1M =
        // 0.00045 + 100 × 15/1M = 0.0015 = 0.00795 ($0.01). Naive (reads ⊂ input_tokens):
        // 2000 − 1500 = 500 × 3/1M = 0.0015 + 0.00045 + 0.0015 = 0.00345 ($0.00).
        const Decimal right = total(parseLlmUsage(LlmApi::anthropic_messages, anthropic_reads, "claude-sonnet-4-5"));
        LlmUsage inside = naive("anthropic", "claude-sonnet-4-5");
        inside.input_tokens = 500;
        inside.cached_input_tokens = 1500;
        inside.output_tokens = 100;
        CHECK(right == num("0.00795"));
        CHECK(total(inside) == num("0.00345"));
        CHECK(cents(right) != cents(total(inside)));

        // Sample 9: writes 100 + 23 taken as inside the 504: 381 × 3/1M = 0.001143 + 0.000375 +
        // 0.000138 + 0.001455 = 0.003111, against the right 0.00348.
        const Decimal right9 = total(sample(LlmApi::anthropic_messages, "ant-cache-write-5m-and-1h-sonnet-4"));
        LlmUsage inside9 = naive("anthropic", "claude-sonnet-4");
        inside9.input_tokens = 381;
        inside9.cache_write_tokens = 100;
        inside9.cache_write_1h_tokens = 23;
        inside9.output_tokens = 97;
        CHECK(right9 == num("0.00348"));
        CHECK(total(inside9) == num("0.003111"));
        CHECK(right9 != total(inside9));
        // And the 1-hour writes priced as 5-minute ones: 123 × 3.75/1M = 0.00046125 →
        // 0.001512 + 0.00046125 + 0.001455 = 0.00342825.
        LlmUsage one_lifetime = naive("anthropic", "claude-sonnet-4");
        one_lifetime.input_tokens = 504;
        one_lifetime.cache_write_tokens = 123;
        one_lifetime.output_tokens = 97;
        CHECK(total(one_lifetime) == num("0.00342825"));
        CHECK(right9 != total(one_lifetime));
    }
    SECTION("Anthropic long context: cache reads count toward the 200K threshold") {
        // Naive (threshold on input_tokens alone, 180000 ≤ 200000: base prices):
        // 180000 × 3/1M = 0.54 + 40000 × 0.30/1M = 0.012 + 2000 × 15/1M = 0.03 = 0.582 ($0.58),
        // against the right 1.149 ($1.15).
        const Decimal right = total(parseLlmUsage(LlmApi::anthropic_messages, anthropic_long, "claude-sonnet-4-5"));
        const ModelRates* rates = shapesCard().find("anthropic", "claude-sonnet-4-5", priced_at);
        REQUIRE(rates != nullptr);
        const TokenPrices& base = rates->prices;
        const Decimal at_base =
            Decimal(180000) * *base.input + Decimal(40000) * *base.cached_input + Decimal(2000) * *base.output;
        CHECK(right == num("1.149"));
        CHECK(at_base == num("0.582"));
        CHECK(cents(right) != cents(at_base));
    }
}

TEST_CASE("double counting: audio tokens billed as text", "[priced_shapes]") {
    SECTION("OpenAI Realtime: sample 5") {
        const Decimal right = total(sample(LlmApi::openai_realtime, "oai-rt-modalities-gpt-realtime-2.1"));
        // Naive (every modality at the text rates): input 1000 − 400 cached = 600 × 4/1M =
        // 0.0024; 400 cached × 0.40/1M = 0.00016; 500 out × 16/1M = 0.008. Total 0.01056
        // ($0.01), against the right 0.029265 ($0.03).
        LlmUsage as_text = naive("openai", "gpt-realtime-2.1");
        as_text.input_tokens = 600;
        as_text.cached_input_tokens = 400;
        as_text.output_tokens = 500;
        CHECK(right == num("0.029265"));
        CHECK(total(as_text) == num("0.01056"));
        CHECK(cents(right) != cents(total(as_text)));
    }
    SECTION("OpenAI Realtime voice turn (own shape)") {
        const Decimal right = total(parseLlmUsage(LlmApi::openai_realtime, realtime_voice, "gpt-realtime"));
        // Naive: 1157 − 960 = 197 × 4/1M = 0.000788; 960 × 0.40/1M = 0.000384; 300 × 16/1M =
        // 0.0048. Total 0.005972 ($0.01), against 0.0225 ($0.02).
        LlmUsage as_text = naive("openai", "gpt-realtime");
        as_text.input_tokens = 197;
        as_text.cached_input_tokens = 960;
        as_text.output_tokens = 300;
        CHECK(right == num("0.0225"));
        CHECK(total(as_text) == num("0.005972"));
        CHECK(cents(right) != cents(total(as_text)));
    }
    SECTION("OpenAI Chat audio in and out (own shape)") {
        const Decimal right = total(parseLlmUsage(LlmApi::openai_chat, chat_audio_out, "gpt-4o-audio-preview"));
        // Naive: 214 × 2.50/1M = 0.000535 + 612 × 10/1M = 0.00612 = 0.006655 ($0.01), against
        // 0.0514675 ($0.05).
        LlmUsage as_text = naive("openai", "gpt-4o-audio-preview");
        as_text.input_tokens = 214;
        as_text.output_tokens = 612;
        CHECK(right == num("0.0514675"));
        CHECK(total(as_text) == num("0.006655"));
        CHECK(cents(right) != cents(total(as_text)));
    }
    SECTION("Gemini AUDIO modality (own shape)") {
        const Decimal right = total(parseLlmUsage(LlmApi::gemini, gemini_audio, "gemini-2.5-flash"));
        // Naive: 40000 − 20000 = 20000 × 0.30/1M = 0.006; 20000 cached × 0.03/1M = 0.0006; 2500
        // × 2.50/1M = 0.00625. Total 0.01285 ($0.01), against 0.02265 ($0.02).
        LlmUsage as_text = naive("google", "gemini-2.5-flash");
        as_text.input_tokens = 20000;
        as_text.cached_input_tokens = 20000;
        as_text.output_tokens = 2500;
        CHECK(right == num("0.02265"));
        CHECK(total(as_text) == num("0.01285"));
        CHECK(cents(right) != cents(total(as_text)));
    }
}

TEST_CASE("double counting: reasoning tokens missed", "[priced_shapes]") {
    SECTION("OpenAI Responses: reasoning ⊂ output_tokens, sample 3") {
        const Decimal right = total(sample(LlmApi::openai_responses, "oai-resp-real-gpt-5-cache-reasoning-a"));
        // Naive (output − reasoning billed, reasoning dropped): 0.00140875 + 0.001072 + 62 ×
        // 10/1M = 0.00062 → 0.00310075 ($0.00), against 0.00886075 ($0.01).
        LlmUsage missed = naive("openai", "gpt-5");
        missed.input_tokens = 1127;
        missed.cached_input_tokens = 8576;
        missed.output_tokens = 62;
        CHECK(right == num("0.00886075"));
        CHECK(total(missed) == num("0.00310075"));
        CHECK(cents(right) != cents(total(missed)));
    }
    SECTION("OpenAI Chat: reasoning ⊂ completion_tokens (own shape)") {
        const Decimal right = total(parseLlmUsage(LlmApi::openai_chat, chat_reasoning, "gpt-5"));
        // Naive: 0.000595 + 0.000128 + 436 × 10/1M = 0.00436 → 0.005083 ($0.01), against
        // 0.021723 ($0.02).
        LlmUsage missed = naive("openai", "gpt-5");
        missed.input_tokens = 476;
        missed.cached_input_tokens = 1024;
        missed.output_tokens = 436;
        CHECK(right == num("0.021723"));
        CHECK(total(missed) == num("0.005083"));
        CHECK(cents(right) != cents(total(missed)));
    }
    SECTION("Anthropic: thinking_tokens ⊂ output_tokens, sample 10") {
        const Decimal right = total(sample(LlmApi::anthropic_messages, "ant-thinking-real-opus-5"));
        // Naive: 13 × 5/1M = 0.000065 + 11 × 25/1M = 0.000275 = 0.00034, against 0.001165.
        LlmUsage missed = naive("anthropic", "claude-opus-5");
        missed.input_tokens = 13;
        missed.output_tokens = 11;
        CHECK(right == num("0.001165"));
        CHECK(total(missed) == num("0.00034"));
        CHECK(right != total(missed));
    }
    SECTION("Gemini: thoughtsTokenCount is added to candidatesTokenCount, sample 11") {
        const Decimal right = total(sample(LlmApi::gemini, "gem-thoughts-real-2.5-pro"));
        // Naive (thoughts dropped, or taken as inside the 778 candidates): 0.0013825 + 778 ×
        // 10/1M = 0.00778 → 0.0091625 ($0.01), against 0.0200525 ($0.02).
        LlmUsage missed = naive("google", "gemini-2.5-pro");
        missed.input_tokens = 1106;
        missed.output_tokens = 778;
        CHECK(right == num("0.0200525"));
        CHECK(total(missed) == num("0.0091625"));
        CHECK(cents(right) != cents(total(missed)));
    }
}

TEST_CASE("streamed usage prices as the non-streamed equivalent", "[priced_shapes]") {
    SECTION("OpenAI Chat: the final chunk with stream_options.include_usage") {
        LlmStreamUsage stream(LlmApi::openai_chat);
        CHECK_FALSE(stream.add(R"({"id":"c1","object":"chat.completion.chunk","model":"gpt-5-2025-08-07",
            "choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}],"usage":null})"));
        CHECK_FALSE(stream.add(R"({"id":"c1","object":"chat.completion.chunk","model":"gpt-5-2025-08-07",
            "choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null})"));
        const nlohmann::json newest = {{"id", "c1"},
                                       {"object", "chat.completion.chunk"},
                                       {"model", "gpt-5-2025-08-07"},
                                       {"choices", nlohmann::json::array()},
                                       {"usage", nlohmann::json::parse(chat_reasoning)}};
        CHECK(stream.add(newest.dump()));
        const Decimal streamed = total(stream.usage());
        CHECK(streamed == total(parseLlmUsage(LlmApi::openai_chat, chat_reasoning, "gpt-5")));
        CHECK(streamed == num("0.021723"));
    }
    SECTION("OpenAI Responses: response.completed, sample 3's usage") {
        LlmStreamUsage stream(LlmApi::openai_responses);
        CHECK_FALSE(stream.add(R"({"type":"response.created","response":{"model":"gpt-5-2025-08-07","usage":null}})"));
        CHECK_FALSE(stream.add(R"({"type":"response.output_text.delta","delta":"Hi"})"));
        const nlohmann::json done = {
            {"type", "response.completed"},
            {"response",
             {{"model", "gpt-5-2025-08-07"}, {"usage", sampleUsage("oai-resp-real-gpt-5-cache-reasoning-a")}}}};
        CHECK(stream.add(done.dump()));
        const Decimal streamed = total(stream.usage());
        CHECK(streamed == total(sample(LlmApi::openai_responses, "oai-resp-real-gpt-5-cache-reasoning-a")));
        CHECK(streamed == num("0.00886075"));
    }
    SECTION("OpenAI Realtime: response.done, sample 5's usage") {
        LlmStreamUsage stream(LlmApi::openai_realtime, "gpt-realtime-2.1");
        CHECK_FALSE(stream.add(R"({"type":"response.output_audio.delta","delta":"AAAA"})"));
        const nlohmann::json done = {
            {"type", "response.done"},
            {"response", {{"status", "completed"}, {"usage", sampleUsage("oai-rt-modalities-gpt-realtime-2.1")}}}};
        CHECK(stream.add(done.dump()));
        const Decimal streamed = total(stream.usage());
        CHECK(streamed == total(sample(LlmApi::openai_realtime, "oai-rt-modalities-gpt-realtime-2.1")));
        CHECK(streamed == num("0.029265"));
    }
    SECTION("Anthropic: message_start's cache counts, message_delta's final output, sample 8") {
        LlmStreamUsage stream(LlmApi::anthropic_messages);
        nlohmann::json start_usage = sampleUsage("ant-cache-write-5m-real-sonnet-4.5");
        start_usage["output_tokens"] = 1;  // message_start carries a placeholder output count
        const nlohmann::json start = {{"type", "message_start"},
                                      {"message",
                                       {{"id", "msg_1"},
                                        {"type", "message"},
                                        {"role", "assistant"},
                                        {"content", nlohmann::json::array()},
                                        {"model", "claude-sonnet-4-5-20250929"},
                                        {"usage", start_usage}}}};
        CHECK(stream.add(start.dump()));
        CHECK_FALSE(
            stream.add(R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}})"));
        CHECK(stream.add(R"({"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},
            "usage":{"output_tokens":33}})"));
        CHECK_FALSE(stream.add(R"({"type":"message_stop"})"));
        const Decimal streamed = total(stream.usage());
        CHECK(streamed == total(sample(LlmApi::anthropic_messages, "ant-cache-write-5m-real-sonnet-4.5")));
        CHECK(streamed == num("0.0024048"));
    }
    SECTION("Gemini: the last chunk's usageMetadata, sample 12's") {
        LlmStreamUsage stream(LlmApi::gemini);
        CHECK(stream.add(R"({"candidates":[{"content":{"parts":[{"text":"A"}],"role":"model"}}],
            "usageMetadata":{"promptTokenCount":373,"candidatesTokenCount":2,"totalTokenCount":375},
            "modelVersion":"gemini-2.5-flash"})"));
        const std::string newest =
            R"({"candidates":[{"content":{"parts":[{"text":"!"}],"role":"model"},"finishReason":"STOP"}],)"
            R"("usageMetadata":)" +
            sampleUsage("gem-cached-thoughts-real-2.5-flash").dump() + R"(,"modelVersion":"gemini-2.5-flash"})";
        CHECK(stream.add(newest));
        const Decimal streamed = total(stream.usage());
        CHECK(streamed == total(sample(LlmApi::gemini, "gem-cached-thoughts-real-2.5-flash")));
        CHECK(streamed == num("0.00069682"));
    }
}
