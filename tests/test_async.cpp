// SPDX-License-Identifier: MIT
// Asynchronous recording: queue, flusher, overflow, retries, dead letters, spool.
#include <catch2/catch.hpp>

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "async/segment.h"
#include "metered/errors.h"
#include "metered/json.h"
#include "store_doubles.h"
#include "store_fixtures.h"
#include "test_support.h"

using namespace metered;
using namespace metered::testing;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

RecorderOptions asyncOptions(AsyncOptions async = {}) {
    RecorderOptions options;
    options.mode = RecordMode::async;
    options.async = std::move(async);
    return options;
}

Decimal used(const UsageRecorder& recorder, const BusinessId& id, EventType type) {
    return recorder.getBillingUsage(id).quantity(type);
}

std::vector<fs::path> segmentsIn(const fs::path& dir) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().filename().string().rfind("segment-", 0) == 0) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

}  // namespace

TEST_CASE("async recording from many threads stores every event once", "[async]") {
    auto store = std::make_shared<MemoryStore>();
    const auto biz = account("Acme");
    store->saveAccount(biz);
    UsageRecorder recorder(store, asyncOptions({.max_batch = 128, .flush_interval = 20ms}));
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 2500; ++i) {
                const auto receipt = recorder.recordApiCall(biz.id, {.operation = "chat_completion", .tokens = i});
                REQUIRE(receipt.outcome == RecordOutcome::queued);
            }
        });
    }
    for (auto& t : threads) t.join();
    REQUIRE(recorder.flush(10s));
    CHECK(used(recorder, biz.id, EventType::apiCall()) == num("20000"));
    const auto stats = recorder.stats();
    CHECK(stats.recorded == 20000);
    CHECK(stats.stored == 20000);
    CHECK(stats.queue_depth == 0);
    CHECK(stats.rejected == 0);
    std::set<EventId> ids;
    for (const auto& e : store->events(biz.id)) ids.insert(e.id);
    CHECK(ids.size() == 20000);
    const auto sample = store->events(biz.id).front();
    CHECK(sample.metadata.toJson().find("\"operation\":\"chat_completion\"") != std::string::npos);
    CHECK(sample.unit_price == num("0.01"));
}

TEST_CASE("async events keep their exact values and idempotency keys", "[async]") {
    auto store = std::make_shared<MemoryStore>();
    const auto biz = account("Acme");
    store->saveAccount(biz);
    RecorderOptions options = asyncOptions();
    options.late_event_window = std::nullopt;  // an event of March 2024, on the system clock
    UsageRecorder recorder(store, std::move(options));
    const PinnedToCpu0 pinned;  // one lane: the events are stored in the order recorded
    const auto when = at(date::sys_days(date::year(2024) / 3 / 5), 12h);
    const auto first = recorder.recordVoiceMinutes(biz.id, num("0.700001"), {.session_id = "s-\xc3\xa9"},
                                                   {.idempotency_key = "req-1", .occurred_at = when});
    const auto again = recorder.recordVoiceMinutes(biz.id, num("0.700001"), {}, {.idempotency_key = "req-1"});
    CHECK(first.id == again.id);
    recorder.record(biz.id, EventType::storageMb(), num("1.5"), Metadata::fromJson(R"({"nested":{"a":[1,2]}})"));
    REQUIRE(recorder.flush(5s));
    const auto events = store->events(biz.id);
    REQUIRE(events.size() == 2);
    CHECK(events[0].id == EventId::fromKey(biz.id, "req-1"));
    CHECK(events[0].quantity == num("0.700001"));
    CHECK(events[0].list_cost == num("0.01400002"));
    CHECK(events[0].occurred_at == when);
    CHECK(events[0].metadata.toJson() == "{\"audioSize\":0,\"transcriptionLength\":0,\"sessionId\":\"s-\xc3\xa9\"}");
    CHECK(events[1].metadata.toJson() == R"({"nested":{"a":[1,2]}})");
    const auto stats = recorder.stats();
    CHECK(stats.duplicates == 1);
    CHECK(stats.stored == 2);
}

