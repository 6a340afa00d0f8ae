// SPDX-License-Identifier: MIT
#include "spool_replay.h"

#include <algorithm>
#include <string>

#include "event_codec.h"
#include "segment.h"

namespace metered::detail {

SpoolReplay::SpoolReplay(const SpoolDirectory& spool, EventLog& log, Delivery& delivery, std::size_t max_batch)
    : spool_(spool), log_(log), delivery_(delivery), max_batch_(max_batch), leftover_bytes_(spool.leftoverBytes()) {}

std::vector<std::filesystem::path> SpoolReplay::run(const std::function<bool()>& give_up) {
    std::vector<std::filesystem::path> kept;
    for (const auto& path : spool_.leftovers()) {
        if (give_up()) {
            kept.push_back(path);
            continue;
        }
        try {
            Mapping segment = Mapping::openFile(path);
            std::vector<UsageEvent> events;
            const SegmentScan scan =
                scanSegment({segment.data(), segment.size()}, [&](std::span<const std::byte> bytes) {
                    try {
                        events.push_back(decodeEvent(bytes));
                    } catch (const std::exception& e) {
                        // Intact but not an event this version can read: kept as a dead letter.
                        corrupt_.fetch_add(1, std::memory_order_relaxed);
                        replayed_.fetch_add(1, std::memory_order_relaxed);
                        delivery_.deadLetterRaw(bytes, std::string("unreadable spooled event: ") + e.what());
                    }
                });
            corrupt_.fetch_add(scan.damaged, std::memory_order_relaxed);
            replayed_.fetch_add(events.size(), std::memory_order_relaxed);
            bool sent = true;
            for (std::size_t from = 0; from < events.size() && sent; from += max_batch_) {
                const auto first = events.begin() + static_cast<std::ptrdiff_t>(from);
                const auto last =
                    events.begin() + static_cast<std::ptrdiff_t>(std::min(events.size(), from + max_batch_));
                sent = delivery_.send(std::span<const UsageEvent>(first, last), give_up);
            }
            if (!sent) {
                kept.push_back(path);
                continue;
            }
            if (!events.empty()) {
                delivery_.log(LogLevel::info,
                              "replayed " + std::to_string(events.size()) + " spooled event(s) from " + path.string());
            }
            leftover_bytes_.fetch_sub(segment.size(), std::memory_order_relaxed);
            log_.releaseReserved(segment.size());
            if (scan.damaged == 0) {
                segment.remove();
                continue;
            }
            segment = Mapping();
            const auto aside = spool_.moveAside(path);
            const std::string message = "spool segment " + path.string() + " has " + std::to_string(scan.damaged) +
                                        " damaged region(s); its " + std::to_string(events.size()) +
                                        " intact event(s) were replayed and the file was moved to " + aside.string();
            delivery_.log(LogLevel::warning, message);
            delivery_.setError(message);
        } catch (const std::exception& e) {
            delivery_.setError(std::string("cannot replay spool segment: ") + e.what());
            kept.push_back(path);
        }
    }
    return kept;
}

}  // namespace metered::detail
