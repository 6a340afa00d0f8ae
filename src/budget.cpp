// SPDX-License-Identifier: MIT
#include "metered/budget.h"

#include <algorithm>

#include "decimal_access.h"
#include "metered/errors.h"
#include "precision.h"
#include "untrusted_text.h"
#include "utf8.h"

namespace metered {
namespace {

using detail::int128;

// a / b (b positive, a non-negative), rounded to `digits` fractional digits, down or half up.
Decimal divide(const Decimal& a, const Decimal& b, int digits, bool half_up) {
    const int scale = std::max(a.scale(), b.scale());
    const int128 numerator = detail::DecimalAccess::mantissa(a.rounded(scale, Rounding::down));
    const int128 denominator = detail::DecimalAccess::mantissa(b.rounded(scale, Rounding::down));
    int128 quotient = numerator / denominator;
    int128 rest = numerator % denominator;
    for (int digit = 0; digit < digits; ++digit) {
        // rest < denominator; the amounts and costs divided here keep 10 × denominator in range.
        int128 shifted = 0;
        int128 scaled = 0;
        if (__builtin_mul_overflow(rest, int128{10}, &shifted) ||
            __builtin_mul_overflow(quotient, int128{10}, &scaled)) {
            throw ArithmeticError("budget arithmetic out of range");
        }
        quotient = scaled + shifted / denominator;
        rest = shifted % denominator;
    }
    if (half_up && rest >= denominator - rest) ++quotient;
    return detail::DecimalAccess::make(quotient, digits);
}

}  // namespace

std::string_view toString(BudgetKind kind) noexcept { return kind == BudgetKind::hard ? "hard" : "soft"; }

BudgetKind parseBudgetKind(std::string_view text, std::string_view field) {
    if (text == "soft") return BudgetKind::soft;
    if (text == "hard") return BudgetKind::hard;
    throw ValidationError(field, detail::quoted(text) + " is not a budget kind (soft or hard)");
}

void Budget::validate() const {
    if (!detail::isPlanId(id)) {
        throw ValidationError("id", "must be 1 to 64 characters of A-Z, a-z, 0-9, '_', '.', '-'");
    }
    if (model) {
        const auto slash = model->find('/');
        if (slash == std::string::npos || slash == 0 || slash + 1 == model->size() || model->size() > 200 ||
            !detail::isValidUtf8(*model)) {
            throw ValidationError("model", detail::quoted(*model) + " is not \"provider/model\"");
        }
    }
    if (dimension) {
        if (model) throw ValidationError("dimension", "a budget is on a model or on a dimension value, not both");
        if (!isDimensionName(dimension->name) || dimension->name == model_dimension) {
            throw ValidationError("dimension.name",
                                  detail::quoted(dimension->name) +
                                      " is not a declarable dimension name ([a-z][a-z0-9_]{0,31}, not model)");
        }
        const std::string& value = dimension->value;
        if (value.empty() || value.size() > static_cast<std::size_t>(Dimension::max_value_bytes)) {
            throw ValidationError("dimension.value", "must be 1 to 256 bytes");
        }
        if (!detail::isValidUtf8(value) || value.find('\0') != std::string::npos) {
            throw ValidationError("dimension.value", "must be UTF-8 without U+0000");
        }
        if (value == dimension_overflow_value) {
            throw ValidationError("dimension.value", "cannot be the overflow value \"(other)\"");
        }
    }
    if (amount.signum() <= 0) throw ValidationError("amount", "must be positive");
    if (amount.significantScale() > max_amount_scale) {
        throw ValidationError("amount", "has more than 9 fractional digits");
    }
    if (amount > Decimal(1'000'000'000)) throw ValidationError("amount", "must be at most 1000000000");
    if (thresholds_percent.size() > 16) throw ValidationError("thresholds_percent", "has more than 16 thresholds");
    for (std::size_t i = 0; i < thresholds_percent.size(); ++i) {
        const int t = thresholds_percent[i];
        const std::string field = "thresholds_percent[" + std::to_string(i) + "]";
        if (t < 1 || t > 1000) throw ValidationError(field, "must be between 1 and 1000");
        if (i > 0 && t <= thresholds_percent[i - 1]) throw ValidationError(field, "must exceed the one before");
    }
}

BudgetStatus budgetStatusOf(const Budget& budget, const Decimal& spent, const DayRange& cycle, date::local_days today,
                            int minor_units) {
    BudgetStatus status;
    status.budget = budget;
    status.cycle = cycle;
    status.spent = spent;
    status.remaining = spent < budget.amount ? budget.amount - spent : Decimal();
    status.percent = divide(spent * Decimal(100), budget.amount, 2, false);
    for (const int t : budget.thresholds_percent) {
        if (spent * Decimal(100) >= budget.amount * Decimal(t)) status.crossed_thresholds.push_back(t);
    }
    const auto day = std::clamp(today, cycle.first, cycle.end - date::days(1));
    const int elapsed = static_cast<int>((day - cycle.first).count()) + 1;
    status.forecast = divide(spent * Decimal(cycle.count()), Decimal(elapsed), minor_units, true);
    status.exceeded = budget.kind == BudgetKind::hard && spent >= budget.amount;
    return status;
}

}  // namespace metered
