// SPDX-License-Identifier: MIT
#include "event_checks.h"

#include <date/date.h>

#include "decimal_access.h"
#include "metered/errors.h"
#include "untrusted_text.h"
#include "utf8.h"

namespace metered::detail {
namespace {

// A control character: C0, DEL, or C1 (U+0080-U+009F, 0xC2 0x80-0x9F in UTF-8).
bool hasControlCharacter(std::string_view text) noexcept {
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x20 || c == 0x7f) return true;
        if (c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) < 0xa0) return true;
    }
    return false;
}

std::optional<std::string> modelProblem(std::string_view model) {
    if (model.empty()) return "model: must not be empty for a rate-card event";
    if (model.size() > max_model_bytes) {
        return "model: " + std::to_string(model.size()) + " bytes exceed the limit of " +
               std::to_string(max_model_bytes);
    }
    if (!isValidUtf8(model)) return "model: not valid UTF-8";
    if (hasControlCharacter(model)) return "model: contains a control character";
    if (model.find('/') == std::string_view::npos) return "model: must be \"provider/model\"";
    return std::nullopt;
}

std::optional<std::string> partsProblem(const UsageEvent& event) {
    if (event.parts.empty()) return "parts: must not be empty for a rate-card event";
    bool has_requests = false;
    Decimal sum;
    for (std::size_t i = 0; i < event.parts.size(); ++i) {
        const PricedPart& part = event.parts[i];
        const std::string field = "parts[" + std::to_string(i) + "]";
        if (static_cast<std::size_t>(part.part) >= usage_part_count) return field + ".part: unknown part";
        if (i > 0 && part.part <= event.parts[i - 1].part) {
            return field + ".part: " + std::string(toString(part.part)) + " is out of order or repeated";
        }
        if (part.part == UsagePart::requests) has_requests = true;
        if (part.quantity.isNegative()) return field + ".quantity: negative";
        if (part.quantity > max_event_quantity) return field + ".quantity: above the limit of 1000000000000";
        if (part.quantity.significantScale() > max_quantity_scale) {
            return field + ".quantity: more than " + std::to_string(max_quantity_scale) + " fractional digits";
        }
        if (part.cost.isNegative()) return field + ".cost: negative";
        if (part.cost > max_day_list_cost) return field + ".cost: above the limit of 10000000000000";
        if (part.cost.significantScale() > max_cost_scale) {
            return field + ".cost: more than " + std::to_string(max_cost_scale) + " fractional digits";
        }
        sum += part.cost;  // at most 14 parts of at most 10^13 with 18 fractional digits: exact
    }
    if (!has_requests) return std::string("parts: no requests part");
    if (sum != event.list_cost) {
        return "parts: costs sum to " + sum.toPlainString() + ", not the list cost " + event.list_cost.toPlainString();
    }
    return std::nullopt;
}

std::optional<std::string> dimensionsProblem(const std::vector<EventDimension>& dimensions) {
    if (dimensions.size() > max_event_dimensions) {
        return "dimensions: more than " + std::to_string(max_event_dimensions);
    }
    for (std::size_t i = 0; i < dimensions.size(); ++i) {
        const EventDimension& d = dimensions[i];
        if (!isDimensionName(d.name) || d.name == model_dimension) {
            return "dimensions: " + detail::quoted(d.name) + " is not a dimension name";
        }
        const std::string at = "dimensions." + d.name + ": ";
        if (i > 0 && d.name <= dimensions[i - 1].name) return at + "out of order or repeated";
        if (d.value.empty()) return at + "empty value";
        if (d.value.size() > static_cast<std::size_t>(Dimension::max_value_bytes)) {
            return at + "value longer than " + std::to_string(Dimension::max_value_bytes) + " bytes";
        }
        if (!isStorableText(d.value)) return at + "value is not valid UTF-8 without U+0000";
        if (d.value == dimension_overflow_value) return at + "the overflow value is reserved";
    }
    return std::nullopt;
}

// The rate-card rules of eventProblem (or that a non-rate-card event has no model and parts).
std::optional<std::string> rateCardProblem(const UsageEvent& event) {
    if (!event.type.isRateCard()) {
        if (!event.model.empty()) return "model: must be empty (" + event.type.toString() + " is not a rate-card type)";
        if (!event.parts.empty()) return "parts: must be empty (" + event.type.toString() + " is not a rate-card type)";
        return std::nullopt;
    }
    if (event.quantity != Decimal(1)) return "quantity: must be 1 for a rate-card event";
    if (auto problem = modelProblem(event.model)) return problem;
    return partsProblem(event);
}

