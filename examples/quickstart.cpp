// SPDX-License-Identifier: MIT
// The README's quickstart: record usage for a business and print its bill.
#include <metered/metered.h>
#include <iostream>

int main() {
    auto store = metered::openStore("sqlite:billing.db");  // or "postgresql://…", "memory:"
    auto business = metered::BusinessId::parse("6f1c2a4e-8d3b-4f5a-9c7e-1b2d3e4f5a6b");
    store->saveAccount({.id = business, .name = "Acme Pizza", .time_zone = "America/New_York"});

    metered::UsageRecorder recorder(store);
    recorder.recordApiCall(business, {.operation = "chat_completion", .model = "gpt-4o-mini", .tokens = 412});
    recorder.recordVoiceMinutes(business, metered::Decimal::parse("2.5"), {.operation = "voice_to_text"});

    auto usage = recorder.getBillingUsage(business, metered::PeriodSpec::currentMonth());
    std::cout << "total: $" << usage.bill.total << "\n" << metered::to_json(usage) << "\n";
}
