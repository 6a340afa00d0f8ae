// SPDX-License-Identifier: MIT
// billing_overview: the seed's dashboard card for one business (Minutes Used, API Calls,
// AI Queries, Storage, Total Cost), a line per charge, and a 30-day trend chart.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>

#include "demo.h"

namespace {

std::string currency = "USD";
std::string money(const metered::Decimal& amount) {
    return (currency == "USD" ? "$" : currency + " ") + amount.toString();
}

std::string bar(std::int64_t value, std::int64_t max, int width) {
    if (max <= 0 || value <= 0) return "";
    const std::int64_t eighths = std::max<std::int64_t>(1, value * width * 8 / max);
    static const char* partial[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
    std::string out;
    for (std::int64_t i = 0; i < eighths / 8; ++i) out += "█";
    return out + partial[eighths % 8];
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Print a business's billing overview, as the seed's dashboard shows it."};
    demo::ReportOptions options;
    options.addTo(app);
    CLI11_PARSE(app, argc, argv);

    try {
        auto store = metered::openStore(options.store);
        const auto business = demo::findBusiness(*store, options.business);
        metered::UsageReports reports(store);
        const auto usage = reports.getBillingUsage(business.id, metered::PeriodSpec::parse(options.period));
        using metered::EventType;
        currency = usage.bill.currency.code;

        fmt::print("Billing Overview: {} (plan {}, {})\n", business.name, usage.bill.plan_id, business.time_zone);
        fmt::print("Period {} .. {} (end exclusive)\n\n", date::format("%F", usage.period.days.first),
                   date::format("%F", usage.period.days.end));
        fmt::print("  {:<18}{:>14}\n", "Minutes Used", usage.quantity(EventType::voiceMinute()).toPlainString());
        fmt::print("  {:<18}{:>14}\n", "API Calls", usage.quantity(EventType::apiCall()).toPlainString());
        fmt::print("  {:<18}{:>14}\n", "AI Queries", usage.quantity(EventType::aiQuery()).toPlainString());
        fmt::print("  {:<18}{:>14}\n", "Storage (MB)", usage.quantity(EventType::storageMb()).toPlainString());
        fmt::print("  {:-<32}\n", "");
        fmt::print("  {:<18}{:>14}\n\n", "Total Cost", money(usage.bill.total));

        fmt::print("Charges ({}, rounded {} per line)\n", usage.bill.currency.code, toString(usage.bill.rounding));
        fmt::print("  {:<14}{:>12}{:>12}{:>12}{:>12}{:>10}\n", "type", "used", "included", "billable", "unit price",
                   "amount");
        for (const auto& line : usage.bill.lines) {
            fmt::print("  {:<14}{:>12}{:>12}{:>12}{:>12}{:>10}\n", line.label(), line.quantity.toPlainString(),
                       line.included.toPlainString(), line.billable.toPlainString(),
                       money(line.unit_price.normalized()), money(line.amount));
        }
        fmt::print("  {:<14}{:>58}\n\n", "total", money(usage.bill.total));

        const auto trends = reports.getUsageTrends(business.id, options.days);
        std::int64_t most = 0;
        for (const auto& point : trends)
            most = std::max(
                most, point.quantity(EventType::apiCall()).rounded(0, metered::Rounding::up).toInt64().value_or(0));
        fmt::print("Last {} days: API calls per day, with voice minutes and the day's share of the bill\n",
                   options.days);
        for (const auto& point : trends) {
            const auto calls =
                point.quantity(EventType::apiCall()).rounded(0, metered::Rounding::up).toInt64().value_or(0);
            fmt::print("  {} {:<30} {:>6} calls {:>8} min {:>9}\n", date::format("%m-%d", date::local_days(point.date)),
                       bar(calls, most, 30), calls, point.quantity(EventType::voiceMinute()).toPlainString(),
                       money(point.cost));
        }
    } catch (const std::exception& e) {
        fmt::print(stderr, "billing_overview: {}\n", e.what());
        return 1;
    }
}
