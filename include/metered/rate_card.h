// SPDX-License-Identifier: MIT
// What each model charges per token type, from which day, and the exact cost of an LLM call.
#pragma once

#include <date/date.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "metered/decimal.h"
#include "metered/export.h"
#include "metered/llm_usage.h"
#include "metered/time.h"
#include "metered/usage_part.h"

namespace metered {

/// The token types of LlmUsage, each priced at its own rate. Their names (toString) are
/// the rate card's JSON fields.
enum class TokenType : std::uint8_t {
    input,               ///< LlmUsage::input_tokens
    cached_input,        ///< LlmUsage::cached_input_tokens
    cache_write,         ///< LlmUsage::cache_write_tokens (default, short lifetime)
    cache_write_1h,      ///< LlmUsage::cache_write_1h_tokens
    output,              ///< LlmUsage::output_tokens
    reasoning,           ///< LlmUsage::reasoning_tokens
    audio_input,         ///< LlmUsage::audio_input_tokens
    cached_audio_input,  ///< LlmUsage::cached_audio_input_tokens
    audio_output,        ///< LlmUsage::audio_output_tokens
    image_input,         ///< LlmUsage::image_input_tokens
    cached_image_input,  ///< LlmUsage::cached_image_input_tokens
};
/// How many token types there are.
inline constexpr std::size_t token_type_count = 11;
/// The UsagePart that holds a token type's count and cost on a stored event.
constexpr UsagePart toUsagePart(TokenType type) noexcept { return static_cast<UsagePart>(type); }
static_assert(static_cast<int>(UsagePart::cached_image_input) == token_type_count - 1);

/// The JSON field of a type: "input", "cached_input", "cache_write", "cache_write_1h", …
METERED_API std::string_view toString(TokenType type) noexcept;
/// The LlmUsage field a type counts: "input_tokens", "cached_input_tokens", …
METERED_API std::string_view usageField(TokenType type) noexcept;
/// The count of `type` in `usage`.
METERED_API std::int64_t tokenCount(const LlmUsage& usage, TokenType type) noexcept;
/// The type whose price a type takes under PricingFallback::parent_rates: cached_input,
/// cache_write, audio_input and image_input → input; cache_write_1h → cache_write;
/// cached_audio_input → audio_input; cached_image_input → image_input; reasoning and
/// audio_output → output. Nothing for input and output.
METERED_API std::optional<TokenType> parentType(TokenType type) noexcept;

/// One set of prices, in currency units **per token** (per request for `per_request`),
/// exact. A price that is absent is unknown, never zero: usage of a type without a price
/// is an error when priced (or a flagged fallback), while an explicit 0 is free.
struct METERED_API TokenPrices {
    /// Text: input, input read from the provider's cache, input written to it (the default,
    /// short lifetime, and one hour), output, reasoning output (TokenType says which count).
    std::optional<Decimal> input, cached_input, cache_write, cache_write_1h, output, reasoning;
    /// Audio: input, input read from the cache, output.
    std::optional<Decimal> audio_input, cached_audio_input, audio_output;
    /// Images: input, input read from the cache.
    std::optional<Decimal> image_input, cached_image_input;
    /// A fee per provider request (LlmUsage::request_count); absent means no such fee.
    std::optional<Decimal> per_request;

    const std::optional<Decimal>& price(TokenType type) const noexcept;
    std::optional<Decimal>& price(TokenType type) noexcept;

    friend bool operator==(const TokenPrices&, const TokenPrices&) = default;
};

/// The prices of a request whose input is long: when LlmUsage::inputTokenTotal() (fresh,
/// cached and cache-written input of every modality) is **strictly above**
/// `above_input_tokens`, every token of the request takes `prices` (a full set: a type
/// absent here has no price in this tier).
struct METERED_API LongContextTier {
    std::int64_t above_input_tokens = 0;
    TokenPrices prices;

    friend bool operator==(const LongContextTier&, const LongContextTier&) = default;
};

/// What one model charges.
struct METERED_API ModelRates {
    TokenPrices prices;
    /// Long-context tiers, thresholds strictly increasing; the highest threshold the
    /// request's input passes applies.
    std::vector<LongContextTier> long_context;
    /// Speech-to-text: the price of one second of audio (priceTranscription), never scaled
    /// by the JSON form's `per`. Absent: the model does not price audio by the second.
    std::optional<Decimal> per_second;
    /// The fewest seconds one call is billed (0: no minimum); a call shorter than this, an
    /// empty one included, is billed this many seconds. Only with `per_second`.
    Decimal minimum_seconds;
    /// Bill per started increment of this many seconds ("per started 15 s": 15 → 16 s is
    /// billed as 30 s; 1 → per started second). Absent: the seconds as measured, fractions
    /// included (12.345 s is billed 12.345 s). Above 0 when given. Only with `per_second`.
    std::optional<Decimal> billing_increment_seconds;
    /// Text-to-speech: the price of one character of input text (priceSpeech). Absent:
    /// the model does not price by the character.
    std::optional<Decimal> per_character;
    /// The provider bills reasoning tokens as output (OpenAI, Anthropic and Google do):
    /// reasoning without a price of its own takes the output price, as the documented rule
    /// of this model and not a fallback. An explicit `reasoning` price always wins.
    bool reasoning_as_output = false;

