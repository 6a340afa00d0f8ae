// SPDX-License-Identifier: MIT
// What one LLM call used, in disjoint token counts, read from each provider's own `usage`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "metered/export.h"

namespace metered {

/// The response formats whose usage metered reads. Each names a provider's API, because
/// the same provider counts differently in different APIs.
enum class LlmApi : std::uint8_t {
    openai_chat,         ///< OpenAI Chat Completions: `usage` of a completion or of the last stream chunk
    openai_responses,    ///< OpenAI Responses: `usage` of a response
    openai_realtime,     ///< OpenAI Realtime: `response.usage` of the `response.done` server event
    anthropic_messages,  ///< Anthropic Messages: `usage` of a message
    gemini,              ///< Google Gemini generateContent: `usageMetadata`
};

/// The provider an API belongs to, as LlmUsage::provider spells it: "openai", "anthropic"
/// or "google".
METERED_API std::string_view llmProvider(LlmApi api) noexcept;

/// The largest token (or request) count metered accepts: 10^12. A provider never reports
/// more for one call; a larger number is a unit or parsing error upstream.
inline constexpr std::int64_t max_llm_count = 1'000'000'000'000LL;

/// What one LLM call (or a sum of calls) used, in token counts that are **disjoint**: no
/// token is in two fields, so each field can be priced at its own rate and the costs
/// added. Every provider's counting rule (which of its fields are parts of another, which
/// are added on top) is turned into these counts once, by parseLlmUsage().
///
/// "Input" is what the model read, "output" what it wrote. Modalities: a token the
/// provider reports as audio or image is in an audio or image field, never in
/// `input_tokens`; where a provider does not report a modality apart (Anthropic, OpenAI
/// Responses: images are inside their input count), it stays in the text fields.
/// Every count is 0 ≤ n ≤ max_llm_count; validate() checks it.
///
/// A plain value: copy it, compare it, build it by hand for a provider metered does not parse.
struct METERED_API LlmUsage {
    std::string provider;  ///< "openai", "anthropic", "google", or the host's own name
    std::string model;     ///< the model as the host or the response names it; may be empty

    /// Input tokens of text (and of any modality not split out below: video, documents)
    /// read fresh: not from a cache, not written to one.
    std::int64_t input_tokens = 0;
    /// Text input tokens read from the provider's prompt cache (a cache hit).
    std::int64_t cached_input_tokens = 0;
    /// Input tokens written to the provider's cache with its default (short) lifetime:
    /// Anthropic's 5-minute ephemeral cache, and writes a provider reports without a
    /// lifetime (OpenAI's `cache_write_tokens`). Not also in any other field.
    std::int64_t cache_write_tokens = 0;
    /// Input tokens written to the cache with the extended 1-hour lifetime (Anthropic's
    /// `ephemeral_1h_input_tokens`), priced above the default lifetime's writes.
    std::int64_t cache_write_1h_tokens = 0;
    /// Output tokens of text (the visible answer and tool calls), reasoning excluded.
    std::int64_t output_tokens = 0;
    /// Output tokens the model spent reasoning or thinking (billed as output, usually not shown).
    std::int64_t reasoning_tokens = 0;
    /// Audio input tokens read fresh (not from a cache).
    std::int64_t audio_input_tokens = 0;
    /// Audio input tokens read from the cache (OpenAI Realtime `cached_tokens_details.audio_tokens`).
    std::int64_t cached_audio_input_tokens = 0;
    /// Audio output tokens (speech the model produced).
    std::int64_t audio_output_tokens = 0;
    /// Image input tokens read fresh, where the provider reports images apart (OpenAI
    /// Realtime and Chat `image_tokens`, Gemini's IMAGE modality).
    std::int64_t image_input_tokens = 0;
    /// Image input tokens read from the cache (OpenAI Realtime, Gemini `cacheTokensDetails`).
    std::int64_t cached_image_input_tokens = 0;
    /// How many provider requests this usage covers: 1 for one call.
    std::int64_t request_count = 1;

    /// Every input token: fresh, cached and written to the cache, of every modality.
    std::int64_t inputTokenTotal() const noexcept;
    /// Every output token: text, reasoning and audio.
    std::int64_t outputTokenTotal() const noexcept;
    /// inputTokenTotal() + outputTokenTotal(). No token is counted twice.
    std::int64_t totalTokens() const noexcept;

    /// Throws ValidationError naming the field ("cached_input_tokens", "model", …) for a
    /// count outside 0..max_llm_count, or a provider or model name longer than 256 bytes
    /// or not valid UTF-8 without control characters. The parsers' results always pass.
    void validate() const;

