// SPDX-License-Identifier: MIT
// Links metered as a user would, records the seed scenario and checks its bill.
#include <metered/metered.h>

#include <iostream>

int main() {
    auto store = metered::openStore("memory:");
    const auto business = metered::BusinessId::parse("6f1c2a4e-8d3b-4f5a-9c7e-1b2d3e4f5a6b");
    store->saveAccount({.id = business, .name = "Acme Pizza"});
    metered::UsageRecorder recorder(store);
    for (int i = 0; i < 1500; ++i) recorder.recordApiCall(business);
    recorder.recordVoiceMinutes(business, metered::Decimal::parse("75.5"));
    for (int i = 0; i < 150; ++i) recorder.recordAiQuery(business);
    recorder.recordStorage(business, metered::Decimal(1500));
    const auto total = recorder.getBillingUsage(business).bill.total;
    std::cout << "metered " << metered::version() << ": the seed scenario bills $" << total << "\n";
    try {  // an exception thrown inside the library is caught by its type (a shared build exports its type info)
        (void)metered::Decimal::parse("seven");
        return 1;
    } catch (const metered::ValidationError& e) {
        if (e.field() != "decimal") return 1;
    }
    return total == metered::Decimal::parse("8.31") ? 0 : 1;
}
