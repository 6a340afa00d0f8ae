// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include "decimal_access.h"
#include "metered/decimal.h"
#include "metered/errors.h"

using metered::Decimal;
using metered::Rounding;

namespace {
Decimal d(const char* text) { return Decimal::parse(text); }
}  // namespace

TEST_CASE("decimals parse and print exactly", "[decimal]") {
    CHECK(d("0.001").toString() == "0.001");
    CHECK(d("25.5").toString() == "25.5");
    CHECK(d("-12.340").toString() == "-12.340");
    CHECK(d("-12.340").toPlainString() == "-12.34");
    CHECK(d("1e-3") == d("0.001"));
    CHECK(d("1.5E2").toString() == "150");
    CHECK(d("0").toString() == "0");
    CHECK(d("+7").toString() == "7");
    CHECK(d("0.000000000000000000000001").scale() == 24);
    CHECK(d("99999999999999999999999999999999999999").toString() == "99999999999999999999999999999999999999");
    CHECK(Decimal(42).toString() == "42");
    CHECK(Decimal(-3).toString() == "-3");
}

TEST_CASE("malformed decimals are rejected with the field named", "[decimal]") {
    for (const char* text : {"", "-", ".5", "5.", "1..2", "NaN", "nan", "inf", "-Infinity", "1e", "0x10", " 1", "1 ",
                             "1,5", "999999999999999999999999999999999999999", "0.0000000000000000000000001"}) {
        INFO(text);
        CHECK_FALSE(Decimal::tryParse(text).has_value());
    }
    try {
        Decimal::parse("abc", "quantity");
        FAIL("no exception");
    } catch (const metered::ValidationError& e) {
        CHECK(e.field() == "quantity");
        CHECK(std::string(e.what()).find("abc") != std::string::npos);
    }
}

TEST_CASE("arithmetic is exact", "[decimal]") {
    CHECK(d("0.1") + d("0.2") == d("0.3"));
    CHECK((d("0.1") + d("0.2")).toString() == "0.3");
    CHECK(d("1") - d("0.001") == d("0.999"));
    CHECK(d("15.5") * d("0.02") == d("0.31"));
    CHECK(d("500") * d("0.001") == d("0.5"));
    CHECK(d("0.7") * d("0.02") == d("0.014"));
    CHECK(d("-2.5") * d("4") == d("-10"));
    CHECK(-d("3.25") == d("-3.25"));
    // A large but realistic bill: ten billion units at a per-token price.
    CHECK(d("10000000000") * d("0.00000015") == d("1500"));
}

TEST_CASE("sums and products at the edges of the 64-bit fast path are exact", "[decimal]") {
    constexpr std::int64_t max64 = INT64_MAX, min64 = INT64_MIN;
    // Scales 18 apart (the fast path's widest) and 19 apart (the general one's).
    CHECK(Decimal::fromMantissa(max64, 0) + Decimal::fromMantissa(1, 18) ==
          d("9223372036854775807.000000000000000001"));
    CHECK(Decimal(1) + Decimal::fromMantissa(1, 19) == d("1.0000000000000000001"));
    CHECK(Decimal::fromMantissa(max64, 6) + Decimal::fromMantissa(max64, 24) ==
          d("9223372036854.775816223372036854775807"));
    CHECK(Decimal::fromMantissa(min64, 0) - Decimal::fromMantissa(max64, 18) ==
          d("-9223372036854775817.223372036854775807"));
    CHECK(Decimal::fromMantissa(min64, 0) - Decimal::fromMantissa(min64, 0) == Decimal(0));
    // Just past 2^63: the general path, the same answer.
    CHECK(d("9223372036854775808") + Decimal(1) == d("9223372036854775809"));
    CHECK(d("-9223372036854775809") - d("0.5") == d("-9223372036854775809.5"));
    // The larger scale is kept, as the general path keeps it.
    CHECK((d("1.50") + Decimal(1)).toString() == "2.50");
    CHECK((d("0.000000015") - d("0.000000015")).scale() == 9);
    CHECK(Decimal::fromMantissa(min64, 0) * Decimal::fromMantissa(min64, 0) ==
          d("85070591730234615865843651857942052864"));
    CHECK(Decimal::fromMantissa(max64, 12) * Decimal::fromMantissa(min64, 12) ==
          d("-85070591730234.615856620279821087277056"));
    CHECK((d("0.25") * d("4.0")).scale() == 3);
}

