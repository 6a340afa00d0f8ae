// SPDX-License-Identifier: MIT
#include "ai_billing_json.h"

#include "metered/errors.h"
#include "untrusted_text.h"

namespace metered::detail {
namespace {

// The token parts come first in UsagePart; `per` scales only them.
constexpr std::size_t token_part_count = 11;

// How many tokens a price is per: "1" (or 1), "1K" (1000), "1M" (1000000); the result is
// the multiplier that turns the written price into a per-token price, exactly.
Decimal perScale(const Json& value, const std::string& field) {
    std::string text;
    if (value.is_number_unsigned()) {
        text = std::to_string(value.get<std::uint64_t>());
    } else if (value.is_string() && !isExactNumber(value)) {
        text = value.get<std::string>();
    }
    if (text == "1") return Decimal(1);
    if (text == "1K" || text == "1000") return Decimal::fromMantissa(1, 3);
    if (text == "1M" || text == "1000000") return Decimal::fromMantissa(1, 6);
    throw ValidationError(field, "must be \"1\", \"1K\" or \"1M\" (tokens a price is for)");
}

Decimal readNumber(const Json& value, const std::string& field) {
    if (!value.is_number() && !value.is_string()) throw ValidationError(field, "must be a decimal number");
    return readDecimal(value, field);
}

void readPrices(const Json& json, ModelPricing& pricing, const std::string& at) {
    requireObject(json, at);
    onlyKeys(json,
             {"per", "input", "cached_input", "cache_write", "cache_write_1h", "output", "reasoning", "audio_input",
              "cached_audio_input", "audio_output", "image_input", "cached_image_input", "requests", "audio_seconds",
              "characters"},
             at);
    const Decimal per = json.contains("per") ? perScale(json["per"], at + ".per") : Decimal(1);
    for (std::size_t i = 0; i < usage_part_count; ++i) {
        const auto part = static_cast<UsagePart>(i);
        const std::string name(toString(part));
        if (!json.contains(name)) continue;
        const std::string field = at + "." + name;
        const Decimal written = readNumber(json[name], field);
        try {
            pricing.prices[i] = i < token_part_count ? (written * per).normalized() : written;
        } catch (const ArithmeticError&) {
            throw ValidationError(field, "too many digits for a per-token price");
        }
    }
}

}  // namespace

AiBilling readAiBilling(const Json& json, const std::string& at) {
    requireObject(json, at);
    onlyKeys(json, {"markup_percent", "included_amount", "models"}, at);
    AiBilling ai;
    if (json.contains("markup_percent")) ai.markup_percent = readNumber(json["markup_percent"], at + ".markup_percent");
    if (json.contains("included_amount")) {
        ai.included_amount = readNumber(json["included_amount"], at + ".included_amount");
    }
    if (!json.contains("models")) return ai;
    for (const auto& [key, model] : requireObject(json["models"], at + ".models").items()) {
        const std::string model_at = at + ".models[\"" + clipped(key) + "\"]";
        requireObject(model, model_at);
        onlyKeys(model, {"markup_percent", "prices"}, model_at);
        ModelPricing pricing;
        pricing.model = key;
        if (model.contains("markup_percent") && !model["markup_percent"].is_null()) {
            pricing.markup_percent = readNumber(model["markup_percent"], model_at + ".markup_percent");
        }
        if (model.contains("prices")) readPrices(model["prices"], pricing, model_at + ".prices");
        ai.models.push_back(std::move(pricing));
    }
    return ai;
}

Json writeAiBilling(const AiBilling& ai) {
    Json models = Json::object();
    for (const ModelPricing& pricing : ai.models) {
        Json model = Json::object();
        if (pricing.markup_percent) model["markup_percent"] = exactNumber(*pricing.markup_percent);
        Json prices = Json::object();
        for (std::size_t i = 0; i < usage_part_count; ++i) {
            if (pricing.prices[i])
                prices[std::string(toString(static_cast<UsagePart>(i)))] = exactNumber(*pricing.prices[i]);
        }
        if (!prices.empty()) model["prices"] = std::move(prices);
        models[pricing.model] = std::move(model);
    }
    return Json{{"markup_percent", exactNumber(ai.markup_percent)},
                {"included_amount", exactNumber(ai.included_amount)},
                {"models", std::move(models)}};
}

}  // namespace metered::detail
