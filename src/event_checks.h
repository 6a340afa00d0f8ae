// SPDX-License-Identifier: MIT
// Checks every store applies to an appended event (private).
#pragma once

#include <optional>
#include <string>

#include "metered/usage_event.h"

namespace metered::detail {

/// Largest metadata a store accepts, whatever the recorder's own limit.
inline constexpr std::size_t max_stored_metadata_bytes = 1 << 20;

/// Why a store must refuse `event`, or nothing when it is well-formed: nil ids, a negative
/// quantity or price, too many fractional digits, a list cost that is not quantity × price,
/// oversized metadata.
std::optional<std::string> eventProblem(const UsageEvent& event);

}  // namespace metered::detail