TEST_CASE("results that do not fit throw instead of losing digits", "[decimal]") {
    const Decimal huge = d("99999999999999999999999999999999999999");
    CHECK_THROWS_AS(huge + Decimal(1), metered::ArithmeticError);
    // Two 38-digit operands: the check comes before the (signed __int128) addition, so
    // this is clean under -fsanitize=undefined too.
    CHECK_THROWS_AS(huge + huge, metered::ArithmeticError);
    CHECK_THROWS_AS(-huge - huge, metered::ArithmeticError);
    CHECK_THROWS_AS(huge - -huge, metered::ArithmeticError);
    CHECK_THROWS_AS(d("9999999999999999999999999999999999999.9") + d("9999999999999999999999999999999999999.9"),
                    metered::ArithmeticError);
    CHECK_THROWS_AS(huge * Decimal(10), metered::ArithmeticError);
    CHECK_THROWS_AS(d("0.000000000001") * d("0.0000000000001"), metered::ArithmeticError);
    // Trailing zeros are trimmed before giving up.
    CHECK(d("1.000000000000000000000000") * d("2.000000000000000000000000") == Decimal(2));
}

TEST_CASE("comparison is by value across scales", "[decimal]") {
    CHECK(d("5") == d("5.000"));
    CHECK(d("5.01") > d("5.0099999"));
    CHECK(d("-1") < d("0.0001"));
    CHECK(d("-2.5") < d("-2.4"));
    CHECK(d("99999999999999999999999999999999999999") > d("0.000000000000000000000001"));
    CHECK(d("-99999999999999999999999999999999999999") < d("-0.000000000000000000000001"));
    CHECK(std::hash<Decimal>{}(d("5")) == std::hash<Decimal>{}(d("5.00")));
    CHECK(metered::min(d("1.5"), d("1.49")) == d("1.49"));
    CHECK(metered::max(d("1.5"), d("1.49")) == d("1.5"));
}

TEST_CASE("rounding modes", "[decimal]") {
    CHECK(d("0.125").rounded(2, Rounding::half_even).toString() == "0.12");
    CHECK(d("0.135").rounded(2, Rounding::half_even).toString() == "0.14");
    CHECK(d("0.125").rounded(2, Rounding::half_up).toString() == "0.13");
    CHECK(d("-0.125").rounded(2, Rounding::half_up).toString() == "-0.13");
    CHECK(d("-0.125").rounded(2, Rounding::half_even).toString() == "-0.12");
    CHECK(d("0.1251").rounded(2, Rounding::half_even).toString() == "0.13");
    CHECK(d("0.121").rounded(2, Rounding::up).toString() == "0.13");
    CHECK(d("0.129").rounded(2, Rounding::down).toString() == "0.12");
    CHECK(d("5").rounded(2, Rounding::half_even).toString() == "5.00");
    CHECK(d("2.5").rounded(0, Rounding::half_even).toString() == "2");
    CHECK(d("3.5").rounded(0, Rounding::half_even).toString() == "4");
    CHECK(metered::parseRounding("half_up") == Rounding::half_up);
    CHECK_THROWS_AS(metered::parseRounding("bankers"), metered::ValidationError);
}

TEST_CASE("whole packages round up", "[decimal]") {
    CHECK(metered::ceilDivide(d("1001"), d("1000")) == Decimal(2));
    CHECK(metered::ceilDivide(d("1000"), d("1000")) == Decimal(1));
    CHECK(metered::ceilDivide(d("0.5"), d("0.25")) == Decimal(2));
    CHECK(metered::ceilDivide(d("0.51"), d("0.25")) == Decimal(3));
    CHECK(metered::ceilDivide(d("0"), d("10")) == Decimal(0));
    CHECK_THROWS_AS(metered::ceilDivide(d("1"), d("0")), metered::ArithmeticError);
}

TEST_CASE("integer views", "[decimal]") {
    CHECK(d("12.000").toInt64() == 12);
    CHECK_FALSE(d("12.5").toInt64().has_value());
    CHECK(d("12.500").significantScale() == 1);
    CHECK(d("12.500").isInteger() == false);
    CHECK(d("1200").isInteger());
}

TEST_CASE("the most negative 128-bit mantissa is refused, not negated", "[decimal]") {
    __extension__ const auto most_negative = static_cast<__int128>(static_cast<unsigned __int128>(1) << 127);
    CHECK_THROWS_AS(metered::detail::DecimalAccess::make(most_negative, 0), metered::ArithmeticError);
    CHECK_THROWS_AS(metered::detail::DecimalAccess::make(most_negative + 1, 0), metered::ArithmeticError);
}
