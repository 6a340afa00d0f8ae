// SPDX-License-Identifier: MIT
#include "metered/pricing.h"

#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <utility>

#include "commitments.h"
#include "measure.h"
#include "metered/errors.h"

namespace metered {
namespace {

// What `units` of `tier` cost: per unit, or per block with a partial block as a whole one.
TierCharge chargeTier(std::size_t index, const Tier& tier, const Decimal& units) {
    TierCharge charge{index, units, tier.unit_price, tier.flat_fee, {}, {}};
    if (tier.block_size.signum() > 0) {
        charge.blocks = ceilDivide(units, tier.block_size);
        charge.amount = charge.blocks * tier.unit_price + tier.flat_fee;
    } else {
        charge.amount = units * tier.unit_price + tier.flat_fee;
    }
    return charge;
}

// A tier's flat fee alone: flat_fee_at_zero's charge in a period the tier holds no billable units.
TierCharge feeOnly(std::size_t index, const Tier& tier) {
    return {index, {}, tier.unit_price, tier.flat_fee, {}, tier.flat_fee};
}

void priceGraduated(const std::vector<Tier>& tiers, bool fee_at_zero, LineItem& line) {
    Decimal lower;
    for (std::size_t i = 0; i < tiers.size(); ++i) {
        const Tier& tier = tiers[i];
        const Decimal top = tier.up_to ? min(*tier.up_to, line.quantity) : line.quantity;
        const Decimal units = top - max(lower, line.included);
        if (units.signum() > 0) {
            line.tiers.push_back(chargeTier(i, tier, units));
            line.exact_amount += line.tiers.back().amount;
        }
        if (!tier.up_to || *tier.up_to >= line.quantity) break;
        lower = *tier.up_to;
    }
    if (fee_at_zero && (line.tiers.empty() || line.tiers.front().tier != 0)) {
        line.tiers.insert(line.tiers.begin(), feeOnly(0, tiers.front()));
        line.exact_amount += tiers.front().flat_fee;
    }
}

void priceVolume(const std::vector<Tier>& tiers, bool fee_at_zero, LineItem& line) {
    for (std::size_t i = 0; i < tiers.size(); ++i) {
        const Tier& tier = tiers[i];
        if (tier.up_to && line.quantity > *tier.up_to) continue;
        if (line.billable.signum() > 0) {
            line.tiers.push_back(chargeTier(i, tier, line.billable));
        } else if (fee_at_zero) {
            line.tiers.push_back(feeOnly(i, tier));
        } else {
            return;
        }
        line.exact_amount = line.tiers.back().amount;
        return;
    }
}

// The one pricing algorithm: prices `quantity` in `events` events by `charge` (a Meter, or
// a ChargeFilter of one) into `line`: allowance, then the model; exact, not rounded.
template <class Charge>
void priceQuantity(const Charge& charge, const Decimal& quantity, std::int64_t events, LineItem& line) {
    line.model = charge.model;
    line.quantity = quantity;
    line.events = events;
    line.included = min(quantity, charge.included);
    line.billable = quantity - line.included;
    line.unit_price = charge.unit_price;
    switch (charge.model) {
        case PricingModel::per_unit:
            line.exact_amount = line.billable * charge.unit_price;
            break;
        case PricingModel::graduated:
        case PricingModel::graduated_percentage:
            priceGraduated(charge.tiers, charge.flat_fee_at_zero, line);
            break;
        case PricingModel::volume:
            priceVolume(charge.tiers, charge.flat_fee_at_zero, line);
            break;
        case PricingModel::package:
            line.packages = charge.package_rounding == PackageRounding::up
                                ? ceilDivide(line.billable, charge.package_size)
                                : floorDivide(line.billable, charge.package_size);
            line.exact_amount = line.packages * charge.package_price;
            break;
        case PricingModel::percentage:
            line.exact_amount = line.billable * charge.unit_price;
            line.transaction_fees =
                Decimal(std::max<std::int64_t>(0, events - charge.free_transactions)) * charge.transaction_fee;
            line.exact_amount += line.transaction_fees;
            break;
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
            sum.push_back({charge.tier, {}, charge.unit_price, {}, {}, {}});
            same = &sum.back();
        }
        same->quantity += sign > 0 ? charge.quantity : -charge.quantity;
        same->flat_fee += sign > 0 ? charge.flat_fee : -charge.flat_fee;
        same->blocks += sign > 0 ? charge.blocks : -charge.blocks;
        same->amount += sign > 0 ? charge.amount : -charge.amount;
    }
    std::erase_if(sum, [](const TierCharge& t) {
        return t.quantity.isZero() && t.flat_fee.isZero() && t.blocks.isZero() && t.amount.isZero();
    });
    std::sort(sum.begin(), sum.end(), [](const TierCharge& a, const TierCharge& b) { return a.tier < b.tier; });
}

// Adds `sign` × the figures of `part` to `sum` (both lines of the same meter).
void accumulateLine(LineItem& sum, const LineItem& part, int sign) {
    auto add = [sign](Decimal& to, const Decimal& value) { to += sign > 0 ? value : -value; };
    add(sum.quantity, part.quantity);
    add(sum.included, part.included);
    add(sum.billable, part.billable);
    add(sum.packages, part.packages);
    sum.events += sign > 0 ? part.events : -part.events;
    add(sum.transaction_fees, part.transaction_fees);
    add(sum.transaction_bounds, part.transaction_bounds);
    add(sum.exact_amount, part.exact_amount);
    add(sum.amount, part.amount);
    accumulateTiers(sum.tiers, part.tiers, sign);
}

// Adds `sign` × the figures of `part` to `sum` (both AI lines of the same type and model);
// parts matched by part, those that cancel out dropped.
void accumulateAiLine(AiLine& sum, const AiLine& part, int sign) {
    auto add = [sign](Decimal& to, const Decimal& value) { to += sign > 0 ? value : -value; };
    for (const AiPartCharge& charge : part.parts) {
        auto same = std::find_if(sum.parts.begin(), sum.parts.end(),
                                 [&](const AiPartCharge& p) { return p.part == charge.part; });
        if (same == sum.parts.end()) {
            sum.parts.push_back({charge.part, {}, 0, {}, charge.unit_price, charge.markup_percent, {}});
            same = sum.parts.end() - 1;
        }
        add(same->quantity, charge.quantity);
        same->events += sign > 0 ? charge.events : -charge.events;
        add(same->cost, charge.cost);
        add(same->charge, charge.charge);
    }
    std::erase_if(sum.parts, [](const AiPartCharge& p) {
        return p.quantity.isZero() && p.events == 0 && p.cost.isZero() && p.charge.isZero();
    });
    std::sort(sum.parts.begin(), sum.parts.end(),
              [](const AiPartCharge& a, const AiPartCharge& b) { return a.part < b.part; });
    add(sum.cost, part.cost);
    add(sum.exact_amount, part.exact_amount);
    add(sum.amount, part.amount);
}

bool aiLineOrder(const AiLine& a, const AiLine& b) {
    if (a.type != b.type) return a.type < b.type;
    return a.model < b.model;
}

// Adds `sign` × the AI lines and credit of `part` to `sum`.
void accumulateAi(Bill& sum, const Bill& part, int sign) {
    for (const AiLine& line : part.ai_lines) {
        auto same = std::find_if(sum.ai_lines.begin(), sum.ai_lines.end(),
                                 [&](const AiLine& l) { return l.type == line.type && l.model == line.model; });
        if (same == sum.ai_lines.end()) {
            sum.ai_lines.push_back(
                {line.type, line.model, {}, {}, {}, Decimal(0).rounded(sum.currency.minor_units, sum.rounding)});
            same = sum.ai_lines.end() - 1;
        }
        accumulateAiLine(*same, line, sign);
    }
    if (part.ai_credit) {
        if (!sum.ai_credit) sum.ai_credit = AiCredit{part.ai_credit->included_amount, {}};
        sum.ai_credit->amount += sign > 0 ? part.ai_credit->amount : -part.ai_credit->amount;
    }
}

void totalOf(Bill& bill) {
    bill.total = Decimal(0).rounded(bill.currency.minor_units, bill.rounding);
    for (const LineItem& line : bill.lines) bill.total += line.amount;
    for (const AiLine& line : bill.ai_lines) bill.total += line.amount;
    if (bill.ai_credit) bill.total += bill.ai_credit->amount;
    for (const CommitmentLine& line : bill.commitments) bill.total += line.amount;
    for (const FeeLine& line : bill.fees) bill.total += line.amount;
}

// Adds `totals` to `sum`, one entry per (type, model, part).
void accumulateModels(std::vector<ModelUsageTotal>& sum, std::span<const ModelUsageTotal> totals) {
    for (const ModelUsageTotal& total : totals) {
        auto same = std::find_if(sum.begin(), sum.end(), [&](const ModelUsageTotal& t) {
            return t.type == total.type && t.part == total.part && t.model == total.model;
        });
        if (same == sum.end()) {
            sum.push_back(total);
        } else {
            same->quantity += total.quantity;
            same->events += total.events;
            same->cost += total.cost;
        }
    }
}

using FilterKey = std::tuple<EventType, std::string, std::string>;  // type, dimension, value

// Adds `totals` to `sum`, one entry per (type, dimension, value), found through `index`
// (a unique count's dimension may have thousands of values).
void accumulateFilters(std::vector<FilterUsageTotal>& sum, std::map<FilterKey, std::size_t>& index,
                       std::span<const FilterUsageTotal> totals) {
    for (const FilterUsageTotal& total : totals) {
        const auto [at, added] = index.try_emplace(FilterKey{total.type, total.dimension, total.value}, sum.size());
        if (added) {
            sum.push_back(total);
        } else {
            sum[at->second].quantity += total.quantity;
            sum[at->second].events += total.events;
        }
    }
}

}  // namespace