    /// The prices a request with `input_tokens` of input (inputTokenTotal()) takes.
    const TokenPrices& pricesFor(std::int64_t input_tokens) const noexcept;
    /// The seconds a call of `seconds` is billed: at least `minimum_seconds`, then rounded
    /// up to a whole number of `billing_increment_seconds` (if given). Exact; 0 stays 0
    /// only without a minimum. Throws ArithmeticError only beyond the bounds validate()
    /// and priceTranscription() keep.
    Decimal billedSeconds(const Decimal& seconds) const;

    /// Throws ValidationError naming `path` + "." + the field for a negative price, a
    /// per-token price above 10^6 or with more than 18 fractional digits, a threshold
    /// outside 0..max_llm_count or not above the one before; a `minimum_seconds` or
    /// `billing_increment_seconds` negative, above 86400, with more than 6 fractional
    /// digits or without a `per_second` price; an increment of 0.
    void validate(const std::string& path) const;

    friend bool operator==(const ModelRates&, const ModelRates&) = default;
};

/// Where a price was taken from: the public page, and the day it was read there.
struct METERED_API PriceSource {
    std::string url;  ///< 1-2048 bytes of UTF-8 without control characters
    date::sys_days taken{};

    friend bool operator==(const PriceSource&, const PriceSource&) = default;
};

/// One model's rates from a day on (00:00 UTC), until a later entry of the same model.
struct METERED_API RateCardEntry {
    std::string provider;  ///< "openai", "anthropic", "google", or a LiteLLM provider; no '/'
    std::string model;     ///< "gpt-4o"; may contain '/'
    date::sys_days effective_from{};
    ModelRates rates;
    /// Where these prices come from (every entry of the shipped card says), or nothing.
    std::optional<PriceSource> source;

    friend bool operator==(const RateCardEntry&, const RateCardEntry&) = default;
};

/// Another name of a model of the same provider: a dated snapshot ("gpt-4o-2024-08-06")
/// or a marketing name.
struct METERED_API RateCardAlias {
    std::string provider;
    std::string alias;
    std::string model;  ///< the model it stands for: an entry's model, never another alias

