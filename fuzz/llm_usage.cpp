// SPDX-License-Identifier: MIT
// Provider usage JSON and stream events: parseLlmUsage and LlmStreamUsage::add never
// crash, refuse with a ValidationError whose message and field are valid UTF-8, and what
// they accept is disjoint counts that pass validate() and add up without overflow.
#include <cstdint>

#include "fuzz_check.h"
#include "metered/errors.h"
#include "metered/llm_usage.h"

using namespace metered;

namespace {

void checkUsage(const LlmUsage& usage) {
    usage.validate();
    fuzz::require(usage.totalTokens() >= 0 && usage.totalTokens() <= 13 * max_llm_count, "totalTokens out of range");
    fuzz::require(usage.request_count == 1, "request_count is not 1");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    // The first byte picks the API (low bits) and whether the rest is a usage object or a
    // stream of events, one a line.
    const auto api = static_cast<LlmApi>(data[0] % 5);
    const bool stream = (data[0] & 0x80) != 0;
    const auto text = fuzz::textOf(data + 1, size - 1);
    try {
        if (!stream) {
            checkUsage(parseLlmUsage(api, text, "fuzz-model"));
            return 0;
        }
        LlmStreamUsage usage(api);
        std::string_view rest = text;
        while (!rest.empty()) {
            const auto end = rest.find('\n');
            const auto line = rest.substr(0, end);
            rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
            try {
                const bool carried = usage.add(line);
                fuzz::require(!carried || usage.hasUsage(), "add() said usage but hasUsage() is false");
            } catch (const ValidationError& e) {
                fuzz::requireValidMessage(e.what());
                fuzz::requireValidMessage(e.field());
            }
        }
        if (usage.hasUsage()) checkUsage(usage.usage());
    } catch (const ValidationError& e) {
        fuzz::requireValidMessage(e.what());
        fuzz::requireValidMessage(e.field());
    }
    return 0;
}
