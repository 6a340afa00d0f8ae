// SPDX-License-Identifier: MIT
#include "metered/credit.h"

#include <algorithm>

#include "metered/errors.h"
#include "metered/plan.h"
#include "precision.h"

namespace metered {
void CreditGrant::validate() const {
    if (!detail::isPlanId(id)) {  // the same rule as a plan's or a budget's id
        throw ValidationError("id", "must be 1 to 64 characters of A-Z, a-z, 0-9, '_', '.', '-'");
    }
    if (currency.size() != 3 ||
        !std::all_of(currency.begin(), currency.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
        throw ValidationError("currency", "must be an ISO 4217 code (three capital letters)");
    }
    if (amount <= Decimal() || amount > Decimal(1'000'000'000) || amount.scale() > Currency::max_minor_units) {
        throw ValidationError("amount", "must be positive, at most 10^9, with at most " +
                                            std::to_string(Currency::max_minor_units) + " fractional digits");
    }
    if (expires && *expires <= effective) throw ValidationError("expires", "must be after the effective day");
    if (priority < 0 || priority > 1000) throw ValidationError("priority", "must be from 0 to 1000");
}

}  // namespace metered
