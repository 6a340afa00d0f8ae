// SPDX-License-Identifier: MIT
// Pricing LLM calls side by side with @pydantic/genai-prices (JavaScript, run under node
// in the same run): the same usages at the same per-token prices, ns per call on each
// side, and each cost to the digit. The package is bench-only: scripts/bench.sh installs
// the version pinned in bench/genai_prices/package.json into build/bench/genai_prices.
// No database.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <metered/metered.h>
#include <set>
#include <string>
#include <unistd.h>
#include <vector>

#include "sections.h"

namespace metered::bench {
namespace {

using Steady = std::chrono::steady_clock;
using nlohmann::json;

/// One priced call, counted disjointly as in LlmUsage; `day` fixes the instant (12:00 UTC)
/// at which both sides look up the price, so the run does not depend on today's date.
struct GenaiUsage {
    const char* provider;
    const char* model;
    date::sys_days day;
    std::int64_t input = 0, cached = 0, cache_write = 0, cache_write_1h = 0, output = 0;
};

using namespace date::literals;
// Anthropic cache reads and writes (5-minute and 1-hour), OpenAI cached input, Gemini
// long-context tiers; several of these totals are not the nearest double in JS.
const GenaiUsage usages[] = {
    {"anthropic", "claude-sonnet-4-20250514", 2025_y / 6 / 1, 5, 0, 4735, 0, 255},
    {"anthropic", "claude-sonnet-4-20250514", 2025_y / 6 / 1, 12, 18230, 412, 0, 873},
    {"anthropic", "claude-3-5-haiku-20241022", 2025_y / 6 / 1, 3, 9541, 1207, 0, 311},
    {"anthropic", "claude-opus-4-1-20250805", 2025_y / 9 / 1, 27, 40211, 600, 2048, 1530},
    {"openai", "gpt-4o", 2025_y / 6 / 1, 210, 1024, 0, 0, 321},
    {"openai", "gpt-4o-mini", 2025_y / 6 / 1, 1000, 0, 0, 0, 100},
    {"openai", "gpt-4o-mini", 2025_y / 6 / 1, 457, 2304, 0, 0, 187},
    {"openai", "gpt-4.1", 2025_y / 6 / 1, 1337, 6144, 0, 0, 512},
    {"openai", "gpt-4.1-nano", 2025_y / 6 / 1, 777, 1280, 0, 0, 33},
    {"openai", "o3-mini", 2025_y / 6 / 1, 3000, 1000, 0, 0, 7000},
    {"google", "gemini-1.5-pro", 2025_y / 6 / 1, 300001, 0, 0, 0, 123},
    {"google", "gemini-2.5-pro", 2025_y / 6 / 1, 250000, 0, 0, 0, 777},
    {"google", "gemini-2.0-flash", 2025_y / 6 / 1, 4321, 0, 0, 0, 77},
};

Timestamp instant(const GenaiUsage& u) { return Timestamp(u.day) + std::chrono::hours(12); }

LlmUsage toLlmUsage(const GenaiUsage& u) {
    LlmUsage usage;
    usage.provider = u.provider;
    usage.model = u.model;
    usage.input_tokens = u.input;
    usage.cached_input_tokens = u.cached;
    usage.cache_write_tokens = u.cache_write;
    usage.cache_write_1h_tokens = u.cache_write_1h;
    usage.output_tokens = u.output;
    return usage;
}

std::string describe(const GenaiUsage& u) {
    std::string text = fmt::format("{}/{} in {}", u.provider, u.model, u.input);
    if (u.cached != 0) text += fmt::format(" cached {}", u.cached);
    if (u.cache_write != 0) text += fmt::format(" cw {}", u.cache_write);
    if (u.cache_write_1h != 0) text += fmt::format(" cw1h {}", u.cache_write_1h);
    return text + fmt::format(" out {}", u.output);
}

// genai-prices' price keys (per million tokens) and the rate card's fields they fill.
const std::map<std::string, std::string> price_fields = {{"input_mtok", "input"},
                                                         {"cache_read_mtok", "cached_input"},
                                                         {"cache_write_mtok", "cache_write"},
                                                         {"cache_write_1h_mtok", "cache_write_1h"},
                                                         {"output_mtok", "output"}};

/// genai-prices' model_price as a rate-card entry, every price the text JS printed (read
/// exactly, per 1M). genai-prices tiers each price on its own (a tier applies when the
/// request's input tokens are strictly above its start, as metered's `above`); the card's
/// tiers are full price sets, so there is one at every start any price has.
json toCardEntry(const json& prices) {
    json entry = {{"from", "2000-01-01"}, {"per", "1M"}};
    std::set<std::int64_t> starts;
    for (const auto& [key, price] : prices.items()) {
        if (key == "requests_kcount") throw std::runtime_error("a per-request price is not mapped by this bench");
        if (!price_fields.contains(key)) continue;  // audio, web searches, …: no usage of them here
        if (price.is_string()) {
            entry[price_fields.at(key)] = price;
        } else {
            entry[price_fields.at(key)] = price.at("base");
            for (const auto& tier : price.at("tiers")) starts.insert(tier.at("start").get<std::int64_t>());
        }
    }
    for (const auto start : starts) {
        json tier = {{"above", start}};
        for (const auto& [key, price] : prices.items()) {
            if (!price_fields.contains(key)) continue;
            json chosen = price.is_string() ? price : price.at("base");
            if (!price.is_string()) {
                for (const auto& t : price.at("tiers")) {
                    if (t.at("start").get<std::int64_t>() <= start) chosen = t.at("price");
                }
            }
            tier[price_fields.at(key)] = chosen;
        }
        entry["long_context"].push_back(tier);
    }
    return entry;
}

/// How JS's digits compare with the exact cost.
std::string compareDigits(const Decimal& exact, const std::string& js) {
    const std::string exact_text = exact.toPlainString();
    const auto js_decimal = Decimal::tryParse(js);  // JS writes 1e-7 and below with an exponent
    if (js_decimal && *js_decimal == exact) return "same digits";
    const double js_value = std::strtod(js.c_str(), nullptr);
    const double nearest = std::strtod(exact_text.c_str(), nullptr);  // the double nearest the exact value
    const auto distance = std::bit_cast<std::int64_t>(js_value) - std::bit_cast<std::int64_t>(nearest);
    if (distance == 0) return "JS shows the nearest double (exact value needs more than 17 digits)";
    if (std::llabs(distance) <= 16) {
        return fmt::format("JS float noise: {} ulp {} the exact value", std::llabs(distance),
                           distance > 0 ? "above" : "below");
    }
    return fmt::format("DIFFERS in value: JS is {:+.3g} relative", (js_value - nearest) / nearest);
}

std::string quoted(const std::string& text) { return "'" + text + "'"; }

/// Runs `command`, returning its stdout and exit status.
std::pair<std::string, int> run(const std::string& command) {
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) return {"", -1};
    std::string out;
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, n);
    const int status = ::pclose(pipe);
    return {out, status};
}

