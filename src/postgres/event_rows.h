// SPDX-License-Identifier: MIT
// How a batch of events travels to PostgreSQL (private): as COPY rows when none of it can
// be stored already, as the careful statement's arrays otherwise, and the rollup sums.
#pragma once

#include <date/date.h>

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "metered/usage_event.h"
#include "pg_connection.h"

namespace metered::detail::pg {

/// The events of a batch with the local day of each (in its business's time zone), and the
/// positions to send, in key order (business, id) without repeats.
struct BatchView {
    std::span<const UsageEvent> events;
    std::span<const date::local_days> days;  ///< indexed like events
    std::span<const std::size_t> indices;
};

/// The rows of `copy_events` (COPY text format), handed to `send` a few dozen at a time so
/// the server parses while the rest is formatted.
void copyRows(const BatchView& batch, const std::function<void(std::string_view)>& send);

/// The parameters of `append_events`.
PgParams appendParams(const BatchView& batch);

/// The parameters of `add_event_keys`: business ids, event ids, local days.
PgParams keyParams(const BatchView& batch);

/// The parameters of `add_to_rollups`: the batch summed by (business, day, type), in key
/// order, exactly (Decimal sums).
PgParams rollupParams(const BatchView& batch);

/// The parameters of `add_to_model_rollups`: the parts of the batch's rate-card events
/// summed by (business, day, type, model, part), exactly; nothing when the batch has no
/// rate-card event (the statement is then skipped).
std::optional<PgParams> modelRollupParams(const BatchView& batch);

/// The parameters of `add_to_dimension_rollups`: one entry per event and dimension value
/// of the batch (the server admits values and sums them); nothing when no event of the
/// batch has dimensions (the statement is then skipped).
std::optional<PgParams> dimensionRollupParams(const BatchView& batch);

/// Array literals ('{a,b}'), built in place.
class ArrayText {
public:
    ArrayText() : text_("{") {}
    void reserve(std::size_t bytes) { text_.reserve(bytes); }
    /// The next element's text is appended to the returned string (no quoting: uuids,
    /// numbers, days).
    std::string& next() {
        if (text_.size() > 1) text_.push_back(',');
        return text_;
    }
    /// The next element, double-quoted, with \ and " escaped.
    void addQuoted(std::string_view value);
    /// The literal, closed.
    std::string done() && {
        text_.push_back('}');
        return std::move(text_);
    }

private:
    std::string text_;
};

}  // namespace metered::detail::pg