// value > bound, for the whole-number bounds checkDraft compares with on the host's
// thread, without Decimal's general comparison: such a bound times 10^scale (scale ≤ 24)
// fits a mantissa, so the two compare exactly as mantissas at the value's scale.
constexpr int128 max_whole_bound = 10'000'000'000'000;  // 10^13 × 10^24 < 10^38

constexpr std::array<int128, Decimal::max_scale + 1> powers_of_ten = [] {
    std::array<int128, Decimal::max_scale + 1> powers{};
    int128 power = 1;
    for (int128& p : powers) {
        p = power;
        power *= 10;
    }
    return powers;
}();

constexpr bool exceeds(const Decimal& value, const Decimal& whole_bound) noexcept {
    return DecimalAccess::mantissa(value) >
           DecimalAccess::mantissa(whole_bound) * powers_of_ten[static_cast<std::size_t>(value.scale())];
}

constexpr bool isWholeBound(const Decimal& bound) noexcept {
    return bound.scale() == 0 && DecimalAccess::mantissa(bound) >= 0 &&
           DecimalAccess::mantissa(bound) <= max_whole_bound;
}

// quantity ≤ 10^12, so a list price up to 10 (every common one) keeps the list cost
// within its bound of 10^13 without a multiplication on the host's thread.
constexpr Decimal largest_unchecked_price(10);
static_assert(isWholeBound(max_event_quantity) && isWholeBound(largest_unchecked_price));

}  // namespace

static_assert(earliest_occurred_at == Timestamp(date::sys_days(date::year(2000) / 1 / 1)));
static_assert(latest_occurred_at == Timestamp(date::sys_days(date::year(2200) / 1 / 1)));

void checkDraft(const EventDraft& draft, std::size_t max_metadata_bytes) {
    if (draft.business.uuid().isNil()) throw ValidationError("business_id", "must not be the nil UUID");
    if (draft.quantity.isNegative()) throw ValidationError("quantity", "must not be negative");
    if (exceeds(draft.quantity, max_event_quantity)) {
        throw ValidationError("quantity", "must not exceed 1000000000000 (10^12) per event");
    }
    if (draft.quantity.scale() > max_quantity_scale && draft.quantity.significantScale() > max_quantity_scale) {
        throw ValidationError("quantity", "has more than " + std::to_string(max_quantity_scale) + " fractional digits");
    }
    if (exceeds(draft.unit_price, largest_unchecked_price)) {
        bool cost_fits = false;
        try {
            cost_fits = draft.quantity * draft.unit_price <= max_day_list_cost;
        } catch (const ArithmeticError&) {
            // Too many digits: refused below, like a cost above the bound.
        }
        if (!cost_fits) throw ValidationError("quantity", "its list cost exceeds 10000000000000 (10^13) per event");
    }
    if (draft.type.isRateCard()) {
        // scale() bounds significantScale(), which divides: asked only when it could matter.
        const auto too_precise = [](const Decimal& d) {
            return d.scale() > max_cost_scale && d.significantScale() > max_cost_scale;
        };
        if (too_precise(draft.unit_price)) {
            throw ValidationError("cost", "has more than " + std::to_string(max_cost_scale) + " fractional digits");
        }
        for (const PricedPart& part : draft.parts) {
            if (too_precise(part.cost)) {
                throw ValidationError("cost." + std::string(toString(part.part)),
                                      "has more than " + std::to_string(max_cost_scale) + " fractional digits");
            }
        }
    }
    const std::size_t metadata_bytes = draft.metadataBytes();
    if (metadata_bytes > max_metadata_bytes) {
        throw ValidationError("metadata", std::to_string(metadata_bytes) + " bytes exceed the limit of " +
                                              std::to_string(max_metadata_bytes));
    }
    if (draft.occurred_at < earliest_occurred_at || draft.occurred_at >= latest_occurred_at) {
        throw ValidationError("occurred_at", "must be from 2000-01-01 to 2199-12-31 (UTC)");
    }
}

