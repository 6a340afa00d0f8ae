// SPDX-License-Identifier: MIT
// Each provider's `usage` turned into disjoint counts. The counting rules, and where they
// are published:
// - OpenAI Chat Completions, `CompletionUsage`: `prompt_tokens_details.cached_tokens` and
//   `audio_tokens` are "present in the prompt"; reasoning and rejected prediction tokens
//   are "counted in the total completion tokens" (the API reference,
//   https://platform.openai.com/docs/api-reference/chat/object, as generated into
//   openai-python's types/completion_usage.py).
// - OpenAI Responses, `ResponseUsage`: input_tokens_details.cached_tokens ⊂ input_tokens,
//   output_tokens_details.reasoning_tokens ⊂ output_tokens
//   (https://platform.openai.com/docs/api-reference/responses/object; same shape in
//   https://docs.x.ai/developers/advanced-api-usage/prompt-caching/usage-and-pricing).
// - OpenAI Realtime, `RealtimeResponseUsage`: "Cached tokens here are counted as a subset
//   of input tokens, meaning input tokens will include cached and uncached tokens";
//   input_tokens is "including text and audio tokens"
//   (https://platform.openai.com/docs/api-reference/realtime-server-events/response/done).
// - Anthropic Messages: input_tokens excludes cache reads and writes, which are added:
//   total input = cache_read_input_tokens + cache_creation_input_tokens + input_tokens
//   (https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching, "Tracking cache
//   performance"); the default cache lifetime is 5 minutes, 1 hour on request, priced
//   apart; in streams, "the token counts in the usage field of the message_delta event
//   are cumulative" (https://docs.anthropic.com/en/docs/build-with-claude/streaming).
// - Gemini `UsageMetadata`: promptTokenCount "includes the number of tokens in the cached
//   content" when cachedContent is set; thoughtsTokenCount and toolUsePromptTokenCount
//   are reported apart and added to the total
//   (https://ai.google.dev/api/generate-content#UsageMetadata); thinking is billed as
//   output ("Output price (including thinking tokens)", https://ai.google.dev/gemini-api/docs/pricing).
#include "metered/llm_usage.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>

#include "exact_json.h"
#include "metered/errors.h"
#include "untrusted_text.h"
#include "utf8.h"

namespace metered {

namespace {

using detail::Json;

constexpr int usage_max_depth = 32;
constexpr int event_max_depth = 64;
constexpr std::size_t max_model_name_bytes = 256;

std::string pathOf(const std::string& parent, std::string_view key) { return parent + "." + std::string(key); }

std::string_view typeName(const Json& value) {
    if (value.is_null()) return "null";
    if (value.is_boolean()) return "a boolean";
    if (detail::isExactNumber(value)) return "a fraction";
    if (value.is_number()) return "a number";
    if (value.is_string()) return "a string";
    if (value.is_array()) return "an array";
    return "an object";
}

// A member of `object`, or nullptr when absent or null.
const Json* member(const Json& object, std::string_view key) {
    const auto it = object.find(key);
    if (it == object.end() || it->is_null()) return nullptr;
    return &*it;
}

// The count at `value`: a JSON integer 0..max_llm_count.
std::int64_t countOf(const Json& value, const std::string& path) {
    if (value.is_number_unsigned()) {
        const auto n = value.get<std::uint64_t>();
        if (n > static_cast<std::uint64_t>(max_llm_count)) {
            throw ValidationError(path, fmt::format("{} is above the limit of {} tokens", n, max_llm_count));
        }
        return static_cast<std::int64_t>(n);
    }
    if (value.is_number_integer()) throw ValidationError(path, "a count must not be negative");
    if (detail::isExactNumber(value)) {
        throw ValidationError(path, "a count must be a whole number, not " +
                                        detail::quoted(value.get_ref<const std::string&>().substr(1)));
    }
    throw ValidationError(path, fmt::format("a count must be a whole number, not {}", typeName(value)));
}

// A view of one JSON object of the usage, knowing its path for errors.
class Fields {
public:
    Fields(const Json& object, std::string path) : object_(object), path_(std::move(path)) {
        if (!object_.is_object())
            throw ValidationError(path_, fmt::format("must be an object, not {}", typeName(object_)));
    }

