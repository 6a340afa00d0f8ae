// SPDX-License-Identifier: MIT
// A business that is metered and billed.
#pragma once

#include <string>

#include "metered/export.h"
#include "metered/ids.h"

namespace metered {

/// A business's billing settings, as the seed's `businesses` row plus what billing needs.
/// Usage is bucketed into the business's local days: set the time zone before recording.
struct METERED_API Account {
    BusinessId id;
    std::string name;
    std::string plan_id = "basic";
    std::string time_zone = "UTC";  ///< IANA name, e.g. "America/New_York"
    int anchor_day = 1;             ///< day of month its billing cycle starts (1–31)

    /// Throws ValidationError naming the field: empty or over-long name (1–200 bytes of
    /// UTF-8), malformed plan id, unknown time zone, anchor day outside 1–31.
    void validate() const;
    friend bool operator==(const Account&, const Account&) = default;
};

}  // namespace metered
