// SPDX-License-Identifier: MIT
// LlmUsage: each provider's usage turned into disjoint counts, worked out by hand from the
// provider's counting rule; real samples from ../shared/data; hostile usage; streams.
#include <catch2/catch.hpp>

#include "test_support.h"
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "metered/errors.h"
#include "metered/llm_usage.h"

using namespace metered;
using metered::testing::errorField;

namespace {

// The counts a test expects, in LlmUsage's order; unnamed ones are 0.
struct Counts {
    std::int64_t input = 0;
    std::int64_t cached = 0;
    std::int64_t write = 0;
    std::int64_t write_1h = 0;
    std::int64_t output = 0;
    std::int64_t reasoning = 0;
    std::int64_t audio_in = 0;
    std::int64_t cached_audio = 0;
    std::int64_t audio_out = 0;
    std::int64_t image_in = 0;
    std::int64_t cached_image = 0;
};

void requireCounts(const LlmUsage& u, const Counts& c) {
    CHECK(u.input_tokens == c.input);
    CHECK(u.cached_input_tokens == c.cached);
    CHECK(u.cache_write_tokens == c.write);
    CHECK(u.cache_write_1h_tokens == c.write_1h);
    CHECK(u.output_tokens == c.output);
    CHECK(u.reasoning_tokens == c.reasoning);
    CHECK(u.audio_input_tokens == c.audio_in);
    CHECK(u.cached_audio_input_tokens == c.cached_audio);
    CHECK(u.audio_output_tokens == c.audio_out);
    CHECK(u.image_input_tokens == c.image_in);
    CHECK(u.cached_image_input_tokens == c.cached_image);
    CHECK(u.request_count == 1);
}

std::string fieldOf(LlmApi api, const std::string& json) {
    return errorField([&] { (void)parseLlmUsage(api, json); });
}

LlmApi apiOf(const std::string& name) {
    if (name.find("Chat Completions") != std::string::npos) return LlmApi::openai_chat;
    if (name.find("Responses") != std::string::npos) return LlmApi::openai_responses;
    if (name.find("Realtime") != std::string::npos) return LlmApi::openai_realtime;
    if (name.find("Anthropic") != std::string::npos) return LlmApi::anthropic_messages;
    if (name.find("Gemini") != std::string::npos) return LlmApi::gemini;
    FAIL("a sample of an unknown API: " << name);
    return LlmApi::openai_chat;
}

}  // namespace

