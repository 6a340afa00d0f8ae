// SPDX-License-Identifier: MIT
#include "plan_schedule.h"

#include "metered/errors.h"
#include "untrusted_text.h"

namespace metered::detail {

std::string_view planIdOn(std::string_view base_plan, std::span<const PlanChange> changes, date::local_days day) {
    std::string_view id = base_plan;
    for (const PlanChange& change : changes) {
        if (change.effective > day) break;
        id = change.plan_id;
    }
    return id;
}

std::vector<PlanSegment> planSegments(const PlanLookup& lookup, std::string_view base_plan,
                                      std::span<const PlanChange> changes, const DayRange& days) {
    std::vector<PlanSegment> segments;
    for (auto day = days.first; day < days.end; ++day) {
        const std::string_view id = planIdOn(base_plan, changes, day);
        const Plan* plan = lookup(id, day);
        if (plan == nullptr) throw NotFoundError("no plan " + quoted(id) + " in the price book");
        if (!segments.empty() && segments.back().plan == plan) {
            segments.back().days.end = day + date::days(1);
        } else {
            segments.push_back({{day, day + date::days(1)}, plan});
        }
    }
    return segments;
}

Bill joinBills(std::vector<Bill> parts, std::span<const PlanSegment> segments) {
    if (parts.size() == 1) return std::move(parts.front());
    Bill joined;
    joined.plan_id = parts.back().plan_id;
    joined.currency = parts.back().currency;
    joined.rounding = parts.back().rounding;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        Bill& part = parts[i];
        for (LineItem& line : part.lines) {
            line.from = segments[i].days.first;
            joined.lines.push_back(std::move(line));
        }
        for (AiLine& line : part.ai_lines) {
            line.from = segments[i].days.first;
            joined.ai_lines.push_back(std::move(line));
        }
        if (part.ai_credit) {
            if (!joined.ai_credit) joined.ai_credit = AiCredit{};
            joined.ai_credit->included_amount = part.ai_credit->included_amount;
            joined.ai_credit->amount += part.ai_credit->amount;
        }
        joined.total += part.total;
    }
    return joined;
}

}  // namespace metered::detail
