// SPDX-License-Identifier: MIT
// Events as bytes in the event log (private).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "../event_draft.h"
#include "metered/usage_event.h"

namespace metered::detail {

/// Bytes `encodeEvent` writes for `draft`.
std::size_t encodedEventSize(const EventDraft& draft) noexcept;
/// Writes `draft` at `out` (exactly encodedEventSize bytes).
void encodeEvent(const EventDraft& draft, std::byte* out) noexcept;
/// The event encoded in `bytes` (with its list cost computed). Throws ValidationError when the bytes are not an encoded
/// event.
UsageEvent decodeEvent(std::span<const std::byte> bytes);

}  // namespace metered::detail
