// SPDX-License-Identifier: MIT
// The set of plans a deployment offers, and the list prices events are recorded at.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "metered/dimension.h"
#include "metered/export.h"
#include "metered/plan.h"

namespace metered {

/// The plans on offer, one of them the default. The default plan defines which event
/// types can be recorded (a host-defined type becomes recordable by adding a meter for
/// it) and the list price each event is recorded at; every plan prices exactly the
/// default plan's event types, so every bill is complete.
///
/// Immutable after construction; safe to share between threads.
///
/// JSON form (prices and quantities may be numbers or strings; both are read exactly):
/// @code
/// {"default_plan": "basic",
///  "plans": [{"id": "basic", "name": "Basic", "currency": "USD", "rounding": "half_even",
///             "meters": {"api_call": {"unit": "call", "included": 1000, "unit_price": 0.01,
///                                     "quota": {"limit": 1000, "hard": false},
///                                     "filters": [{"dimension": "cloud", "values": ["aws"],
///                                                  "unit_price": 0.008}]},
///                        "ai_query": {"included": 100, "model": "graduated",
///                                     "tiers": [{"up_to": 1000, "unit_price": 0.05},
///                                               {"up_to": null, "unit_price": 0.04, "flat_fee": 0}]},
///                        "storage_mb": {"included": 1000, "model": "package", "unit_price": 0.001,
///                                       "package_size": 1000, "package_price": 1}}}],
///  "dimensions": {"end_user": {"max_length": 64, "max_values": 1000}, "feature": {},
///                 "cloud": {"values": ["aws", "gcp", "azure"]}}}
/// @endcode
///
/// `dimensions` (optional; all fields optional, defaults as in Dimension) declares what
/// record calls may break usage down by besides the built-in `model` (docs/dimensions.md);
/// `values` makes a dimension a closed set (max_values then defaults to at least its size).
/// A plan object with `"effective": "2027-01-01"` is a later version of the plan of its id
/// (Plan::effective): `plans` may hold one id several times, once without `effective`.
/// A meter's `filters` (Meter::filters, ChargeFilter: the meter's pricing fields plus
/// `dimension` and `values`) price the usage of some values of a closed dimension.
class METERED_API PriceBook {
public:
    /// The standard book: the seed's `basic` plan, which is the default.
    PriceBook();
    /// Validates every plan and their consistency; throws ValidationError naming the field.
    /// A charge filter's dimension must be declared and closed, and each of its values one
    /// of the dimension's ("plans.pro.meters.api_call.filters[0].values[1]").
    /// `dimensions`: declared in that order; each validated, a name given twice refused.
    explicit PriceBook(std::vector<Plan> plans, std::string_view default_plan = "basic",
                       std::vector<Dimension> dimensions = {});

    /// Longest price-book JSON text fromJson() and load() read (4 MiB).
    static constexpr std::size_t max_json_bytes = std::size_t{4} << 20;
    /// Deepest nesting of arrays and objects fromJson() accepts (a price book needs 9).
    static constexpr int max_json_depth = 32;

    /// Parses the JSON form above. Throws ValidationError with the JSON path of the problem:
    /// malformed JSON, a key given twice in one object (so an event type or a price cannot
    /// be given twice), an unknown key, a number where a string belongs or a string that is
    /// not a decimal where a number belongs, an integer out of range (`minor_units` 0–6),
    /// nesting deeper than max_json_depth, text longer than max_json_bytes.
    static PriceBook fromJson(std::string_view json_text);
    /// Reads and parses a JSON file. Throws ValidationError("price book", …) also for a path
    /// that does not exist, is not a regular file (a directory) or cannot be read.
    static PriceBook load(const std::filesystem::path& path);
    /// The JSON form, with every number written exactly.
    std::string toJson() const;

    const Plan& defaultPlan() const noexcept { return plans_[default_index_]; }
    /// Every plan and every version of a plan, in the order given.
    const std::vector<Plan>& plans() const noexcept { return plans_; }
    /// The first version (no `effective` day) of the plan with this id, or nullptr.
    const Plan* findPlan(std::string_view id) const noexcept;
    /// The version of plan `id` in effect on local day `day`: the latest whose effective
    /// day is `day` or earlier, else the first; nullptr for an unknown id.
    const Plan* findPlan(std::string_view id, date::local_days day) const noexcept;
    /// The days plan `id`'s later versions take effect on, earliest first.
    std::vector<date::local_days> versionDays(std::string_view id) const;
    /// The first version of the plan with this id; throws NotFoundError.
    const Plan& plan(std::string_view id) const;
    /// The meter of the default plan for `type` (its list price); throws
    /// ValidationError("event_type", …) when the type is not recordable.
    const Meter& listMeter(const EventType& type) const;
    /// True when events of `type` can be recorded.
    bool knows(const EventType& type) const noexcept { return defaultPlan().meter(type) != nullptr; }
    /// The declared dimensions, in declaration order (`model`, built in, is not among them).
    const std::vector<Dimension>& dimensions() const noexcept { return dimensions_; }
    /// The declared dimension `name`, or nullptr.
    const Dimension* findDimension(std::string_view name) const noexcept;

private:
    std::vector<Plan> plans_;
    std::size_t default_index_ = 0;
    std::vector<Dimension> dimensions_;
};

}  // namespace metered