    const std::string& path() const { return path_; }
    std::string pathTo(std::string_view key) const { return pathOf(path_, key); }

    std::optional<std::int64_t> optionalCount(std::string_view key) const {
        const Json* value = member(object_, key);
        if (value == nullptr) return std::nullopt;
        return countOf(*value, pathTo(key));
    }
    std::int64_t count(std::string_view key) const { return optionalCount(key).value_or(0); }
    std::int64_t requiredCount(std::string_view key) const {
        const auto n = optionalCount(key);
        if (!n) throw ValidationError(pathTo(key), "missing (a required count)");
        return *n;
    }
    std::optional<Fields> object(std::string_view key) const {
        const Json* value = member(object_, key);
        if (value == nullptr) return std::nullopt;
        return Fields(*value, pathTo(key));
    }
    const Json* raw(std::string_view key) const { return member(object_, key); }

private:
    const Json& object_;
    std::string path_;
};

// Takes parts out of a whole, in order; names the first part that does not fit.
class Whole {
public:
    Whole(std::int64_t total, std::string path) : total_(total), left_(total), path_(std::move(path)) {}

    std::int64_t take(std::int64_t part, const std::string& part_path) {
        if (part > left_) {
            if (left_ == total_) {
                throw ValidationError(part_path, fmt::format("{} is more than {} ({})", part, path_, total_));
            }
            throw ValidationError(part_path, fmt::format("{} is more than the {} of {} ({}) its other parts leave",
                                                         part, left_, path_, total_));
        }
        left_ -= part;
        return part;
    }
    std::int64_t left() const { return left_; }
    std::int64_t total() const { return total_; }
    const std::string& path() const { return path_; }

private:
    std::int64_t total_;
    std::int64_t left_;
    std::string path_;
};

// Tokens by modality: what metered splits out (audio, image) and text for the rest.
struct Modalities {
    std::int64_t text = 0;
    std::int64_t audio = 0;
    std::int64_t image = 0;
    std::string text_path;
    std::string audio_path;
    std::string image_path;
};

// Splits `whole` by the OpenAI Realtime style details object {text_tokens, audio_tokens,
// image_tokens}: each ⊂ whole, whatever they leave is text.
Modalities splitOpenAi(Whole whole, const std::optional<Fields>& details) {
    Modalities m;
    m.text_path = m.audio_path = m.image_path = whole.path();
    if (details) {
        m.text_path = details->pathTo("text_tokens");
        m.audio_path = details->pathTo("audio_tokens");
        m.image_path = details->pathTo("image_tokens");
        m.text = whole.take(details->count("text_tokens"), m.text_path);
        m.audio = whole.take(details->count("audio_tokens"), m.audio_path);
        m.image = whole.take(details->count("image_tokens"), m.image_path);
    }
    m.text += whole.left();
    return m;
}

// Splits `whole` by a Gemini list of {modality, tokenCount}: AUDIO and IMAGE apart,
// every other modality, and whatever the list leaves, text.
Modalities splitGemini(Whole whole, const Fields& usage, std::string_view list_key) {
    Modalities m;
    m.text_path = m.audio_path = m.image_path = whole.path();
    const Json* list = usage.raw(list_key);
    if (list != nullptr) {
        const std::string list_path = usage.pathTo(list_key);
        if (!list->is_array())
            throw ValidationError(list_path, fmt::format("must be an array, not {}", typeName(*list)));
        for (std::size_t i = 0; i < list->size(); ++i) {
            const Fields entry((*list)[i], fmt::format("{}[{}]", list_path, i));
            const std::string count_path = entry.pathTo("tokenCount");
            std::string_view modality = "TEXT";
            if (const Json* name = entry.raw("modality")) {
                if (!name->is_string() || detail::isExactNumber(*name)) {
                    throw ValidationError(entry.pathTo("modality"),
                                          fmt::format("must be a string, not {}", typeName(*name)));
                }
                modality = name->get_ref<const std::string&>();
            }
            const std::int64_t n = whole.take(entry.count("tokenCount"), count_path);
            if (modality == "AUDIO") {
                m.audio += n;
                m.audio_path = count_path;
            } else if (modality == "IMAGE") {
                m.image += n;
                m.image_path = count_path;
            } else {
                m.text += n;
                m.text_path = count_path;
            }
        }
    }
    m.text += whole.left();
    return m;
}

// The fresh part of each modality, once the cached part is taken out of it.
void takeCached(const Modalities& all, const Modalities& cached, LlmUsage& usage) {
    Whole(all.text, all.text_path).take(cached.text, cached.text_path);
    usage.input_tokens = all.text - cached.text;
    usage.cached_input_tokens = cached.text;
    Whole(all.audio, all.audio_path).take(cached.audio, cached.audio_path);
    usage.audio_input_tokens = all.audio - cached.audio;
    usage.cached_audio_input_tokens = cached.audio;
    Whole(all.image, all.image_path).take(cached.image, cached.image_path);
    usage.image_input_tokens = all.image - cached.image;
    usage.cached_image_input_tokens = cached.image;
}

void openAiChat(const Fields& u, LlmUsage& usage) {
    Whole prompt(u.requiredCount("prompt_tokens"), u.pathTo("prompt_tokens"));
    Whole completion(u.requiredCount("completion_tokens"), u.pathTo("completion_tokens"));
    if (const auto details = u.object("prompt_tokens_details")) {
        usage.cached_input_tokens = prompt.take(details->count("cached_tokens"), details->pathTo("cached_tokens"));
        usage.cache_write_tokens =
            prompt.take(details->count("cache_write_tokens"), details->pathTo("cache_write_tokens"));
        usage.audio_input_tokens = prompt.take(details->count("audio_tokens"), details->pathTo("audio_tokens"));
        usage.image_input_tokens = prompt.take(details->count("image_tokens"), details->pathTo("image_tokens"));
    }
    usage.input_tokens = prompt.left();
    if (const auto details = u.object("completion_tokens_details")) {
        usage.reasoning_tokens =
            completion.take(details->count("reasoning_tokens"), details->pathTo("reasoning_tokens"));
        usage.audio_output_tokens = completion.take(details->count("audio_tokens"), details->pathTo("audio_tokens"));
    }
    usage.output_tokens = completion.left();
}

void openAiResponses(const Fields& u, LlmUsage& usage) {
    Whole input(u.requiredCount("input_tokens"), u.pathTo("input_tokens"));
    Whole output(u.requiredCount("output_tokens"), u.pathTo("output_tokens"));
    if (const auto details = u.object("input_tokens_details")) {
        usage.cached_input_tokens = input.take(details->count("cached_tokens"), details->pathTo("cached_tokens"));
        usage.cache_write_tokens =
            input.take(details->count("cache_write_tokens"), details->pathTo("cache_write_tokens"));
    }
    usage.input_tokens = input.left();
    if (const auto details = u.object("output_tokens_details")) {
        usage.reasoning_tokens = output.take(details->count("reasoning_tokens"), details->pathTo("reasoning_tokens"));
    }
    usage.output_tokens = output.left();
}

void openAiRealtime(const Fields& u, LlmUsage& usage) {
    const Whole input(u.requiredCount("input_tokens"), u.pathTo("input_tokens"));
    const Whole output(u.requiredCount("output_tokens"), u.pathTo("output_tokens"));
    const auto input_details = u.object("input_token_details");
    const Modalities all = splitOpenAi(input, input_details);
    Modalities cached;
    if (input_details) {
        const std::string cached_path = input_details->pathTo("cached_tokens");
        Whole cached_whole(input_details->count("cached_tokens"), cached_path);
        Whole(input.total(), input.path()).take(cached_whole.total(), cached_path);
        cached = splitOpenAi(cached_whole, input_details->object("cached_tokens_details"));
    }
    takeCached(all, cached, usage);
    const Modalities out = splitOpenAi(output, u.object("output_token_details"));
    // Realtime reports no image output; an image count there is refused rather than lost.
    if (out.image != 0) throw ValidationError(out.image_path, "image output tokens are not a Realtime count");
    usage.output_tokens = out.text;
    usage.audio_output_tokens = out.audio;
}

void anthropic(const Fields& u, LlmUsage& usage) {
    usage.input_tokens = u.requiredCount("input_tokens");
    usage.cached_input_tokens = u.count("cache_read_input_tokens");
    const auto write_total = u.optionalCount("cache_creation_input_tokens");
    const auto split = u.object("cache_creation");
    const auto five = split ? split->optionalCount("ephemeral_5m_input_tokens") : std::nullopt;
    const auto hour = split ? split->optionalCount("ephemeral_1h_input_tokens") : std::nullopt;
    if (five && hour) {
        if (write_total && *five + *hour != *write_total) {
            throw ValidationError(split->path(),
                                  fmt::format("ephemeral_5m_input_tokens + ephemeral_1h_input_tokens = {} + {} is "
                                              "not cache_creation_input_tokens ({})",
                                              *five, *hour, *write_total));
        }
        usage.cache_write_tokens = *five;
        usage.cache_write_1h_tokens = *hour;
    } else if (five || hour) {
        // One lifetime given: the rest of the total has the other.
        const std::int64_t total = write_total.value_or(five ? *five : *hour);
        Whole whole(total, u.pathTo("cache_creation_input_tokens"));
        if (five) {
            usage.cache_write_tokens = whole.take(*five, split->pathTo("ephemeral_5m_input_tokens"));
            usage.cache_write_1h_tokens = whole.left();
        } else {
            usage.cache_write_1h_tokens = whole.take(*hour, split->pathTo("ephemeral_1h_input_tokens"));
            usage.cache_write_tokens = whole.left();
        }
    } else {
        usage.cache_write_tokens = write_total.value_or(0);  // the default lifetime: 5 minutes
    }
    Whole output(u.requiredCount("output_tokens"), u.pathTo("output_tokens"));
    if (const auto details = u.object("output_tokens_details")) {
        usage.reasoning_tokens = output.take(details->count("thinking_tokens"), details->pathTo("thinking_tokens"));
    }
    usage.output_tokens = output.left();
}

void gemini(const Fields& u, LlmUsage& usage) {
    const Whole prompt(u.requiredCount("promptTokenCount"), u.pathTo("promptTokenCount"));
    const Modalities all = splitGemini(prompt, u, "promptTokensDetails");
    const std::string cached_path = u.pathTo("cachedContentTokenCount");
    Whole cached_whole(u.count("cachedContentTokenCount"), cached_path);
    Whole(prompt.total(), prompt.path()).take(cached_whole.total(), cached_path);
    const Modalities cached = splitGemini(cached_whole, u, "cacheTokensDetails");
    takeCached(all, cached, usage);
    // Tool-use prompt tokens (e.g. search results read back) are input added to the prompt.
    const Modalities tool = splitGemini(Whole(u.count("toolUsePromptTokenCount"), u.pathTo("toolUsePromptTokenCount")),
                                        u, "toolUsePromptTokensDetails");
    usage.input_tokens += tool.text;
    usage.audio_input_tokens += tool.audio;
    usage.image_input_tokens += tool.image;
    const Modalities out = splitGemini(Whole(u.count("candidatesTokenCount"), u.pathTo("candidatesTokenCount")), u,
                                       "candidatesTokensDetails");
    usage.output_tokens = out.text + out.image;
    usage.audio_output_tokens = out.audio;
    usage.reasoning_tokens = u.count("thoughtsTokenCount");
}

std::string_view rootName(LlmApi api) { return api == LlmApi::gemini ? "usageMetadata" : "usage"; }

// Reads an already parsed usage object at `path`.
LlmUsage readUsage(LlmApi api, const Json& value, const std::string& path, std::string_view model) {
    LlmUsage usage;
    usage.provider = std::string(llmProvider(api));
    usage.model = std::string(model);
    usage.validate();  // the model name, before any work
    const Fields u(value, path);
    switch (api) {
        case LlmApi::openai_chat:
            openAiChat(u, usage);
            break;
        case LlmApi::openai_responses:
            openAiResponses(u, usage);
            break;
        case LlmApi::openai_realtime:
            openAiRealtime(u, usage);
            break;
        case LlmApi::anthropic_messages:
            anthropic(u, usage);
            break;
        case LlmApi::gemini:
            gemini(u, usage);
            break;
        default:
            throw ValidationError("api", "not an LlmApi value");
    }
    usage.validate();
    return usage;
}

void checkName(std::string_view name, const char* field) {
    if (name.size() > max_model_name_bytes) {
        throw ValidationError(
            field, fmt::format("{} bytes is longer than the limit of {}", name.size(), max_model_name_bytes));
    }
    // Printable ASCII (every model name in practice) is valid UTF-8 without control characters.
    if (detail::isPrintableAscii(name)) return;
    if (!detail::isValidUtf8(name)) throw ValidationError(field, "not valid UTF-8");
    for (const char c : name) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
            throw ValidationError(field, "must not contain control characters: " + detail::quoted(name));
        }
    }
}

