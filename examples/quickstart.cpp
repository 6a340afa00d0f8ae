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

    // An LLM call, priced exactly at the rate card from the provider's own `usage` object
    // (OpenAI counts cached tokens inside prompt_tokens; metered counts each token once).
    auto llm = metered::parseLlmUsage(metered::LlmApi::openai_chat, R"({"prompt_tokens": 1200,
        "completion_tokens": 180, "prompt_tokens_details": {"cached_tokens": 1024}})",
                                      "gpt-4o-mini");
    auto receipt = recorder.recordLlmCall(business, llm);
    std::cout << "this call cost $" << receipt.cost.total.normalized() << "\n";  // $0.0002112

    auto usage = recorder.getBillingUsage(business, metered::PeriodSpec::currentMonth());
    std::cout << "total: $" << usage.bill.total << "\n" << metered::to_json(usage) << "\n";
}
