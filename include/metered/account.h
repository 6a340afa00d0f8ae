// SPDX-License-Identifier: MIT
// A business that is metered and billed.
#pragma once

#include <string>

#include "metered/export.h"
#include "metered/ids.h"
#include "metered/time.h"

namespace metered {

/// A business's billing settings, as the seed's `businesses` row plus what billing needs.
/// Usage is bucketed into the business's local days: set the time zone before recording.
struct METERED_API Account {
    BusinessId id;
    std::string name;
    std::string plan_id = "basic";
    std::string time_zone = "UTC";  ///< IANA name, e.g. "America/New_York"
    int anchor_day = 1;             ///< day of month its billing cycle starts (1–31)
    // plan_id is the plan until the account's first PlanChange; the changes move it from
    // their days on (UsageReports::changePlan, docs/history.md#plan-and-price-versions).

    /// Throws ValidationError naming the field: empty or over-long name (1–200 bytes of
    /// UTF-8), malformed plan id, unknown time zone, anchor day outside 1–31.
    void validate() const;
    friend bool operator==(const Account&, const Account&) = default;
};

/// A business moved to another plan from the start of one of its local days on. Stored
/// once and never changed (UsageStore::savePlanChange): a scheduled change is undone by a
/// later change back, so the bill of every past day can always be priced again.
struct METERED_API PlanChange {
    BusinessId business;
    date::local_days effective;  ///< the first local day on the new plan
    std::string plan_id;

    /// Throws ValidationError: malformed "plan_id", "effective" outside 2000-01-01 to 2199-12-31.
    void validate() const;
    friend bool operator==(const PlanChange&, const PlanChange&) = default;
};

}  // namespace metered
