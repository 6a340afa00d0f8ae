// SPDX-License-Identifier: MIT
// What the example programs share: the demo businesses, and finding one by name or id.
#pragma once

#include <CLI/CLI.hpp>
#include <metered/metered.h>

#include <array>
#include <stdexcept>
#include <string>

namespace demo {

/// The default store of the examples: an embedded SQLite file in the current directory.
inline constexpr const char* default_store = "sqlite:metered-demo.db";

struct Business {
    const char* id;
    const char* name;
    const char* time_zone;
};

/// Three restaurants using an AI order-taking assistant, in three time zones.
inline constexpr std::array<Business, 3> businesses{{
    {"6f1c2a4e-8d3b-4f5a-9c7e-1b2d3e4f5a6b", "Acme Pizza", "America/New_York"},
    {"8a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "Bella Bistro", "Europe/Rome"},
    {"1c2d3e4f-5a6b-4c7d-8e9f-a0b1c2d3e4f5", "Curry Corner", "Asia/Kolkata"},
}};

/// Creates the demo businesses that do not exist yet (on the basic plan).
inline void ensureBusinesses(metered::UsageStore& store) {
    for (const auto& b : businesses) {
        const auto id = metered::BusinessId::parse(b.id);
        if (!store.findAccount(id)) store.saveAccount({.id = id, .name = b.name, .time_zone = b.time_zone});
    }
}

/// The business named `text` (or with that UUID).
inline metered::Account findBusiness(metered::UsageStore& store, const std::string& text) {
    if (auto uuid = metered::Uuid::tryParse(text)) {
        if (auto account = store.findAccount(metered::BusinessId(*uuid))) return *account;
    }
    for (const auto& account : store.listAccounts()) {
        if (account.name == text) return account;
    }
    throw std::runtime_error("no business '" + text +
                             "' in the store (run chat_backend first to create the demo businesses)");
}

/// The options the report examples share.
struct ReportOptions {
    std::string store = default_store;
    std::string business = businesses[0].name;
    std::string period = "current_month";
    int days = 30;

    void addTo(CLI::App& app) {
        app.add_option("--store", store, "store URI (sqlite:<file>, postgresql://..., memory:)")->capture_default_str();
        app.add_option("--business", business, "business name or id")->capture_default_str();
        app.add_option("--period", period,
                       "current_month (the billing cycle), previous_month, calendar_month or YYYY-MM-DD..YYYY-MM-DD")
            ->capture_default_str();
        app.add_option("--days", days, "days of trends")->capture_default_str()->check(CLI::Range(1, 366));
    }
};

}  // namespace demo
