// SPDX-License-Identifier: MIT
// The spool under faults: syncing through an outage and a long replay, damaged segment
// headers, segments cut short while being created.
#include <catch2/catch.hpp>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>
#include <unistd.h>

#include "async/crc32c.h"
#include "async/segment.h"
#include "async/spool_directory.h"
#include "metered/errors.h"
#include "metered/spool_inspection.h"
#include "store_doubles.h"
#include "test_support.h"

using namespace metered;
using namespace metered::testing;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

RecorderOptions spooled(const fs::path& dir, FsyncPolicy fsync = FsyncPolicy::interval) {
    RecorderOptions options;
    options.mode = RecordMode::async;
    options.async = AsyncOptions{.max_batch = 100,
                                 .flush_interval = 5ms,
                                 .segment_bytes = 64u << 10,
                                 .spool = SpoolMode::on,
                                 .spool_dir = dir,
                                 .fsync = fsync,
                                 .fsync_interval = 20ms,
                                 .retry = {.initial_backoff = 5ms, .max_backoff = 20ms}};
    return options;
}

std::vector<fs::path> filesIn(const fs::path& dir, std::string_view prefix = "segment-") {
    std::vector<fs::path> files;
    if (!fs::exists(dir)) return files;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().filename().string().starts_with(prefix)) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

// Records `events` voice minutes with the store down and stops: they stay in the spool.
// The header of the first segment is then damaged ("METERLOG" becomes "MEXERLOG"), which
// is returned with the others.
std::vector<fs::path> leaveDamagedSpool(const fs::path& dir, const std::shared_ptr<UnreliableStore>& store,
                                        const Account& business, int events) {
    store->down = true;
    {
        const PinnedToCpu0 pinned;
        UsageRecorder recorder(store, spooled(dir));
        for (int i = 0; i < events; ++i) recorder.recordVoiceMinutes(business.id, Decimal::fromMantissa(i + 1, 2));
        recorder.close(20ms);
    }
    auto files = filesIn(dir);
    REQUIRE(files.size() >= 1);
    std::fstream file(files.front(), std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(2);
    file.put('X');
    return files;
}

}  // namespace

TEST_CASE("syncs keep their policy while the store is down and while a long replay waits for it", "[async][spool]") {
    const auto policy = GENERATE(FsyncPolicy::interval, FsyncPolicy::every_batch);
    TempDir dir;
    auto store = std::make_shared<UnreliableStore>();
    const auto biz = account("Acme");
    store->saveAccount(biz);
    store->down = true;
    std::vector<EventId> ids;
    {
        UsageRecorder first(store, spooled(dir.path, policy));
        for (int i = 0; i < 500; ++i) ids.push_back(first.recordApiCall(biz.id).id);
        first.close(20ms);  // the store is down: the events stay in the spool
    }
    REQUIRE_FALSE(filesIn(dir.path).empty());
    // The next process starts with the store still down: its replay waits on retries.
    UsageRecorder recorder(store, spooled(dir.path, policy));
    const auto syncs_at_start = recorder.stats().spool_syncs;
    const bool synced = eventually([&] {
        for (int i = 0; i < 20; ++i) ids.push_back(recorder.recordApiCall(biz.id).id);
        return recorder.stats().spool_syncs >= syncs_at_start + 3;
    });
    CHECK(synced);
    CHECK(recorder.stats().stored == 0);
    store->down = false;
    REQUIRE(recorder.flush(10s));
    CHECK(store->inner->events(biz.id).size() == ids.size());
    CHECK(recorder.stats().stored == ids.size());
}

TEST_CASE("a damaged segment header loses no record, and the file is moved aside, not deleted", "[async][spool]") {
    TempDir dir;
    auto store = std::make_shared<UnreliableStore>();
    const auto biz = account("Acme");
    store->saveAccount(biz);
    const auto files = leaveDamagedSpool(dir.path, store, biz, 300);
    store->down = false;
    std::vector<std::string> warnings;
    std::mutex warnings_mutex;
    auto options = spooled(dir.path);
    options.async.logger = [&](LogLevel level, std::string_view message) {
        std::lock_guard lock(warnings_mutex);
        if (level == LogLevel::warning) warnings.emplace_back(message);
    };
    UsageRecorder recorder(store, options);
    REQUIRE(recorder.flush(10s));
    CHECK(store->inner->events(biz.id).size() == 300);
    const auto stats = recorder.stats();
    CHECK(stats.replayed == 300);
    CHECK(stats.spool_corrupt == 1);
    CHECK(stats.last_error.find("moved to") != std::string::npos);
    CHECK(filesIn(dir.path / "damaged") == std::vector<fs::path>{dir.path / "damaged" / files.front().filename()});
    std::lock_guard lock(warnings_mutex);
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0].find("damaged") != std::string::npos);
}

