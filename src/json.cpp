// SPDX-License-Identifier: MIT
#include "metered/json.h"

#include "exact_json.h"
#include "text_format.h"
#include "utf8.h"

namespace metered {
namespace {

using detail::exactNumber;
using detail::Json;

// The seed's key for a type in `breakdown`, and in a trend point.
std::string breakdownKey(const EventType& type) {
    if (type == EventType::apiCall()) return "apiCalls";
    if (type == EventType::voiceMinute()) return "voiceMinutes";
    if (type == EventType::aiQuery()) return "aiQueries";
    if (type == EventType::storageMb()) return "storage";
    return type.toString();
}

std::string trendKey(const EventType& type) {
    return type == EventType::storageMb() ? "storageMb" : breakdownKey(type);
}

Json quantity(const Decimal& value) { return exactNumber(value.normalized()); }

std::string day(const date::local_days& d) { return detail::isoDay(d); }

Json periodJson(const BillingPeriod& period) {
    return {{"from", day(period.days.first)}, {"to", day(period.days.end)}, {"timeZone", period.time_zone}};
}

// Rate-card usage per (type, model): the provider's cost, the charge, per part on request.
Json aiLinesJson(const Bill& bill, bool parts) {
    Json lines = Json::array();
    for (const AiLine& line : bill.ai_lines) {
        Json json = {{"type", line.type.toString()},
                     {"model", line.model},
                     {"cost", quantity(line.cost)},
                     {"exactAmount", quantity(line.exact_amount)},
                     {"amount", exactNumber(line.amount)}};
        if (line.from) json["from"] = day(*line.from);
        for (const AiPartCharge& part : line.parts) {
            if (part.part == UsagePart::requests) json["calls"] = part.events;
        }
        if (parts) {
            Json list = Json::array();
            for (const AiPartCharge& part : line.parts) {
                Json p = {{"part", std::string(toString(part.part))},
                          {"quantity", quantity(part.quantity)},
                          {"cost", quantity(part.cost)},
                          {"charge", quantity(part.charge)}};
                if (part.unit_price) p["unitPrice"] = quantity(*part.unit_price);
                if (!part.unit_price && !part.markup_percent.isZero())
                    p["markupPercent"] = quantity(part.markup_percent);
                list.push_back(std::move(p));
            }
            json["parts"] = std::move(list);
        }
        lines.push_back(std::move(json));
    }
    return lines;
}

// The minimums and maximums a bill settles: [{kind, type (null: the plan's), limit, charged, amount}].
Json commitmentsJson(const Bill& bill) {
    Json lines = Json::array();
    for (const CommitmentLine& line : bill.commitments) {
        Json json = {{"kind", std::string(toString(line.kind))},
                     {"type", line.type ? Json(line.type->toString()) : Json()},
                     {"limit", exactNumber(line.limit)},
                     {"charged", exactNumber(line.charged)},
                     {"amount", exactNumber(line.amount)}};
        if (line.from) json["from"] = day(*line.from);
        lines.push_back(std::move(json));
    }
    return lines;
}

// The recurring fees a bill charges: [{fee, amount, from}].
Json feesJson(const Bill& bill) {
    Json lines = Json::array();
    for (const FeeLine& line : bill.fees) {
        Json json = {{"fee", exactNumber(line.fee)}, {"amount", exactNumber(line.amount)}};
        if (line.from) json["from"] = day(*line.from);
        lines.push_back(std::move(json));
    }
    return lines;
}

Json aiCreditJson(const Bill& bill) {
    if (!bill.ai_credit) return Json();
    return {{"includedAmount", quantity(bill.ai_credit->included_amount)},
            {"amount", exactNumber(bill.ai_credit->amount)}};
}

Json billingUsageJson(const BillingUsage& usage) {
    Json breakdown = Json::object();
    for (const LineItem& line : usage.bill.lines) {
        if (line.filter_dimension.empty()) {
            if (breakdown.contains(breakdownKey(line.type))) continue;  // a later part of a versioned bill
            Decimal count;  // every line of the type: its default and filter lines, of every part
            for (const LineItem& other : usage.bill.lines) {
                if (other.type == line.type) count += other.quantity;
            }
            breakdown[breakdownKey(line.type)] = {{"count", quantity(count)},
                                                  {"cost", exactNumber(usage.bill.amountOf(line.type))}};
            continue;
        }
        // A charge filter's line: listed under its type, whose count and cost include it.
        Json& entry = breakdown[breakdownKey(line.type)];
        if (!entry.contains("filters")) entry["filters"] = Json::array();
        entry["filters"].push_back({{"label", line.label()},
                                    {"dimension", line.filter_dimension},
                                    {"values", line.filter_values},
                                    {"count", quantity(line.quantity)},
                                    {"cost", exactNumber(line.amount)}});
    }
    Json json = {{"apiCalls", quantity(usage.quantity(EventType::apiCall()))},
                 {"minutesUsed", quantity(usage.quantity(EventType::voiceMinute()))},
                 {"cost", exactNumber(usage.bill.total)},
                 {"breakdown", std::move(breakdown)},
                 {"period", periodJson(usage.period)}};
    if (!usage.bill.ai_lines.empty()) json["aiUsage"] = aiLinesJson(usage.bill, false);
    if (usage.bill.ai_credit) json["aiIncluded"] = aiCreditJson(usage.bill);
    if (!usage.bill.commitments.empty()) json["commitments"] = commitmentsJson(usage.bill);
    if (!usage.bill.fees.empty()) json["fees"] = feesJson(usage.bill);
    return json;
}

Json trendsJson(std::span<const TrendPoint> trends) {
    Json points = Json::array();
    for (const TrendPoint& point : trends) {
        Json json = {{"date", day(date::local_days(point.date))}};
        for (const UsageTotal& total : point.usage) json[trendKey(total.type)] = quantity(total.quantity);
        json["cost"] = exactNumber(point.cost);
        points.push_back(std::move(json));
    }
    return points;
}

Json budgetJson(const Budget& budget) {
    Json thresholds = Json::array();
    for (const int threshold : budget.thresholds_percent) thresholds.push_back(threshold);
    Json json = {{"id", budget.id},
                 {"businessId", budget.business.toString()},
                 // Budget::validate does not check the model's encoding: bytes that are not UTF-8
                 // are written as U+FFFD (JSON cannot carry them; a dump would throw).
                 {"model", budget.model ? Json(detail::toValidUtf8(*budget.model)) : Json()},
                 {"amount", quantity(budget.amount)},
                 {"thresholdsPercent", std::move(thresholds)},
                 {"kind", std::string(toString(budget.kind))}};
    // Only a dimension budget has the key (its value is checked UTF-8 by Budget::validate).
    if (budget.dimension) {
        json["dimension"] =
            Json{{detail::toValidUtf8(budget.dimension->name), detail::toValidUtf8(budget.dimension->value)}};
    }
    return json;
}

Json budgetStatusJson(const BudgetStatus& status) {
    Json crossed = Json::array();
    for (const int threshold : status.crossed_thresholds) crossed.push_back(threshold);
    return {{"budget", budgetJson(status.budget)},
            {"cycle", {{"from", day(status.cycle.first)}, {"to", day(status.cycle.end)}}},
            {"spent", quantity(status.spent)},
            {"remaining", quantity(status.remaining)},
            {"percent", quantity(status.percent)},
            {"crossedThresholds", std::move(crossed)},
            {"forecast", exactNumber(status.forecast)},
            {"exceeded", status.exceeded}};
}

Json groupsJson(std::span<const GroupedUsage> groups) {
    Json list = Json::array();
    for (const GroupedUsage& group : groups) {
        Json usage = Json::array();
        for (const UsageTotal& total : group.usage) {
            usage.push_back({{"type", total.type.toString()},
                             {"quantity", quantity(total.quantity)},
                             {"events", total.events},
                             {"listCost", quantity(total.list_cost)}});
        }
        list.push_back({{"value", group.value}, {"listCost", quantity(group.list_cost)}, {"usage", std::move(usage)}});
    }
    return list;
}

}  // namespace

std::string to_json(const GroupedBillingUsage& usage, int indent) {
    const Json json = {
        {"dimension", usage.dimension}, {"period", periodJson(usage.period)}, {"groups", groupsJson(usage.groups)}};
    return detail::dumpExact(json, indent);
}

std::string to_json(std::span<const GroupedTrendPoint> trends, int indent) {
    Json points = Json::array();
    for (const GroupedTrendPoint& point : trends) {
        points.push_back({{"date", day(date::local_days(point.date))}, {"groups", groupsJson(point.groups)}});
    }
    return detail::dumpExact(points, indent);
}

std::string to_json(std::span<const GroupedUsage> groups, int indent) {
    return detail::dumpExact(groupsJson(groups), indent);
}

std::string to_json(const BillingAnalytics& analytics, int indent) {
    const Json data = {{"billingUsage", billingUsageJson(analytics.billing_usage)},
                       {"trends", trendsJson(analytics.trends)}};
    return detail::dumpExact(Json{{"success", true}, {"data", data}}, indent);
}

std::string to_json(const BillingUsage& usage, int indent) {
    return detail::dumpExact(billingUsageJson(usage), indent);
}

std::string to_json(std::span<const TrendPoint> trends, int indent) {
    return detail::dumpExact(trendsJson(trends), indent);
}

std::string to_json(const QuotaStatus& status, int indent) {
    const Json json = {{"type", status.type.toString()},
                       {"used", quantity(status.used)},
                       {"included", quantity(status.included)},
                       {"limit", status.limit ? quantity(*status.limit) : Json()},
                       {"hard", status.hard},
                       {"remaining", status.remaining ? quantity(*status.remaining) : Json()},
                       {"exceeded", status.exceeded},
                       {"period", periodJson(status.period)}};
    return detail::dumpExact(json, indent);
}

std::string to_json(const Bill& bill, int indent) {
    Json lines = Json::array();
    for (const LineItem& line : bill.lines) {
        Json json = {{"type", line.type.toString()},
                     {"label", line.label()},
                     {"unit", line.unit},
                     {"model", std::string(toString(line.model))},
                     {"quantity", quantity(line.quantity)},
                     {"included", quantity(line.included)},
                     {"billable", quantity(line.billable)},
                     {"unitPrice", quantity(line.unit_price)}};
        if (!line.tiers.empty()) {
            Json tiers = Json::array();
            for (const TierCharge& tier : line.tiers) {
                Json t = {{"tier", tier.tier + 1},
                          {"quantity", quantity(tier.quantity)},
                          {"unitPrice", quantity(tier.unit_price)},
                          {"flatFee", quantity(tier.flat_fee)},
                          {"amount", quantity(tier.amount)}};
                if (!tier.blocks.isZero()) t["blocks"] = quantity(tier.blocks);
                tiers.push_back(std::move(t));
            }
            json["tiers"] = std::move(tiers);
        }
        if (!line.filter_dimension.empty()) {
            json["filter"] = {{"dimension", line.filter_dimension}, {"values", line.filter_values}};
        }
        if (line.model == PricingModel::package) json["packages"] = quantity(line.packages);
        if (line.model == PricingModel::percentage) {
            json["events"] = line.events;
            json["transactionFees"] = quantity(line.transaction_fees);
            if (!line.transaction_bounds.isZero()) json["transactionBounds"] = quantity(line.transaction_bounds);
        }
        json["exactAmount"] = quantity(line.exact_amount);
        json["amount"] = exactNumber(line.amount);
        if (line.from) json["from"] = day(*line.from);
        lines.push_back(std::move(json));
    }
    const Json json = {{"plan", bill.plan_id},
                       {"currency", bill.currency.code},
                       {"rounding", std::string(toString(bill.rounding))},
                       {"lines", std::move(lines)},
                       {"aiLines", aiLinesJson(bill, true)},
                       {"aiCredit", aiCreditJson(bill)},
                       {"commitments", commitmentsJson(bill)},
                       {"fees", feesJson(bill)},
                       {"total", exactNumber(bill.total)}};
    return detail::dumpExact(json, indent);
}

std::string to_json(const Budget& budget, int indent) { return detail::dumpExact(budgetJson(budget), indent); }

std::string to_json(const BudgetStatus& status, int indent) {
    return detail::dumpExact(budgetStatusJson(status), indent);
}

std::string to_json(std::span<const BudgetStatus> statuses, int indent) {
    Json list = Json::array();
    for (const BudgetStatus& status : statuses) list.push_back(budgetStatusJson(status));
    return detail::dumpExact(list, indent);
}

std::string to_json(const Statement& statement, int indent) {
    const auto cycle = [](const DayRange& days) { return Json{{"from", day(days.first)}, {"to", day(days.end)}}; };
    Json adjustments = Json::array();
    for (const StatementAdjustment& adjustment : statement.adjustments) {
        adjustments.push_back({{"cycle", cycle(adjustment.cycle)}, {"amount", exactNumber(adjustment.amount)}});
    }
    Json credits = Json::array();
    for (const CreditApplied& credit : statement.credits) {
        credits.push_back({{"grant", credit.grant}, {"amount", exactNumber(credit.amount)}});
    }
    const Json document = {{"businessId", statement.business.toString()},
                           {"cycle", cycle(statement.cycle)},
                           {"timeZone", statement.time_zone},
                           {"planId", statement.plan_id},
                           {"currency", statement.currency},
                           {"total", exactNumber(statement.total)},
                           {"adjustments", std::move(adjustments)},
                           {"credits", std::move(credits)},
                           {"amountDue", exactNumber(statement.amountDue())},
                           {"creditBalance", exactNumber(statement.credit_balance)},
                           {"closedAt", detail::isoTimestamp(statement.closed_at)},
                           {"billingUsage", detail::parseExactJson(statement.document, "document")}};
    return detail::dumpExact(document, indent);
}

}  // namespace metered
