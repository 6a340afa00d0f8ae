// SPDX-License-Identifier: MIT
// One stored event as it was appended, read back (exports, audits).
#pragma once

#include <date/date.h>

#include "metered/usage_event.h"

namespace metered {

/// One stored event as it was appended, with the local day of the business its rollups
/// count it on (UsageStore::recordedEvents). What corrections did to it afterwards (a void,
/// an amendment, a backfill) is UsageStore::listCorrections'.
struct RecordedEvent {
    UsageEvent event;
    date::local_days day;
};

}  // namespace metered