TEST_CASE("every real sample of ../shared/data parses to the hand-worked counts", "[llm]") {
    const std::filesystem::path file = std::filesystem::path(METERED_SHARED_DATA_DIR) / "provider-usage/samples.json";
    std::ifstream in(file);
    if (!in) FAIL("the provider usage samples are missing: looked for " << file.string());
    const auto document = nlohmann::json::parse(in);

    // The arithmetic of each provider's rule, per sample.
    const std::map<std::string, Counts> expected{
        // OpenAI Chat: cached, cache-write, audio ⊂ prompt; reasoning, audio ⊂ completion.
        // 4020 − 4012 cached − 0 − 0 = 8 fresh; 4 − 0 − 0 = 4 out.
        {"oai-chat-cached-real-gpt-5.6-sol", {.input = 8, .cached = 4012, .output = 4}},
        // 2006 − 0 cached − 1920 written = 86 fresh; 300 out.
        {"oai-chat-cache-write-gpt-5.6-sol", {.input = 86, .write = 1920, .output = 300}},
        // 81 − 69 audio = 12 text (its text_tokens agree); 72 − 0 − 0 = 72 out.
        {"oai-chat-audio-real-gpt-4o-audio-preview", {.input = 12, .output = 72, .audio_in = 69}},
        // Responses: 9703 − 8576 = 1127 fresh; 638 − 576 reasoning = 62 out.
        {"oai-resp-real-gpt-5-cache-reasoning-a", {.input = 1127, .cached = 8576, .output = 62, .reasoning = 576}},
        // 1493 − 1280 = 213; 125 − 64 = 61.
        {"oai-resp-real-gpt-5-cache-reasoning-b", {.input = 213, .cached = 1280, .output = 61, .reasoning = 64}},
        // Realtime: input 1000 = text 600 + audio 250 + image 150; cached 400 = 250 + 100 + 50
        // ⊂ each: text 600 − 250 = 350, audio 250 − 100 = 150, image 150 − 50 = 100.
        // Output 500 = text 200 + audio 300.
        {"oai-rt-modalities-gpt-realtime-2.1",
         {.input = 350,
          .cached = 250,
          .output = 200,
          .audio_in = 150,
          .cached_audio = 100,
          .audio_out = 300,
          .image_in = 100,
          .cached_image = 50}},
        // Anthropic: input_tokens is fresh only; reads and writes are added on top.
        {"ant-plain-real-sonnet-4.5", {.input = 2743, .output = 4}},
        {"ant-cache-read-real-haiku-4.5", {.input = 3, .cached = 9511, .output = 1944}},
        // cache_creation 418 = 5m 418 + 1h 0.
        {"ant-cache-write-5m-real-sonnet-4.5", {.input = 3, .cached = 1111, .write = 418, .output = 33}},
        // 123 = 5m 100 + 1h 23.
        {"ant-cache-write-5m-and-1h-sonnet-4", {.input = 504, .write = 100, .write_1h = 23, .output = 97}},
        // thinking 33 ⊂ output 44: 44 − 33 = 11 text.
        {"ant-thinking-real-opus-5", {.input = 13, .output = 11, .reasoning = 33}},
        // Gemini: thoughts added to candidates: 1106 + 778 + 1089 = 2973 = totalTokenCount.
        {"gem-thoughts-real-2.5-pro", {.input = 1106, .output = 778, .reasoning = 1089}},
        // prompt 373 = TEXT 115 + IMAGE 258; cached 204 = TEXT 63 + IMAGE 141 ⊂ each:
        // text 115 − 63 = 52, image 258 − 141 = 117. 52+63+117+141+89+167 = 629 = total.
        {"gem-cached-thoughts-real-2.5-flash",
         {.input = 52, .cached = 63, .output = 89, .reasoning = 167, .image_in = 117, .cached_image = 141}},
        // tool-use prompt added to the prompt: 17 + 119 = 136; 136 + 201 + 213 = 550 = total.
        {"gem-tool-use-real-2.5-pro", {.input = 136, .output = 201, .reasoning = 213}},
    };

    const auto& samples = document.at("samples");
    CHECK(samples.size() == expected.size());
    for (const auto& [name, sample] : samples.items()) {
        INFO("sample " << name);
        const auto it = expected.find(name);
        if (it == expected.end()) FAIL("no hand-worked counts for this sample: add them");
        const LlmApi api = apiOf(sample.at("api").get<std::string>());
        const LlmUsage usage = parseLlmUsage(api, sample.at("usage").dump(), sample.at("model").get<std::string>());
        CHECK(usage.provider == sample.at("provider").get<std::string>());
        CHECK(usage.model == sample.at("model").get<std::string>());
        requireCounts(usage, it->second);
        // Where the provider reports a total, ours agrees: no token lost or counted twice.
        const auto& raw = sample.at("usage");
        if (raw.contains("total_tokens")) CHECK(usage.totalTokens() == raw.at("total_tokens").get<std::int64_t>());
        if (raw.contains("totalTokenCount"))
            CHECK(usage.totalTokens() == raw.at("totalTokenCount").get<std::int64_t>());
    }
}