TEST_CASE("a segment that cannot be replayed stays in the spool, and a flush waiting on it does not spin",
          "[async][spool]") {
    TempDir dir;
    auto store = std::make_shared<UnreliableStore>();
    const auto biz = account("Acme");
    store->saveAccount(biz);
    const auto files = leaveDamagedSpool(dir.path, store, biz, 50);  // replayed, then moved aside...
    std::ofstream(dir.path / "damaged") << "not a directory";        // ...where it cannot go
    store->down = false;
    UsageRecorder recorder(store, spooled(dir.path));
    const std::clock_t cpu_before = std::clock();
    const auto wall_before = std::chrono::steady_clock::now();
    CHECK_FALSE(recorder.flush(400ms));  // the segment is still there
    const double cpu = static_cast<double>(std::clock() - cpu_before) / CLOCKS_PER_SEC;
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_before).count();
    // A flusher that spins until the flush times out burns the whole wait on one core.
    CHECK(cpu < wall / 2);
    CHECK(recorder.stats().last_error.find("cannot replay spool segment") != std::string::npos);
    CHECK(fs::exists(files.front()));
}

TEST_CASE("inspectSpool counts what a stopped recorder left, its damage and dead letters, changing nothing",
          "[async][spool]") {
    TempDir dir;
    auto store = std::make_shared<UnreliableStore>();
    const auto biz = account("Acme");
    store->saveAccount(biz);
    store->down = true;
    const Timestamp first = at(date::sys_days(date::year(2026) / 11 / 2), 9h);
    {
        const PinnedToCpu0 pinned;  // one lane: one segment sequence
        UsageRecorder recorder(store, spooled(dir.path));
        for (int i = 0; i < 1000; ++i) {
            recorder.recordApiCall(biz.id, {}, {.occurred_at = first + std::chrono::minutes(i)});
        }
        recorder.close(20ms);  // the store is down: the events stay in the spool
    }
    const auto files = filesIn(dir.path);
    REQUIRE(files.size() >= 2);  // 1000 events do not fit one 64 KiB segment
    auto spool = inspectSpool(dir.path);
    CHECK(spool.events() == 1000);
    std::vector<fs::path> paths;
    std::optional<Timestamp> oldest, newest;
    const SpoolSegment* with_events = nullptr;
    for (std::size_t i = 0; i < spool.segments.size(); ++i) {
        const SpoolSegment& segment = spool.segments[i];
        paths.push_back(segment.path);
        CHECK(segment.bytes == fs::file_size(segment.path));
        CHECK(segment.damaged == 0);
        CHECK(segment.undecodable == 0);
        if (i > 0) CHECK(segment.sequence >= spool.segments[i - 1].sequence);
        if (segment.events == 0) continue;
        if (with_events == nullptr) with_events = &segment;
        oldest = oldest ? std::min(*oldest, *segment.oldest) : *segment.oldest;
        newest = newest ? std::max(*newest, *segment.newest) : *segment.newest;
    }
    std::sort(paths.begin(), paths.end());
    CHECK(paths == files);
    CHECK(oldest == first);
    CHECK(newest == first + std::chrono::minutes(999));
    REQUIRE(with_events != nullptr);
    const fs::path damaged = with_events->path;
    CHECK(spool.pid == static_cast<std::int64_t>(::getpid()));  // this process held it
    CHECK(spool.pid_running);
    CHECK(spool.dead_letters == 0);

    // A record damaged in place: counted as damage, its event no longer; the file unchanged.
    {
        std::fstream file(damaged, std::ios::in | std::ios::out | std::ios::binary);
        file.seekp(static_cast<std::streamoff>(detail::segment_header_bytes + 20));  // inside the first record
        file.put('\x7f');
    }
    const auto size = fs::file_size(damaged);
    spool = inspectSpool(dir.path);
    std::size_t damage = 0;
    for (const SpoolSegment& segment : spool.segments) damage += segment.damaged;
    CHECK(damage == 1);
    CHECK(spool.events() == 999);
    CHECK(fs::file_size(damaged) == size);
    CHECK(filesIn(dir.path) == files);

    // The next recorder replays them: the record damaged is lost to damage, the rest stored.
    store->down = false;
    {
        UsageRecorder recorder(store, spooled(dir.path));
        REQUIRE(recorder.flush(10s));
    }
    CHECK(store->inner->events(biz.id).size() == 999);
    spool = inspectSpool(dir.path);
    CHECK(spool.segments.empty());
    CHECK(spool.damaged_files.size() == 1);
    CHECK_THROWS_AS(inspectSpool(dir.path / "missing"), Error);
}

