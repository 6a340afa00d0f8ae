// SPDX-License-Identifier: MIT
// Price-book JSON: any text is a PriceBook or a metered::Error with a valid UTF-8 message,
// and a book that loads writes JSON that loads back to the same plans.
#include <cstdint>

#include "fuzz_check.h"
#include "metered/errors.h"
#include "metered/price_book.h"

using namespace metered;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        const PriceBook book = PriceBook::fromJson(fuzz::textOf(data, size));
        const PriceBook again = PriceBook::fromJson(book.toJson());
        fuzz::require(again.plans() == book.plans(), "fromJson(toJson(book)) differs");
        fuzz::require(again.defaultPlan().id == book.defaultPlan().id, "the default plan differs");
    } catch (const ValidationError& e) {
        fuzz::requireValidMessage(e.what());
        fuzz::requireValidMessage(e.field());
    } catch (const Error& e) {
        fuzz::requireValidMessage(e.what());
    }
    return 0;
}