TEST_CASE("bad input is still refused on the caller's thread", "[async]") {
    auto store = std::make_shared<MemoryStore>();
    UsageRecorder recorder(store, asyncOptions());
    CHECK_THROWS_AS(recorder.recordVoiceMinutes(BusinessId(Uuid::generateV7()), num("-1")), ValidationError);
    CHECK_THROWS_AS(recorder.record(BusinessId(Uuid::generateV7()), EventType("sms"), num("1")), ValidationError);
    // A quantity no store could total is refused here, not queued and lost later.
    CHECK_THROWS_AS(
        recorder.recordVoiceMinutes(BusinessId(Uuid::generateV7()), num("12345678901234567890123456789012345678")),
        ValidationError);
    const auto stats = recorder.stats();
    CHECK(stats.recorded == 0);
    CHECK(stats.queue_depth == 0);
}

namespace {
/// A host's own store that throws something other than a StoreError for a whole batch
/// when one of its events has quantity 13.
class FussyStore final : public UsageStore {
public:
    std::shared_ptr<MemoryStore> inner = std::make_shared<MemoryStore>();
    void migrate() override {}
    AppendResult append(std::span<const UsageEvent> events) override {
        for (const auto& e : events) {
            if (e.quantity == Decimal(13)) throw std::runtime_error("thirteen is unlucky");
        }
        return inner->append(events);
    }
    std::vector<UsageTotal> totals(const BusinessId& b, const DayRange& d) override { return inner->totals(b, d); }
    std::vector<DailyUsage> daily(const BusinessId& b, const DayRange& d) override { return inner->daily(b, d); }
    std::vector<ModelUsageTotal> modelTotals(const BusinessId& b, const DayRange& d) override {
        return inner->modelTotals(b, d);
    }
    std::vector<DailyModelUsage> modelDaily(const BusinessId& b, const DayRange& d) override {
        return inner->modelDaily(b, d);
    }
    std::optional<Account> findAccount(const BusinessId& b) override { return inner->findAccount(b); }
    void saveAccount(const Account& a) override { inner->saveAccount(a); }
    std::vector<Account> listAccounts() override { return inner->listAccounts(); }
    std::vector<Plan> loadPlans() override { return inner->loadPlans(); }
    void savePlan(const Plan& p) override { inner->savePlan(p); }
    void saveBudget(const Budget& b) override { inner->saveBudget(b); }
    bool deleteBudget(const BusinessId& b, const std::string& id) override { return inner->deleteBudget(b, id); }
    std::vector<Budget> listBudgets(const BusinessId& b) override { return inner->listBudgets(b); }
    std::vector<Budget> listAllBudgets() override { return inner->listAllBudgets(); }
};
}  // namespace

TEST_CASE("a host store that fails a whole batch for one event loses only that event", "[async]") {
    TempDir dir;
    auto store = std::make_shared<FussyStore>();
    const auto biz = account("Acme");
    store->saveAccount(biz);
    UsageRecorder recorder(store, asyncOptions({.max_batch = 1000, .spool_dir = dir.path}));
    for (int i = 0; i < 300; ++i) recorder.recordStorage(biz.id, num(i == 150 ? "13" : "1"));
    REQUIRE(recorder.flush(5s));
    const auto stats = recorder.stats();
    CHECK(stats.stored == 299);
    CHECK(stats.dead_lettered == 1);
    CHECK(stats.last_error.find("thirteen is unlucky") != std::string::npos);
    CHECK(used(recorder, biz.id, EventType::storageMb()) == num("299"));
}

