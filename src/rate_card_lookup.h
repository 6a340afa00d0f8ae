// SPDX-License-Identifier: MIT
// The rate-card entry that prices a call, shared by LLM and voice pricing.
#pragma once

#include <string>
#include <string_view>

#include "metered/rate_card.h"

namespace metered::detail {

/// "provider/model".
std::string modelKey(std::string_view provider, std::string_view model);

/// The entry of `provider`/`model` in effect at `at`, or else the fallback model's (and
/// `fallback_used` is set); throws ValidationError("model", …) when neither is priced.
const RateCardEntry& pricingEntry(const RateCard& card, std::string_view provider, std::string_view model, Timestamp at,
                                  const PricingFallback& fallback, bool& fallback_used);

}  // namespace metered::detail
