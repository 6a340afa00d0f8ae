// SPDX-License-Identifier: MIT
// Keeping one poison event from taking its batch with it (private).
#pragma once

#include <span>
#include <string>

#include "metered/errors.h"
#include "metered/usage_store.h"

namespace metered::detail {

/// Appends the events `indices` of `events` with `apply(indices) -> AppendResult` (which
/// applies its chunk all or nothing, and reports rejections by position in `events`) and
/// adds the outcome to `result`. When `apply` fails for a permanent reason, the chunk is
/// halved until the event that fails is alone; that event is rejected with the failure's
/// with `reject(index, failure)` (by default: kind `refused`, the failure's message) and
/// everything else is applied. A transient StoreError propagates: the caller retries the
/// whole batch, which is idempotent.
template <class Apply, class Reject>
void appendIsolating(std::span<const UsageEvent> events, std::span<const std::size_t> indices, AppendResult& result,
                     Apply&& apply, Reject&& reject) {
    if (indices.empty()) return;
    try {
        AppendResult chunk = apply(indices);
        result.stored += chunk.stored;
        result.duplicates += chunk.duplicates;
        for (auto& rejection : chunk.rejected) result.rejected.push_back(std::move(rejection));
        return;
    } catch (const StoreError& e) {
        if (e.transient()) throw;
        if (indices.size() == 1) return result.rejected.push_back(reject(indices[0], e));
    } catch (const std::exception& e) {
        if (indices.size() == 1) return result.rejected.push_back(reject(indices[0], e));
    }
    const std::size_t half = indices.size() / 2;
    appendIsolating(events, indices.subspan(0, half), result, apply, reject);
    appendIsolating(events, indices.subspan(half), result, apply, reject);
}

template <class Apply>
void appendIsolating(std::span<const UsageEvent> events, std::span<const std::size_t> indices, AppendResult& result,
                     Apply&& apply) {
    appendIsolating(events, indices, result, apply, [&](std::size_t index, const std::exception& failure) {
        return Rejection{index, events[index].id, failure.what(), RejectionKind::refused};
    });
}

}  // namespace metered::detail