std::string_view toString(CommitmentKind kind) noexcept {
    return kind == CommitmentKind::maximum ? "maximum" : "minimum";
}

const AiLine* Bill::aiLine(const EventType& type, std::string_view model) const noexcept {
    for (const AiLine& l : ai_lines) {
        if (l.type == type && l.model == model) return &l;
    }
    return nullptr;
}

const LineItem* Bill::line(const EventType& type) const noexcept {
    for (const LineItem& l : lines) {
        if (l.type == type && l.filter_dimension.empty()) return &l;
    }
    return nullptr;
}

const LineItem* Bill::filterLine(const EventType& type, std::string_view dimension,
                                 std::string_view value) const noexcept {
    for (const LineItem& l : lines) {
        if (l.type == type && l.filter_dimension == dimension &&
            std::find(l.filter_values.begin(), l.filter_values.end(), value) != l.filter_values.end()) {
            return &l;
        }
    }
    return nullptr;
}

Decimal Bill::amountOf(const EventType& type) const {
    std::optional<Decimal> sum;
    for (const LineItem& l : lines) {
        if (l.type == type) sum = sum ? *sum + l.amount : l.amount;
    }
    return sum ? *sum : Decimal();
}

std::string LineItem::label() const {
    std::string text = type.toString();
    if (filter_dimension.empty()) return text;
    text += ' ';
    text += filter_dimension;
    text += '=';
    for (std::size_t i = 0; i < filter_values.size(); ++i) {
        if (i > 0) text += ',';
        text += filter_values[i];
    }
    return text;
}