    friend bool operator==(const RateCardAlias&, const RateCardAlias&) = default;
};

class RateCard;

/// Something the LiteLLM importer did not take as it is.
struct METERED_API LiteLlmProblem {
    std::string model;    ///< the file's key ("gpt-4o", "azure/gpt-4o")
    std::string field;    ///< the file's field ("input_cost_per_second"), or "" for the whole model
    std::string problem;  ///< what was done: "not understood, not imported", "above the bound, not imported", …
};

/// How RateCard::fromLiteLlm reads LiteLLM's model_prices_and_context_window.json.
struct METERED_API LiteLlmImportOptions {
    /// The day the imported prices apply from: the day the file was taken. The default
    /// (1970-01-01) prices all usage.
    date::sys_days effective_from{};
    /// A per-token price above this is reported and not imported (the public file has unit
    /// errors: per-million prices written per token). $0.001 per token is $1,000 per
    /// million: above every real text, audio or image token price (the dearest, o1-pro's
    /// output, is $600 per million), below a per-million price written per token ($0.10 and up).
    Decimal max_per_token_price = Decimal::fromMantissa(1, 3);
    /// Providers (`litellm_provider`) that bill reasoning as output (ModelRates::reasoning_as_output).
    std::vector<std::string> reasoning_as_output_providers = {"openai",
                                                              "azure",
                                                              "anthropic",
                                                              "bedrock",
                                                              "bedrock_converse",
                                                              "gemini",
                                                              "vertex_ai-language-models",
                                                              "vertex_ai-anthropic_models"};
};

struct LiteLlmImport;

/// Prices per model, token type and effective date, with aliases. Built once (from JSON,
/// LiteLLM's file, or entries), then immutable: find() and priceLlmCall() may run on any
/// number of threads at once without locking, and find() allocates nothing.
///
/// JSON form (prices are numbers or strings, read exactly from their digits; `per` is "1"
/// (the default: per token), "1K" or "1M" tokens; `from` is a YYYY-MM-DD day, strictly
/// increasing per model; a model key is "provider/model", split at the first '/'):
/// @code
/// {"strip_date_suffix": true,
///  "aliases": {"openai/gpt-4o-2024-08-06": "gpt-4o"},
///  "models": {
///    "openai/gpt-4o": {"prices": [
///      {"from": "2024-05-13", "per": "1M", "input": "5.00", "output": "15.00", "reasoning_as_output": true},
///      {"from": "2024-10-01", "per": "1M", "input": "2.50", "cached_input": "1.25", "output": "10.00",
///       "reasoning_as_output": true}]},
///    "google/gemini-1.5-pro": {"prices": [
///      {"from": "2024-10-01", "per": "1M", "input": "1.25", "output": "5.00",
///       "long_context": [{"above": 128000, "input": "2.50", "output": "10.00"}]}]}}}
/// @endcode
/// Price fields: the toString() names of TokenType and `per_request` (per request, never
/// scaled by `per`). A tier takes its entry's `per`. Voice fields of an entry (not of a
/// tier): `per_second` (per second of audio, never scaled by `per`), `minimum_seconds`,
/// `billing_increment_seconds`, `per_character` (scaled by `per` like a token price, so
/// `"per": "1M", "per_character": 15` is $15 per million characters, as providers publish
/// it). `source` is `{"url": "https://…", "taken": "YYYY-MM-DD"}`: where the entry's prices
/// were read, and when.
class METERED_API RateCard {
public:
    /// An empty card: every model is unknown.
    RateCard();
    /// Validates and indexes. Throws ValidationError for a provider, model or alias name
    /// isValidName() refuses, a provider with '/', invalid rates, two entries of one model on the same day, an alias
    /// that names itself, an existing model, or no model of the card.
    explicit RateCard(std::vector<RateCardEntry> entries, std::vector<RateCardAlias> aliases = {},
                      bool strip_date_suffix = false);

    /// Longest JSON text fromJson() reads (16 MiB) and deepest nesting it accepts.
    static constexpr std::size_t max_json_bytes = std::size_t{16} << 20;
    static constexpr int max_json_depth = 16;

    /// Parses the JSON form above. Throws ValidationError with the JSON path
    /// (`models["openai/gpt-4o"].prices[1].output`) for malformed JSON, a duplicate or
    /// unknown key, a price that is not a non-negative decimal, a bad `per` or `from`,
    /// dates not strictly increasing, tier thresholds not increasing, a bad alias.
    static RateCard fromJson(std::string_view json_text);
    /// The JSON form (per-token prices, per "1"), every number exact; fromJson reads it
    /// back to an equal card.
    std::string toJson() const;

    /// Reads LiteLLM's `model_prices_and_context_window.json` (see LiteLlmImport). Throws
    /// ValidationError only for text that is not a JSON object of objects or over 64 MiB;
    /// everything it does not take is in the report.
    static LiteLlmImport fromLiteLlm(std::string_view json_text, const LiteLlmImportOptions& options = {});

    /// The card metered ships (`data/rate-card.json`, built into the library, also
    /// installed to share/metered/): list prices of common OpenAI, Anthropic and Google
    /// chat models, one speech-to-text and one text-to-speech model, every entry with its
    /// source page and the day it was read. Each price applies from that day on. Parsed
    /// once, on first use; replace it, or `standard().overlay(yours)`.
    static const RateCard& standard();

    /// This card with `overrides` layered on top: every model the overrides price has the
    /// overrides' entries (all dates) instead of this card's; aliases of the overrides
    /// win; date suffixes are stripped if either card strips them.
    RateCard overlay(const RateCard& overrides) const;

    /// The entry that prices `model` of `provider` at `at`: the model, or the model an
    /// alias names, or (if the card strips date suffixes) the model without a trailing
    /// "-YYYY-MM-DD"; the entry with the latest effective date not after `at`. nullptr if
    /// none (unknown model, or usage before its first date). No allocation, no lock; the
    /// cost does not grow with the card's size (a hash lookup and a binary search over
    /// the model's own dates).
    const RateCardEntry* findEntry(std::string_view provider, std::string_view model, Timestamp at) const noexcept;
    /// findEntry()'s rates, or nullptr.
    const ModelRates* find(std::string_view provider, std::string_view model, Timestamp at) const noexcept;

    /// Every entry, by provider, model and date.
    const std::vector<RateCardEntry>& entries() const noexcept { return entries_; }
    const std::vector<RateCardAlias>& aliases() const noexcept { return aliases_; }
    bool stripsDateSuffix() const noexcept { return strip_date_suffix_; }
    /// How many distinct models have entries.
    std::size_t modelCount() const noexcept { return models_.size(); }