TEST_CASE("a segment cut short while being created, or never written, is not damage", "[async][spool]") {
    TempDir dir;
    auto store = std::make_shared<UnreliableStore>();
    const auto biz = account("Acme");
    store->saveAccount(biz);
    // A crash between fallocate and the header: zeros. A crash before fallocate: empty.
    // A segment prepared ahead and never written into: a header, then zeros.
    {
        std::ofstream(dir.path / "segment-00-0000000000000007.log", std::ios::binary) << std::string(64u << 10, '\0');
        std::ofstream(dir.path / "segment-01-0000000000000008.log", std::ios::binary);
        detail::Mapping::createFile(dir.path / "segment-00-0000000000000009.log", 64u << 10, 9);
    }
    std::vector<std::string> warnings;
    std::mutex warnings_mutex;
    auto options = spooled(dir.path);
    options.async.logger = [&](LogLevel level, std::string_view message) {
        std::lock_guard lock(warnings_mutex);
        if (level >= LogLevel::warning) warnings.emplace_back(message);
    };
    UsageRecorder recorder(store, options);
    recorder.recordApiCall(biz.id);
    REQUIRE(recorder.flush(10s));
    const auto stats = recorder.stats();
    CHECK(stats.spool_corrupt == 0);
    CHECK(stats.replayed == 0);
    CHECK(stats.last_error.empty());
    for (const char* name :
         {"segment-00-0000000000000007.log", "segment-01-0000000000000008.log", "segment-00-0000000000000009.log"}) {
        CHECK_FALSE(fs::exists(dir.path / name));
    }
    CHECK_FALSE(fs::exists(dir.path / "damaged"));
    std::lock_guard lock(warnings_mutex);
    CHECK(warnings.empty());
}

TEST_CASE("a burst through a queue of a few small segments is stored whole, and flush() returns", "[async][spool]") {
    // The producers outrun the store and wait for space, so the flusher often reads a
    // segment to its end before the next one is prepared.
    const auto spool = GENERATE(SpoolMode::on, SpoolMode::off);
    TempDir dir;
    auto store = std::make_shared<MemoryStore>();
    const auto biz = account("Acme");
    store->saveAccount(biz);
    auto options = spooled(dir.path);
    options.async.spool = spool;
    options.async.queue_bytes = 256u << 10;  // two segments of 64 KiB in each of up to two lanes
    options.async.block_timeout = 10s;
    constexpr int threads = 4, per_thread = 3000;
    UsageRecorder recorder(store, options);
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&] {
            for (int i = 0; i < per_thread; ++i) recorder.recordApiCall(biz.id, {.session_id = "session-42"});
        });
    }
    for (auto& worker : workers) worker.join();
    REQUIRE(recorder.flush(10s));
    CHECK(recorder.stats().stored == threads * per_thread);
    CHECK(store->events(biz.id).size() == threads * per_thread);
}

TEST_CASE("segment file names are written and read in one place", "[async][spool]") {
    const auto path = detail::segmentFile("/spool", 3, 0x1234abcdULL);
    CHECK(path == fs::path("/spool/segment-03-000000001234abcd.log"));
    CHECK(detail::segmentSequence(path) == 0x1234abcdULL);
    CHECK_FALSE(detail::segmentSequence("/spool/segment-03-000000001234ABCD.log"));
    CHECK_FALSE(detail::segmentSequence("/spool/segment-03-00000000123xabcd.log"));
    CHECK_FALSE(detail::segmentSequence("/spool/dead-letter.jsonl"));
}

TEST_CASE("CRC-32C: the standard check value, and every length against a bitwise reference", "[spool]") {
    CHECK(detail::crc32c("123456789", 9) == 0xE3069283u);
    const auto reference = [](const std::uint8_t* p, std::size_t size, std::uint32_t crc) {
        crc = ~crc;
        for (std::size_t i = 0; i < size; ++i) {
            crc ^= p[i];
            for (int k = 0; k < 8; ++k) crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
        }
        return ~crc;
    };
    std::mt19937 random(7);
    std::vector<std::uint8_t> bytes(1000);
    for (auto& b : bytes) b = static_cast<std::uint8_t>(random());
    for (std::size_t size = 0; size <= bytes.size(); ++size) {
        INFO(size);
        const std::uint32_t whole = detail::crc32c(bytes.data(), size);
        REQUIRE(whole == reference(bytes.data(), size, 0));
        const std::size_t cut = size / 3;  // continued from a first part
        REQUIRE(detail::crc32c(bytes.data() + cut, size - cut, detail::crc32c(bytes.data(), cut)) == whole);
    }
}