TEST_CASE("a full queue rejects or blocks as configured, and loses nothing it accepted", "[async]") {
    auto store = std::make_shared<UnreliableStore>();
    const auto biz = account("Acme");
    store->saveAccount(biz);
    store->closeGate();  // the store hangs
    const auto policy = GENERATE(OverflowPolicy::reject, OverflowPolicy::block);
    UsageRecorder recorder(store, asyncOptions({.max_batch = 50,
                                                .flush_interval = 1ms,
                                                .queue_bytes = 128u << 10,
                                                .segment_bytes = 64u << 10,
                                                .overflow = policy,
                                                .block_timeout = 50ms}));
    int accepted = 0, refused = 0;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 4000 && refused < 3; ++i) {
        try {
            recorder.recordApiCall(biz.id, {.operation = "chat_completion", .model = "gpt-4o-mini"});
            ++accepted;
        } catch (const QueueFullError&) {
            ++refused;
        }
    }
    const auto elapsed = std::chrono::steady_clock::now() - start;
    CHECK(refused == 3);
    CHECK(accepted > 100);  // about 128 KiB of events fit
    CHECK(recorder.stats().rejected == 3);
    if (policy == OverflowPolicy::block) {
        CHECK(elapsed >= 3 * 50ms);  // each refusal waited out the timeout first
    }
    store->openGate();
    REQUIRE(recorder.flush(10s));
    CHECK(used(recorder, biz.id, EventType::apiCall()) == Decimal(accepted));
    // After the backlog drained, room comes back (once the next segment is prepared).
    CHECK(eventually([&] {
        try {
            recorder.recordApiCall(biz.id);
            return true;
        } catch (const QueueFullError&) {
            return false;
        }
    }));
}

TEST_CASE("one append at a time: transient store failures are retried in order until they succeed", "[async]") {
    auto store = std::make_shared<UnreliableStore>();
    const auto biz = account("Acme");
    store->saveAccount(biz);
    store->failures_left = 4;
    std::vector<std::string> log;
    std::mutex log_mutex;
    UsageRecorder recorder(store, asyncOptions({.max_batch = 10,
                                                .appends_in_flight = 1,  // order across batches
                                                .flush_interval = 1ms,
                                                .retry = {.initial_backoff = 5ms, .max_backoff = 20ms},
                                                .logger = [&](LogLevel, std::string_view m) {
                                                    std::lock_guard lock(log_mutex);
                                                    log.emplace_back(m);
                                                }}));
    std::vector<EventId> ids;
    {
        const PinnedToCpu0 pinned;  // one lane: order is kept within a lane
        for (int i = 0; i < 95; ++i) ids.push_back(recorder.recordAiQuery(biz.id).id);
    }
    REQUIRE(recorder.flush(10s));
    const auto stats = recorder.stats();
    CHECK(stats.retries == 4);
    CHECK(stats.stored == 95);
    CHECK(stats.last_error.find("connection refused") != std::string::npos);
    const auto events = store->inner->events(biz.id);
    REQUIRE(events.size() == 95);
    for (std::size_t i = 0; i < ids.size(); ++i) CHECK(events[i].id == ids[i]);  // order kept
    std::lock_guard lock(log_mutex);
    CHECK_FALSE(log.empty());
}

TEST_CASE("a poison event is dead-lettered with its reason; the others are stored", "[async]") {
    TempDir dir;
    auto store = std::make_shared<MemoryStore>();
    const auto biz = account("Acme");
    store->saveAccount(biz);
    const BusinessId stranger(Uuid::generateV7());
    const auto letters = dir.path / "dead.jsonl";
    UsageRecorder recorder(store, asyncOptions({.max_batch = 1000, .dead_letter_path = letters}));
    for (int i = 0; i < 50; ++i) recorder.recordApiCall(biz.id);
    const auto poison = recorder.recordApiCall(stranger, {.intent = "order"});
    for (int i = 0; i < 50; ++i) recorder.recordApiCall(biz.id);
    REQUIRE(recorder.flush(5s));
    CHECK(used(recorder, biz.id, EventType::apiCall()) == num("100"));
    const auto stats = recorder.stats();
    CHECK(stats.dead_lettered == 1);
    CHECK(stats.queue_depth == 0);
    std::ifstream in(letters);
    std::string line;
    REQUIRE(std::getline(in, line));
    CHECK(line.find(poison.id.toString()) != std::string::npos);
    CHECK(line.find("unknown business") != std::string::npos);
    CHECK(line.find("\"intent\":\"order\"") != std::string::npos);
    CHECK_FALSE(std::getline(in, line));
}

#ifdef METERED_HAVE_SQLITE
#define EMBEDDED_STORES MemoryFixture, SqliteFixture
#else
#define EMBEDDED_STORES MemoryFixture
#endif