Json parseText(std::string_view text, std::string_view what, std::size_t max_bytes, int max_depth) {
    if (text.size() > max_bytes) {
        throw ValidationError(
            what, fmt::format("JSON text of {} bytes is longer than the limit of {}", text.size(), max_bytes));
    }
    return detail::parseExactJson(text, what, max_depth);
}

// The model a stream event names at `key` of `object`, if it is a string.
std::string streamModel(const Json& object, std::string_view key) {
    if (!object.is_object()) return {};
    const Json* value = member(object, key);
    if (value == nullptr || !value->is_string() || detail::isExactNumber(*value)) return {};
    return value->get<std::string>();
}

}  // namespace

std::string_view llmProvider(LlmApi api) noexcept {
    switch (api) {
        case LlmApi::openai_chat:
        case LlmApi::openai_responses:
        case LlmApi::openai_realtime:
            return "openai";
        case LlmApi::anthropic_messages:
            return "anthropic";
        case LlmApi::gemini:
            return "google";
    }
    return "";
}

std::int64_t LlmUsage::inputTokenTotal() const noexcept {
    return input_tokens + cached_input_tokens + cache_write_tokens + cache_write_1h_tokens + audio_input_tokens +
           cached_audio_input_tokens + image_input_tokens + cached_image_input_tokens;
}