PricingCalculator::PricingCalculator(Plan plan) : plan_(std::move(plan)) { plan_.validate(); }

LineItem PricingCalculator::price(const EventType& type, const Decimal& quantity, std::int64_t events) const {
    const Meter* meter = plan_.meter(type);
    if (meter == nullptr) {
        throw ValidationError("event_type", "plan '" + plan_.id + "' has no price for '" + type.toString() + "'");
    }
    if (quantity.isNegative()) throw ValidationError("quantity", "must not be negative");
    if (events < 0) throw ValidationError("events", "must not be negative");

    LineItem line;
    line.type = type;
    line.unit = meter->unit;
    priceQuantity(*meter, quantity, events, line);
    line.amount = line.exact_amount.rounded(plan_.currency.minor_units, plan_.rounding);
    return line;
}

Decimal PricingCalculator::boundTransaction(const EventType& type, const Decimal& amount,
                                            const Decimal& cycle_amount_before,
                                            std::int64_t cycle_events_before) const {
    const Meter* meter = plan_.meter(type);
    if (meter == nullptr) {
        throw ValidationError("event_type", "plan '" + plan_.id + "' has no price for '" + type.toString() + "'");
    }
    if (amount.isNegative()) throw ValidationError("amount", "must not be negative");
    if (cycle_amount_before.isNegative()) throw ValidationError("cycle_amount_before", "must not be negative");
    if (cycle_events_before < 0) throw ValidationError("cycle_events_before", "must not be negative");
    if (!meter->transaction_minimum && !meter->transaction_maximum) return Decimal(0);
    // What is left of the allowance before this transaction covers the start of it.
    const Decimal left = max(Decimal(0), meter->included - cycle_amount_before);
    const Decimal billable = amount - min(amount, left);
    Decimal charge = billable * meter->unit_price;
    if (cycle_events_before >= meter->free_transactions) charge += meter->transaction_fee;
    if (charge.isZero()) return Decimal(0);
    if (meter->transaction_minimum && charge < *meter->transaction_minimum) {
        return *meter->transaction_minimum - charge;
    }
    if (meter->transaction_maximum && charge > *meter->transaction_maximum) {
        return *meter->transaction_maximum - charge;
    }
    return Decimal(0);
}