TEST_CASE("OpenAI Chat Completions: cached, audio and reasoning are parts of their totals", "[llm]") {
    // The API reference's example: no cache, no reasoning.
    requireCounts(parseLlmUsage(LlmApi::openai_chat,
                                R"({"prompt_tokens":19,"completion_tokens":10,"total_tokens":29,
                                   "prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},
                                   "completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,
                                   "accepted_prediction_tokens":0,"rejected_prediction_tokens":0}})",
                                "gpt-4o-mini"),
                  {.input = 19, .output = 10});
    // With cache: 2006 − 1920 = 86 fresh.
    requireCounts(parseLlmUsage(LlmApi::openai_chat, R"({"prompt_tokens":2006,"completion_tokens":300,
                                   "prompt_tokens_details":{"cached_tokens":1920}})"),
                  {.input = 86, .cached = 1920, .output = 300});
    // Reasoning (o-series): 1843 − 1024 = 819 visible; rejected predictions stay in output.
    requireCounts(parseLlmUsage(LlmApi::openai_chat, R"({"prompt_tokens":75,"completion_tokens":1843,
                                   "completion_tokens_details":{"reasoning_tokens":1024,"rejected_prediction_tokens":5}})"),
                  {.input = 75, .output = 819, .reasoning = 1024});
    // Audio in and out (gpt-4o-audio): 30 − 20 = 10 text in; 150 − 120 = 30 text out.
    requireCounts(parseLlmUsage(LlmApi::openai_chat, R"({"prompt_tokens":30,"completion_tokens":150,
                                   "prompt_tokens_details":{"audio_tokens":20,"cached_tokens":0},
                                   "completion_tokens_details":{"audio_tokens":120,"reasoning_tokens":0}})"),
                  {.input = 10, .output = 30, .audio_in = 20, .audio_out = 120});
    // Details given as null count as absent.
    requireCounts(parseLlmUsage(LlmApi::openai_chat, R"({"prompt_tokens":5,"completion_tokens":2,
                                   "prompt_tokens_details":null,"completion_tokens_details":null})"),
                  {.input = 5, .output = 2});
    const LlmUsage u = parseLlmUsage(LlmApi::openai_chat, R"({"prompt_tokens":5,"completion_tokens":2})", "gpt-4o");
    CHECK(u.provider == "openai");
    CHECK(u.model == "gpt-4o");
    CHECK(u.totalTokens() == 7);
}

TEST_CASE("OpenAI Responses: cached and reasoning are parts of input and output", "[llm]") {
    // The API reference's example.
    requireCounts(
        parseLlmUsage(LlmApi::openai_responses, R"({"input_tokens":36,"input_tokens_details":{"cached_tokens":0},
                                   "output_tokens":87,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":123})"),
        {.input = 36, .output = 87});
    // Cache and reasoning: 5000 − 4096 = 904; 1200 − 1000 = 200.
    requireCounts(
        parseLlmUsage(LlmApi::openai_responses, R"({"input_tokens":5000,"input_tokens_details":{"cached_tokens":4096},
                                   "output_tokens":1200,"output_tokens_details":{"reasoning_tokens":1000}})"),
        {.input = 904, .cached = 4096, .output = 200, .reasoning = 1000});
    // No details at all.
    requireCounts(parseLlmUsage(LlmApi::openai_responses, R"({"input_tokens":10,"output_tokens":5})"),
                  {.input = 10, .output = 5});
}

TEST_CASE("OpenAI Realtime: audio, image and cached splits, each cached part inside its modality", "[llm]") {
    // The API reference's response.done example: 132 = 119 text + 13 audio; 64 cached text.
    requireCounts(parseLlmUsage(LlmApi::openai_realtime, R"({"total_tokens":253,"input_tokens":132,"output_tokens":121,
                                   "input_token_details":{"text_tokens":119,"audio_tokens":13,"image_tokens":0,"cached_tokens":64,
                                   "cached_tokens_details":{"text_tokens":64,"audio_tokens":0,"image_tokens":0}},
                                   "output_token_details":{"text_tokens":30,"audio_tokens":91}})"),
                  {.input = 55, .cached = 64, .output = 30, .audio_in = 13, .audio_out = 91});
    // Without cached_tokens_details the cached tokens are text: 239 − 192 = 47.
    requireCounts(parseLlmUsage(LlmApi::openai_realtime, R"({"input_tokens":239,"output_tokens":10,
                                   "input_token_details":{"audio_tokens":0,"cached_tokens":192,"text_tokens":239}})"),
                  {.input = 47, .cached = 192, .output = 10});
    // Cached audio: audio 1200 − 768 = 432 fresh; text 300 − 256 = 44; out 400 = 80 + 320.
    requireCounts(parseLlmUsage(LlmApi::openai_realtime, R"({"input_tokens":1500,"output_tokens":400,
                                   "input_token_details":{"text_tokens":300,"audio_tokens":1200,"cached_tokens":1024,
                                   "cached_tokens_details":{"text_tokens":256,"audio_tokens":768}},
                                   "output_token_details":{"text_tokens":80,"audio_tokens":320}})"),
                  {.input = 44, .cached = 256, .output = 80, .audio_in = 432, .cached_audio = 768, .audio_out = 320});
}