std::int64_t LlmUsage::outputTokenTotal() const noexcept {
    return output_tokens + reasoning_tokens + audio_output_tokens;
}

std::int64_t LlmUsage::totalTokens() const noexcept { return inputTokenTotal() + outputTokenTotal(); }

void LlmUsage::validate() const {
    checkName(provider, "provider");
    checkName(model, "model");
    // A table of members, not of values: validate runs on every recordLlmCall.
    static constexpr std::array<std::pair<const char*, std::int64_t LlmUsage::*>, 12> counts{{
        {"input_tokens", &LlmUsage::input_tokens},
        {"cached_input_tokens", &LlmUsage::cached_input_tokens},
        {"cache_write_tokens", &LlmUsage::cache_write_tokens},
        {"cache_write_1h_tokens", &LlmUsage::cache_write_1h_tokens},
        {"output_tokens", &LlmUsage::output_tokens},
        {"reasoning_tokens", &LlmUsage::reasoning_tokens},
        {"audio_input_tokens", &LlmUsage::audio_input_tokens},
        {"cached_audio_input_tokens", &LlmUsage::cached_audio_input_tokens},
        {"audio_output_tokens", &LlmUsage::audio_output_tokens},
        {"image_input_tokens", &LlmUsage::image_input_tokens},
        {"cached_image_input_tokens", &LlmUsage::cached_image_input_tokens},
        {"request_count", &LlmUsage::request_count},
    }};
    for (const auto& [field, member] : counts) {
        const std::int64_t n = this->*member;
        if (n < 0 || n > max_llm_count) {
            throw ValidationError(field, fmt::format("{} is outside 0 to {}", n, max_llm_count));
        }
    }
}