TEMPLATE_TEST_CASE(
    "one business's poison event costs no other event, and lands in a durable dead letter with the "
    "spool off",
    "[async]", EMBEDDED_STORES) {
    TestType fixture;
    TempDir dir;
    const auto a = account("A");
    const auto b = account("B");
    fixture.store->saveAccount(a);
    fixture.store->saveAccount(b);
    UsageRecorder recorder(fixture.store, asyncOptions({.max_batch = 5000, .spool_dir = dir.path}));
    // B's 1001st storage event of 10^12 MB would take its day past 10^15 MB. One lane keeps
    // the recording order, so the 1001st recorded is the 1001st stored.
    const PinnedToCpu0 pinned;
    for (int i = 0; i < 1000; ++i) {
        recorder.recordApiCall(a.id);
        recorder.recordStorage(b.id, num("1000000000000"));
    }
    const auto poison = recorder.recordStorage(b.id, num("1000000000000"));
    REQUIRE(recorder.flush(10s));
    CHECK(used(recorder, a.id, EventType::apiCall()) == num("1000"));
    CHECK(used(recorder, b.id, EventType::storageMb()) == num("1000000000000000"));
    const auto stats = recorder.stats();
    CHECK(stats.recorded == 2001);
    CHECK(stats.stored == 2000);
    CHECK(stats.dead_lettered == 1);
    CHECK(stats.queue_depth == 0);
    CHECK(stats.recorded == stats.stored + stats.duplicates + stats.dead_lettered + stats.queue_depth);
    CHECK(stats.last_error.find("would exceed") != std::string::npos);
    std::ifstream in(dir.path / "dead-letter.jsonl");
    std::string line;
    REQUIRE(std::getline(in, line));
    CHECK(line.find(poison.id.toString()) != std::string::npos);
    CHECK(line.find("quantity would exceed 1000000000000000") != std::string::npos);
    CHECK_FALSE(std::getline(in, line));
}

TEMPLATE_TEST_CASE("async: an idempotency key reused for other usage is dead-lettered as a conflict and counted",
                   "[async]", EMBEDDED_STORES) {
    TestType fixture;
    TempDir dir;
    const auto biz = account("Acme");
    fixture.store->saveAccount(biz);
    std::vector<std::string> reasons;
    UsageRecorder recorder(
        fixture.store,
        asyncOptions({.spool_dir = dir.path,
                      .on_dead_letter = [&](const UsageEvent&, std::string_view why) { reasons.emplace_back(why); }}));
    recorder.recordApiCall(biz.id, {}, {.idempotency_key = "req-1"});
    REQUIRE(recorder.flush(5s));
    const auto conflict = recorder.recordAiQuery(biz.id, {}, {.idempotency_key = "req-1"});
    CHECK(conflict.outcome == RecordOutcome::queued);
    recorder.recordApiCall(biz.id, {}, {.idempotency_key = "req-1"});  // a retry: a duplicate
    REQUIRE(recorder.flush(5s));
    const auto stats = recorder.stats();
    CHECK(stats.stored == 1);
    CHECK(stats.duplicates == 1);
    CHECK(stats.dead_lettered == 1);
    CHECK(stats.idempotency_conflicts == 1);
    CHECK(stats.recorded == stats.stored + stats.duplicates + stats.dead_lettered + stats.queue_depth);
    REQUIRE(reasons.size() == 1);
    CHECK(reasons[0].find("idempotency conflict") != std::string::npos);
    CHECK(used(recorder, biz.id, EventType::aiQuery()) == num("0"));
}

TEST_CASE("close drains the queue; recording after close is an error", "[async]") {
    auto store = std::make_shared<MemoryStore>();
    const auto biz = account("Acme");
    store->saveAccount(biz);
    UsageRecorder recorder(store, asyncOptions({.flush_interval = 10s}));
    for (int i = 0; i < 300; ++i) recorder.recordApiCall(biz.id);
    CHECK(recorder.close(5s));
    CHECK(recorder.close(5s));  // idempotent
    CHECK(store->events(biz.id).size() == 300);
    CHECK_THROWS_AS(recorder.recordApiCall(biz.id), Error);
}

