// SPDX-License-Identifier: MIT
#include "credit_ledger.h"

#include <algorithm>
#include <tuple>

namespace metered::detail {
namespace {

bool inEffectOn(const CreditGrant& grant, date::local_days day) {
    return grant.effective <= day && (!grant.expires || day < *grant.expires);
}

// Earliest expiry first (never last), then priority, effective day and id.
bool drawsBefore(const CreditGrant* a, const CreditGrant* b) {
    const auto key = [](const CreditGrant& g) {
        return std::make_tuple(!g.expires.has_value(), g.expires.value_or(date::local_days{}), g.priority, g.effective,
                               std::string_view(g.id));
    };
    return key(*a) < key(*b);
}

}  // namespace

std::map<std::string, Decimal> creditLeft(const std::vector<CreditGrant>& grants,
                                          const std::vector<Statement>& statements) {
    std::map<std::string, Decimal> left;
    for (const CreditGrant& grant : grants) left[grant.id] = grant.amount;
    for (const Statement& statement : statements) {
        for (const CreditApplied& credit : statement.credits) left[credit.grant] -= credit.amount;
    }
    return left;
}

std::vector<CreditApplied> drawCredit(const std::vector<CreditGrant>& grants, std::map<std::string, Decimal>& left,
                                      const DayRange& cycle, std::string_view currency, const Decimal& owed) {
    std::vector<const CreditGrant*> usable;
    for (const CreditGrant& grant : grants) {
        // In effect on a day of the cycle: from before its end, and not expired by its start.
        const bool overlaps = grant.effective < cycle.end && (!grant.expires || *grant.expires > cycle.first);
        if (grant.currency == currency && overlaps) usable.push_back(&grant);
    }
    std::sort(usable.begin(), usable.end(), drawsBefore);
    std::vector<CreditApplied> drawn;
    Decimal rest = owed;
    for (const CreditGrant* grant : usable) {
        if (rest <= Decimal()) break;
        Decimal& balance = left[grant->id];
        const Decimal take = min(balance, rest);
        if (take <= Decimal()) continue;
        drawn.push_back({grant->id, take});
        balance -= take;
        rest -= take;
    }
    return drawn;
}

Decimal creditOn(const std::vector<CreditGrant>& grants, const std::map<std::string, Decimal>& left,
                 date::local_days day, std::string_view currency) {
    Decimal sum;
    for (const CreditGrant& grant : grants) {
        if (grant.currency != currency || !inEffectOn(grant, day)) continue;
        const auto found = left.find(grant.id);
        if (found != left.end() && found->second > Decimal()) sum += found->second;
    }
    return sum;
}

}  // namespace metered::detail
