// SPDX-License-Identifier: MIT
// The durations of store appends, counted into an AppendLatency from any thread (private).
#pragma once

#include <array>
#include <atomic>
#include <chrono>

#include "metered/recorder_stats.h"

namespace metered::detail {

/// Counts append durations without a lock (relaxed atomics: a snapshot taken while an
/// append is counted may hold its bucket and not yet its duration).
class AppendTimer {
public:
    /// Runs `append()` and counts how long it took, whether it returns or throws.
    template <class Append>
    auto timed(Append&& append) {
        const auto start = std::chrono::steady_clock::now();
        struct Count {
            AppendTimer& timer;
            std::chrono::steady_clock::time_point start;
            ~Count() { timer.add(std::chrono::steady_clock::now() - start); }
        } count{*this, start};
        return append();
    }
    void add(std::chrono::steady_clock::duration took) noexcept;
    AppendLatency snapshot() const noexcept;

private:
    std::array<std::atomic<std::uint64_t>, AppendLatency::bounds.size() + 1> counts_{};
    std::atomic<std::int64_t> total_us_{0};
};

}  // namespace metered::detail
