// SPDX-License-Identifier: MIT
// RateCard::fromLiteLlm: LiteLLM's model_prices_and_context_window.json, read exactly.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <utility>

#include "exact_json.h"
#include "metered/errors.h"
#include "metered/rate_card.h"

namespace metered {
namespace {

using detail::Json;

// The file's per-token fields metered understands, and the type each prices.
struct Mapping {
    std::string_view field;
    std::optional<TokenType> type;  // nothing: per_request
    std::int64_t above = 0;         // a long-context tier's threshold, or 0 for the base prices
};

constexpr std::array<Mapping, 19> mappings{{
    {"input_cost_per_token", TokenType::input},
    {"cache_read_input_token_cost", TokenType::cached_input},
    {"input_cost_per_token_cache_hit", TokenType::cached_input},
    {"cache_creation_input_token_cost", TokenType::cache_write},
    {"cache_creation_input_token_cost_above_1hr", TokenType::cache_write_1h},
    {"output_cost_per_token", TokenType::output},
    {"output_cost_per_reasoning_token", TokenType::reasoning},
    {"input_cost_per_audio_token", TokenType::audio_input},
    {"cache_read_input_audio_token_cost", TokenType::cached_audio_input},
    {"output_cost_per_audio_token", TokenType::audio_output},
    {"input_cost_per_image_token", TokenType::image_input},
    {"cache_read_input_image_token_cost", TokenType::cached_image_input},
    {"input_cost_per_request", std::nullopt},
    {"input_cost_per_token_above_200k_tokens", TokenType::input, 200'000},
    {"output_cost_per_token_above_200k_tokens", TokenType::output, 200'000},
    {"cache_read_input_token_cost_above_200k_tokens", TokenType::cached_input, 200'000},
    {"cache_creation_input_token_cost_above_200k_tokens", TokenType::cache_write, 200'000},
    {"input_cost_per_token_above_128k_tokens", TokenType::input, 128'000},
    {"output_cost_per_token_above_128k_tokens", TokenType::output, 128'000},
}};

// A field that names a price: every such field is either mapped or reported.
bool isPriceField(std::string_view field) {
    return field.find("cost") != std::string_view::npos || field.find("pric") != std::string_view::npos;
}

constexpr std::size_t max_litellm_bytes = std::size_t{64} << 20;

// The voice prices the importer takes, only where the model's `mode` makes their meaning
// plain: a transcription model's input seconds of audio, a speech model's characters of
// text. Elsewhere (a chat model's per-character or per-second prices) they are reported.
enum class VoicePrice : std::uint8_t { none, per_second, per_character };

VoicePrice voicePrice(std::string_view field, std::string_view mode) noexcept {
    if (mode == "audio_transcription" && field == "input_cost_per_second") return VoicePrice::per_second;
    if (mode == "audio_speech" && (field == "input_cost_per_character" || field == "output_cost_per_character")) {
        return VoicePrice::per_character;
    }
    return VoicePrice::none;
}

class Importer {
public:
    explicit Importer(const LiteLlmImportOptions& options) : options_(options) {}

    RateCardEntry model(const std::string& key, const Json& json, const std::string& provider) {
        RateCardEntry entry;
        entry.provider = provider;
        entry.effective_from = options_.effective_from;
        entry.rates.reasoning_as_output =
            std::find(options_.reasoning_as_output_providers.begin(), options_.reasoning_as_output_providers.end(),
                      provider) != options_.reasoning_as_output_providers.end();
        std::map<std::int64_t, TokenPrices> tiers;  // threshold → the prices the file gives above it
        bool any_price = false;
        std::string mode;
        if (json.contains("mode") && json["mode"].is_string() && !detail::isExactNumber(json["mode"])) {
            mode = json["mode"].get<std::string>();
        }
        for (const auto& [field, value] : json.items()) {
            if (!isPriceField(field)) continue;
            const std::string& name = field;  // a structured binding is not captured (clang 14)
            if (const VoicePrice voice = voicePrice(name, mode); voice != VoicePrice::none) {
                // A character is priced like a token (the same bound); a second is not.
                const auto price = read(key, field, value, voice == VoicePrice::per_character);
                if (!price) continue;
                std::optional<Decimal>& slot =
                    voice == VoicePrice::per_second ? entry.rates.per_second : entry.rates.per_character;
                if (slot && *slot != *price) {
                    report(key, field,
                           fmt::format(
                               "{} conflicts with the {} price {} already read; not imported", price->toString(),
                               voice == VoicePrice::per_second ? "per_second" : "per_character", slot->toString()));
                    continue;
                }
                slot = *price;
                any_price = true;
                continue;
            }
            if (mode == "audio_transcription" && name == "output_cost_per_second") {
                report(key, field,
                       "not imported: a transcription is priced by its input seconds of audio "
                       "(input_cost_per_second)");
                continue;
            }
            const auto mapping =
                std::find_if(mappings.begin(), mappings.end(), [&](const Mapping& m) { return m.field == name; });
            if (mapping == mappings.end()) {
                report(key, field, "not understood, not imported");
                continue;
            }
            const auto price = read(key, field, value, mapping->type.has_value());
            if (!price) continue;
            TokenPrices& prices = mapping->above == 0 ? entry.rates.prices : tiers[mapping->above];
            std::optional<Decimal>& slot = mapping->type ? prices.price(*mapping->type) : prices.per_request;
            if (slot && *slot != *price) {
                report(key, field,
                       fmt::format("{} conflicts with the {} price {} already read; not imported", price->toString(),
                                   mapping->type ? toString(*mapping->type) : "per_request", slot->toString()));
                continue;
            }
            slot = *price;
            any_price = true;
        }
        if (!any_price)
            report(key, "",
                   "no token, request, second or character price the importer understands: every use is unpriced");
        for (auto& [above, given] : tiers) {
            // A tier is a full set: the file gives some types above the threshold; the others
            // keep their base price, and the report says which.
            TokenPrices full = entry.rates.prices;
            std::string inherited;
            for (std::size_t i = 0; i < token_type_count; ++i) {
                const auto type = static_cast<TokenType>(i);
                if (given.price(type)) {
                    full.price(type) = given.price(type);
                } else if (full.price(type)) {
                    inherited += inherited.empty() ? "" : ", ";
                    inherited += toString(type);
                }
            }
            if (given.per_request) full.per_request = given.per_request;
            if (!inherited.empty()) {
                report(key, fmt::format("*_above_{}k_tokens", above / 1000),
                       fmt::format("no price above {} input tokens for {}: the base price is used", above, inherited));
            }
            entry.rates.long_context.push_back({above, std::move(full)});
        }
        return entry;
    }

    std::vector<LiteLlmProblem> problems;

    void report(const std::string& model, std::string_view field, std::string problem) {
        problems.push_back({model, std::string(field), std::move(problem)});
    }

private:
    std::optional<Decimal> read(const std::string& key, std::string_view field, const Json& value, bool per_token) {
        if (!(value.is_number_integer() || value.is_number_unsigned() || detail::isExactNumber(value))) {
            report(key, field, "not a number, not imported");
            return std::nullopt;
        }
        Decimal price;
        try {
            price = detail::readDecimal(value, std::string(field)).normalized();
        } catch (const Error& e) {
            report(key, field, std::string("not imported: ") + e.what());
            return std::nullopt;
        }
        if (price.isNegative()) {
            report(key, field, fmt::format("negative ({}), not imported", price.toString()));
            return std::nullopt;
        }
        if (per_token && price > options_.max_per_token_price) {
            report(key, field,
                   fmt::format("{} per token is above the bound of {} (a unit error?), not imported", price.toString(),
                               options_.max_per_token_price.toString()));
            return std::nullopt;
        }
        if (price.significantScale() > 18 || price > Decimal(1'000'000)) {
            // ModelRates' bounds: 2.9999900000000002e-06 is a double's noise, not a price.
            report(key, field,
                   fmt::format("{} has more than 18 fractional digits or is above 10^6 (float noise in the file?), "
                               "not imported",
                               price.toString()));
            return std::nullopt;
        }
        return price;
    }

    const LiteLlmImportOptions& options_;
};

}  // namespace

LiteLlmImport RateCard::fromLiteLlm(std::string_view json_text, const LiteLlmImportOptions& options) {
    if (json_text.size() > max_litellm_bytes) {
        throw ValidationError("litellm", fmt::format("JSON text of {} bytes is longer than the limit of {}",
                                                     json_text.size(), max_litellm_bytes));
    }
    const Json json = detail::parseExactJson(json_text, "litellm");
    if (!json.is_object()) throw ValidationError("litellm", "must be a JSON object of models");
    LiteLlmImport result;
    Importer importer(options);
    // Keys as the file writes them, per provider: a "provider/" prefix is stripped from a
    // model's name unless the bare name is another key of that provider.
    std::set<std::pair<std::string, std::string>> keys;
    for (const auto& [key, value] : json.items()) {
        if (value.is_object() && value.contains("litellm_provider") && value["litellm_provider"].is_string()) {
            keys.emplace(value["litellm_provider"].get<std::string>(), key);
        }
    }
    std::vector<RateCardEntry> entries;
    std::vector<RateCardAlias> aliases;
    for (const auto& [key, value] : json.items()) {
        if (key == "sample_spec") {
            ++result.skipped;
            continue;
        }
        if (!value.is_object() || !value.contains("litellm_provider") || !value["litellm_provider"].is_string() ||
            detail::isExactNumber(value["litellm_provider"])) {
            importer.report(key, "litellm_provider", "not a model (no provider), skipped");
            ++result.skipped;
            continue;
        }
        const std::string provider = value["litellm_provider"].get<std::string>();
        if (!isValidName(provider) || provider.find('/') != std::string::npos || !isValidName(key)) {
            importer.report(key, "litellm_provider",
                            "the key and the provider must be 1-256 bytes of UTF-8 without control characters (and "
                            "the provider without '/'); skipped");
            ++result.skipped;
            continue;
        }
        RateCardEntry entry = importer.model(key, value, provider);
        entry.model = key;
        const std::string prefix = provider + "/";
        if (key.starts_with(prefix) && key.size() > prefix.size() &&
            !keys.contains({provider, key.substr(prefix.size())})) {
            entry.model = key.substr(prefix.size());
            aliases.push_back({provider, key, entry.model});
        }
        entries.push_back(std::move(entry));
        ++result.models;
    }
    result.card = RateCard(std::move(entries), std::move(aliases));
    result.problems = std::move(importer.problems);
    return result;
}

}  // namespace metered
