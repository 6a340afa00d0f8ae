// SPDX-License-Identifier: MIT
// Limits shared by validation, pricing and the stores (private).
#pragma once

#include <algorithm>
#include <string_view>

namespace metered::detail {

/// A plan id: 1-64 of A-Z a-z 0-9 _ - .
inline bool isPlanId(std::string_view id) noexcept {
    return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
               c == '.';
    });
}

/// Fractional digits a recorded quantity, allowance or tier bound may carry.
inline constexpr int max_quantity_scale = 9;
/// Fractional digits a unit price, flat fee or package price may carry
/// (per-token prices such as $0.00000015 need more than six).
inline constexpr int max_price_scale = 12;

}  // namespace metered::detail
