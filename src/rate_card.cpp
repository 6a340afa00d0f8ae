// SPDX-License-Identifier: MIT
#include "metered/rate_card.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <tuple>

#include "exact_json.h"
#include "iso_date.h"
#include "metered/errors.h"
#include "precision.h"
#include "rate_card_lookup.h"
#include "standard_rate_card.h"
#include "untrusted_text.h"
#include "utf8.h"

namespace metered {
namespace {

using detail::Json;
using detail::onlyKeys;
using detail::readString;
using detail::requireObject;

struct TypeInfo {
    TokenType type;
    std::string_view name;
    std::string_view usage_field;
    std::optional<Decimal> TokenPrices::*price;
    std::int64_t LlmUsage::*count;
};

constexpr std::array<TypeInfo, token_type_count> type_info{{
    {TokenType::input, "input", "input_tokens", &TokenPrices::input, &LlmUsage::input_tokens},
    {TokenType::cached_input, "cached_input", "cached_input_tokens", &TokenPrices::cached_input,
     &LlmUsage::cached_input_tokens},
    {TokenType::cache_write, "cache_write", "cache_write_tokens", &TokenPrices::cache_write,
     &LlmUsage::cache_write_tokens},
    {TokenType::cache_write_1h, "cache_write_1h", "cache_write_1h_tokens", &TokenPrices::cache_write_1h,
     &LlmUsage::cache_write_1h_tokens},
    {TokenType::output, "output", "output_tokens", &TokenPrices::output, &LlmUsage::output_tokens},
    {TokenType::reasoning, "reasoning", "reasoning_tokens", &TokenPrices::reasoning, &LlmUsage::reasoning_tokens},
    {TokenType::audio_input, "audio_input", "audio_input_tokens", &TokenPrices::audio_input,
     &LlmUsage::audio_input_tokens},
    {TokenType::cached_audio_input, "cached_audio_input", "cached_audio_input_tokens", &TokenPrices::cached_audio_input,
     &LlmUsage::cached_audio_input_tokens},
    {TokenType::audio_output, "audio_output", "audio_output_tokens", &TokenPrices::audio_output,
     &LlmUsage::audio_output_tokens},
    {TokenType::image_input, "image_input", "image_input_tokens", &TokenPrices::image_input,
     &LlmUsage::image_input_tokens},
    {TokenType::cached_image_input, "cached_image_input", "cached_image_input_tokens", &TokenPrices::cached_image_input,
     &LlmUsage::cached_image_input_tokens},
}};

const TypeInfo& info(TokenType type) noexcept { return type_info[static_cast<std::size_t>(type)]; }

// 10^6 per token, at most 18 fractional digits: a price times a count up to 10^12 stays
// under 10^36, and eleven of them add up within a Decimal's 38 digits.
const Decimal max_token_price{1'000'000};
constexpr int max_token_price_scale = 18;

void checkPrice(const std::optional<Decimal>& price, const std::string& field) {
    if (!price) return;
    if (price->isNegative()) throw ValidationError(field, "a price must not be negative");
    if (*price > max_token_price) throw ValidationError(field, "a price above 1000000 per token or request");
    if (price->significantScale() > max_token_price_scale) {
        throw ValidationError(field, fmt::format("more than {} fractional digits", max_token_price_scale));
    }
}

// Seconds of a minimum or an increment: up to a day, to the microsecond.
const Decimal max_voice_seconds{86'400};

void checkSeconds(const Decimal& seconds, const std::string& field) {
    if (seconds.isNegative()) throw ValidationError(field, "must not be negative");
    if (seconds > max_voice_seconds) throw ValidationError(field, "above 86400 seconds (a day)");
    if (seconds.significantScale() > detail::max_seconds_scale) {
        throw ValidationError(field, fmt::format("more than {} fractional digits", detail::max_seconds_scale));
    }
}

// A source's URL: what a name may hold, up to 2048 bytes.
bool isValidUrl(std::string_view url) noexcept {
    constexpr std::size_t max_url_bytes = 2048;
    if (url.empty() || url.size() > max_url_bytes || !detail::isValidUtf8(url)) return false;
    return std::none_of(url.begin(), url.end(),
                        [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; });
}

void checkPrices(const TokenPrices& prices, const std::string& path) {
    for (const TypeInfo& t : type_info) checkPrice(prices.*t.price, path + "." + std::string(t.name));
    checkPrice(prices.per_request, path + ".per_request");
}

Timestamp startOf(date::sys_days day) noexcept { return Timestamp(day); }

std::string dayText(date::sys_days day) { return date::format("%F", day); }

bool isDigit(char c) noexcept { return c >= '0' && c <= '9'; }

// "gpt-4o-2024-08-06" → "gpt-4o"; nothing if the name has no -YYYY-MM-DD tail.
std::optional<std::string_view> withoutDateSuffix(std::string_view model) noexcept {
    constexpr std::size_t tail = 11;  // "-YYYY-MM-DD"
    if (model.size() <= tail) return std::nullopt;
    const std::string_view end = model.substr(model.size() - tail);
    for (std::size_t i = 0; i < tail; ++i) {
        const bool dash = i == 0 || i == 5 || i == 8;
        if (dash ? end[i] != '-' : !isDigit(end[i])) return std::nullopt;
    }
    return model.substr(0, model.size() - tail);
}

// ---- JSON -----------------------------------------------------------------------------

// How many tokens a price is per: "1" (or 1), "1K" (1000), "1M" (1000000); the result is
// the multiplier that turns the written price into a per-token price, exactly.
Decimal perScale(const Json& value, const std::string& field) {
    std::string text;
    if (value.is_number_unsigned()) {
        text = std::to_string(value.get<std::uint64_t>());
    } else if (value.is_string() && !detail::isExactNumber(value)) {
        text = value.get<std::string>();
    } else {
        throw ValidationError(field, "must be \"1\", \"1K\" or \"1M\"");
    }
    if (text == "1") return Decimal(1);
    if (text == "1K" || text == "1000") return Decimal::fromMantissa(1, 3);
    if (text == "1M" || text == "1000000") return Decimal::fromMantissa(1, 6);
    throw ValidationError(field, "must be \"1\", \"1K\" or \"1M\" (tokens a price is for)");
}

Decimal readPrice(const Json& value, const Decimal& per, const std::string& field) {
    if (!value.is_number() && !value.is_string()) throw ValidationError(field, "must be a decimal number");
    const Decimal written = detail::readDecimal(value, field);
    if (written.isNegative()) throw ValidationError(field, "a price must not be negative");
    try {
        return (written * per).normalized();
    } catch (const ArithmeticError&) {
        throw ValidationError(field, "too many digits for a per-token price");
    }
}

TokenPrices readPrices(const Json& json, const Decimal& per, const std::string& at) {
    TokenPrices prices;
    for (const TypeInfo& t : type_info) {
        const std::string name(t.name);
        if (json.contains(name)) prices.*t.price = readPrice(json[name], per, at + "." + name);
    }
    if (json.contains("per_request")) {
        prices.per_request = readPrice(json["per_request"], Decimal(1), at + ".per_request");
    }
    return prices;
}

Decimal readSeconds(const Json& value, const std::string& field) {
    if (!value.is_number() && !value.is_string()) throw ValidationError(field, "must be a decimal number of seconds");
    const Decimal seconds = detail::readDecimal(value, field).normalized();
    checkSeconds(seconds, field);
    return seconds;
}

PriceSource readSource(const Json& json, const std::string& at) {
    requireObject(json, at);
    onlyKeys(json, {"url", "taken"}, at);
    if (!json.contains("url")) throw ValidationError(at + ".url", "missing (the page the prices were read on)");
    if (!json.contains("taken")) throw ValidationError(at + ".taken", "missing (the day the prices were read)");
    PriceSource source;
    source.url = readString(json["url"], at + ".url");
    if (!isValidUrl(source.url)) {
        throw ValidationError(at + ".url", "must be 1-2048 bytes of UTF-8 without control characters");
    }
    const auto day = detail::parseIsoDate(readString(json["taken"], at + ".taken"));
    if (!day) throw ValidationError(at + ".taken", "must be a date written YYYY-MM-DD");
    source.taken = date::sys_days(*day);
    return source;
}

std::int64_t readThreshold(const Json& value, const std::string& field) {
    if (value.is_number_unsigned()) {
        const auto v = value.get<std::uint64_t>();
        if (v <= static_cast<std::uint64_t>(max_llm_count)) return static_cast<std::int64_t>(v);
    }
    throw ValidationError(field, "must be a whole number of tokens from 0 to 10^12");
}

RateCardEntry readEntry(const std::string& provider, const std::string& model, const Json& json,
                        const std::string& at) {
    requireObject(json, at);
    onlyKeys(json,
             {"from",
              "per",
              "reasoning_as_output",
              "long_context",
              "input",
              "cached_input",
              "cache_write",
              "cache_write_1h",
              "output",
              "reasoning",
              "audio_input",
              "cached_audio_input",
              "audio_output",
              "image_input",
              "cached_image_input",
              "per_request",
              "per_second",
              "minimum_seconds",
              "billing_increment_seconds",
              "per_character",
              "source"},
             at);
    RateCardEntry entry;
    entry.provider = provider;
    entry.model = model;
    if (!json.contains("from")) throw ValidationError(at + ".from", "missing (the day the prices apply from)");
    const auto day = detail::parseIsoDate(readString(json["from"], at + ".from"));
    if (!day) throw ValidationError(at + ".from", "must be a date written YYYY-MM-DD");
    entry.effective_from = date::sys_days(*day);
    const Decimal per = json.contains("per") ? perScale(json["per"], at + ".per") : Decimal(1);
    entry.rates.prices = readPrices(json, per, at);
    if (json.contains("per_second")) {
        entry.rates.per_second = readPrice(json["per_second"], Decimal(1), at + ".per_second");
    }
    if (json.contains("per_character")) {
        entry.rates.per_character = readPrice(json["per_character"], per, at + ".per_character");
    }
    if (json.contains("minimum_seconds")) {
        entry.rates.minimum_seconds = readSeconds(json["minimum_seconds"], at + ".minimum_seconds");
    }
    if (json.contains("billing_increment_seconds")) {
        entry.rates.billing_increment_seconds =
            readSeconds(json["billing_increment_seconds"], at + ".billing_increment_seconds");
    }
    if (json.contains("source")) entry.source = readSource(json["source"], at + ".source");
    if (json.contains("reasoning_as_output")) {
        if (!json["reasoning_as_output"].is_boolean()) {
            throw ValidationError(at + ".reasoning_as_output", "must be true or false");
        }
        entry.rates.reasoning_as_output = json["reasoning_as_output"].get<bool>();
    }
    if (json.contains("long_context")) {
        const Json& tiers = json["long_context"];
        if (!tiers.is_array()) throw ValidationError(at + ".long_context", "must be an array");
        for (std::size_t i = 0; i < tiers.size(); ++i) {
            const std::string tier_at = at + ".long_context[" + std::to_string(i) + "]";
            requireObject(tiers[i], tier_at);
            onlyKeys(tiers[i],
                     {"above", "input", "cached_input", "cache_write", "cache_write_1h", "output", "reasoning",
                      "audio_input", "cached_audio_input", "audio_output", "image_input", "cached_image_input",
                      "per_request"},
                     tier_at);
            if (!tiers[i].contains("above")) throw ValidationError(tier_at + ".above", "missing");
            LongContextTier tier;
            tier.above_input_tokens = readThreshold(tiers[i]["above"], tier_at + ".above");
            tier.prices = readPrices(tiers[i], per, tier_at);
            entry.rates.long_context.push_back(std::move(tier));
        }
    }
    entry.rates.validate(at);
    return entry;
}

Json writePrices(const TokenPrices& prices, Json json) {
    for (const TypeInfo& t : type_info) {
        if (const auto& price = prices.*t.price) json[std::string(t.name)] = detail::exactNumber(*price);
    }
    if (prices.per_request) json["per_request"] = detail::exactNumber(*prices.per_request);
    return json;
}

using detail::modelKey;

std::string modelPath(std::string_view key) { return "models[\"" + detail::clipped(key) + "\"]"; }

[[noreturn]] void unpriced(const LlmUsage& usage, TokenType type, const RateCardEntry& entry, bool tier) {
    throw ValidationError(info(type).usage_field,
                          fmt::format("{} has no {} price for {} (from {}){}", detail::quoted(usage.model),
                                      info(type).name, detail::quoted(modelKey(entry.provider, entry.model)),
                                      dayText(entry.effective_from), tier ? " in its long-context tier" : ""));
}

}  // namespace

std::string_view toString(TokenType type) noexcept { return info(type).name; }
std::string_view usageField(TokenType type) noexcept { return info(type).usage_field; }
std::int64_t tokenCount(const LlmUsage& usage, TokenType type) noexcept { return usage.*info(type).count; }

std::optional<TokenType> parentType(TokenType type) noexcept {
    switch (type) {
        case TokenType::cached_input:
        case TokenType::cache_write:
        case TokenType::audio_input:
        case TokenType::image_input:
            return TokenType::input;
        case TokenType::cache_write_1h:
            return TokenType::cache_write;
        case TokenType::cached_audio_input:
            return TokenType::audio_input;
        case TokenType::cached_image_input:
            return TokenType::image_input;
        case TokenType::reasoning:
        case TokenType::audio_output:
            return TokenType::output;
        case TokenType::input:
        case TokenType::output:
            break;
    }
    return std::nullopt;
}

const std::optional<Decimal>& TokenPrices::price(TokenType type) const noexcept { return this->*info(type).price; }
std::optional<Decimal>& TokenPrices::price(TokenType type) noexcept { return this->*info(type).price; }

const TokenPrices& ModelRates::pricesFor(std::int64_t input_tokens) const noexcept {
    // The highest threshold strictly below the input: thresholds increase.
    const auto passed = std::partition_point(long_context.begin(), long_context.end(), [&](const LongContextTier& t) {
        return t.above_input_tokens < input_tokens;
    });
    return passed == long_context.begin() ? prices : std::prev(passed)->prices;
}

Decimal ModelRates::billedSeconds(const Decimal& seconds) const {
    Decimal billed = max(seconds, minimum_seconds);
    if (billing_increment_seconds && billed.signum() > 0) {
        billed = ceilDivide(billed, *billing_increment_seconds) * *billing_increment_seconds;
    }
    return billed.normalized();
}

void ModelRates::validate(const std::string& path) const {
    checkPrices(prices, path);
    checkPrice(per_second, path + ".per_second");
    checkPrice(per_character, path + ".per_character");
    checkSeconds(minimum_seconds, path + ".minimum_seconds");
    if (!minimum_seconds.isZero() && !per_second) {
        throw ValidationError(path + ".minimum_seconds", "a minimum without a per_second price");
    }
    if (billing_increment_seconds) {
        const std::string field = path + ".billing_increment_seconds";
        if (billing_increment_seconds->signum() <= 0) {
            throw ValidationError(field, "must be above 0 (leave it out to bill the seconds as measured)");
        }
        checkSeconds(*billing_increment_seconds, field);
        if (!per_second) throw ValidationError(field, "an increment without a per_second price");
    }
    for (std::size_t i = 0; i < long_context.size(); ++i) {
        const std::string at = path + ".long_context[" + std::to_string(i) + "]";
        const std::int64_t above = long_context[i].above_input_tokens;
        if (above < 0 || above > max_llm_count) {
            throw ValidationError(at + ".above", "must be a whole number of tokens from 0 to 10^12");
        }
        if (i > 0 && above <= long_context[i - 1].above_input_tokens) {
            throw ValidationError(at + ".above", "thresholds must increase");
        }
        checkPrices(long_context[i].prices, at);
    }
}

// ---- RateCard -------------------------------------------------------------------------

namespace {

// A name folded into `h` eight bytes at a time, its length last (so "ab"+"c" and "a"+"bc"
// differ). Every priced call hashes its provider and model: std::hash's two byte-wise
// passes were half of the lookup's instructions. The table is built from the card alone,
// so a caller's names cannot flood it.
std::uint64_t foldName(std::uint64_t h, std::string_view name) noexcept {
    constexpr std::uint64_t k = 0x9E3779B97F4A7C15ULL;
    std::size_t at = 0;
    for (; at + 8 <= name.size(); at += 8) {
        std::uint64_t word;
        std::memcpy(&word, name.data() + at, 8);
        h = (h ^ word) * k;
        h ^= h >> 29;
    }
    std::uint64_t tail = 0;  // the last (overlapping) word, or a short name's bytes
    if (name.size() >= 8) {
        if (at < name.size()) std::memcpy(&tail, name.data() + name.size() - 8, 8);
    } else {
        for (std::size_t i = 0; i < name.size(); ++i)
            tail |= std::uint64_t{static_cast<unsigned char>(name[i])} << (8 * i);
    }
    h = (h ^ tail) * k;
    h = (h ^ name.size()) * k;
    return h ^ (h >> 32);
}

}  // namespace

std::size_t RateCard::KeyHash::operator()(const KeyView& key) const noexcept {
    return foldName(foldName(0, key.provider), key.model);
}
std::size_t RateCard::KeyHash::operator()(const Key& key) const noexcept {
    return (*this)(KeyView{key.provider, key.model});
}
bool RateCard::KeyEqual::operator()(const Key& a, const Key& b) const noexcept {
    return a.provider == b.provider && a.model == b.model;
}
bool RateCard::KeyEqual::operator()(const KeyView& a, const Key& b) const noexcept {
    return a.provider == b.provider && a.model == b.model;
}
bool RateCard::KeyEqual::operator()(const Key& a, const KeyView& b) const noexcept {
    return a.provider == b.provider && a.model == b.model;
}

RateCard::RateCard() = default;

RateCard::RateCard(std::vector<RateCardEntry> entries, std::vector<RateCardAlias> aliases, bool strip_date_suffix)
    : entries_(std::move(entries)), aliases_(std::move(aliases)), strip_date_suffix_(strip_date_suffix) {
    index();
}

void RateCard::index() {
    std::stable_sort(entries_.begin(), entries_.end(), [](const RateCardEntry& a, const RateCardEntry& b) {
        return std::tie(a.provider, a.model, a.effective_from) < std::tie(b.provider, b.model, b.effective_from);
    });
    models_.clear();
    alias_slots_.clear();
    starts_.clear();
    starts_.reserve(entries_.size());
    for (std::size_t i = 0; i < entries_.size(); ++i) {
        const RateCardEntry& e = entries_[i];
        const std::string path = modelPath(modelKey(e.provider, e.model));
        if (!isValidName(e.provider) || e.provider.find('/') != std::string::npos) {
            throw ValidationError(path, "a provider must be 1-256 bytes of UTF-8 without control characters or '/'");
        }
        if (!isValidName(e.model)) {
            throw ValidationError(path, "a model name must be 1-256 bytes of UTF-8 without control characters");
        }
        e.rates.validate(path + "[" + dayText(e.effective_from) + "]");
        if (e.source && !isValidUrl(e.source->url)) {
            throw ValidationError(path + "[" + dayText(e.effective_from) + "].source.url",
                                  "must be 1-2048 bytes of UTF-8 without control characters");
        }
        starts_.push_back(startOf(e.effective_from));
        auto [slot, fresh] = models_.try_emplace(Key{e.provider, e.model}, Slot{i, 0});
        if (!fresh && entries_[i - 1].effective_from == e.effective_from) {
            throw ValidationError(path, "two prices from " + dayText(e.effective_from));
        }
        ++slot->second.count;
    }
    for (const RateCardAlias& a : aliases_) {
        const std::string path = "aliases[\"" + detail::clipped(modelKey(a.provider, a.alias)) + "\"]";
        if (!isValidName(a.alias) || !isValidName(a.provider)) {
            throw ValidationError(path,
                                  "an alias and its provider must be 1-256 bytes of UTF-8 without control characters");
        }
        if (a.alias == a.model) throw ValidationError(path, "an alias must not name itself");
        if (slot(a.provider, a.alias) != nullptr) throw ValidationError(path, "the card has a model of this name");
        const auto target = models_.find(KeyView{a.provider, a.model});
        if (target == models_.end()) {
            throw ValidationError(path, detail::quoted(a.model) + " is not a model of the card");
        }
        if (!alias_slots_.try_emplace(Key{a.provider, a.alias}, target->second).second) {
            throw ValidationError(path, "defined twice");
        }
    }
}

bool RateCard::isValidName(std::string_view name) noexcept {
    constexpr std::size_t max_name_bytes = 256;
    if (name.empty() || name.size() > max_name_bytes || !detail::isValidUtf8(name)) return false;
    return std::none_of(name.begin(), name.end(),
                        [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; });
}

const RateCard::Slot* RateCard::slot(std::string_view provider, std::string_view model) const noexcept {
    if (const auto found = models_.find(KeyView{provider, model}); found != models_.end()) return &found->second;
    if (const auto found = alias_slots_.find(KeyView{provider, model}); found != alias_slots_.end()) {
        return &found->second;
    }
    return nullptr;
}

const RateCardEntry* RateCard::findEntry(std::string_view provider, std::string_view model,
                                         Timestamp at) const noexcept {
    const Slot* found = slot(provider, model);
    if (found == nullptr && strip_date_suffix_) {
        if (const auto base = withoutDateSuffix(model)) found = slot(provider, *base);
    }
    if (found == nullptr) return nullptr;
    const auto first = starts_.begin() + static_cast<std::ptrdiff_t>(found->first);
    const auto last = first + static_cast<std::ptrdiff_t>(found->count);
    const auto after = std::upper_bound(first, last, at);  // the first start later than `at`
    if (after == first) return nullptr;                    // before the model's first price
    return &entries_[static_cast<std::size_t>(after - starts_.begin()) - 1];
}

const ModelRates* RateCard::find(std::string_view provider, std::string_view model, Timestamp at) const noexcept {
    const RateCardEntry* entry = findEntry(provider, model, at);
    return entry == nullptr ? nullptr : &entry->rates;
}

RateCard RateCard::fromJson(std::string_view json_text) {
    if (json_text.size() > max_json_bytes) {
        throw ValidationError("rate card", fmt::format("JSON text of {} bytes is longer than the limit of {}",
                                                       json_text.size(), max_json_bytes));
    }
    const Json json = detail::parseExactJson(json_text, "rate card", max_json_depth);
    requireObject(json, "rate card");
    onlyKeys(json, {"models", "aliases", "strip_date_suffix"}, "rate card");
    std::vector<RateCardEntry> entries;
    if (!json.contains("models")) throw ValidationError("models", "missing");
    for (const auto& [key, model] : requireObject(json["models"], "models").items()) {
        const std::string at = modelPath(key);
        const std::size_t slash = key.find('/');
        if (slash == std::string::npos || slash == 0 || slash + 1 == key.size()) {
            throw ValidationError(at, "a model key is \"provider/model\"");
        }
        const std::string provider = key.substr(0, slash);
        const std::string name = key.substr(slash + 1);
        requireObject(model, at);
        onlyKeys(model, {"prices"}, at);
        if (!model.contains("prices") || !model["prices"].is_array() || model["prices"].empty()) {
            throw ValidationError(at + ".prices", "missing array of dated prices");
        }
        const Json& prices = model["prices"];
        for (std::size_t i = 0; i < prices.size(); ++i) {
            const std::string entry_at = at + ".prices[" + std::to_string(i) + "]";
            RateCardEntry entry = readEntry(provider, name, prices[i], entry_at);
            if (i > 0 && entry.effective_from <= entries.back().effective_from) {
                throw ValidationError(entry_at + ".from", "dates must be strictly increasing");
            }
            entries.push_back(std::move(entry));
        }
    }
    std::vector<RateCardAlias> aliases;
    if (json.contains("aliases")) {
        for (const auto& [key, target] : requireObject(json["aliases"], "aliases").items()) {
            const std::string at = "aliases[\"" + detail::clipped(key) + "\"]";
            const std::size_t slash = key.find('/');
            if (slash == std::string::npos || slash == 0 || slash + 1 == key.size()) {
                throw ValidationError(at, "an alias key is \"provider/alias\"");
            }
            aliases.push_back({key.substr(0, slash), key.substr(slash + 1), readString(target, at)});
        }
    }
    bool strip = false;
    if (json.contains("strip_date_suffix")) {
        if (!json["strip_date_suffix"].is_boolean())
            throw ValidationError("strip_date_suffix", "must be true or false");
        strip = json["strip_date_suffix"].get<bool>();
    }
    return RateCard(std::move(entries), std::move(aliases), strip);
}

std::string RateCard::toJson() const {
    Json models = Json::object();
    for (const RateCardEntry& e : entries_) {
        Json entry = Json::object();
        entry["from"] = dayText(e.effective_from);
        entry["per"] = "1";
        entry = writePrices(e.rates.prices, std::move(entry));
        if (e.rates.reasoning_as_output) entry["reasoning_as_output"] = true;
        if (e.rates.per_second) entry["per_second"] = detail::exactNumber(*e.rates.per_second);
        if (!e.rates.minimum_seconds.isZero()) entry["minimum_seconds"] = detail::exactNumber(e.rates.minimum_seconds);
        if (e.rates.billing_increment_seconds) {
            entry["billing_increment_seconds"] = detail::exactNumber(*e.rates.billing_increment_seconds);
        }
        if (e.rates.per_character) entry["per_character"] = detail::exactNumber(*e.rates.per_character);
        if (e.source) entry["source"] = Json{{"url", e.source->url}, {"taken", dayText(e.source->taken)}};
        if (!e.rates.long_context.empty()) {
            Json tiers = Json::array();
            for (const LongContextTier& tier : e.rates.long_context) {
                tiers.push_back(writePrices(tier.prices, Json{{"above", tier.above_input_tokens}}));
            }
            entry["long_context"] = std::move(tiers);
        }
        Json& model = models[modelKey(e.provider, e.model)];
        if (model.is_null()) model = Json{{"prices", Json::array()}};
        model["prices"].push_back(std::move(entry));
    }
    Json aliases = Json::object();
    for (const RateCardAlias& a : aliases_) aliases[modelKey(a.provider, a.alias)] = a.model;
    return detail::dumpExact(
        Json{{"strip_date_suffix", strip_date_suffix_}, {"aliases", std::move(aliases)}, {"models", std::move(models)}},
        2);
}

const RateCard& RateCard::standard() {
    static const RateCard card = fromJson(detail::standardRateCardJson());
    return card;
}

RateCard RateCard::overlay(const RateCard& overrides) const {
    std::vector<RateCardEntry> entries;
    entries.reserve(entries_.size() + overrides.entries_.size());
    for (const RateCardEntry& e : entries_) {
        if (overrides.slot(e.provider, e.model) == nullptr) entries.push_back(e);  // its model or alias wins
    }
    entries.insert(entries.end(), overrides.entries_.begin(), overrides.entries_.end());
    std::vector<RateCardAlias> aliases;
    for (const RateCardAlias& a : aliases_) {
        // An override's alias or model of the same name wins.
        if (overrides.slot(a.provider, a.alias) != nullptr) continue;
        RateCardAlias kept = a;
        // A model the overrides turned into an alias: this alias follows it to its model.
        const auto moved =
            std::find_if(overrides.aliases_.begin(), overrides.aliases_.end(),
                         [&](const RateCardAlias& o) { return o.provider == a.provider && o.alias == a.model; });
        if (moved != overrides.aliases_.end()) kept.model = moved->model;
        aliases.push_back(std::move(kept));
    }
    aliases.insert(aliases.end(), overrides.aliases_.begin(), overrides.aliases_.end());
    return RateCard(std::move(entries), std::move(aliases), strip_date_suffix_ || overrides.strip_date_suffix_);
}

// ---- pricing --------------------------------------------------------------------------

std::string detail::modelKey(std::string_view provider, std::string_view model) {
    std::string key(provider);
    key += '/';
    key += model;
    return key;
}

const RateCardEntry& detail::pricingEntry(const RateCard& card, std::string_view provider, std::string_view model,
                                          Timestamp at, const PricingFallback& fallback, bool& fallback_used) {
    const RateCardEntry* entry = card.findEntry(provider, model, at);
    if (entry == nullptr && fallback.fallback_model) {
        const std::string_view fallback_provider =
            fallback.fallback_provider ? std::string_view(*fallback.fallback_provider) : provider;
        entry = card.findEntry(fallback_provider, *fallback.fallback_model, at);
        fallback_used = entry != nullptr;
    }
    if (entry == nullptr) {
        throw ValidationError(
            "model", fmt::format("the rate card has no price for {} on {}", detail::quoted(modelKey(provider, model)),
                                 date::format("%FT%TZ", at)));
    }
    return *entry;
}

bool LlmCost::usedFallback() const noexcept {
    return fallback_model || std::find(parent_rate.begin(), parent_rate.end(), true) != parent_rate.end();
}

LlmCost priceLlmCall(const RateCard& card, const LlmUsage& usage, Timestamp at, const PricingFallback& fallback) {
    usage.validate();
    LlmCost cost;
    const RateCardEntry& entry =
        detail::pricingEntry(card, usage.provider, usage.model, at, fallback, cost.fallback_model);
    cost.provider = entry.provider;
    cost.model = entry.model;
    cost.effective_from = entry.effective_from;
    const ModelRates& rates = entry.rates;
    const std::int64_t input = usage.inputTokenTotal();
    const TokenPrices& prices = rates.pricesFor(input);
    const bool tier = &prices != &rates.prices;
    if (tier) {
        const auto passed =
            std::partition_point(rates.long_context.begin(), rates.long_context.end(),
                                 [&](const LongContextTier& t) { return t.above_input_tokens < input; });
        cost.long_context_above = std::prev(passed)->above_input_tokens;
    }
    for (const TypeInfo& t : type_info) {
        const std::int64_t count = usage.*t.count;
        if (count == 0) continue;
        const std::optional<Decimal>* price = &(prices.*t.price);
        if (!price->has_value() && t.type == TokenType::reasoning && rates.reasoning_as_output &&
            prices.output.has_value()) {
            price = &prices.output;
            cost.reasoning_at_output_rate = true;
        }
        if (!price->has_value() && fallback.parent_rates) {
            for (auto parent = parentType(t.type); parent && !price->has_value(); parent = parentType(*parent)) {
                price = &prices.price(*parent);
            }
            if (price->has_value()) cost.parent_rate[static_cast<std::size_t>(t.type)] = true;
        }
        if (!price->has_value()) unpriced(usage, t.type, entry, tier);
        const Decimal amount = **price * Decimal(count);
        cost.tokens[static_cast<std::size_t>(t.type)] = amount;
        cost.total += amount;
    }
    if (prices.per_request) {
        cost.per_request = *prices.per_request * Decimal(usage.request_count);
        cost.total += cost.per_request;
    }
    return cost;
}

}  // namespace metered