TEST_CASE("Anthropic Messages: cache reads and writes are added to input_tokens, writes split by lifetime", "[llm]") {
    // The API reference's example: no cache fields at all.
    requireCounts(parseLlmUsage(LlmApi::anthropic_messages, R"({"input_tokens":2095,"output_tokens":503})"),
                  {.input = 2095, .output = 503});
    // A write without cache_creation has the default 5-minute lifetime.
    requireCounts(parseLlmUsage(LlmApi::anthropic_messages, R"({"input_tokens":21,"cache_creation_input_tokens":188086,
                                   "cache_read_input_tokens":0,"output_tokens":393})"),
                  {.input = 21, .write = 188086, .output = 393});
    // One lifetime alone: the rest of the total has the other (1500 − 500 = 1000 at 1 h).
    requireCounts(parseLlmUsage(LlmApi::anthropic_messages, R"({"input_tokens":4,"cache_creation_input_tokens":1500,
                                   "cache_creation":{"ephemeral_5m_input_tokens":500},"output_tokens":9})"),
                  {.input = 4, .write = 500, .write_1h = 1000, .output = 9});
    requireCounts(parseLlmUsage(LlmApi::anthropic_messages,
                                R"({"input_tokens":4,"cache_creation":{"ephemeral_1h_input_tokens":700},
                                   "cache_read_input_tokens":3000,"output_tokens":9})"),
                  {.input = 4, .cached = 3000, .write_1h = 700, .output = 9});
    // Thinking is part of output_tokens: 2000 − 1500 = 500.
    requireCounts(parseLlmUsage(LlmApi::anthropic_messages, R"({"input_tokens":50,"output_tokens":2000,
                                   "output_tokens_details":{"thinking_tokens":1500}})"),
                  {.input = 50, .output = 500, .reasoning = 1500});
    // Real responses carry nulls for counts that do not apply.
    requireCounts(parseLlmUsage(LlmApi::anthropic_messages, R"({"input_tokens":8,"cache_creation_input_tokens":null,
                                   "cache_read_input_tokens":null,"output_tokens":3,"server_tool_use":null})"),
                  {.input = 8, .output = 3});
}

TEST_CASE("Gemini usageMetadata: cached inside the prompt, thoughts added, modalities split", "[llm]") {
    // Context cache: 10000 − 8000 = 2000 fresh.
    requireCounts(parseLlmUsage(LlmApi::gemini, R"({"promptTokenCount":10000,"cachedContentTokenCount":8000,
                                   "candidatesTokenCount":50,"totalTokenCount":10050})"),
                  {.input = 2000, .cached = 8000, .output = 50});
    // Thinking: added to the 300 candidates.
    requireCounts(parseLlmUsage(LlmApi::gemini, R"({"promptTokenCount":12,"candidatesTokenCount":300,
                                   "thoughtsTokenCount":900,"totalTokenCount":1212})"),
                  {.input = 12, .output = 300, .reasoning = 900});
    // Audio in (500 = 20 TEXT + 480 AUDIO, 300 of the audio cached: 480 − 300 = 180 fresh)
    // and out (250 = 200 AUDIO + 50 TEXT).
    requireCounts(parseLlmUsage(LlmApi::gemini, R"({"promptTokenCount":500,"cachedContentTokenCount":300,
                                   "promptTokensDetails":[{"modality":"TEXT","tokenCount":20},{"modality":"AUDIO","tokenCount":480}],
                                   "cacheTokensDetails":[{"modality":"AUDIO","tokenCount":300}],
                                   "candidatesTokenCount":250,
                                   "candidatesTokensDetails":[{"modality":"AUDIO","tokenCount":200},{"modality":"TEXT","tokenCount":50}]})"),
                  {.input = 20, .output = 50, .audio_in = 180, .cached_audio = 300, .audio_out = 200});
    // Zero counts are omitted by the API; VIDEO counts as text-priced input.
    requireCounts(parseLlmUsage(LlmApi::gemini, R"({"promptTokenCount":7,
                                   "promptTokensDetails":[{"modality":"VIDEO","tokenCount":5},{"modality":"TEXT","tokenCount":2}]})"),
                  {.input = 7});
    CHECK(parseLlmUsage(LlmApi::gemini, R"({"promptTokenCount":1})").provider == "google");
}

