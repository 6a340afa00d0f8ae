// SPDX-License-Identifier: MIT
#include "metered/decimal.h"

#include "decimal_access.h"

#include <array>
#include <cstdlib>
#include <ostream>

#include "metered/errors.h"
#include "text_format.h"
#include "untrusted_text.h"

namespace metered {
namespace {

using detail::int128;

__extension__ using uint128 = unsigned __int128;

constexpr int max_mantissa_digits = 38;

constexpr std::array<int128, max_mantissa_digits + 1> make_powers() {
    std::array<int128, max_mantissa_digits + 1> powers{};
    powers[0] = 1;
    for (std::size_t i = 1; i < powers.size(); ++i) powers[i] = powers[i - 1] * 10;
    return powers;
}
constexpr auto powers_of_ten = make_powers();
constexpr int128 mantissa_limit = powers_of_ten[max_mantissa_digits];  // |mantissa| < 10^38

constexpr int128 magnitude(int128 v) { return v < 0 ? -v : v; }

// Compared without negating: -INT128_MIN does not exist (a spooled record may hold it).
bool fits(int128 mantissa) { return mantissa > -mantissa_limit && mantissa < mantissa_limit; }

// True when |mantissa| < 2^63: a product of two such, or of one and 10^k for k ≤ 18, is
// below 2^126 < 10^38, so it can neither overflow nor leave the 38 digits. The common case
// (prices, token counts, costs) takes this path: one machine multiplication.
bool small(int128 mantissa) { return mantissa == static_cast<std::int64_t>(mantissa); }

// mantissa × 10^k, or nothing on overflow.
std::optional<int128> scaleUp(int128 mantissa, int k) {
    if (k <= 18 && small(mantissa)) return mantissa * powers_of_ten[k];
    if (k > max_mantissa_digits) return mantissa == 0 ? std::optional<int128>(0) : std::nullopt;
    int128 result = 0;
    if (__builtin_mul_overflow(mantissa, powers_of_ten[k], &result) || !fits(result)) return std::nullopt;
    return result;
}

// Removes trailing fractional zeros.
void trim(int128& mantissa, int& scale) {
    while (scale > 0 && mantissa % 10 == 0) {
        mantissa /= 10;
        --scale;
    }
}

struct Aligned {
    int128 a, b;
    int scale;
};

constexpr auto make_small_powers() {
    std::array<std::int64_t, 19> powers{};
    powers[0] = 1;
    for (std::size_t i = 1; i < powers.size(); ++i) powers[i] = powers[i - 1] * 10;
    return powers;
}
constexpr auto small_powers_of_ten = make_small_powers();  // up to 10^18

// a + b for the common case (prices, costs, totals): both mantissas below 2^63 in
// magnitude and the scales at most 18 apart. Each aligned operand is then a 64 × 64-bit
// product below 2^123 in magnitude, their sum below 2^124 < 10^38, and the
// larger scale is in range: exactly what align() and make() would give, in a few
// instructions. False, and nothing written, otherwise.
bool smallSum(int128 ma, int sa, int128 mb, int sb, int128& mantissa, int& scale) noexcept {
    if (!small(ma) || !small(mb) || sa - sb > 18 || sb - sa > 18) return false;
    scale = std::max(sa, sb);
    const int128 a = static_cast<int128>(static_cast<std::int64_t>(ma)) * small_powers_of_ten[scale - sa];
    const int128 b = static_cast<int128>(static_cast<std::int64_t>(mb)) * small_powers_of_ten[scale - sb];
    mantissa = a + b;
    return true;
}

// Brings both operands to one scale exactly, trimming zeros if the larger scale overflows.
std::optional<Aligned> align(int128 ma, int sa, int128 mb, int sb) {
    for (int attempt = 0; attempt < 2; ++attempt) {
        const int scale = std::max(sa, sb);
        auto a = scaleUp(ma, scale - sa);
        auto b = scaleUp(mb, scale - sb);
        if (a && b) return Aligned{*a, *b, scale};
        trim(ma, sa);
        trim(mb, sb);
    }
    return std::nullopt;
}

[[noreturn]] void overflow(const char* what) {
    throw ArithmeticError(std::string("decimal ") + what + " does not fit exactly in 38 digits");
}

}  // namespace

Decimal Decimal::fromMantissa(std::int64_t mantissa, int scale) { return detail::DecimalAccess::make(mantissa, scale); }

Decimal detail::DecimalAccess::make(int128 mantissa, int scale) {
    if (scale < 0 || scale > Decimal::max_scale) throw ArithmeticError("decimal scale out of range");
    if (!fits(mantissa)) overflow("mantissa");
    Decimal d;
    d.mantissa_ = mantissa;
    d.scale_ = static_cast<std::uint8_t>(scale);
    return d;
}

std::optional<Decimal> Decimal::tryParse(std::string_view text) noexcept {
    std::size_t i = 0;
    const std::size_t n = text.size();
    bool negative = false;
    if (i < n && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';

    int128 mantissa = 0;
    int digits = 0;  // significant digits accumulated
    int fraction = 0;
    auto take_digits = [&](bool fractional) {
        const std::size_t start = i;
        for (; i < n && text[i] >= '0' && text[i] <= '9'; ++i) {
            if (mantissa != 0 || text[i] != '0') ++digits;
            if (digits > max_mantissa_digits) return false;
            mantissa = mantissa * 10 + (text[i] - '0');
            if (fractional) ++fraction;
        }
        return i > start;
    };
    if (!take_digits(false)) return std::nullopt;
    if (i < n && text[i] == '.') {
        ++i;
        if (!take_digits(true)) return std::nullopt;
    }
    int exponent = 0;
    if (i < n && (text[i] == 'e' || text[i] == 'E')) {
        ++i;
        bool exp_negative = false;
        if (i < n && (text[i] == '-' || text[i] == '+')) exp_negative = text[i++] == '-';
        const std::size_t start = i;
        for (; i < n && text[i] >= '0' && text[i] <= '9'; ++i) {
            if (i - start >= 4) return std::nullopt;
            exponent = exponent * 10 + (text[i] - '0');
        }
        if (i == start) return std::nullopt;
        if (exp_negative) exponent = -exponent;
    }
    if (i != n) return std::nullopt;

    int scale = fraction - exponent;
    if (scale < 0) {
        auto scaled = scaleUp(mantissa, -scale);
        if (!scaled) return std::nullopt;
        mantissa = *scaled;
        scale = 0;
    }
    if (scale > max_scale) {
        trim(mantissa, scale);
        if (scale > max_scale) return std::nullopt;
    }
    Decimal d;
    d.mantissa_ = negative ? -mantissa : mantissa;
    d.scale_ = static_cast<std::uint8_t>(scale);
    return d;
}

Decimal Decimal::parse(std::string_view text, std::string_view field) {
    if (auto d = tryParse(text)) return *d;
    throw ValidationError(field, detail::quoted(text) +
                                     " is not a decimal number (digits, optional '.' "
                                     "and fraction, at most 38 digits)");
}

bool Decimal::isInteger() const noexcept { return mantissa_ % powers_of_ten[scale_] == 0; }

int Decimal::significantScale() const noexcept { return normalized().scale(); }

Decimal Decimal::normalized() const noexcept {
    Decimal d = *this;
    int scale = scale_;
    trim(d.mantissa_, scale);
    d.scale_ = static_cast<std::uint8_t>(scale);
    return d;
}

Decimal Decimal::rounded(int digits, Rounding mode) const {
    if (digits < 0 || digits > max_scale) throw ArithmeticError("rounding digits out of range");
    if (digits >= scale_) {
        auto scaled = scaleUp(mantissa_, digits - scale_);
        if (!scaled) overflow("rounding");
        return detail::DecimalAccess::make(*scaled, digits);
    }
    const int128 p = powers_of_ten[scale_ - digits];
    int128 q = mantissa_ / p;
    const int128 r = magnitude(mantissa_ % p);
    const int128 away = mantissa_ < 0 ? -1 : 1;
    if (r != 0) {
        switch (mode) {
            case Rounding::down:
                break;
            case Rounding::up:
                q += away;
                break;
            case Rounding::half_up:
                if (2 * r >= p) q += away;
                break;
            case Rounding::half_even:
                if (2 * r > p || (2 * r == p && q % 2 != 0)) q += away;
                break;
        }
    }
    return detail::DecimalAccess::make(q, digits);
}

std::optional<std::int64_t> Decimal::toInt64() const noexcept {
    if (!isInteger()) return std::nullopt;
    const int128 v = mantissa_ / powers_of_ten[scale_];
    if (v > INT64_MAX || v < INT64_MIN) return std::nullopt;
    return static_cast<std::int64_t>(v);
}

namespace detail {

void appendDecimal(std::string& out, const Decimal& value) {
    __extension__ using uint128 = unsigned __int128;
    char buffer[48];
    char* end = buffer + sizeof buffer;
    char* p = end;
    const bool negative = value.isNegative();
    auto m = negative ? static_cast<uint128>(-detail::DecimalAccess::mantissa(value))
                      : static_cast<uint128>(detail::DecimalAccess::mantissa(value));
    int written = 0;
    const int scale = value.scale();
    do {
        if (written == scale && scale > 0) *--p = '.';
        *--p = static_cast<char>('0' + static_cast<int>(m % 10));
        m /= 10;
        ++written;
    } while (m != 0 || written <= scale);
    if (negative) *--p = '-';
    out.append(p, static_cast<std::size_t>(end - p));
}

}  // namespace detail

std::string Decimal::toString() const {
    std::string text;
    detail::appendDecimal(text, *this);
    return text;
}

std::string Decimal::toPlainString() const { return normalized().toString(); }

Decimal Decimal::operator-() const { return detail::DecimalAccess::make(-mantissa_, scale_); }

Decimal operator+(const Decimal& a, const Decimal& b) {
    Decimal d;
    int scale = 0;
    if (smallSum(a.mantissa_, a.scale_, b.mantissa_, b.scale_, d.mantissa_, scale)) {
        d.scale_ = static_cast<std::uint8_t>(scale);
        return d;
    }
    auto aligned = align(a.mantissa_, a.scale_, b.mantissa_, b.scale_);
    int128 sum = 0;
    if (!aligned || __builtin_add_overflow(aligned->a, aligned->b, &sum)) overflow("sum");
    return detail::DecimalAccess::make(sum, aligned->scale);
}

Decimal operator-(const Decimal& a, const Decimal& b) {
    // a + (-b): negating a mantissa of at most 38 digits is exact.
    Decimal negated = b;
    negated.mantissa_ = -b.mantissa_;
    return a + negated;
}

Decimal operator*(const Decimal& a, const Decimal& b) {
    int128 ma = a.mantissa_, mb = b.mantissa_;
    int sa = a.scale_, sb = b.scale_;
    if (small(ma) && small(mb) && sa + sb <= Decimal::max_scale) {
        Decimal d;  // |product| < 2^126 < 10^38 and the scale in range: make()'s checks hold
        d.mantissa_ = static_cast<int128>(static_cast<std::int64_t>(ma)) * static_cast<std::int64_t>(mb);
        d.scale_ = static_cast<std::uint8_t>(sa + sb);
        return d;
    }
    for (int attempt = 0; attempt < 2; ++attempt) {
        int128 product = 0;
        if (!__builtin_mul_overflow(ma, mb, &product) && fits(product)) {
            int scale = sa + sb;
            if (scale > Decimal::max_scale) trim(product, scale);
            if (scale > Decimal::max_scale) {
                throw ArithmeticError("decimal product has more than 24 fractional digits");
            }
            return detail::DecimalAccess::make(product, scale);
        }
        trim(ma, sa);
        trim(mb, sb);
    }
    overflow("product");
}

std::strong_ordering operator<=>(const Decimal& a, const Decimal& b) noexcept {
    if (a.signum() != b.signum()) return a.signum() <=> b.signum();
    if (a.scale_ == b.scale_) return a.mantissa_ <=> b.mantissa_;
    // Scale the operand with fewer fractional digits up; if that overflows, its magnitude
    // exceeds every representable mantissa and therefore the other operand's.
    const bool a_lower = a.scale_ < b.scale_;
    const int128 low = a_lower ? a.mantissa_ : b.mantissa_;
    const int128 high = a_lower ? b.mantissa_ : a.mantissa_;
    int128 scaled = 0;
    std::strong_ordering low_vs_high = std::strong_ordering::equal;
    const int k = std::abs(a.scale_ - b.scale_);
    if (k <= 18 && small(low)) {
        low_vs_high = low * powers_of_ten[k] <=> high;
    } else if (k > max_mantissa_digits || __builtin_mul_overflow(low, powers_of_ten[k], &scaled)) {
        low_vs_high = low > 0 ? std::strong_ordering::greater : std::strong_ordering::less;
    } else {
        low_vs_high = scaled <=> high;
    }
    if (a_lower) return low_vs_high;
    return 0 <=> low_vs_high;
}

bool operator==(const Decimal& a, const Decimal& b) noexcept { return (a <=> b) == 0; }

Decimal min(const Decimal& a, const Decimal& b) noexcept { return b < a ? b : a; }
Decimal max(const Decimal& a, const Decimal& b) noexcept { return a < b ? b : a; }

Decimal ceilDivide(const Decimal& dividend, const Decimal& divisor) {
    if (divisor.signum() <= 0) throw ArithmeticError("ceilDivide needs a positive divisor");
    if (dividend.signum() <= 0) return Decimal(0);
    auto aligned = align(detail::DecimalAccess::mantissa(dividend), dividend.scale(),
                         detail::DecimalAccess::mantissa(divisor), divisor.scale());
    if (!aligned) overflow("quotient");
    const int128 q = aligned->a / aligned->b + (aligned->a % aligned->b != 0 ? 1 : 0);
    return detail::DecimalAccess::make(q, 0);
}

Decimal floorDivide(const Decimal& dividend, const Decimal& divisor) {
    if (divisor.signum() <= 0) throw ArithmeticError("floorDivide needs a positive divisor");
    if (dividend.signum() <= 0) return Decimal(0);
    auto aligned = align(detail::DecimalAccess::mantissa(dividend), dividend.scale(),
                         detail::DecimalAccess::mantissa(divisor), divisor.scale());
    if (!aligned) overflow("quotient");
    return detail::DecimalAccess::make(aligned->a / aligned->b, 0);
}

std::ostream& operator<<(std::ostream& os, const Decimal& value) { return os << value.toString(); }

std::string_view toString(Rounding mode) noexcept {
    switch (mode) {
        case Rounding::half_even:
            return "half_even";
        case Rounding::half_up:
            return "half_up";
        case Rounding::up:
            return "up";
        case Rounding::down:
            return "down";
    }
    return "half_even";
}

Rounding parseRounding(std::string_view name, std::string_view field) {
    for (Rounding mode : {Rounding::half_even, Rounding::half_up, Rounding::up, Rounding::down}) {
        if (toString(mode) == name) return mode;
    }
    throw ValidationError(field,
                          "unknown rounding mode " + detail::quoted(name, 32) + " (half_even, half_up, up or down)");
}

}  // namespace metered

std::size_t std::hash<metered::Decimal>::operator()(const metered::Decimal& value) const noexcept {
    const auto n = value.normalized();
    const auto m = static_cast<metered::uint128>(metered::detail::DecimalAccess::mantissa(n));
    const auto low = static_cast<std::uint64_t>(m), high = static_cast<std::uint64_t>(m >> 64);
    return std::hash<std::uint64_t>{}(low ^ (high * 0x9E3779B97F4A7C15ULL) ^ static_cast<std::uint64_t>(n.scale()));
}
