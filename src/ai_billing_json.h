// SPDX-License-Identifier: MIT
// A plan's AiBilling as exact JSON, for the price book and the database stores (private).
#pragma once

#include <string>

#include "exact_json.h"
#include "metered/plan.h"

namespace metered::detail {

/// Reads the `ai` object of a plan:
/// `{"markup_percent": 20, "included_amount": "5.00", "models": {"openai/gpt-4o": {"markup_percent": 10},
///   "anthropic/claude-sonnet-4": {"prices": {"per": "1M", "input": "3.50", "output": "16"}}}}`.
/// Every key is optional. `per` ("1", "1K" or "1M") scales the token parts' prices only;
/// requests, audio_seconds and characters are priced per unit. Throws ValidationError with
/// the JSON path below `at` for an unknown key, a value of the wrong kind, a bad `per`.
/// Values are checked by Plan::validate.
AiBilling readAiBilling(const Json& json, const std::string& at);

/// The JSON form readAiBilling reads, every number exact and every price per unit.
Json writeAiBilling(const AiBilling& ai);

}  // namespace metered::detail
