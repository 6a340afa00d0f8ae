// SPDX-License-Identifier: MIT
#include "commitments.h"

#include <algorithm>
#include <functional>
#include <vector>

#include "decimal_access.h"
#include "metered/errors.h"

namespace metered::detail {
namespace {

// numerator / divisor (numerator ≥ 0, at most `digits` fractional digits; divisor > 0),
// rounded to `digits` fractional digits with `mode`.
Decimal divideRounded(const Decimal& numerator, int divisor, int digits, Rounding mode) {
    const int128 m = DecimalAccess::mantissa(numerator.rounded(digits, mode));
    const int128 n = divisor;
    int128 q = m / n;
    const int128 twice_r = 2 * (m % n);
    switch (mode) {
        case Rounding::down:
            break;
        case Rounding::up:
            q += twice_r != 0 ? 1 : 0;
            break;
        case Rounding::half_up:
            q += twice_r >= n ? 1 : 0;
            break;
        case Rounding::half_even:
            q += twice_r > n || (twice_r == n && q % 2 != 0) ? 1 : 0;
            break;
    }
    return DecimalAccess::make(q, digits);
}

using LimitOf = std::function<std::optional<Decimal>(const Plan&)>;

// The versions' limits weighted by their days, rounded once; nothing when no version has
// one, or (`every`) when one of them has none.
std::optional<Decimal> weighted(std::span<const VersionDays> versions, int cycle_days, const LimitOf& limit_of,
                                bool every, const Plan& last) {
    Decimal sum;
    bool any = false;
    for (const VersionDays& version : versions) {
        const std::optional<Decimal> limit = limit_of(*version.plan);
        if (!limit) {
            if (every) return std::nullopt;
            continue;
        }
        any = true;
        sum += *limit * Decimal(version.days);
    }
    if (!any) return std::nullopt;
    return divideRounded(sum, cycle_days, last.currency.minor_units, last.rounding);
}

// Appends the minimum's and the maximum's lines for charges of `charged` (rounded).
void settle(Bill& bill, const std::optional<EventType>& type, const std::optional<Decimal>& minimum,
            const std::optional<Decimal>& maximum, Decimal charged, std::optional<date::local_days> from) {
    if (minimum && charged < *minimum) {
        bill.commitments.push_back({CommitmentKind::minimum, type, *minimum, charged, *minimum - charged, from});
        bill.total += bill.commitments.back().amount;
        charged = *minimum;
    }
    if (maximum && charged > *maximum) {
        bill.commitments.push_back({CommitmentKind::maximum, type, *maximum, charged, *maximum - charged, from});
        bill.total += bill.commitments.back().amount;
    }
}

}  // namespace

void settleCommitments(Bill& bill, std::span<const VersionDays> versions, int cycle_days,
                       std::optional<date::local_days> cycle_start) {
    if (versions.empty() || cycle_days <= 0) throw ArithmeticError("settleCommitments needs a cycle of days");
    const Plan& last = *versions.back().plan;
    std::vector<EventType> types;
    for (const VersionDays& version : versions) {
        for (const Meter& meter : version.plan->meters) {
            if (std::find(types.begin(), types.end(), meter.type) == types.end()) types.push_back(meter.type);
        }
    }
    for (const EventType& type : types) {
        const auto of_meter = [&](auto field) -> LimitOf {
            return [&type, field](const Plan& plan) -> std::optional<Decimal> {
                const Meter* meter = plan.meter(type);
                return meter != nullptr ? meter->*field : std::nullopt;
            };
        };
        const auto minimum = weighted(versions, cycle_days, of_meter(&Meter::minimum), false, last);
        const auto maximum = weighted(versions, cycle_days, of_meter(&Meter::maximum), true, last);
        if (minimum || maximum) {
            const Decimal charged = bill.amountOf(type).rounded(last.currency.minor_units, last.rounding);
            settle(bill, type, minimum, maximum, charged, cycle_start);
        }
    }
    const auto minimum = weighted(
        versions, cycle_days, [](const Plan& plan) { return plan.minimum; }, false, last);
    const auto maximum = weighted(
        versions, cycle_days, [](const Plan& plan) { return plan.maximum; }, true, last);
    if (minimum || maximum) settle(bill, std::nullopt, minimum, maximum, bill.total, cycle_start);
}

std::optional<FeeLine> cycleFee(std::span<const VersionDays> versions, int cycle_days,
                                std::optional<date::local_days> cycle_start) {
    if (versions.empty() || cycle_days <= 0) throw ArithmeticError("cycleFee needs a cycle of days");
    const Plan& last = *versions.back().plan;
    const auto amount = weighted(
        versions, cycle_days, [](const Plan& plan) { return plan.fee; }, false, last);
    if (!amount) return std::nullopt;
    return FeeLine{last.fee.value_or(Decimal(0)), *amount, cycle_start};
}

}  // namespace metered::detail