LineItem PricingCalculator::priceFilter(const Meter& meter, const ChargeFilter& filter, const Decimal& quantity,
                                        std::int64_t events) const {
    if (quantity.isNegative()) throw ValidationError("quantity", "must not be negative");
    if (events < 0) throw ValidationError("events", "must not be negative");
    LineItem line;
    line.type = meter.type;
    line.unit = meter.unit;
    line.filter_dimension = filter.dimension;
    line.filter_values = filter.values;
    priceQuantity(filter, quantity, events, line);
    line.amount = line.exact_amount.rounded(plan_.currency.minor_units, plan_.rounding);
    return line;
}

AiLine PricingCalculator::priceModel(const EventType& type, std::string_view model,
                                     std::span<const ModelUsageTotal> parts) const {
    if (!plan_.ai) throw ValidationError("ai", "plan '" + plan_.id + "' does not bill rate-card usage");
    if (!type.isRateCard()) {
        throw ValidationError("event_type", "'" + type.toString() + "' is not a rate-card event type");
    }
    const AiBilling& ai = *plan_.ai;
    AiLine line;
    line.type = type;
    line.model = std::string(model);
    std::array<std::optional<AiPartCharge>, usage_part_count> by_part;
    for (const ModelUsageTotal& total : parts) {
        if (total.type != type || total.model != model) continue;
        if (total.quantity.isNegative()) throw ValidationError("model_usage.quantity", "must not be negative");
        if (total.cost.isNegative()) throw ValidationError("model_usage.cost", "must not be negative");
        auto& charge = by_part[static_cast<std::size_t>(total.part)];
        if (!charge) charge = AiPartCharge{total.part, {}, 0, {}, {}, {}, {}};
        charge->quantity += total.quantity;
        charge->events += total.events;
        charge->cost += total.cost;
    }
    const ModelPricing* own = ai.pricing(model);
    for (auto& charge : by_part) {
        if (!charge) continue;
        if (own != nullptr && own->price(charge->part)) {
            charge->unit_price = own->price(charge->part);
        } else {
            charge->markup_percent = own != nullptr && own->markup_percent ? *own->markup_percent : ai.markup_percent;
        }
        charge->charge = ai.charge(model, charge->part, charge->quantity, charge->cost);
        line.cost += charge->cost;
        line.exact_amount += charge->charge;
        line.parts.push_back(std::move(*charge));
    }
    line.amount = line.exact_amount.rounded(plan_.currency.minor_units, plan_.rounding);
    return line;
}

Bill PricingCalculator::bill(std::span<const UsageTotal> totals, std::span<const ModelUsageTotal> model_totals,
                             std::span<const FilterUsageTotal> filter_totals) const {
    Bill result = billUsage(totals, model_totals, filter_totals);
    const detail::VersionDays whole{&plan_, 1};
    detail::settleCommitments(result, std::span(&whole, 1), 1, std::nullopt);
    if (auto fee = detail::cycleFee(std::span(&whole, 1), 1, std::nullopt)) {
        result.total += fee->amount;
        result.fees.push_back(std::move(*fee));
    }
    return result;
}

