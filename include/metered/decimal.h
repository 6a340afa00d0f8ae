// SPDX-License-Identifier: MIT
// Exact decimal numbers for quantities, prices and money.
#pragma once

#include <compare>
#include <concepts>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include "metered/export.h"

namespace metered {

namespace detail {
struct DecimalAccess;
}  // namespace detail

/// How a value is brought to fewer fractional digits.
enum class Rounding : std::uint8_t {
    half_even,  ///< to nearest, ties to the even digit ("banker's rounding"); the default
    half_up,    ///< to nearest, ties away from zero (what most people learn at school)
    up,         ///< away from zero (ceiling for positive values)
    down,       ///< toward zero (truncation)
};

/// An exact decimal number: an integer mantissa and a count of fractional digits
/// (value = mantissa × 10^-scale), like SQL's NUMERIC.
///
/// No binary floating point is involved anywhere: "0.001" is exactly one thousandth.
/// Addition, subtraction and multiplication are exact; an operation whose exact result
/// does not fit (38 significant digits, at most `max_scale` fractional digits) throws
/// `ArithmeticError` instead of losing digits. Rounding happens only when asked for.
/// The scale is kept as given ("5.00" prints as "5.00"); equality and ordering compare
/// values, so 5 == 5.00.
///
/// A value type; safe to copy and to share between threads.
class METERED_API Decimal {
public:
    /// Most fractional digits a value may carry.
    static constexpr int max_scale = 24;

    constexpr Decimal() noexcept = default;

    /// An integer value, exactly.
    template <std::integral I>
    requires(!std::same_as<I, bool>) constexpr Decimal(I value) noexcept : mantissa_(static_cast<Mantissa>(value)) {}

    /// mantissa × 10^-scale, exactly: `fromMantissa(1, 3)` is 0.001. Throws
    /// ArithmeticError if scale is outside [0, max_scale].
    static Decimal fromMantissa(std::int64_t mantissa, int scale);

    /// Parses "-12.345", "0.001", "25.5", "1e-3" (no spaces, no NaN or infinity).
    /// Throws ValidationError naming `field` when the text is not such a number.
    static Decimal parse(std::string_view text, std::string_view field = "decimal");
    /// As parse, but returns nothing instead of throwing.
    static std::optional<Decimal> tryParse(std::string_view text) noexcept;

    constexpr int scale() const noexcept { return scale_; }
    constexpr int signum() const noexcept { return mantissa_ > 0 ? 1 : (mantissa_ < 0 ? -1 : 0); }
    constexpr bool isZero() const noexcept { return mantissa_ == 0; }
    constexpr bool isNegative() const noexcept { return mantissa_ < 0; }
    /// True when the value has no fractional part.
    bool isInteger() const noexcept;
    /// Fractional digits needed to write the value exactly (trailing zeros ignored).
    int significantScale() const noexcept;

    /// The same value with trailing fractional zeros removed ("5.00" → "5").
    Decimal normalized() const noexcept;
    /// The value rounded (or zero-extended) to exactly `digits` fractional digits.
    Decimal rounded(int digits, Rounding mode) const;
    /// The value as an integer, if it is one and fits.
    std::optional<std::int64_t> toInt64() const noexcept;

    /// Exact text with the value's own scale: "5.00", "-0.001", "25".
    std::string toString() const;
    /// Exact text with trailing fractional zeros removed: "25.5", "5".
    std::string toPlainString() const;

    Decimal operator-() const;
    friend METERED_API Decimal operator+(const Decimal& a, const Decimal& b);
    friend METERED_API Decimal operator-(const Decimal& a, const Decimal& b);
    friend METERED_API Decimal operator*(const Decimal& a, const Decimal& b);
    Decimal& operator+=(const Decimal& other) { return *this = *this + other; }
    Decimal& operator-=(const Decimal& other) { return *this = *this - other; }

    friend METERED_API bool operator==(const Decimal& a, const Decimal& b) noexcept;
    friend METERED_API std::strong_ordering operator<=>(const Decimal& a, const Decimal& b) noexcept;

private:
    friend struct detail::DecimalAccess;      // the library's own arithmetic, text and encoding
    __extension__ using Mantissa = __int128;  // 38 digits fit
    Mantissa mantissa_ = 0;
    std::uint8_t scale_ = 0;
};

METERED_API Decimal min(const Decimal& a, const Decimal& b) noexcept;
METERED_API Decimal max(const Decimal& a, const Decimal& b) noexcept;

/// The smallest integer n with n × divisor ≥ dividend (both positive): whole packages.
/// Throws ArithmeticError when divisor is not positive.
METERED_API Decimal ceilDivide(const Decimal& dividend, const Decimal& divisor);
/// The largest integer n with n × divisor ≤ dividend (dividend not positive: 0): whole
/// packages rounded down. Throws ArithmeticError when divisor is not positive.
METERED_API Decimal floorDivide(const Decimal& dividend, const Decimal& divisor);

METERED_API std::ostream& operator<<(std::ostream& os, const Decimal& value);

/// The name of a rounding mode ("half_even", "half_up", "up", "down").
METERED_API std::string_view toString(Rounding mode) noexcept;
/// Parses a rounding mode name; throws ValidationError naming `field`.
METERED_API Rounding parseRounding(std::string_view name, std::string_view field = "rounding");

}  // namespace metered

template <>
struct std::hash<metered::Decimal> {
    METERED_API std::size_t operator()(const metered::Decimal& value) const noexcept;
};