TEST_CASE("the spool keeps what the store has not taken, for the next process", "[async][spool]") {
    const std::size_t in_flight = GENERATE(1u, 2u);  // appends at once
    INFO(in_flight << " append(s) in flight");
    TempDir dir;
    auto store = std::make_shared<UnreliableStore>();
    const auto biz = account("Acme");
    store->saveAccount(biz);
    const AsyncOptions options{.max_batch = 100,
                               .appends_in_flight = in_flight,
                               .flush_interval = 1ms,
                               .segment_bytes = 64u << 10,
                               .spool = SpoolMode::on,
                               .spool_dir = dir.path,
                               .retry = {.initial_backoff = 1ms, .max_backoff = 5ms}};
    std::vector<EventId> ids;
    {
        store->down = true;
        UsageRecorder recorder(store, asyncOptions(options));
        // A second recorder may not use the same spool directory.
        CHECK_THROWS_AS(UsageRecorder(store, asyncOptions(options)), Error);
        for (int i = 0; i < 1500; ++i) ids.push_back(recorder.recordApiCall(biz.id, {.tokens = i}).id);
        CHECK_FALSE(recorder.close(100ms));
        const auto stats = recorder.stats();
        CHECK(stats.stored == 0);
        CHECK(stats.queue_depth == 1500);
        CHECK(stats.spool_bytes > 0);
        CHECK(stats.last_error.find("kept in the spool") != std::string::npos);
    }
    CHECK(segmentsIn(dir.path).size() >= 3);
    store->down = false;
    {
        UsageRecorder recorder(store, asyncOptions(options));
        REQUIRE(recorder.flush(10s));
        const auto stats = recorder.stats();
        CHECK(stats.replayed == 1500);
        CHECK(stats.stored == 1500);
        CHECK(stats.spool_corrupt == 0);
        CHECK(recorder.close(5s));
    }
    std::set<EventId> stored;
    for (const auto& e : store->inner->events(biz.id)) stored.insert(e.id);
    CHECK(stored == std::set<EventId>(ids.begin(), ids.end()));
    CHECK(segmentsIn(dir.path).empty());  // deleted once stored
}

TEST_CASE("with two appends in flight they overlap, never more, and every event is stored once", "[async][spool]") {
    TempDir dir;
    auto store = std::make_shared<UnreliableStore>();
    const auto biz = account("Acme");
    store->saveAccount(biz);
    CHECK(errorField([&] { UsageRecorder(store, asyncOptions({.appends_in_flight = 0})); }) ==
          "async.appends_in_flight");
    CHECK(errorField([&] { UsageRecorder(store, asyncOptions({.appends_in_flight = 5})); }) ==
          "async.appends_in_flight");
    store->wait_for_company = true;  // the first append waits for a second beside it
    std::vector<EventId> ids;
    {
        UsageRecorder recorder(store, asyncOptions({.max_batch = 50,
                                                    .appends_in_flight = 2,
                                                    .flush_interval = 1ms,
                                                    .spool = SpoolMode::on,
                                                    .spool_dir = dir.path}));
        for (int i = 0; i < 1000; ++i) ids.push_back(recorder.recordApiCall(biz.id, {.tokens = i}).id);
        REQUIRE(recorder.flush(10s));
        const auto stats = recorder.stats();
        CHECK(stats.stored == 1000);
        CHECK(stats.duplicates == 0);
        CHECK(stats.queue_depth == 0);
        CHECK(recorder.close(5s));
    }
    CHECK(store->most_at_once.load() == 2);
    std::multiset<EventId> stored;
    for (const auto& e : store->inner->events(biz.id)) stored.insert(e.id);
    CHECK(stored == std::multiset<EventId>(ids.begin(), ids.end()));
    CHECK(segmentsIn(dir.path).empty());  // every segment released once stored
}

