// SPDX-License-Identifier: MIT
// plans: show and validate price books, and quote what given usage would cost on a plan:
// the tool to answer "what would this customer pay?".
//
//   plans show [--file plans.json] [--json]
//   plans validate plans.json
//   plans quote --plan basic --api-calls 1500 --voice-minutes 75.5 --ai-queries 150 --storage-mb 1500 [--json]
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "demo.h"

namespace {

metered::PriceBook loadBook(const std::string& file, const std::string& store_uri) {
    if (!file.empty()) return metered::PriceBook::load(file);
    if (!store_uri.empty()) return metered::storedPriceBook(*metered::openStore(store_uri));
    return metered::PriceBook();  // the standard book: the seed's basic plan
}

std::string money(const metered::Decimal& d) { return "$" + d.toString(); }

void printPlan(const metered::Plan& plan) {
    fmt::print("plan {} ({}), {} with {} digits, rounding {} per line\n", plan.id, plan.name, plan.currency.code,
               plan.currency.minor_units, toString(plan.rounding));
    for (const auto& m : plan.meters) {
        fmt::print("  {:<14} {:>10} {:<8} included, {:<9}", m.type.name(), m.included.toPlainString(), m.unit,
                   toString(m.model));
        switch (m.model) {
            case metered::PricingModel::per_unit:
                fmt::print(" {} per {}", money(m.unit_price.normalized()), m.unit.empty() ? "unit" : m.unit);
                break;
            case metered::PricingModel::package:
                fmt::print(" {} per {} {}", money(m.package_price.normalized()), m.package_size.toPlainString(),
                           m.unit);
                break;
            default:
                for (const auto& t : m.tiers) {
                    fmt::print(" [up to {}: {}{}]", t.up_to ? t.up_to->toPlainString() : "inf",
                               money(t.unit_price.normalized()),
                               t.flat_fee.isZero() ? "" : " + " + money(t.flat_fee.normalized()));
                }
        }
        if (m.quota) fmt::print(", {} quota {}", m.quota->hard ? "hard" : "soft", m.quota->limit.toPlainString());
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
    std::vector<std::string> other;
    quote->add_option("--file", file, "price book JSON file (default: the standard book)");
    quote->add_option("--store", store_uri, "use the plans stored in this store instead");
    quote->add_option("--plan", plan_id, "plan id")->capture_default_str();
    quote->add_option("--api-calls", api_calls, "API calls in the period");
    quote->add_option("--voice-minutes", voice_minutes, "voice minutes in the period");
    quote->add_option("--ai-queries", ai_queries, "AI queries in the period");
    quote->add_option("--storage-mb", storage_mb, "storage in MB in the period");
    quote->add_option("--usage", other, "TYPE=QUANTITY for a host-defined event type (repeatable)");
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
        const metered::PricingCalculator calculator(book.plan(plan_id));
        // Leave out zero usage of types this plan does not price.
        std::erase_if(usage, [&](const metered::UsageTotal& u) {
            return u.quantity.isZero() && calculator.plan().meter(u.type) == nullptr;
        });
        const auto bill = calculator.bill(usage);
        if (json) {
            fmt::print("{}\n", metered::to_json(bill, 2));
            return 0;
        }
        fmt::print("Quote on plan {} ({}, rounded {} per line)\n", bill.plan_id, bill.currency.code,
                   toString(bill.rounding));
        fmt::print("  {:<14}{:>12}{:>12}{:>12}{:>14}{:>12}\n", "type", "quantity", "included", "billable", "exact",
                   "amount");
        for (const auto& line : bill.lines) {
            fmt::print("  {:<14}{:>12}{:>12}{:>12}{:>14}{:>12}\n", line.type.name(), line.quantity.toPlainString(),
                       line.included.toPlainString(), line.billable.toPlainString(), line.exact_amount.toPlainString(),
                       money(line.amount));
            for (const auto& tier : line.tiers) {
                fmt::print("    tier {}: {} x {}{} = {}\n", tier.tier + 1, tier.quantity.toPlainString(),
                           money(tier.unit_price.normalized()),
                           tier.flat_fee.isZero() ? "" : " + " + money(tier.flat_fee.normalized()),
                           tier.amount.toPlainString());
            }
            if (line.model == metered::PricingModel::package && !line.packages.isZero()) {
                fmt::print("    {} package(s)\n", line.packages.toPlainString());
            }
        }
        fmt::print("  {:<14}{:>62}\n", "total", money(bill.total));
    } catch (const std::exception& e) {
        fmt::print(stderr, "plans: {}\n", e.what());
        return 1;
    }
}
