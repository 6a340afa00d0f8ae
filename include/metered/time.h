// SPDX-License-Identifier: MIT
// Instants, and where the library reads "now" from.
#pragma once

#include <chrono>
#include <functional>

namespace metered {

/// A point in time, in UTC, to the microsecond (PostgreSQL's timestamptz resolution).
/// `std::chrono::sys_time` of any finer or coarser duration converts to it with
/// `std::chrono::time_point_cast<std::chrono::microseconds>` (or `floor`).
using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;

/// A source of "now": the system clock by default; tests and back-fills pass their own
/// (RecorderOptions::clock, UsageReports). Called from any thread.
using Clock = std::function<Timestamp()>;

/// The system clock, to the microsecond.
Timestamp systemNow();

}  // namespace metered
