// SPDX-License-Identifier: MIT
// Who or what a usage was for: the dimensions a host declares and each record call carries.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "metered/export.h"

namespace metered {

/// A dimension a host breaks usage down by (`end_user`, `feature`, `region`), declared in
/// the price book. Every value is a string; `max_length` bounds its bytes and `max_values`
/// how many distinct values of it one business may have in one billing cycle before the
/// rest are counted under dimension_overflow_value (see docs/dimensions.md).
///
/// A dimension may be a closed set: when `values` is not empty, a record call carrying any
/// other value of it is refused (ValidationError naming `dimensions.<name>`), and
/// max_values is at least values.size(), so no value of it is ever counted under
/// dimension_overflow_value. A meter's charge filters price only closed dimensions.
///
/// `model` is built in (every rate-card event carries the model that priced it) and
/// cannot be declared.
struct Dimension {
    std::string name;       ///< `[a-z][a-z0-9_]{0,31}`, not `model`
    int max_length = 64;    ///< longest value in bytes, 1–256
    int max_values = 1000;  ///< distinct values per business and billing cycle, 1–100000
    /// The closed set of values a record call may pass, each once; empty: any value (open).
    std::vector<std::string> values;

    /// Longest value any dimension may declare, in bytes.
    static constexpr int max_value_bytes = 256;
    /// Largest max_values any dimension may declare.
    static constexpr int max_values_limit = 100000;

    /// Throws ValidationError naming the field ("dimensions.<name>.max_length",
    /// "dimensions.<name>.values[2]", …): a bad name, bounds out of range, a value of
    /// `values` that is empty, longer than max_length, not UTF-8 without U+0000, the
    /// overflow value or given twice, max_values below values.size().
    METERED_API void validate() const;

    /// True when `values` is not empty: only those values may be recorded.
    bool closed() const noexcept { return !values.empty(); }
    /// True when a record call may pass `value` (any value of an open dimension).
    METERED_API bool admits(std::string_view value) const noexcept;

    friend bool operator==(const Dimension&, const Dimension&) = default;
};

/// The value the rollups count a value under once its dimension already has max_values
/// distinct values in the business's billing cycle. The event itself keeps its real value;
/// a record call cannot pass this value itself.
inline constexpr std::string_view dimension_overflow_value = "(other)";

/// The built-in dimension: the rate-card entry ("provider/model") that priced an event.
inline constexpr std::string_view model_dimension = "model";

/// Most dimension values one event may carry.
inline constexpr std::size_t max_event_dimensions = 8;

/// One dimension value a record call passes (RecordOptions::dimensions): views, copied
/// into the event before the call returns.
struct DimensionValue {
    std::string_view name;   ///< a dimension declared in the price book
    std::string_view value;  ///< 1–max_length bytes of UTF-8 without U+0000
};

/// One dimension value as a stored event keeps it (UsageEvent::dimensions).
struct EventDimension {
    std::string name;
    std::string value;
    friend bool operator==(const EventDimension&, const EventDimension&) = default;
    friend auto operator<=>(const EventDimension&, const EventDimension&) = default;
};

/// True for a dimension name: `[a-z][a-z0-9_]{0,31}` (`model` included).
METERED_API bool isDimensionName(std::string_view name) noexcept;

}  // namespace metered
