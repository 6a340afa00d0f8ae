// SPDX-License-Identifier: MIT
// One stored event as a per-transaction charge prices it, read from the events themselves.
#pragma once

#include <date/date.h>

#include "metered/decimal.h"
#include "metered/ids.h"
#include "metered/time.h"

namespace metered {

/// One event of a type that a percentage meter with per-transaction bounds prices one by
/// one (Meter::transaction_minimum, maximum), as UsageStore::transactions reads it: a
/// voided event has none; an amended one has its amended quantity.
struct TransactionAmount {
    date::local_days day;  ///< the business's local day it happened on
    Timestamp at;          ///< when it happened
    EventId id;            ///< orders two events of the same microsecond (the larger id is the later)
    Decimal amount;        ///< its quantity, as corrected

    friend bool operator==(const TransactionAmount&, const TransactionAmount&) = default;
};

}  // namespace metered