    friend bool operator==(const LlmUsage&, const LlmUsage&) = default;
};

/// The largest usage JSON parseLlmUsage() reads (64 KiB; real ones are under 1 KiB).
inline constexpr std::size_t max_llm_usage_json_bytes = std::size_t{64} << 10;
/// The largest stream event or chunk LlmStreamUsage::add() reads (16 MiB: a chunk may
/// carry generated audio or images).
inline constexpr std::size_t max_llm_stream_event_bytes = std::size_t{16} << 20;

/// Reads the `usage` object of a response of `api` (for Gemini, `usageMetadata`), given as
/// its JSON text, and turns the provider's counting rule into disjoint counts. `model`
/// (empty if unknown) is copied to the result; the provider is llmProvider(api); the
/// request count is 1. Unknown fields are ignored; a `null` optional field counts as absent.
///
/// The rules (x ⊂ y: x is a part of y; x + y: x is added to y):
/// - **openai_chat**: required `prompt_tokens`, `completion_tokens`.
///   `prompt_tokens_details.{cached_tokens, cache_write_tokens, audio_tokens, image_tokens}`
///   ⊂ `prompt_tokens`: input = prompt − cached − cache_write − audio − image (cached
///   tokens are taken to be text). `completion_tokens_details.{reasoning_tokens,
///   audio_tokens}` ⊂ `completion_tokens`: output = completion − reasoning − audio
///   (accepted and rejected prediction tokens stay in output: they are billed as output).
/// - **openai_responses**: required `input_tokens`, `output_tokens`.
///   `input_tokens_details.{cached_tokens, cache_write_tokens}` ⊂ `input_tokens`;
///   `output_tokens_details.reasoning_tokens` ⊂ `output_tokens`.
/// - **openai_realtime**: required `input_tokens`, `output_tokens`.
///   `input_token_details.{text_tokens, audio_tokens, image_tokens}` ⊂ `input_tokens`
///   (what they leave is text); `input_token_details.cached_tokens` ⊂ `input_tokens`, split
///   by `cached_tokens_details.{text_tokens, audio_tokens, image_tokens}` (what they leave
///   is text), each modality's cached part ⊂ that modality.
///   `output_token_details.{text_tokens, audio_tokens}` ⊂ `output_tokens` (the rest is text).
/// - **anthropic_messages**: required `input_tokens`, `output_tokens`. `input_tokens` is
///   the fresh input only: `cache_read_input_tokens` and `cache_creation_input_tokens` are
///   added to it. `cache_creation.{ephemeral_5m_input_tokens, ephemeral_1h_input_tokens}`
///   split the cache write by lifetime and must add up to `cache_creation_input_tokens`
///   (one of them alone leaves the rest to the other); without `cache_creation` every
///   write has the default 5-minute lifetime. `output_tokens_details.thinking_tokens` ⊂
///   `output_tokens`.
/// - **gemini**: required `promptTokenCount` (zero counts are omitted by the API, so every
///   other count defaults to 0). `cachedContentTokenCount` ⊂ `promptTokenCount`;
///   `toolUsePromptTokenCount` is added to the prompt; `thoughtsTokenCount` is added to
///   `candidatesTokenCount`. The modality lists `promptTokensDetails`,
///   `cacheTokensDetails`, `toolUsePromptTokensDetails` and `candidatesTokensDetails`
///   ({modality, tokenCount}) split their counts: AUDIO and IMAGE apart, every other
///   modality (TEXT, VIDEO, DOCUMENT) and whatever a list leaves as text; each modality's
///   cached part ⊂ that modality. Image output is counted as output_tokens.
///
/// Throws ValidationError whose field is the provider's path ("usage.prompt_tokens_details.cached_tokens",
/// "usageMetadata.promptTokensDetails[1].tokenCount") for: text that is not JSON or is
/// longer than max_llm_usage_json_bytes, nesting deeper than 32, a duplicate key, a value
/// that is not an object where one is expected, a missing required count, a count that is
/// not an integer (1.5, 1e400, "12", true), negative or above max_llm_count, and parts
/// that do not fit in their whole (cached above prompt, reasoning above completion, audio
/// above its total, a lifetime split not adding up). Also for a `model` validate() refuses.
METERED_API LlmUsage parseLlmUsage(LlmApi api, std::string_view usage_json, std::string_view model = {});

/// The usage of one streamed response, read from its events as they arrive.
///
/// - **openai_chat**: chunks (the `data:` JSON); the usage is the `usage` of the final
///   chunk, sent when the request set `stream_options.include_usage` (other chunks have
///   `"usage": null` or none).
/// - **openai_responses**, **openai_realtime**: events; the usage is the `response.usage`
///   of `response.completed` / `response.incomplete` / `response.done`.
/// - **anthropic_messages**: events; `message_start`'s `message.usage` carries the input
///   and cache counts, each `message_delta`'s `usage` carries cumulative counts (at least
///   `output_tokens`) that replace the earlier ones. Other events are ignored.
/// - **gemini**: chunks; the usage is the `usageMetadata` of the last chunk that has one.
///
/// The model is the constructor's, or if that is empty the one the stream names
/// (`model`, `message.model`, `response.model`, `modelVersion`).
/// Not thread-safe: one per stream, fed in the stream's order.
class METERED_API LlmStreamUsage {
public:
    explicit LlmStreamUsage(LlmApi api, std::string_view model = {});

    /// Reads one event or chunk (its JSON text, without the SSE `data: ` prefix). Returns
    /// true if it carried usage. Throws ValidationError as parseLlmUsage() does, with the
    /// path inside the event ("message.usage.input_tokens"), for a malformed event or
    /// usage, for an event longer than max_llm_stream_event_bytes, and for an Anthropic
    /// `message_delta` before `message_start`. After a throw the usage read so far stands.
    bool add(std::string_view event_json);

    /// True once an event carried usage.
    bool hasUsage() const noexcept { return usage_.has_value(); }

    /// The usage so far. Throws ValidationError("usage", …) if no event carried any (for
    /// OpenAI Chat: the request did not set `stream_options.include_usage`).
    LlmUsage usage() const;

private:
    LlmApi api_;
    std::string model_;
    std::string anthropic_usage_;  // message_start's usage with message_delta's merged in (JSON)
    std::optional<LlmUsage> usage_;
};

}  // namespace metered
