// SPDX-License-Identifier: MIT
// The README's quickstart: record usage for a business and print its bill.
#include <metered/metered.h>

#include <iostream>

int main(int argc, char** argv) {
    auto store = metered::openStore(argc > 1 ? argv[1] : "memory:");
    const auto business = metered::BusinessId::parse("6f1c2a4e-8d3b-4f5a-9c7e-1b2d3e4f5a6b");
    store->saveAccount({.id = business, .name = "Acme Pizza", .time_zone = "America/New_York"});

    metered::UsageRecorder recorder(store);
    for (int i = 0; i < 1500; ++i) {
        recorder.recordApiCall(business, {.operation = "chat_completion", .model = "gpt-4o-mini", .tokens = 412});
    }
    recorder.recordVoiceMinutes(business, metered::Decimal::parse("75.5"), {.operation = "voice_to_text"});

    const auto usage = recorder.getBillingUsage(business, metered::PeriodSpec::currentMonth());
    for (const auto& line : usage.bill.lines) {
        std::cout << line.type << ": " << line.quantity.toPlainString() << " used, " << line.billable.toPlainString()
                  << " billable, $" << line.amount << "\n";
    }
    std::cout << "total: $" << usage.bill.total << "\n" << metered::to_json(usage) << "\n";
}
