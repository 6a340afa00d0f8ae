// SPDX-License-Identifier: MIT
// Small helpers shared by the tests.
#pragma once

#include <date/date.h>

#include "metered/usage_recorder.h"

namespace metered::testing {

inline Decimal num(const char* text) { return Decimal::parse(text); }

inline Timestamp at(date::sys_days day, std::chrono::microseconds offset = {}) { return Timestamp(day) + offset; }

/// An account with a fresh random id.
inline Account account(std::string name, std::string zone = "UTC", std::string plan = "basic", int anchor = 1) {
    return Account{BusinessId(Uuid::generateV7()), std::move(name), std::move(plan), std::move(zone), anchor};
}

/// A priced event of `type` for `business` at `when` (list price from the basic plan).
inline UsageEvent event(const BusinessId& business, EventType type, const char* quantity, Timestamp when) {
    static const Plan basic = Plan::basic();
    const Meter& list = *basic.meter(type);
    UsageEvent e;
    e.id = EventId::generate();
    e.business = business;
    e.type = type;
    e.quantity = Decimal::parse(quantity);
    e.unit_price = list.unit_price;
    e.list_cost = e.quantity * e.unit_price;
    e.occurred_at = when;
    return e;
}

/// A clock that stays where it is set.
struct FixedClock {
    std::shared_ptr<Timestamp> now = std::make_shared<Timestamp>();
    Timestamp operator()() const { return *now; }
};

}  // namespace metered::testing
