// SPDX-License-Identifier: MIT
// plans: show and validate price books, and quote what given usage would cost on a plan:
// the tool to answer "what would this customer pay?".
//
//   plans show [--file plans.json] [--json]
//   plans validate plans.json
//   plans quote --plan basic --api-calls 1500 --voice-minutes 75.5 --ai-queries 150 --storage-mb 1500
//               [--llm "openai/gpt-4o:input=120000,cached_input=30000,output=9000,requests=40" ...]
//               [--rate-card card.json] [--at YYYY-MM-DD] [--json]
//
// An --llm spec is one model's LLM usage over the period: total tokens per type (the rate
// card's names: input, cached_input, cache_write, cache_write_1h, output, reasoning,
// audio_input, cached_audio_input, audio_output, image_input, cached_image_input) and
// `requests`, the calls they were spread over (default 1). Each spec is priced exactly at
// the rate card in effect on --at (default today): the shipped card, with --rate-card's
// entries overlaid. Specs of the same model add up; the plan bills them per model.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <iterator>
#include <sstream>

#include "demo.h"

namespace {

metered::PriceBook loadBook(const std::string& file, const std::string& store_uri) {
    if (!file.empty()) return metered::PriceBook::load(file);
    if (!store_uri.empty()) return metered::storedPriceBook(*metered::openStore(store_uri));
    return metered::PriceBook();  // the standard book: the seed's basic plan
}

std::string money(const metered::Decimal& d) { return "$" + d.toString(); }

metered::RateCard loadRateCard(const std::string& file) {
    if (file.empty()) return metered::RateCard::standard();
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read rate card " + file);
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    return metered::RateCard::standard().overlay(metered::RateCard::fromJson(text));
}

// The day --at names (YYYY-MM-DD), or today (UTC).
date::sys_days priceDay(const std::string& text) {
    if (text.empty()) return std::chrono::floor<date::days>(metered::systemNow());
    const auto number = [&](std::size_t at, std::size_t length) {
        int value = -1;
        const char* first = text.data() + at;
        const auto [end, ec] = std::from_chars(first, first + length, value);
        return ec == std::errc() && end == first + length ? value : -1;
    };
    const bool shaped = text.size() == 10 && text[4] == '-' && text[7] == '-';
    const date::year_month_day day{date::year(shaped ? number(0, 4) : -1),
                                   date::month(static_cast<unsigned>(shaped ? number(5, 2) : 0)),
                                   date::day(static_cast<unsigned>(shaped ? number(8, 2) : 0))};
    if (!shaped || !day.ok()) throw metered::ValidationError("at", "expected a day YYYY-MM-DD, got '" + text + "'");
    return date::sys_days(day);
}

// A count (of an --llm spec's tokens or requests, or of --events): a whole number from 0 to
// max_llm_count.
std::int64_t specCount(const std::string& field, const std::string& text) {
    std::int64_t value = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc() || ptr != end)
        throw metered::ValidationError(field, "expected a whole number, got '" + text + "'");
    if (value < 0) throw metered::ValidationError(field, "must not be negative, got " + text);
    if (value > metered::max_llm_count) throw metered::ValidationError(field, "must be at most 10^12, got " + text);
    return value;
}