    /// True for a provider, model or alias name the card accepts: 1 to 256 bytes of valid
    /// UTF-8 without control characters (what LlmUsage::validate() accepts, and not empty).
    static bool isValidName(std::string_view name) noexcept;

private:
    struct Key {
        std::string provider;
        std::string model;
    };
    struct KeyView {
        std::string_view provider;
        std::string_view model;
    };
    struct KeyHash {
        using is_transparent = void;
        std::size_t operator()(const Key& key) const noexcept;
        std::size_t operator()(const KeyView& key) const noexcept;
    };
    struct KeyEqual {
        using is_transparent = void;
        bool operator()(const Key& a, const Key& b) const noexcept;
        bool operator()(const KeyView& a, const Key& b) const noexcept;
        bool operator()(const Key& a, const KeyView& b) const noexcept;
    };
    struct Slot {
        std::size_t first = 0;  // into entries_, sorted by date
        std::size_t count = 0;
    };

    void index();
    const Slot* slot(std::string_view provider, std::string_view model) const noexcept;

    std::vector<RateCardEntry> entries_;
    std::vector<RateCardAlias> aliases_;
    bool strip_date_suffix_ = false;
    std::vector<Timestamp> starts_;  // entries_[i].effective_from as a Timestamp
    std::unordered_map<Key, Slot, KeyHash, KeyEqual> models_;
    std::unordered_map<Key, Slot, KeyHash, KeyEqual> alias_slots_;
};

/// What RateCard::fromLiteLlm read.
struct METERED_API LiteLlmImport {
    RateCard card;
    /// Everything not taken as it is, in the file's order: price fields it does not
    /// understand (per second and per character outside transcription and speech models,
    /// per image, batch and priority prices, …),
    /// prices above the bound or negative, long-context tiers that take a base price for a
    /// type the file gives no long-context price for, models with no token price at all.
    std::vector<LiteLlmProblem> problems;
    std::size_t models = 0;   ///< model entries imported
    std::size_t skipped = 0;  ///< keys that are not models (`sample_spec`)
};

/// What the caller allows when a price is missing. The default allows nothing: an unknown
/// model or a token count without a price is a ValidationError.
struct METERED_API PricingFallback {
    /// For a model the card does not price at that time: this model's entry
    /// (provider, model), flagged in LlmCost::fallback_model (and in TranscriptionCost and
    /// SpeechCost, voice_pricing.h).
    std::optional<std::string> fallback_provider;
    std::optional<std::string> fallback_model;
    /// A type without a price takes its parentType()'s price (walking up: cache_write_1h →
    /// cache_write → input), flagged in LlmCost::parent_rate.
    bool parent_rates = false;
};

/// The exact cost of an LLM call, per token type and in total, not rounded (a bill
/// rounds once per line).
///
/// `provider` and `model` name the card entry that priced it (after alias or fallback) and
/// point into the card: they are valid while the card lives. Computing a cost allocates nothing.
struct METERED_API LlmCost {
    std::string_view provider;
    std::string_view model;
    date::sys_days effective_from{};
    /// The long-context tier applied (its threshold), or nothing for the base prices.
    std::optional<std::int64_t> long_context_above;
    /// The cost of each TokenType, by its index.
    std::array<Decimal, token_type_count> tokens{};
    Decimal per_request;
    Decimal total;
    /// The usage's model was not priced: PricingFallback's model priced it.
    bool fallback_model = false;
    /// Types priced at a parent's rate (PricingFallback::parent_rates), by index.
    std::array<bool, token_type_count> parent_rate{};
    /// Reasoning priced at the output rate by the model's reasoning_as_output rule.
    bool reasoning_at_output_rate = false;

    Decimal cost(TokenType type) const noexcept { return tokens[static_cast<std::size_t>(type)]; }
    bool usedParentRate(TokenType type) const noexcept { return parent_rate[static_cast<std::size_t>(type)]; }
    /// True if any fallback (model or parent rate) was used.
    bool usedFallback() const noexcept;
};

/// The exact cost of `usage` at the card price in effect at `at`: each type's count times
/// its price (of the long-context tier the input passes), plus per_request times the
/// request count. Throws ValidationError for usage validate() refuses; "model" for a model
/// the card does not price at `at` (and no fallback model, or the fallback model unpriced
/// too); the usage's field ("cached_input_tokens") for a nonzero count whose type has no
/// price (after the rules and fallbacks allowed). Never a silent zero.
METERED_API LlmCost priceLlmCall(const RateCard& card, const LlmUsage& usage, Timestamp at,
                                 const PricingFallback& fallback = {});

}  // namespace metered
