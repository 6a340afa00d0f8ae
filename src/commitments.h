// SPDX-License-Identifier: MIT
// A billing cycle's fixed charges: its minimums and maximums, settled on its bill, and its fee (private).
#pragma once

#include <optional>
#include <span>

#include "metered/pricing.h"

namespace metered::detail {

/// One plan version's days in a billing cycle.
struct VersionDays {
    const Plan* plan = nullptr;
    int days = 0;
};

/// Appends to `bill`, the charges of one whole billing cycle of `cycle_days` days without
/// commitments, the commitment lines of the plan versions that priced its days (`versions`,
/// their days summing to cycle_days), and adds them to its total: for each meter type (in
/// the order the versions' meters first name them) its minimum then its maximum, against
/// all the type's lines; then the plan's minimum and maximum, against the bill so far. A
/// limit is the versions' limits weighted by their days, summed and rounded once to the
/// currency's minor unit with the plan's rounding; a version without a minimum adds none,
/// and a maximum applies only when every version has one. Lines that change nothing are
/// left out; each line's `from` is `cycle_start`.
void settleCommitments(Bill& bill, std::span<const VersionDays> versions, int cycle_days,
                       std::optional<date::local_days> cycle_start);

/// The recurring fee of a billing cycle of `cycle_days` days priced by `versions` (their
/// days summing to cycle_days): each version's Plan::fee weighted by its days, summed and
/// rounded once as a minimum is; nothing when no version has a fee. `from` is `cycle_start`.
std::optional<FeeLine> cycleFee(std::span<const VersionDays> versions, int cycle_days,
                                std::optional<date::local_days> cycle_start);

}  // namespace metered::detail