TEST_CASE("a torn spool tail and a flipped byte are detected and never misread", "[async][spool]") {
    TempDir dir;
    auto store = std::make_shared<UnreliableStore>();
    const auto biz = account("Acme");
    store->saveAccount(biz);
    const AsyncOptions options{.max_batch = 100,
                               .flush_interval = 1ms,
                               .segment_bytes = 64u << 10,
                               .spool = SpoolMode::on,
                               .spool_dir = dir.path};
    std::map<EventId, Decimal> recorded;
    {
        const PinnedToCpu0 pinned;  // every event in lane 0's first segment
        store->down = true;
        UsageRecorder recorder(store, asyncOptions(options));
        for (int i = 0; i < 200; ++i) {
            const auto quantity = Decimal::fromMantissa(i + 1, 3);
            recorded[recorder.recordVoiceMinutes(biz.id, quantity).id] = quantity;
        }
        recorder.close(50ms);
    }
    const auto files = segmentsIn(dir.path);
    REQUIRE_FALSE(files.empty());
    // Flip one byte inside the 10th record's payload, and cut the file inside the 150th.
    std::vector<std::size_t> offsets;
    {
        detail::Mapping segment = detail::Mapping::openFile(files.front());
        detail::scanSegment({segment.data(), segment.size()}, [&](std::span<const std::byte> payload) {
            offsets.push_back(static_cast<std::size_t>(payload.data() - segment.data()));
        });
    }
    REQUIRE(offsets.size() == 200);
    {
        std::fstream file(files.front(), std::ios::in | std::ios::out | std::ios::binary);
        file.seekp(static_cast<std::streamoff>(offsets[9] + 40));
        char byte = 0;
        file.seekg(static_cast<std::streamoff>(offsets[9] + 40));
        file.get(byte);
        file.seekp(static_cast<std::streamoff>(offsets[9] + 40));
        file.put(static_cast<char>(byte ^ 0x10));
    }
    fs::resize_file(files.front(), offsets[149] + 20);

    store->down = false;
    UsageRecorder recorder(store, asyncOptions(options));
    REQUIRE(recorder.flush(10s));
    const auto stats = recorder.stats();
    CHECK(stats.spool_corrupt == 2);  // the flipped record and the torn one
    CHECK(stats.replayed == 148);
    const auto events = store->inner->events(biz.id);
    CHECK(events.size() == 148);
    for (const auto& e : events) {
        REQUIRE(recorded.count(e.id) == 1);
        CHECK(recorded[e.id] == e.quantity);  // nothing misread
    }
}

TEST_CASE("a full spool disk is a clear error under the overflow policy, not a crash", "[async][spool]") {
    TempDir dir;
    const auto failures = inChildProcesses(1, [&](int) {
        auto store = std::make_shared<UnreliableStore>();
        const auto biz = account("Acme");
        store->saveAccount(biz);
        store->down = true;  // nothing drains: the spool must grow
        // Block: while the producer waits for room, the preparer tries (and fails) to make the
        // next segment, so the refusal can say why.
        UsageRecorder recorder(store, asyncOptions({.segment_bytes = 64u << 10,
                                                    .overflow = OverflowPolicy::block,
                                                    .block_timeout = 500ms,
                                                    .spool = SpoolMode::on,
                                                    .spool_dir = dir.path}));
        // Wait until the first segments and their spares exist.
        const std::uint64_t prepared = 2ull * std::max(1u, std::thread::hardware_concurrency()) * (64u << 10);
        if (!eventually([&] { return recorder.stats().spool_bytes >= prepared; })) {
            throw std::runtime_error("the spool's first segments were never prepared");
        }
        // From now on no file may grow past 32 KiB: every new segment fails as on a full disk.
        signal(SIGXFSZ, SIG_IGN);
        const rlimit limit{32u << 10, 32u << 10};
        if (setrlimit(RLIMIT_FSIZE, &limit) != 0) throw std::runtime_error("setrlimit");
        std::size_t accepted = 0;
        std::string refusal;
        for (int i = 0; i < 100000 && refusal.empty(); ++i) {
            try {
                recorder.recordApiCall(biz.id, {.operation = "chat_completion"});
                ++accepted;
            } catch (const QueueFullError& e) {
                refusal = e.what();
            }
        }
        if (accepted == 0 || refusal.find("spool") == std::string::npos ||
            refusal.find("File too large") == std::string::npos || recorder.stats().rejected != 1) {
            throw std::runtime_error("unexpected: " + refusal);
        }
        recorder.close(10ms);
    });
    CHECK(failures.empty());
}
