// SPDX-License-Identifier: MIT
// Precision limits shared by validation and pricing (private).
#pragma once

namespace metered::detail {

/// Fractional digits a recorded quantity, allowance or tier bound may carry.
inline constexpr int max_quantity_scale = 9;
/// Fractional digits a unit price, flat fee or package price may carry
/// (per-token prices such as $0.00000015 need more than six).
inline constexpr int max_price_scale = 12;

}  // namespace metered::detail
