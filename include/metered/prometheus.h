// SPDX-License-Identifier: MIT
// A recorder's counters and store latencies for Prometheus.
#pragma once

#include <string>

#include "metered/export.h"
#include "metered/recorder_stats.h"

namespace metered {

class UsageRecorder;

/// `stats` in Prometheus's text exposition format (version 0.0.4, the `text/plain;
/// version=0.0.4` body of a `/metrics` endpoint): every counter of RecorderStats as a
/// `metered_…_total` counter, the queue depth and spool size as gauges (`metered_queue_events`,
/// `metered_spool_bytes`), and the store appends as the histogram
/// `metered_store_append_duration_seconds`. Names and units follow Prometheus's conventions
/// (docs/operations.md lists them); `last_error` is not exported (it may name hosts).
METERED_API std::string prometheusText(const RecorderStats& stats);

/// prometheusText(recorder.stats()).
METERED_API std::string prometheusText(const UsageRecorder& recorder);

}  // namespace metered
