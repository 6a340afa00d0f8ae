// SPDX-License-Identifier: MIT
// Setup for tests/examples/metered_statements.cmake: an SQLite file with one business (UTC,
// basic plan) that used 75.5 voice minutes in the previous calendar month: $0.31.
//   statements_setup <path.db> <business uuid>
#include <metered/metered.h>

#include <iostream>

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: statements_setup <path.db> <business uuid>\n";
        return 2;
    }
    try {
        auto store = metered::openStore(std::string("sqlite:") + argv[1]);
        const auto business = metered::BusinessId::parse(argv[2]);
        store->saveAccount({.id = business, .name = "Acme Pizza"});
        const date::year_month_day today(date::floor<date::days>(metered::systemNow()));
        const auto previous = date::sys_days(today.year() / today.month() / 1) - date::days(20);
        const metered::Plan basic = metered::Plan::basic();
        std::vector<metered::UsageEvent> events;
        for (const char* minutes : {"40", "35.5"}) {
            metered::UsageEvent event;
            event.id = metered::EventId::generate();
            event.business = business;
            event.type = metered::EventType::voiceMinute();
            event.quantity = metered::Decimal::parse(minutes);
            event.unit_price = basic.meter(event.type)->unit_price;
            event.list_cost = event.quantity * event.unit_price;
            event.occurred_at = metered::Timestamp(previous) + std::chrono::hours(12);
            events.push_back(std::move(event));
        }
        const auto result = store->append(events);
        if (result.stored != events.size()) throw std::runtime_error("the events were not stored");
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "statements_setup: " << e.what() << "\n";
        return 1;
    }
}
