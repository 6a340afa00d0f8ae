// SPDX-License-Identifier: MIT
#include "append_timer.h"

#include <algorithm>

namespace metered::detail {

void AppendTimer::add(std::chrono::steady_clock::duration took) noexcept {
    const auto us = std::chrono::ceil<std::chrono::microseconds>(took);
    const auto bucket =
        static_cast<std::size_t>(std::lower_bound(AppendLatency::bounds.begin(), AppendLatency::bounds.end(), us) -
                                 AppendLatency::bounds.begin());
    counts_[bucket].fetch_add(1, std::memory_order_relaxed);
    total_us_.fetch_add(us.count(), std::memory_order_relaxed);
}

AppendLatency AppendTimer::snapshot() const noexcept {
    AppendLatency latency;
    for (std::size_t i = 0; i < counts_.size(); ++i) latency.counts[i] = counts_[i].load(std::memory_order_relaxed);
    latency.total = std::chrono::microseconds(total_us_.load(std::memory_order_relaxed));
    return latency;
}

}  // namespace metered::detail