std::span<const DimensionValue> checkDimensions(std::span<const DimensionValue> given, const PriceBook& book,
                                                std::array<DimensionValue, max_event_dimensions>& sorted) {
    if (given.empty()) return {};
    if (given.size() > max_event_dimensions) {
        throw ValidationError("dimensions", "more than " + std::to_string(max_event_dimensions) + " values");
    }
    std::size_t count = 0;
    for (const DimensionValue& d : given) {
        const auto field = [&] { return std::string("dimensions.").append(d.name); };
        const Dimension* declared = book.findDimension(d.name);
        if (declared == nullptr) {
            throw ValidationError("dimensions." + clipped(d.name), d.name == model_dimension
                                                                       ? "'model' is set by the rate card, not passed"
                                                                       : "not declared in the price book");
        }
        if (d.value.empty()) throw ValidationError(field(), "must not be empty");
        if (d.value.size() > static_cast<std::size_t>(declared->max_length)) {
            throw ValidationError(field(), std::to_string(d.value.size()) + " bytes exceed the limit of " +
                                               std::to_string(declared->max_length));
        }
        if (!isStorableText(d.value)) {
            throw ValidationError(field(), "value is not valid UTF-8 without U+0000");
        }
        if (d.value == dimension_overflow_value) {
            throw ValidationError(field(),
                                  detail::quoted(dimension_overflow_value) + " is reserved for values past max_values");
        }
        if (!declared->admits(d.value)) {
            throw ValidationError(field(), detail::quoted(d.value) + " is not one of the dimension's values");
        }
        // Insertion sort by name (at most 8): no allocation.
        std::size_t at = count++;
        for (; at > 0 && sorted[at - 1].name > d.name; --at) sorted[at] = sorted[at - 1];
        if (at > 0 && sorted[at - 1].name == d.name) throw ValidationError(field(), "given twice");
        sorted[at] = d;
    }
    return {sorted.data(), count};
}

std::optional<std::string> eventProblem(const UsageEvent& event) {
    if (event.id.uuid().isNil()) return "nil event id";
    if (event.business.uuid().isNil()) return "nil business id";
    if (event.quantity.isNegative()) return "negative quantity";
    if (event.quantity > max_event_quantity) return "quantity above the limit of 1000000000000";
    if (event.quantity.significantScale() > max_quantity_scale) return "quantity has too many fractional digits";
    if (event.unit_price.isNegative()) return "negative unit price";
    const int price_scale = event.type.isRateCard() ? max_cost_scale : max_price_scale;
    if (event.unit_price.significantScale() > price_scale) return "unit price has too many fractional digits";
    try {
        if (event.list_cost != event.quantity * event.unit_price) return "list cost is not quantity x unit price";
    } catch (const std::exception&) {
        return "quantity x unit price does not fit exactly";
    }
    if (event.list_cost > max_day_list_cost) return "list cost above the limit of 10000000000000";
    if (event.occurred_at < earliest_occurred_at || event.occurred_at >= latest_occurred_at) {
        return "occurred_at outside 2000-01-01 to 2199-12-31 (UTC)";
    }
    if (event.metadata.byteSize() > max_stored_metadata_bytes) return "metadata too large";
    if (auto problem = dimensionsProblem(event.dimensions)) return problem;
    return rateCardProblem(event);
}

std::vector<std::size_t> wellFormed(std::span<const UsageEvent> events, std::vector<Rejection>& rejected) {
    std::vector<std::size_t> valid;
    valid.reserve(events.size());
    for (std::size_t i = 0; i < events.size(); ++i) {
        if (auto problem = eventProblem(events[i])) {
            rejected.push_back({i, events[i].id, *problem, RejectionKind::invalid});
        } else {
            valid.push_back(i);
        }
    }
    return valid;
}

std::optional<std::string> rollupProblem(const UsageTotal& total, const UsageEvent& event) {
    // eventProblem bounds the event's values and this function the totals, so both sides
    // are far below 38 digits and the sums are exact.
    if (total.quantity + event.quantity > max_day_quantity) {
        return "the day's " + event.type.toString() + " quantity would exceed 1000000000000000";
    }
    if (total.list_cost + event.list_cost > max_day_list_cost) {
        return "the day's " + event.type.toString() + " list cost would exceed 10000000000000";
    }
    return std::nullopt;
}

std::optional<std::string> modelRollupProblem(const ModelUsageTotal& total, const UsageEvent& event,
                                              const PricedPart& part) {
    // eventProblem bounds each part, and this function the rollups: the sums are exact.
    const auto what = [&] {
        return "the day's " + event.type.toString() + " " + detail::quoted(event.model) + " " +
               std::string(toString(part.part));
    };
    if (total.quantity + part.quantity > max_day_quantity) return what() + " quantity would exceed 1000000000000000";
    if (total.cost + part.cost > max_day_list_cost) return what() + " cost would exceed 10000000000000";
    return std::nullopt;
}

std::string idempotencyConflict(const UsageEvent& event, const EventType& stored_type, const Decimal& stored_quantity) {
    return "idempotency conflict: event " + event.id.toString() + " is stored as " + stored_type.toString() + " x " +
           stored_quantity.toPlainString() + ", not " + event.type.toString() + " x " + event.quantity.toPlainString();
}

std::string unknownBusiness(const BusinessId& business) { return "unknown business " + business.toString(); }

}  // namespace metered::detail