// One --llm spec ("provider/model:part=N,...,requests=N") priced at `card` on `day`, as
// ModelUsageTotal rows (one per part used, and requests). `at` names the spec in errors.
std::vector<metered::ModelUsageTotal> priceSpec(const std::string& spec, const std::string& at,
                                                const metered::RateCard& card, date::sys_days day) {
    using metered::TokenType;
    const auto colon = spec.rfind(':');
    if (colon == std::string::npos)
        throw metered::ValidationError(at, "expected provider/model:part=N,..., got '" + spec + "'");
    const std::string name = spec.substr(0, colon);
    const auto slash = name.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == name.size())
        throw metered::ValidationError(at + ".model", "expected provider/model, got '" + name + "'");
    metered::LlmUsage usage;
    usage.provider = name.substr(0, slash);
    usage.model = name.substr(slash + 1);
    std::array<bool, metered::token_type_count + 1> seen{};
    std::stringstream items(spec.substr(colon + 1));
    for (std::string item; std::getline(items, item, ',');) {
        const auto equals = item.find('=');
        const std::string key = item.substr(0, equals);
        if (equals == std::string::npos)
            throw metered::ValidationError(at, "expected part=N, got '" + item + "' in '" + spec + "'");
        const std::int64_t count = specCount(at + "." + key, item.substr(equals + 1));
        std::size_t index = metered::token_type_count;
        if (key == "requests") {
            usage.request_count = count;
        } else {
            const auto part = metered::parseUsagePart(key);
            if (!part || static_cast<std::size_t>(*part) >= metered::token_type_count) {
                throw metered::ValidationError(
                    at + "." + key,
                    "unknown part '" + key +
                        "' (input, cached_input, cache_write, cache_write_1h, output, reasoning, audio_input, "
                        "cached_audio_input, audio_output, image_input, cached_image_input or requests)");
            }
            index = static_cast<std::size_t>(*part);
            switch (static_cast<TokenType>(index)) {
                case TokenType::input:
                    usage.input_tokens = count;
                    break;
                case TokenType::cached_input:
                    usage.cached_input_tokens = count;
                    break;
                case TokenType::cache_write:
                    usage.cache_write_tokens = count;
                    break;
                case TokenType::cache_write_1h:
                    usage.cache_write_1h_tokens = count;
                    break;
                case TokenType::output:
                    usage.output_tokens = count;
                    break;
                case TokenType::reasoning:
                    usage.reasoning_tokens = count;
                    break;
                case TokenType::audio_input:
                    usage.audio_input_tokens = count;
                    break;
                case TokenType::cached_audio_input:
                    usage.cached_audio_input_tokens = count;
                    break;
                case TokenType::audio_output:
                    usage.audio_output_tokens = count;
                    break;
                case TokenType::image_input:
                    usage.image_input_tokens = count;
                    break;
                case TokenType::cached_image_input:
                    usage.cached_image_input_tokens = count;
                    break;
            }
        }
        if (seen[index]) throw metered::ValidationError(at + "." + key, "given twice in '" + spec + "'");
        seen[index] = true;
    }
    if (usage.request_count < 1) throw metered::ValidationError(at + ".requests", "must be at least 1");
    const metered::Timestamp when{day};
    const metered::RateCardEntry* entry = card.findEntry(usage.provider, usage.model, when);
    if (entry == nullptr) {
        throw metered::ValidationError(at + ".model", "the rate card has no price for '" + name + "' on " +
                                                          date::format("%F", day) +
                                                          " (unknown model, or before its first price)");
    }
    // Long-context prices apply per request: a total spread over several requests that
    // passes a threshold cannot be priced exactly.
    if (!entry->rates.long_context.empty() && usage.request_count > 1 &&
        usage.inputTokenTotal() > entry->rates.long_context.front().above_input_tokens) {
        throw metered::ValidationError(
            at + ".requests",
            fmt::format("'{}' has long-context prices above {} input tokens per request; give the calls above and "
                        "below it as separate --llm specs with requests=1 each",
                        name, entry->rates.long_context.front().above_input_tokens));
    }
    metered::LlmCost cost;
    try {
        cost = metered::priceLlmCall(card, usage, when);
    } catch (const metered::ValidationError& e) {
        // Named as the spec names it: "audio_input_tokens" is the spec's "audio_input".
        std::string field = e.field();
        if (field.ends_with("_tokens")) field.resize(field.size() - 7);
        std::string problem = e.what();
        const std::string prefix = "invalid " + e.field() + ": ";
        if (problem.starts_with(prefix)) problem.erase(0, prefix.size());
        throw metered::ValidationError(at + "." + field, problem);
    }
    const std::string model = std::string(cost.provider) + "/" + std::string(cost.model);
    std::vector<metered::ModelUsageTotal> rows;
    for (std::size_t t = 0; t < metered::token_type_count; ++t) {
        const auto type = static_cast<TokenType>(t);
        const std::int64_t count = metered::tokenCount(usage, type);
        if (count == 0) continue;
        rows.push_back({metered::EventType::llmCall(), model, metered::toUsagePart(type), metered::Decimal(count),
                        usage.request_count, cost.cost(type)});
    }
    rows.push_back({metered::EventType::llmCall(), model, metered::UsagePart::requests,
                    metered::Decimal(usage.request_count), usage.request_count, cost.per_request});
    return rows;
}