TEST_CASE("usage whose parts do not add up is refused, naming the provider's field", "[llm]") {
    using enum LlmApi;
    CHECK(fieldOf(openai_chat,
                  R"({"prompt_tokens":10,"completion_tokens":1,"prompt_tokens_details":{"cached_tokens":11}})") ==
          "usage.prompt_tokens_details.cached_tokens");
    CHECK(fieldOf(openai_chat,
                  R"({"prompt_tokens":10,"completion_tokens":1,"completion_tokens_details":{"reasoning_tokens":2}})") ==
          "usage.completion_tokens_details.reasoning_tokens");
    // 6 cached + 5 audio = 11 > 10.
    CHECK(
        fieldOf(
            openai_chat,
            R"({"prompt_tokens":10,"completion_tokens":1,"prompt_tokens_details":{"cached_tokens":6,"audio_tokens":5}})") ==
        "usage.prompt_tokens_details.audio_tokens");
    CHECK(
        fieldOf(
            openai_chat,
            R"({"prompt_tokens":10,"completion_tokens":4,"completion_tokens_details":{"reasoning_tokens":2,"audio_tokens":3}})") ==
        "usage.completion_tokens_details.audio_tokens");
    CHECK(fieldOf(openai_responses,
                  R"({"input_tokens":3,"output_tokens":1,"input_tokens_details":{"cached_tokens":4}})") ==
          "usage.input_tokens_details.cached_tokens");
    CHECK(fieldOf(openai_responses,
                  R"({"input_tokens":3,"output_tokens":1,"output_tokens_details":{"reasoning_tokens":4}})") ==
          "usage.output_tokens_details.reasoning_tokens");
    CHECK(
        fieldOf(openai_realtime,
                R"({"input_tokens":10,"output_tokens":1,"input_token_details":{"text_tokens":8,"audio_tokens":3}})") ==
        "usage.input_token_details.audio_tokens");
    CHECK(fieldOf(openai_realtime,
                  R"({"input_tokens":10,"output_tokens":1,"input_token_details":{"cached_tokens":11}})") ==
          "usage.input_token_details.cached_tokens");
    CHECK(fieldOf(openai_realtime,
                  R"({"input_tokens":10,"output_tokens":1,"input_token_details":{"text_tokens":8,"audio_tokens":2,
            "cached_tokens":5,"cached_tokens_details":{"audio_tokens":3}}})") ==
          "usage.input_token_details.cached_tokens_details.audio_tokens");
    CHECK(
        fieldOf(openai_realtime,
                R"({"input_tokens":1,"output_tokens":10,"output_token_details":{"text_tokens":5,"audio_tokens":6}})") ==
        "usage.output_token_details.audio_tokens");
    CHECK(fieldOf(anthropic_messages, R"({"input_tokens":1,"output_tokens":1,"cache_creation_input_tokens":123,
            "cache_creation":{"ephemeral_5m_input_tokens":100,"ephemeral_1h_input_tokens":24}})") ==
          "usage.cache_creation");
    CHECK(fieldOf(anthropic_messages, R"({"input_tokens":1,"output_tokens":1,"cache_creation_input_tokens":10,
            "cache_creation":{"ephemeral_5m_input_tokens":11}})") == "usage.cache_creation.ephemeral_5m_input_tokens");
    CHECK(fieldOf(anthropic_messages,
                  R"({"input_tokens":1,"output_tokens":1,"output_tokens_details":{"thinking_tokens":2}})") ==
          "usage.output_tokens_details.thinking_tokens");
    CHECK(fieldOf(gemini, R"({"promptTokenCount":10,"cachedContentTokenCount":11})") ==
          "usageMetadata.cachedContentTokenCount");
    CHECK(fieldOf(gemini, R"({"promptTokenCount":10,"promptTokensDetails":[{"modality":"TEXT","tokenCount":6},
            {"modality":"IMAGE","tokenCount":5}]})") == "usageMetadata.promptTokensDetails[1].tokenCount");
    // 4 cached image tokens in a prompt with 3 image tokens.
    CHECK(fieldOf(gemini, R"({"promptTokenCount":10,"cachedContentTokenCount":4,
            "promptTokensDetails":[{"modality":"TEXT","tokenCount":7},{"modality":"IMAGE","tokenCount":3}],
            "cacheTokensDetails":[{"modality":"IMAGE","tokenCount":4}]})") ==
          "usageMetadata.cacheTokensDetails[0].tokenCount");
    CHECK(fieldOf(gemini, R"({"promptTokenCount":1,"candidatesTokenCount":2,
            "candidatesTokensDetails":[{"modality":"AUDIO","tokenCount":3}]})") ==
          "usageMetadata.candidatesTokensDetails[0].tokenCount");
}

