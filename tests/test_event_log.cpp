// SPDX-License-Identifier: MIT
// The event log's reader at segment boundaries (white-box: src/async/event_log.h).
#include <catch2/catch.hpp>

#include <cstring>
#include <optional>

#include "async/event_log.h"
#include "test_support.h"

using metered::detail::EventLog;
using metered::detail::EventLogOptions;
using metered::detail::LogCursor;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t payload_bytes = 1000;

// Reserves and commits one record whose first byte is `tag`, waiting up to `wait` for
// space; false when the log stays full.
bool put(EventLog& log, std::uint8_t tag, std::chrono::milliseconds wait) {
    auto reservation = log.reserve(payload_bytes, std::chrono::steady_clock::now() + wait);
    if (!reservation) return false;
    std::memset(reservation->payload, 0, payload_bytes);
    reservation->payload[0] = std::byte{tag};
    log.commit(*reservation);
    return true;
}

}  // namespace

TEST_CASE(
    "a reader that read a segment to its end before the next was prepared moves on once it is, after the "
    "segment it finished is released",
    "[async][log]") {
    const bool spooled = GENERATE(false, true);
    metered::testing::TempDir dir;
    // One lane, a ring of two segments of 64 KiB: the log is full after about 130 records.
    EventLogOptions options{.segment_bytes = 64u << 10, .total_bytes = 128u << 10, .lanes = 1};
    if (spooled) options.directory = dir.path;
    EventLog log(options);
    std::size_t written = 0;
    while (put(log, 1, 200ms)) ++written;
    REQUIRE(written > 100);

    // Read everything: the reader ends at the end of the second segment, the third is not
    // prepared (the ring is full), so it waits there.
    std::size_t read = 0;
    while (log.read(1000, [&](std::span<const std::byte>) { ++read; }) > 0) {}
    REQUIRE(read == written);
    const LogCursor finished = log.readPosition();
    log.release(finished);  // the first segment goes: the third can be prepared

    REQUIRE(put(log, 2, 5000ms));     // into the third segment
    log.release(log.readPosition());  // the flusher publishes again: the second segment goes

    std::vector<std::uint8_t> tags;
    log.read(1000,
             [&](std::span<const std::byte> record) { tags.push_back(std::to_integer<std::uint8_t>(record[0])); });
    CHECK(tags == std::vector<std::uint8_t>{2});
    CHECK(log.readPosition() != finished);
}
