// SPDX-License-Identifier: MIT
#include "metered/pricing.h"

#include <algorithm>
#include <map>

#include "metered/errors.h"

namespace metered {
namespace {

void priceGraduated(const Meter& meter, LineItem& line) {
    Decimal lower;
    for (std::size_t i = 0; i < meter.tiers.size(); ++i) {
        const Tier& tier = meter.tiers[i];
        const Decimal top = tier.up_to ? min(*tier.up_to, line.quantity) : line.quantity;
        const Decimal units = top - max(lower, line.included);
        if (units.signum() > 0) {
            TierCharge charge{i, units, tier.unit_price, tier.flat_fee, units * tier.unit_price + tier.flat_fee};
            line.exact_amount += charge.amount;
            line.tiers.push_back(std::move(charge));
        }
        if (!tier.up_to || *tier.up_to >= line.quantity) break;
        lower = *tier.up_to;
    }
}

void priceVolume(const Meter& meter, LineItem& line) {
    if (line.billable.signum() <= 0) return;
    for (std::size_t i = 0; i < meter.tiers.size(); ++i) {
        const Tier& tier = meter.tiers[i];
        if (tier.up_to && line.quantity > *tier.up_to) continue;
        TierCharge charge{i, line.billable, tier.unit_price, tier.flat_fee,
                          line.billable * tier.unit_price + tier.flat_fee};
        line.exact_amount = charge.amount;
        line.tiers.push_back(std::move(charge));
        return;
    }
}

TierCharge* tierOf(std::vector<TierCharge>& tiers, std::size_t index) {
    auto it = std::find_if(tiers.begin(), tiers.end(), [&](const TierCharge& t) { return t.tier == index; });
    return it == tiers.end() ? nullptr : &*it;
}

// Adds `sign` × `part` to `sum`, tier charges matched by tier index; drops charges that
// cancel out and keeps the tiers in index order.
void accumulateTiers(std::vector<TierCharge>& sum, const std::vector<TierCharge>& part, int sign) {
    for (const TierCharge& charge : part) {
        TierCharge* same = tierOf(sum, charge.tier);
        if (same == nullptr) {
            sum.push_back({charge.tier, {}, charge.unit_price, {}, {}});
            same = &sum.back();
        }
        same->quantity += sign > 0 ? charge.quantity : -charge.quantity;
        same->flat_fee += sign > 0 ? charge.flat_fee : -charge.flat_fee;
        same->amount += sign > 0 ? charge.amount : -charge.amount;
    }
    std::erase_if(sum,
                  [](const TierCharge& t) { return t.quantity.isZero() && t.flat_fee.isZero() && t.amount.isZero(); });
    std::sort(sum.begin(), sum.end(), [](const TierCharge& a, const TierCharge& b) { return a.tier < b.tier; });
}

// Adds `sign` × the figures of `part` to `sum` (both lines of the same meter).
void accumulateLine(LineItem& sum, const LineItem& part, int sign) {
    auto add = [sign](Decimal& to, const Decimal& value) { to += sign > 0 ? value : -value; };
    add(sum.quantity, part.quantity);
    add(sum.included, part.included);
    add(sum.billable, part.billable);
    add(sum.packages, part.packages);
    add(sum.exact_amount, part.exact_amount);
    add(sum.amount, part.amount);
    accumulateTiers(sum.tiers, part.tiers, sign);
}

}  // namespace

const LineItem* Bill::line(const EventType& type) const noexcept {
    for (const LineItem& l : lines) {
        if (l.type == type) return &l;
    }
    return nullptr;
}

PricingCalculator::PricingCalculator(Plan plan) : plan_(std::move(plan)) { plan_.validate(); }

LineItem PricingCalculator::price(const EventType& type, const Decimal& quantity) const {
    const Meter* meter = plan_.meter(type);
    if (meter == nullptr) {
        throw ValidationError("event_type", "plan '" + plan_.id + "' has no price for '" + type.toString() + "'");
    }
    if (quantity.isNegative()) throw ValidationError("quantity", "must not be negative");

    LineItem line;
    line.type = type;
    line.unit = meter->unit;
    line.model = meter->model;
    line.quantity = quantity;
    line.included = min(quantity, meter->included);
    line.billable = quantity - line.included;
    line.unit_price = meter->unit_price;
    switch (meter->model) {
        case PricingModel::per_unit:
            line.exact_amount = line.billable * meter->unit_price;
            break;
        case PricingModel::graduated:
            priceGraduated(*meter, line);
            break;
        case PricingModel::volume:
            priceVolume(*meter, line);
            break;
        case PricingModel::package:
            line.packages = ceilDivide(line.billable, meter->package_size);
            line.exact_amount = line.packages * meter->package_price;
            break;
    }
    line.amount = line.exact_amount.rounded(plan_.currency.minor_units, plan_.rounding);
    return line;
}

Bill PricingCalculator::bill(std::span<const UsageTotal> totals) const {
    std::map<EventType, Decimal> quantities;
    for (const UsageTotal& total : totals) {
        if (plan_.meter(total.type) == nullptr) {
            throw ValidationError("event_type",
                                  "plan '" + plan_.id + "' has no price for '" + total.type.toString() + "'");
        }
        quantities[total.type] += total.quantity;
    }
    Bill bill;
    bill.plan_id = plan_.id;
    bill.currency = plan_.currency;
    bill.rounding = plan_.rounding;
    bill.total = Decimal(0).rounded(plan_.currency.minor_units, plan_.rounding);
    for (const Meter& meter : plan_.meters) {
        auto found = quantities.find(meter.type);
        bill.lines.push_back(price(meter.type, found == quantities.end() ? Decimal(0) : found->second));
        bill.total += bill.lines.back().amount;
    }
    return bill;
}

std::vector<Decimal> PricingCalculator::dailyCosts(std::span<const std::vector<UsageTotal>> days) const {
    std::vector<UsageTotal> cumulative;
    std::vector<Decimal> costs;
    costs.reserve(days.size());
    Decimal before = bill({}).total;
    for (const auto& day : days) {
        for (const UsageTotal& total : day) {
            auto same = std::find_if(cumulative.begin(), cumulative.end(),
                                     [&](const UsageTotal& t) { return t.type == total.type; });
            if (same == cumulative.end()) {
                cumulative.push_back(total);
            } else {
                same->quantity += total.quantity;
            }
        }
        const Decimal through = bill(cumulative).total;
        costs.push_back(through - before);
        before = through;
    }
    return costs;
}

}  // namespace metered

namespace metered {

Bill PricingCalculator::billSlices(std::span<const CycleSlice> slices) const {
    if (slices.size() == 1 && slices.front().before.empty()) return bill(slices.front().through);
    Bill sum = bill({});  // zero lines, in the plan's order
    for (const CycleSlice& slice : slices) {
        const Bill through = bill(slice.through);
        const Bill before = bill(slice.before);
        for (std::size_t i = 0; i < sum.lines.size(); ++i) {
            accumulateLine(sum.lines[i], through.lines[i], +1);
            accumulateLine(sum.lines[i], before.lines[i], -1);
        }
    }
    sum.total = bill({}).total;
    for (const LineItem& line : sum.lines) sum.total += line.amount;
    return sum;
}

}  // namespace metered