TEST_CASE("counts that are not whole numbers 0 to 10^12, missing or mistyped fields are refused", "[llm]") {
    using enum LlmApi;
    const auto chat = [](const std::string& prompt) {
        return fieldOf(openai_chat, R"({"completion_tokens":1,"prompt_tokens":)" + prompt + "}");
    };
    CHECK(chat("-1") == "usage.prompt_tokens");
    CHECK(chat("1.5") == "usage.prompt_tokens");
    CHECK(chat("1e3") == "usage.prompt_tokens");
    CHECK(chat("18446744073709551616") == "usage.prompt_tokens");  // 2^64: read as a fraction
    CHECK(chat("1000000000001") == "usage.prompt_tokens");
    CHECK(chat("1000000000000") == "");  // the limit itself is a count
    CHECK(chat(R"("12")") == "usage.prompt_tokens");
    CHECK(chat("true") == "usage.prompt_tokens");
    CHECK(chat("null") == "usage.prompt_tokens");  // required
    CHECK(chat("[1]") == "usage.prompt_tokens");
    CHECK_FALSE(chat("1e400").empty());  // beyond a double: refused by the JSON reader
    CHECK(fieldOf(openai_chat, R"({"prompt_tokens":1})") == "usage.completion_tokens");
    CHECK(fieldOf(openai_responses, R"({"output_tokens":1})") == "usage.input_tokens");
    CHECK(fieldOf(openai_realtime, R"({"input_tokens":1})") == "usage.output_tokens");
    CHECK(fieldOf(anthropic_messages, R"({"output_tokens":1})") == "usage.input_tokens");
    CHECK(fieldOf(gemini, R"({"candidatesTokenCount":1})") == "usageMetadata.promptTokenCount");
    CHECK(fieldOf(openai_chat, R"({"prompt_tokens":1,"completion_tokens":1,"prompt_tokens_details":3})") ==
          "usage.prompt_tokens_details");
    CHECK(fieldOf(openai_chat,
                  R"({"prompt_tokens":1,"completion_tokens":1,"prompt_tokens_details":{"cached_tokens":-2}})") ==
          "usage.prompt_tokens_details.cached_tokens");
    CHECK(fieldOf(anthropic_messages, R"({"input_tokens":1,"output_tokens":1,"cache_creation":[]})") ==
          "usage.cache_creation");
    CHECK(fieldOf(gemini, R"({"promptTokenCount":1,"promptTokensDetails":{"modality":"TEXT"}})") ==
          "usageMetadata.promptTokensDetails");
    CHECK(fieldOf(gemini, R"({"promptTokenCount":1,"promptTokensDetails":[{"modality":7,"tokenCount":1}]})") ==
          "usageMetadata.promptTokensDetails[0].modality");
    CHECK(fieldOf(gemini, R"({"promptTokenCount":1,"promptTokensDetails":[3]})") ==
          "usageMetadata.promptTokensDetails[0]");
    // Not an object, not JSON, too deep, too long, a duplicate key.
    CHECK(fieldOf(openai_chat, "[]") == "usage");
    CHECK(fieldOf(openai_chat, "") == "usage");
    CHECK(fieldOf(openai_chat, R"({"prompt_tokens":1,)") == "usage");
    CHECK(fieldOf(openai_chat, "{\"prompt_tokens\":1,\"x\":\"\xff\"}") == "usage");
    CHECK_FALSE(fieldOf(openai_chat, std::string(100000, '[')).empty());
    CHECK_FALSE(fieldOf(openai_chat, R"({"x":)" + std::string(40, '[') + std::string(40, ']') + "}").empty());
    CHECK(fieldOf(openai_chat, R"({"prompt_tokens":1,"completion_tokens":1,"x":")" + std::string(70000, 'a') + "\"}") ==
          "usage");
    CHECK(
        fieldOf(openai_chat, R"({"prompt_tokens":1,"completion_tokens":1,"prompt_tokens":5})").find("prompt_tokens") !=
        std::string::npos);
    // The model name.
    CHECK(errorField([] {
              (void)parseLlmUsage(openai_chat, R"({"prompt_tokens":1,"completion_tokens":1})", "gpt\n4");
          }) == "model");
    CHECK(errorField([] {
              (void)parseLlmUsage(openai_chat, R"({"prompt_tokens":1,"completion_tokens":1})", std::string(300, 'm'));
          }) == "model");
}

