// SPDX-License-Identifier: MIT
#include "metered/account.h"

#include "metered/billing_period.h"
#include "metered/errors.h"
#include "precision.h"
#include "utf8.h"
#include "untrusted_text.h"

namespace metered {

void Account::validate() const {
    if (name.empty() || name.size() > 200 || !detail::isValidUtf8(name)) {
        throw ValidationError("name", "must be 1 to 200 bytes of UTF-8");
    }
    if (!detail::isPlanId(plan_id)) throw ValidationError("plan_id", detail::quoted(plan_id) + " is not a plan id");
    if (!isKnownTimeZone(time_zone)) {
        throw ValidationError("time_zone", "unknown time zone " + detail::quoted(time_zone));
    }
    if (anchor_day < 1 || anchor_day > 31) throw ValidationError("anchor_day", "must be between 1 and 31");
}

void PlanChange::validate() const {
    if (!detail::isPlanId(plan_id)) throw ValidationError("plan_id", detail::quoted(plan_id) + " is not a plan id");
    if (!detail::isStorableDay(effective)) throw ValidationError("effective", "must be from 2000-01-01 to 2199-12-31");
}

}  // namespace metered