// A rate held as a fraction (0.029), shown in percent ("2.9%").
std::string percent(const metered::Decimal& fraction) {
    return (fraction * metered::Decimal(100)).normalized().toPlainString() + "%";
}

// ", at least $X, at most $Y per cycle" (either or both).
void printLimits(const std::optional<metered::Decimal>& minimum, const std::optional<metered::Decimal>& maximum) {
    if (minimum) fmt::print(", at least {}", money(*minimum));
    if (maximum) fmt::print(", at most {}", money(*maximum));
    if (minimum || maximum) fmt::print(" per cycle");
}

void printPlan(const metered::Plan& plan) {
    const std::string from = plan.effective ? " from " + date::format("%F", *plan.effective) : std::string();
    fmt::print("plan {}{} ({}), {} with {} digits, rounding {} per line\n", plan.id, from, plan.name,
               plan.currency.code, plan.currency.minor_units, toString(plan.rounding));
    for (const auto& m : plan.meters) {
        const std::string unit = m.aggregation == metered::Aggregation::count     ? "events"
                                 : m.aggregation == metered::Aggregation::unique  ? "unique " + m.unique_dimension
                                 : m.aggregation == metered::Aggregation::maximum ? "peak " + m.unit
                                 : m.aggregation == metered::Aggregation::latest  ? "last " + m.unit
                                                                                  : m.unit;
        fmt::print("  {:<14} {:>10} {:<8} included, {:<9}", m.type.name(), m.included.toPlainString(), unit,
                   toString(m.model));
        switch (m.model) {
            case metered::PricingModel::per_unit:
                fmt::print(" {} per {}", money(m.unit_price.normalized()), m.unit.empty() ? "unit" : m.unit);
                break;
            case metered::PricingModel::package:
                fmt::print(" {} per {} {} (partial packages rounded {})", money(m.package_price.normalized()),
                           m.package_size.toPlainString(), m.unit, toString(m.package_rounding));
                break;
            case metered::PricingModel::percentage:
                fmt::print(" {}", percent(m.unit_price));
                if (!m.transaction_fee.isZero()) {
                    fmt::print(" + {} per transaction", money(m.transaction_fee));
                    if (m.free_transactions > 0) fmt::print(" (first {} free)", m.free_transactions);
                }
                if (m.transaction_minimum) fmt::print(", at least {} per transaction", money(*m.transaction_minimum));
                if (m.transaction_maximum) fmt::print(", at most {} per transaction", money(*m.transaction_maximum));
                break;
            default:
                for (const auto& t : m.tiers) {
                    std::string price = m.model == metered::PricingModel::graduated_percentage
                                            ? percent(t.unit_price)
                                            : money(t.unit_price.normalized());
                    if (!t.block_size.isZero()) price += " per " + t.block_size.toPlainString();
                    fmt::print(" [up to {}: {}{}]", t.up_to ? t.up_to->toPlainString() : "inf", price,
                               t.flat_fee.isZero() ? "" : " + " + money(t.flat_fee.normalized()));
                }
                if (m.flat_fee_at_zero) fmt::print(" (first tier's fee every period)");
        }
        if (m.quota) fmt::print(", {} quota {}", m.quota->hard ? "hard" : "soft", m.quota->limit.toPlainString());
        printLimits(m.minimum, m.maximum);
        fmt::print("\n");
    }
    if (plan.fee) fmt::print("  {:<14} {} per cycle\n", "fee", money(*plan.fee));
    if (plan.minimum || plan.maximum) {
        fmt::print("  {:<14}", "whole bill");
        printLimits(plan.minimum, plan.maximum);
        fmt::print("\n");
    }
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Show, validate and quote metered price books."};
    app.require_subcommand(1);
    std::string file, store_uri, plan_id = "basic";
    bool json = false;

    auto* show = app.add_subcommand("show", "print the plans of a price book");
    show->add_option("--file", file, "price book JSON file (default: the standard book)");
    show->add_option("--store", store_uri, "read the plans stored in this store instead");
    show->add_flag("--json", json, "print the price book as JSON");

    auto* validate = app.add_subcommand("validate", "check a price book file and report the first problem");
    validate->add_option("file", file, "price book JSON file")->required();

    auto* quote = app.add_subcommand("quote", "price given usage for one period on a plan");
    std::string api_calls = "0", voice_minutes = "0", ai_queries = "0", storage_mb = "0";
    std::vector<std::string> other, llm;
    std::string rate_card_file, at_day;
    quote->add_option("--file", file, "price book JSON file (default: the standard book)");
    quote->add_option("--store", store_uri, "use the plans stored in this store instead");
    quote->add_option("--plan", plan_id, "plan id")->capture_default_str();
    quote->add_option("--api-calls", api_calls, "API calls in the period");
    quote->add_option("--voice-minutes", voice_minutes, "voice minutes in the period");
    quote->add_option("--ai-queries", ai_queries, "AI queries in the period");
    quote->add_option("--storage-mb", storage_mb, "storage in MB in the period");
    quote->add_option("--usage", other,
                      "TYPE=QUANTITY for a host-defined event type (repeatable); for a meter counting unique "
                      "values, their number");
    std::vector<std::string> event_counts, transactions;
    quote->add_option("--events", event_counts,
                      "TYPE=N: the number of events of a type in the period (the percentage model's fee per "
                      "transaction; repeatable)");
    quote->add_option("--transactions", transactions,
                      "TYPE=A,B,...: the amounts of a type's transactions in the order they happened (its quantity "
                      "and events; a percentage meter bounds each one; repeatable)");
    quote->add_option("--llm", llm,
                      "PROVIDER/MODEL:PART=TOKENS,...[,requests=N]: one model's LLM usage in the period, priced at "
                      "the rate card (repeatable)");
    quote->add_option("--rate-card", rate_card_file, "the host's rate card (JSON), overlaid on the shipped one");
    quote->add_option("--at", at_day, "the day whose rate-card prices apply, YYYY-MM-DD (default: today)");
    quote->add_flag("--json", json, "print the quote as JSON");
    CLI11_PARSE(app, argc, argv);

    try {
        if (*validate) {
            const auto book = metered::PriceBook::load(file);
            fmt::print("{}: valid, {} plan(s), default {}\n", file, book.plans().size(), book.defaultPlan().id);
            return 0;
        }
        const auto book = loadBook(file, store_uri);
        if (*show) {
            if (json) {
                fmt::print("{}\n", book.toJson());
            } else {
                for (const auto& plan : book.plans()) printPlan(plan);
            }
            return 0;
        }
        using metered::EventType;
        std::vector<metered::UsageTotal> usage = {
            {EventType::apiCall(), metered::Decimal::parse(api_calls, "api-calls"), 0, {}},
            {EventType::voiceMinute(), metered::Decimal::parse(voice_minutes, "voice-minutes"), 0, {}},
            {EventType::aiQuery(), metered::Decimal::parse(ai_queries, "ai-queries"), 0, {}},
            {EventType::storageMb(), metered::Decimal::parse(storage_mb, "storage-mb"), 0, {}},
        };
        for (const auto& item : other) {
            const auto equals = item.find('=');
            if (equals == std::string::npos)
                throw metered::ValidationError("usage", "expected TYPE=QUANTITY, got " + item);
            usage.push_back(
                {EventType(item.substr(0, equals)), metered::Decimal::parse(item.substr(equals + 1), "usage"), 0, {}});
        }
        for (const auto& item : event_counts) {
            const auto equals = item.find('=');
            if (equals == std::string::npos) throw metered::ValidationError("events", "expected TYPE=N, got " + item);
            const EventType type(item.substr(0, equals));
            auto found = std::find_if(usage.begin(), usage.end(), [&](const auto& u) { return u.type == type; });
            if (found == usage.end()) found = usage.insert(usage.end(), {type, {}, 0, {}});
            found->events = specCount("events", item.substr(equals + 1));
        }
        // Transactions one by one: their sum and number, each bounded (below, once the plan is known).
        std::vector<std::pair<EventType, std::vector<metered::Decimal>>> amounts;
        for (const auto& item : transactions) {
            const auto equals = item.find('=');
            if (equals == std::string::npos) {
                throw metered::ValidationError("transactions", "expected TYPE=A,B,..., got " + item);
            }
            const EventType type(item.substr(0, equals));
            std::vector<metered::Decimal> list;
            for (std::string_view rest = std::string_view(item).substr(equals + 1);;) {
                const auto comma = rest.find(',');
                list.push_back(metered::Decimal::parse(rest.substr(0, comma), "transactions"));
                if (comma == std::string_view::npos) break;
                rest.remove_prefix(comma + 1);
            }
            auto found = std::find_if(usage.begin(), usage.end(), [&](const auto& u) { return u.type == type; });
            if (found == usage.end()) found = usage.insert(usage.end(), {type, {}, 0, {}});
            found->quantity = {};
            for (const auto& amount : list) found->quantity += amount;
            found->events = static_cast<std::int64_t>(list.size());
            amounts.emplace_back(type, std::move(list));
        }
        // A meter counting unique values is quoted on their number, given as its quantity (a
        // level meter on its level-months, peak or last level, also given as its quantity).
        metered::Plan plan = book.plan(plan_id);
        for (auto& meter : plan.meters) {
            if (meter.aggregation != metered::Aggregation::unique) continue;
            meter.aggregation = metered::Aggregation::sum;
            meter.unique_dimension.clear();
        }
        const metered::PricingCalculator calculator(plan);
        for (const auto& [type, list] : amounts) {
            auto total =
                std::find_if(usage.begin(), usage.end(), [&type = type](const auto& u) { return u.type == type; });
            metered::Decimal before;
            for (std::size_t i = 0; i < list.size(); ++i) {
                total->transaction_bounds +=
                    calculator.boundTransaction(type, list[i], before, static_cast<std::int64_t>(i));
                before += list[i];
            }
        }
        std::vector<metered::ModelUsageTotal> model_usage;
        if (!llm.empty()) {
            if (!calculator.plan().ai) {
                throw metered::ValidationError("llm", "plan '" + plan_id + "' does not bill rate-card (LLM) usage");
            }
            const auto card = loadRateCard(rate_card_file);
            const auto day = priceDay(at_day);
            for (std::size_t i = 0; i < llm.size(); ++i) {
                auto rows = priceSpec(llm[i], fmt::format("llm[{}]", i), card, day);
                model_usage.insert(model_usage.end(), rows.begin(), rows.end());
            }
        } else if (!rate_card_file.empty() || !at_day.empty()) {
            throw metered::ValidationError("llm", "--rate-card and --at price --llm usage; give at least one --llm");
        }
        // Leave out zero usage of types this plan does not price.
        std::erase_if(usage, [&](const metered::UsageTotal& u) {
            return u.quantity.isZero() && calculator.plan().meter(u.type) == nullptr;
        });
        const auto bill = calculator.bill(usage, model_usage);
        if (json) {
            fmt::print("{}\n", metered::to_json(bill, 2));
            return 0;
        }
        fmt::print("Quote on plan {} ({}, rounded {} per line)\n", bill.plan_id, bill.currency.code,
                   toString(bill.rounding));
        fmt::print("  {:<14}{:>12}{:>12}{:>12}{:>14}{:>12}\n", "type", "quantity", "included", "billable", "exact",
                   "amount");
        for (const auto& line : bill.lines) {
            fmt::print("  {:<14}{:>12}{:>12}{:>12}{:>14}{:>12}\n", line.label(), line.quantity.toPlainString(),
                       line.included.toPlainString(), line.billable.toPlainString(), line.exact_amount.toPlainString(),
                       money(line.amount));
            for (const auto& tier : line.tiers) {
                const bool blocks = !tier.blocks.isZero();
                const std::string price = line.model == metered::PricingModel::graduated_percentage
                                              ? percent(tier.unit_price)
                                              : money(tier.unit_price.normalized());
                fmt::print("    tier {}: {}{} x {}{} = {}\n", tier.tier + 1, tier.quantity.toPlainString(),
                           blocks ? " in " + tier.blocks.toPlainString() + " block(s)" : "", price,
                           tier.flat_fee.isZero() ? "" : " + " + money(tier.flat_fee.normalized()),
                           tier.amount.toPlainString());
            }
            if (line.model == metered::PricingModel::package && !line.packages.isZero()) {
                fmt::print("    {} package(s)\n", line.packages.toPlainString());
            }
            if (line.model == metered::PricingModel::percentage) {
                fmt::print("    {} x {} + fees of {} transaction(s) = {}\n", line.billable.toPlainString(),
                           percent(line.unit_price), line.events, line.transaction_fees.normalized().toPlainString());
                if (!line.transaction_bounds.isZero()) {
                    fmt::print("    per-transaction minimum and maximum: {}\n",
                               line.transaction_bounds.normalized().toPlainString());
                }
            }
        }
        for (const auto& line : bill.ai_lines) {
            std::int64_t calls = 0;
            for (const auto& part : line.parts) {
                if (part.part == metered::UsagePart::requests) calls = part.events;
            }
            fmt::print("  {} {}: {} request(s), {} at the rate card, charged {} = {}\n", line.type.name(), line.model,
                       calls, money(line.cost.normalized()), line.exact_amount.normalized().toPlainString(),
                       money(line.amount));
            for (const auto& part : line.parts) {
                std::string how = "at cost";
                if (part.unit_price) {
                    how = "at " + money(part.unit_price->normalized()) + " each";
                } else if (!part.markup_percent.isZero()) {
                    how = "+" + part.markup_percent.normalized().toPlainString() + "%";
                }
                fmt::print("    {:<20}{:>14}  cost {:<14} charge {} ({})\n", toString(part.part),
                           part.quantity.toPlainString(), money(part.cost.normalized()),
                           part.charge.normalized().toPlainString(), how);
            }
        }
        if (bill.ai_credit) {
            fmt::print("  AI usage included: {} per period, credit {}\n", money(bill.ai_credit->included_amount),
                       bill.ai_credit->amount.toString());
        }
        for (const auto& line : bill.commitments) {
            const std::string of = line.type ? std::string(line.type->name()) : "the bill";
            fmt::print("  {} {} of {}: charged {}, {} {}\n", toString(line.kind), money(line.limit), of,
                       money(line.charged), line.kind == metered::CommitmentKind::minimum ? "true-up" : "cap",
                       line.amount.toString());
        }
        for (const auto& line : bill.fees) fmt::print("  fee per cycle {:>62}\n", line.amount.toString());
        fmt::print("  {:<14}{:>62}\n", "total", money(bill.total));
    } catch (const std::exception& e) {
        fmt::print(stderr, "plans: {}\n", e.what());
        return 1;
    }
}