TEST_CASE("LlmUsage totals and validation", "[llm]") {
    LlmUsage u{.provider = "openai",
               .model = "m",
               .input_tokens = 1,
               .cached_input_tokens = 2,
               .cache_write_tokens = 3,
               .cache_write_1h_tokens = 4,
               .output_tokens = 5,
               .reasoning_tokens = 6,
               .audio_input_tokens = 7,
               .cached_audio_input_tokens = 8,
               .audio_output_tokens = 9,
               .image_input_tokens = 10,
               .cached_image_input_tokens = 11};
    CHECK(u.inputTokenTotal() == 1 + 2 + 3 + 4 + 7 + 8 + 10 + 11);
    CHECK(u.outputTokenTotal() == 5 + 6 + 9);
    CHECK(u.totalTokens() == 66);
    CHECK_NOTHROW(u.validate());
    u.reasoning_tokens = -1;
    CHECK(errorField([&] { u.validate(); }) == "reasoning_tokens");
    u.reasoning_tokens = 0;
    u.request_count = max_llm_count + 1;
    CHECK(errorField([&] { u.validate(); }) == "request_count");
}

TEST_CASE("streams: OpenAI's final chunk, Anthropic's message_start and message_delta, Gemini's last chunk", "[llm]") {
    SECTION("OpenAI Chat with stream_options.include_usage") {
        LlmStreamUsage stream(LlmApi::openai_chat);
        CHECK_FALSE(stream.add(R"({"id":"c1","object":"chat.completion.chunk","model":"gpt-4o-mini-2024-07-18",
            "choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}],"usage":null})"));
        CHECK_FALSE(stream.add(R"({"id":"c1","object":"chat.completion.chunk","model":"gpt-4o-mini-2024-07-18",
            "choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})"));
        CHECK_FALSE(stream.hasUsage());
        CHECK(errorField([&] { (void)stream.usage(); }) == "usage");
        CHECK(stream.add(R"({"id":"c1","object":"chat.completion.chunk","model":"gpt-4o-mini-2024-07-18","choices":[],
            "usage":{"prompt_tokens":1200,"completion_tokens":40,"total_tokens":1240,
            "prompt_tokens_details":{"cached_tokens":1024},"completion_tokens_details":{"reasoning_tokens":0}}})"));
        const LlmUsage u = stream.usage();
        CHECK(u.model == "gpt-4o-mini-2024-07-18");
        requireCounts(u, {.input = 176, .cached = 1024, .output = 40});  // 1200 − 1024
        CHECK(errorField([&] { stream.add(R"({"choices":[],"usage":{"prompt_tokens":1}})"); }) ==
              "usage.completion_tokens");
        CHECK(stream.usage() == u);  // the usage read before the bad chunk stands
    }
    SECTION("OpenAI Responses and Realtime: response.usage of the final event") {
        LlmStreamUsage responses(LlmApi::openai_responses, "gpt-5");
        CHECK_FALSE(responses.add(R"({"type":"response.output_text.delta","delta":"Hi"})"));
        CHECK_FALSE(
            responses.add(R"({"type":"response.created","response":{"model":"gpt-5-2025-08-07","usage":null}})"));
        CHECK(responses.add(R"({"type":"response.completed","response":{"model":"gpt-5-2025-08-07",
            "usage":{"input_tokens":100,"input_tokens_details":{"cached_tokens":64},"output_tokens":30,
            "output_tokens_details":{"reasoning_tokens":20}}}})"));
        CHECK(responses.usage().model == "gpt-5");  // the constructor's name wins
        requireCounts(responses.usage(), {.input = 36, .cached = 64, .output = 10, .reasoning = 20});
        LlmStreamUsage realtime(LlmApi::openai_realtime);
        CHECK(realtime.add(R"({"type":"response.done","response":{"usage":{"input_tokens":20,"output_tokens":50,
            "input_token_details":{"audio_tokens":15,"text_tokens":5},"output_token_details":{"audio_tokens":40,"text_tokens":10}}}})"));
        requireCounts(realtime.usage(), {.input = 5, .output = 10, .audio_in = 15, .audio_out = 40});
    }
    SECTION("Anthropic: message_delta's cumulative counts replace message_start's") {
        LlmStreamUsage stream(LlmApi::anthropic_messages);
        CHECK(errorField([&] { stream.add(R"({"type":"message_delta","usage":{"output_tokens":3}})"); }) == "usage");
        CHECK(stream.add(R"({"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant",
            "content":[],"model":"claude-sonnet-4-5-20250929","stop_reason":null,
            "usage":{"input_tokens":25,"cache_creation_input_tokens":0,"cache_read_input_tokens":2048,"output_tokens":1}}})"));
        requireCounts(stream.usage(), {.input = 25, .cached = 2048, .output = 1});
        CHECK_FALSE(stream.add(R"({"type":"ping"})"));
        CHECK_FALSE(
            stream.add(R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}})"));
        CHECK(stream.add(
            R"({"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}})"));
        requireCounts(stream.usage(), {.input = 25, .cached = 2048, .output = 15});
        // Cumulative, not added: 40 replaces 15; newer deltas carry input counts too (server tools).
        CHECK(stream.add(R"({"type":"message_delta","delta":{},"usage":{"input_tokens":472,"output_tokens":40,
            "cache_read_input_tokens":null}})"));
        requireCounts(stream.usage(), {.input = 472, .cached = 2048, .output = 40});
        CHECK_FALSE(stream.add(R"({"type":"message_stop"})"));
        CHECK(stream.usage().model == "claude-sonnet-4-5-20250929");
        CHECK(errorField([&] { stream.add(R"({"type":"message_delta","usage":{"output_tokens":-1}})"); }) ==
              "usage.output_tokens");
        CHECK(errorField([&] { stream.add(R"({"usage":{}})"); }) == "type");
        CHECK(errorField([&] { stream.add("data: {}"); }) == "event");
        CHECK(stream.usage().output_tokens == 40);
    }
    SECTION("Anthropic: a 1-hour cache write in message_start") {
        LlmStreamUsage stream(LlmApi::anthropic_messages, "claude-opus-4-1");
        stream.add(R"({"type":"message_start","message":{"model":"claude-opus-4-1-20250805","usage":{"input_tokens":3,
            "cache_creation_input_tokens":900,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":900},
            "output_tokens":1}}})");
        stream.add(R"({"type":"message_delta","usage":{"output_tokens":77}})");
        requireCounts(stream.usage(), {.input = 3, .write_1h = 900, .output = 77});
        CHECK(stream.usage().model == "claude-opus-4-1");
    }
    SECTION("Gemini: the last chunk's usageMetadata") {
        LlmStreamUsage stream(LlmApi::gemini);
        CHECK(stream.add(R"({"candidates":[{"content":{"parts":[{"text":"Hel"}],"role":"model"}}],
            "usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":3,"totalTokenCount":13},"modelVersion":"gemini-2.5-flash"})"));
        CHECK_FALSE(stream.add(R"({"candidates":[{"content":{"parts":[{"text":"lo"}],"role":"model"}}]})"));
        CHECK(stream.add(R"({"candidates":[{"content":{"parts":[{"text":"!"}],"role":"model"},"finishReason":"STOP"}],
            "usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":40,"thoughtsTokenCount":100,"totalTokenCount":150},
            "modelVersion":"gemini-2.5-flash"})"));
        requireCounts(stream.usage(), {.input = 10, .output = 40, .reasoning = 100});
        CHECK(stream.usage().model == "gemini-2.5-flash");
        CHECK(stream.usage().provider == "google");
    }
}