LlmUsage parseLlmUsage(LlmApi api, std::string_view usage_json, std::string_view model) {
    const std::string root(rootName(api));
    const Json value = parseText(usage_json, root, max_llm_usage_json_bytes, usage_max_depth);
    return readUsage(api, value, root, model);
}

LlmStreamUsage::LlmStreamUsage(LlmApi api, std::string_view model) : api_(api), model_(model) {
    checkName(model_, "model");
}

bool LlmStreamUsage::add(std::string_view event_json) {
    const Json event = parseText(event_json, "event", max_llm_stream_event_bytes, event_max_depth);
    if (!event.is_object()) throw ValidationError("event", fmt::format("must be an object, not {}", typeName(event)));
    const auto modelOr = [this](std::string named) { return model_.empty() ? std::move(named) : model_; };
    switch (api_) {
        case LlmApi::openai_chat: {
            const Json* usage = member(event, "usage");
            if (usage == nullptr) return false;
            usage_ = readUsage(api_, *usage, "usage", modelOr(streamModel(event, "model")));
            return true;
        }
        case LlmApi::openai_responses:
        case LlmApi::openai_realtime: {
            const Json* response = member(event, "response");
            if (response == nullptr || !response->is_object()) return false;
            const Json* usage = member(*response, "usage");
            if (usage == nullptr) return false;
            usage_ = readUsage(api_, *usage, "response.usage", modelOr(streamModel(*response, "model")));
            return true;
        }
        case LlmApi::gemini: {
            const Json* usage = member(event, "usageMetadata");
            if (usage == nullptr) return false;
            usage_ = readUsage(api_, *usage, "usageMetadata", modelOr(streamModel(event, "modelVersion")));
            return true;
        }
        case LlmApi::anthropic_messages:
            break;
    }
    const Json* type = member(event, "type");
    if (type == nullptr || !type->is_string() || detail::isExactNumber(*type)) {
        throw ValidationError("type", "an Anthropic stream event has a string `type`");
    }
    const std::string& kind = type->get_ref<const std::string&>();
    if (kind == "message_start") {
        const Json* message_json = member(event, "message");
        if (message_json == nullptr) throw ValidationError("message", "missing");
        const Fields message(*message_json, "message");
        const Json* usage = message.raw("usage");
        if (usage == nullptr) throw ValidationError("message.usage", "missing");
        LlmUsage read = readUsage(api_, *usage, "message.usage", modelOr(streamModel(*message_json, "model")));
        anthropic_usage_ = detail::dumpExact(*usage);
        usage_ = std::move(read);
        return true;
    }
    if (kind == "message_delta") {
        const Json* delta_usage = member(event, "usage");
        if (delta_usage == nullptr) return false;
        if (!usage_) throw ValidationError("usage", "a message_delta event before message_start");
        // The delta's counts are cumulative: each replaces the one of message_start.
        const Fields delta(*delta_usage, "usage");
        Json merged = detail::parseExactJson(anthropic_usage_, "usage", usage_max_depth);
        for (const auto& [key, value] : delta_usage->items()) {
            if (!value.is_null()) merged[key] = value;
        }
        LlmUsage read = readUsage(api_, merged, "usage", usage_->model);
        anthropic_usage_ = detail::dumpExact(merged);
        usage_ = std::move(read);
        return true;
    }
    return false;
}

LlmUsage LlmStreamUsage::usage() const {
    if (!usage_) {
        throw ValidationError("usage", api_ == LlmApi::openai_chat
                                           ? "the stream carried no usage (set stream_options.include_usage)"
                                           : "the stream carried no usage");
    }
    return *usage_;
}

}  // namespace metered
