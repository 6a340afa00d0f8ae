// SPDX-License-Identifier: MIT
// billing_analytics: the seed's GET /api/billing/analytics response for one business.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "demo.h"

int main(int argc, char** argv) {
    CLI::App app{"Print the seed's /api/billing/analytics JSON for a business."};
    std::string store_uri = demo::default_store;
    std::string business_name = demo::businesses[0].name;
    std::string period = "current_month";
    int days = 30;
    app.add_option("--store", store_uri, "store URI (sqlite:<file>, postgresql://..., memory:)")->capture_default_str();
    app.add_option("--business", business_name, "business name or id")->capture_default_str();
    app.add_option("--period", period, "current_month, previous_month, current_cycle, previous_cycle or YYYY-MM-DD..YYYY-MM-DD")
        ->capture_default_str();
    app.add_option("--days", days, "days of trends")->capture_default_str()->check(CLI::Range(1, 366));
    CLI11_PARSE(app, argc, argv);
    try {
        auto store = metered::openStore(store_uri);
        const auto business = demo::findBusiness(*store, business_name);
        metered::UsageReports reports(store);
        fmt::print("{}\n", metered::to_json(reports.getBillingAnalytics(business.id, metered::PeriodSpec::parse(period), days), 2));
    } catch (const std::exception& e) {
        fmt::print(stderr, "billing_analytics: {}\n", e.what());
        return 1;
    }
}
