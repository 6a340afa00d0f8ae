// SPDX-License-Identifier: MIT
// A counter many threads bump without sharing a cache line (private).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace metered::detail {

/// Each thread adds to its own cache line (of 32; threads beyond share); reading sums
/// them. add() is a relaxed (or, for fences, sequentially consistent) RMW on a line the
/// thread usually owns: a few nanoseconds, no contention.
class ShardedCounter {
public:
    void add(std::int64_t n, std::memory_order order = std::memory_order_relaxed) noexcept {
        cells_[index()].value.fetch_add(n, order);
    }
    std::int64_t sum(std::memory_order order = std::memory_order_relaxed) const noexcept {
        std::int64_t total = 0;
        for (const auto& cell : cells_) total += cell.value.load(order);
        return total;
    }

private:
    static std::size_t index() noexcept {
        static std::atomic<std::size_t> next{0};
        thread_local const std::size_t mine = next.fetch_add(1, std::memory_order_relaxed) % 32;
        return mine;
    }
    struct alignas(64) Cell {
        std::atomic<std::int64_t> value{0};
    };
    std::array<Cell, 32> cells_;
};

}  // namespace metered::detail
