// SPDX-License-Identifier: MIT
// billing_analytics: the seed's GET /api/billing/analytics response for one business.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "demo.h"

int main(int argc, char** argv) {
    CLI::App app{"Print the seed's /api/billing/analytics JSON for a business."};
    demo::ReportOptions options;
    options.addTo(app);
    CLI11_PARSE(app, argc, argv);
    try {
        auto store = metered::openStore(options.store);
        const auto business = demo::findBusiness(*store, options.business);
        metered::UsageReports reports(store);
        fmt::print("{}\n", metered::to_json(reports.getBillingAnalytics(
                                                business.id, metered::PeriodSpec::parse(options.period), options.days),
                                            2));
    } catch (const std::exception& e) {
        fmt::print(stderr, "billing_analytics: {}\n", e.what());
        return 1;
    }
}