Bill PricingCalculator::billUsage(std::span<const UsageTotal> totals, std::span<const ModelUsageTotal> model_totals,
                                  std::span<const FilterUsageTotal> filter_totals) const {
    struct Usage {
        Decimal quantity;
        std::int64_t events = 0;
        Decimal bounds;
    };
    std::map<EventType, Usage> by_type;
    for (const UsageTotal& total : totals) {
        if (total.type.isRateCard()) continue;  // billed per model, from model_totals
        const Meter* meter = plan_.meter(total.type);
        if (meter == nullptr) {
            throw ValidationError("event_type",
                                  "plan '" + plan_.id + "' has no price for '" + total.type.toString() + "'");
        }
        Usage& sum = by_type[total.type];
        sum.quantity += detail::measure(*meter, total.quantity, total.events);
        sum.events += total.events;
        sum.bounds += total.transaction_bounds;
    }
    Bill bill;
    bill.plan_id = plan_.id;
    bill.currency = plan_.currency;
    bill.rounding = plan_.rounding;
    bill.total = Decimal(0).rounded(plan_.currency.minor_units, plan_.rounding);
    for (const Meter& meter : plan_.meters) {
        auto found = by_type.find(meter.type);
        const std::int64_t events = found == by_type.end() ? 0 : found->second.events;
        const Decimal total = meter.aggregation == Aggregation::unique
                                  ? Decimal(detail::uniqueValues(meter, filter_totals))
                              : found == by_type.end() ? Decimal(0)
                                                       : found->second.quantity;
        if (meter.filters.empty()) {
            LineItem line = price(meter.type, total, events);
            if (found != by_type.end() && !found->second.bounds.isZero()) {
                line.transaction_bounds = found->second.bounds;
                line.exact_amount += line.transaction_bounds;
                line.amount = line.exact_amount.rounded(plan_.currency.minor_units, plan_.rounding);
            }
            bill.lines.push_back(std::move(line));
            bill.total += bill.lines.back().amount;
            continue;
        }
        std::vector<Decimal> filtered(meter.filters.size());
        std::vector<std::int64_t> filtered_events(meter.filters.size());
        Decimal all_filtered;
        std::int64_t all_filtered_events = 0;
        for (const FilterUsageTotal& usage : filter_totals) {
            if (usage.type != meter.type) continue;
            for (std::size_t i = 0; i < meter.filters.size(); ++i) {
                if (meter.filters[i].dimension == usage.dimension && meter.filters[i].matches(usage.value)) {
                    if (usage.quantity.isNegative() || usage.events < 0) {
                        throw ValidationError("filter_totals.quantity", "must not be negative");
                    }
                    const Decimal quantity = detail::measure(meter, usage.quantity, usage.events);
                    filtered[i] += quantity;
                    all_filtered += quantity;
                    filtered_events[i] += usage.events;
                    all_filtered_events += usage.events;
                    break;
                }
            }
        }
        if (all_filtered > total || all_filtered_events > events) {
            throw ValidationError("filter_totals",
                                  "filtered usage of '" + meter.type.toString() + "' (" + all_filtered.toPlainString() +
                                      " in " + std::to_string(all_filtered_events) + " events) exceeds its total (" +
                                      total.toPlainString() + " in " + std::to_string(events) + ")");
        }
        bill.lines.push_back(price(meter.type, total - all_filtered, events - all_filtered_events));
        bill.total += bill.lines.back().amount;
        for (std::size_t i = 0; i < meter.filters.size(); ++i) {
            bill.lines.push_back(priceFilter(meter, meter.filters[i], filtered[i], filtered_events[i]));
            bill.total += bill.lines.back().amount;
        }
    }
    if (!plan_.ai || model_totals.empty()) return bill;

    std::set<std::pair<EventType, std::string_view>> models;  // ordered by type, then model
    for (const ModelUsageTotal& total : model_totals) models.emplace(total.type, total.model);
    Decimal ai_amount;
    for (const auto& [type, model] : models) {
        bill.ai_lines.push_back(priceModel(type, model, model_totals));
        ai_amount += bill.ai_lines.back().amount;
        bill.total += bill.ai_lines.back().amount;
    }
    const Decimal& included = plan_.ai->included_amount;
    if (included.signum() > 0) {
        const Decimal credit = -min(ai_amount, included).rounded(plan_.currency.minor_units, plan_.rounding);
        bill.ai_credit = AiCredit{included, credit};
        bill.total += credit;
    }
    return bill;
}