void skip(Report& report, const std::string& why) {
    report.add({"genai", "metered vs @pydantic/genai-prices (node)", "skipped", why, ">= 40x faster", ""});
}

}  // namespace

void genai(Report& report, const Options& options) {
    namespace fs = std::filesystem;
    const fs::path modules = options.genai_node_modules;
    const fs::path script = options.genai_script;
    if (std::system("command -v node >/dev/null 2>&1") != 0) {
        return skip(report, "node is not installed (scripts/bench.sh installs it with Debian's nodejs)");
    }
    if (!fs::exists(modules / "@pydantic" / "genai-prices" / "package.json")) {
        return skip(report, fmt::format("@pydantic/genai-prices is not installed in {} (scripts/bench.sh runs npm ci "
                                        "--prefix build/bench/genai_prices)",
                                        modules.string()));
    }
    if (!fs::exists(script)) return skip(report, fmt::format("{} not found", script.string()));

    // The usages, for node.
    json list = json::array();
    for (const auto& u : usages) {
        list.push_back({{"provider", u.provider},
                        {"model", u.model},
                        {"at", date::format("%FT12:00:00Z", u.day)},
                        {"input_tokens", u.input},
                        {"cached_input_tokens", u.cached},
                        {"cache_write_tokens", u.cache_write},
                        {"cache_write_1h_tokens", u.cache_write_1h},
                        {"output_tokens", u.output}});
    }
    const fs::path usages_file = fs::temp_directory_path() / fmt::format("metered-genai-usages-{}.json", ::getpid());
    std::ofstream(usages_file) << list.dump();
    const auto [out, status] = run(fmt::format("node {} {} {} {}", quoted(script.string()), quoted(modules.string()),
                                               quoted(usages_file.string()), options.genai_js_iterations));
    fs::remove(usages_file);
    if (status != 0) return skip(report, fmt::format("node {} failed (status {})", script.string(), status));
    const json js = json::parse(out);
    const auto& results = js.at("results");

    // One rate card of the prices genai-prices used, as JS printed them.
    json models = json::object();
    for (std::size_t i = 0; i < std::size(usages); ++i) {
        const auto& r = results.at(i);
        if (r.contains("error")) {
            return skip(report, fmt::format("{}: {}", usages[i].model, r.at("error").get<std::string>()));
        }
        const std::string key = fmt::format("{}/{}", usages[i].provider, usages[i].model);
        const json entry = toCardEntry(r.at("prices"));
        if (models.contains(key) && models[key]["prices"][0] != entry) {
            throw std::runtime_error(key + ": genai-prices used two price sets in one run");
        }
        models[key] = {{"prices", json::array({entry})}};
    }
    const RateCard card = RateCard::fromJson(json{{"models", models}}.dump());

    // metered: the same usage repeated, as node times it.
    std::vector<double> metered_ns;
    std::vector<LlmCost> costs;
    std::size_t sink = 0;  // keeps the loops' results alive
    for (const auto& u : usages) {
        const LlmUsage usage = toLlmUsage(u);
        const Timestamp at = instant(u);
        for (std::size_t i = 0; i < options.genai_iterations / 10; ++i)
            sink += static_cast<std::size_t>(priceLlmCall(card, usage, at).total.scale());
        const auto start = Steady::now();
        for (std::size_t i = 0; i < options.genai_iterations; ++i)
            sink += static_cast<std::size_t>(priceLlmCall(card, usage, at).total.scale());
        metered_ns.push_back(std::chrono::duration<double, std::nano>(Steady::now() - start).count() /
                             static_cast<double>(options.genai_iterations));
        costs.push_back(priceLlmCall(card, usage, at));
    }
    if (sink == 0) fmt::print(stderr, "  (every cost was an integer)\n");

    double metered_sum = 0, js_sum = 0;
    std::size_t noise = 0, differ = 0;
    for (std::size_t i = 0; i < std::size(usages); ++i) {
        const auto& r = results.at(i);
        const double js_ns = r.at("ns_per_call").get<double>();
        metered_sum += metered_ns[i];
        js_sum += js_ns;
        const std::string js_total = r.at("total").get<std::string>();
        const std::string verdict_text = compareDigits(costs[i].total, js_total);
        noise += verdict_text.starts_with("JS float noise") ? 1 : 0;
        differ += verdict_text.starts_with("DIFFERS") ? 1 : 0;
        report.add({"genai", describe(usages[i]),
                    fmt::format("metered {}, JS {}", costs[i].total.toPlainString(), js_total),
                    fmt::format("{}; {:.0f} ns vs {:.0f} ns", verdict_text, metered_ns[i], js_ns), "", ""});
    }
    const double n = static_cast<double>(std::size(usages));
    const double ratio = js_sum / metered_sum;
    report.add({"genai",
                fmt::format("priceLlmCall, mean of {} usages x {} calls", std::size(usages), options.genai_iterations),
                fmt::format("{:.0f} ns/call", metered_sum / n), "exact decimals", "", ""});
    report.add({"genai",
                fmt::format("@pydantic/genai-prices {} calcPrice under node {}, x {} calls",
                            js.at("package").get<std::string>(), js.at("node").get<std::string>(),
                            js.at("iterations").get<std::size_t>()),
                fmt::format("{:.0f} ns/call", js_sum / n),
                fmt::format("binary floating point: {} of {} totals show float noise, {} differ in value", noise,
                            std::size(usages), differ),
                "", ""});
    report.add({"genai", "metered vs genai-prices, same usages and prices", fmt::format("{:.1f}x faster", ratio),
                "genai-prices ns / metered ns", ">= 40x faster, digits exact", verdict(ratio >= 40 && differ == 0)});
}

}  // namespace metered::bench
