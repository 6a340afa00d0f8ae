// SPDX-License-Identifier: MIT
// Decimal text: tryParse/parse never crash, what parses prints back to the same value, and
// arithmetic either is exact or throws ArithmeticError (UBSan catches a wrapped __int128).
#include <cstdint>

#include "fuzz_check.h"
#include "metered/decimal.h"
#include "metered/errors.h"

using namespace metered;
using fuzz::require;

namespace {
template <typename Op>
void arithmetic(Op op) {
    try {
        op();
    } catch (const ArithmeticError& e) {
        fuzz::requireValidMessage(e.what());
    }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto text = fuzz::textOf(data, size);
    const auto value = Decimal::tryParse(text);
    try {
        const Decimal parsed = Decimal::parse(text, "fuzz");
        require(value && parsed == *value, "parse and tryParse disagree");
    } catch (const ValidationError& e) {
        require(!value, "parse threw for text tryParse accepts");
        fuzz::requireValidMessage(e.what());
    }
    if (value) {
        const auto printed = value->toString();
        const auto again = Decimal::tryParse(printed);
        require(again && *again == *value && again->toString() == printed, "parse(toString(x)) != x");
        const auto plain = Decimal::tryParse(value->toPlainString());
        require(plain && *plain == *value, "parse(toPlainString(x)) != x");
        arithmetic([&] { require(*value + *value - *value == *value, "x + x - x != x"); });
        arithmetic([&] { require(*value - *value == Decimal(0), "x - x != 0"); });
        arithmetic([&] { (void)(*value * *value); });
        arithmetic([&] { (void)value->rounded(2, Rounding::half_even); });
    }
    // Two operands: the text split at its first space.
    const auto space = text.find(' ');
    if (space != std::string_view::npos) {
        const auto a = Decimal::tryParse(text.substr(0, space)), b = Decimal::tryParse(text.substr(space + 1));
        if (a && b) {
            arithmetic([&] { require(*a + *b - *b == *a, "a + b - b != a"); });
            arithmetic([&] { require(*a - *b + *b == *a, "a - b + b != a"); });
            arithmetic([&] { (void)(*a * *b); });
            require((*a < *b) == (*b > *a), "comparison is not antisymmetric");
        }
    }
    return 0;
}