std::vector<Decimal> PricingCalculator::dailyCosts(std::span<const std::vector<UsageTotal>> days,
                                                   std::span<const std::vector<ModelUsageTotal>> model_days,
                                                   std::span<const std::vector<FilterUsageTotal>> filter_days) const {
    if (!model_days.empty() && model_days.size() != days.size()) {
        throw ValidationError("model_days", "must be empty or hold one entry per day");
    }
    if (!filter_days.empty() && filter_days.size() != days.size()) {
        throw ValidationError("filter_days", "must be empty or hold one entry per day");
    }
    std::vector<UsageTotal> cumulative;
    std::vector<ModelUsageTotal> cumulative_models;
    std::vector<FilterUsageTotal> cumulative_filters;
    std::map<FilterKey, std::size_t> filter_index;
    std::vector<Decimal> costs;
    costs.reserve(days.size());
    // Before the period's first day there are no days: nothing billed, not even the fees
    // a period without usage pays (Meter::flat_fee_at_zero), which its first day carries.
    Decimal before = Decimal(0).rounded(plan_.currency.minor_units, plan_.rounding);
    for (std::size_t i = 0; i < days.size(); ++i) {
        for (const UsageTotal& total : days[i]) {
            auto same = std::find_if(cumulative.begin(), cumulative.end(),
                                     [&](const UsageTotal& t) { return t.type == total.type; });
            if (same == cumulative.end()) {
                cumulative.push_back(total);
            } else {
                same->quantity += total.quantity;
                same->events += total.events;
                same->transaction_bounds += total.transaction_bounds;
            }
        }
        if (!model_days.empty()) accumulateModels(cumulative_models, model_days[i]);
        if (!filter_days.empty()) accumulateFilters(cumulative_filters, filter_index, filter_days[i]);
        const Decimal through = billUsage(cumulative, cumulative_models, cumulative_filters).total;
        costs.push_back(through - before);
        before = through;
    }
    return costs;
}

}  // namespace metered

namespace metered {

Bill PricingCalculator::billSlices(std::span<const CycleSlice> slices) const {
    if (slices.size() == 1 && slices.front().at_cycle_start) {
        return billUsage(slices.front().through, slices.front().models_through, slices.front().filters_through);
    }
    // Zero lines in the plan's order: the bill of no days (not of days without usage, which
    // may carry fees).
    Bill none = billUsage({}, {}, {});
    for (LineItem& line : none.lines) {
        line.tiers.clear();
        line.exact_amount = Decimal(0);
        line.amount = Decimal(0).rounded(plan_.currency.minor_units, plan_.rounding);
    }
    Bill sum = none;
    for (const CycleSlice& slice : slices) {
        const Bill through = billUsage(slice.through, slice.models_through, slice.filters_through);
        const Bill before =
            slice.at_cycle_start ? none : billUsage(slice.before, slice.models_before, slice.filters_before);
        for (std::size_t i = 0; i < sum.lines.size(); ++i) {
            accumulateLine(sum.lines[i], through.lines[i], +1);
            accumulateLine(sum.lines[i], before.lines[i], -1);
        }
        accumulateAi(sum, through, +1);
        accumulateAi(sum, before, -1);
    }
    std::erase_if(sum.ai_lines, [](const AiLine& l) { return l.parts.empty() && l.amount.isZero(); });
    std::sort(sum.ai_lines.begin(), sum.ai_lines.end(), aiLineOrder);
    if (sum.ai_credit && sum.ai_lines.empty() && sum.ai_credit->amount.isZero()) sum.ai_credit.reset();
    totalOf(sum);
    return sum;
}

}  // namespace metered
