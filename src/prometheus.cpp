// SPDX-License-Identifier: MIT
#include "metered/prometheus.h"

#include <fmt/format.h>

#include <iterator>

#include "metered/decimal.h"
#include "metered/usage_recorder.h"

namespace metered {
namespace {

// Microseconds as seconds, exactly ("0.00025", "1").
std::string seconds(std::chrono::microseconds us) { return Decimal::fromMantissa(us.count(), 6).toPlainString(); }

}  // namespace

std::string prometheusText(const RecorderStats& stats) {
    std::string out;
    auto to = std::back_inserter(out);
    const auto metric = [&](std::string_view name, std::string_view type, std::string_view help, std::uint64_t value) {
        fmt::format_to(to, "# HELP {0} {1}\n# TYPE {0} {2}\n{0} {3}\n", name, help, type, value);
    };
    const auto counter = [&](std::string_view name, std::string_view help, std::uint64_t value) {
        metric(name, "counter", help, value);
    };
    counter("metered_events_recorded_total", "Record calls that returned successfully.", stats.recorded);
    counter("metered_events_refused_queue_full_total", "Record calls refused because the queue was full.",
            stats.rejected);
    counter("metered_events_stored_total", "Events the store added.", stats.stored);
    counter("metered_events_duplicate_total", "Events the store already had (retries, replays).", stats.duplicates);
    counter("metered_events_dead_lettered_total", "Events refused for good and written to the dead-letter file.",
            stats.dead_lettered);
    counter("metered_idempotency_conflicts_total",
            "Dead-lettered events whose key was reused with another type or quantity.", stats.idempotency_conflicts);
    counter("metered_events_replayed_total", "Events read back from the spool at start.", stats.replayed);
    counter("metered_store_retries_total", "Store appends retried after a transient failure.", stats.retries);
    counter("metered_spool_corrupt_regions_total", "Damaged spool regions skipped at start.", stats.spool_corrupt);
    counter("metered_spool_syncs_total", "Times spooled pages were forced to disk.", stats.spool_syncs);
    counter("metered_priced_with_fallback_total", "Rate-card calls priced with a fallback model or rate.",
            stats.priced_with_fallback);
    counter("metered_budget_refreshes_total", "Budget refreshes that read the store to the end.",
            stats.budget_refreshes);
    counter("metered_budget_crossings_delivered_total", "Budget crossings handed to the host's callback.",
            stats.crossings_delivered);
    counter("metered_budget_crossing_delivery_failures_total", "Budget crossing deliveries that failed (retried).",
            stats.crossing_delivery_failures);
    counter("metered_statement_close_rounds_total", "Rounds of automatic statement closing run to the end.",
            stats.statement_close_rounds);
    counter("metered_statements_closed_total", "Statements closed automatically.", stats.statements_closed);
    counter("metered_statement_close_failures_total", "Businesses whose due statements a round could not close.",
            stats.statement_close_failures);
    metric("metered_queue_events", "gauge", "Events recorded or replayed and not yet stored or dead-lettered.",
           stats.queue_depth);
    metric("metered_spool_bytes", "gauge", "Bytes of spool segments on disk.", stats.spool_bytes);

    const AppendLatency& latency = stats.append_latency;
    constexpr std::string_view histogram = "metered_store_append_duration_seconds";
    fmt::format_to(to,
                   "# HELP {0} Store appends (a batch when asynchronous, an event when synchronous), failed ones "
                   "included.\n# TYPE {0} histogram\n",
                   histogram);
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < AppendLatency::bounds.size(); ++i) {
        cumulative += latency.counts[i];
        fmt::format_to(to, "{}_bucket{{le=\"{}\"}} {}\n", histogram, seconds(AppendLatency::bounds[i]), cumulative);
    }
    cumulative += latency.counts.back();
    fmt::format_to(to, "{0}_bucket{{le=\"+Inf\"}} {1}\n{0}_sum {2}\n{0}_count {1}\n", histogram, cumulative,
                   seconds(latency.total));
    return out;
}

std::string prometheusText(const UsageRecorder& recorder) { return prometheusText(recorder.stats()); }

}  // namespace metered
