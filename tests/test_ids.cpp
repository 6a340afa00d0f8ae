// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "metered/errors.h"
#include "metered/ids.h"

using metered::BusinessId;
using metered::EventId;
using metered::Uuid;

TEST_CASE("UUIDs parse and print in canonical form", "[ids]") {
    const auto id = Uuid::parse("0190A6F2-3C4D-7E5F-8A9B-0C1D2E3F4A5B");
    CHECK(id.toString() == "0190a6f2-3c4d-7e5f-8a9b-0c1d2e3f4a5b");
    CHECK(id.version() == 7);
    CHECK(Uuid::parse("{0190a6f2-3c4d-7e5f-8a9b-0c1d2e3f4a5b}") == id);
    for (const char* bad : {"", "0190a6f2-3c4d-7e5f-8a9b-0c1d2e3f4a5", "0190a6f2x3c4d-7e5f-8a9b-0c1d2e3f4a5b",
                            "0190a6f2-3c4d-7e5f-8a9b-0c1d2e3f4a5g", "'; DROP TABLE usage_events; --"}) {
        INFO(bad);
        CHECK_FALSE(Uuid::tryParse(bad).has_value());
    }
    try {
        BusinessId::parse("not-a-uuid");
        FAIL("no exception");
    } catch (const metered::ValidationError& e) {
        CHECK(e.field() == "business_id");
    }
}

TEST_CASE("UUIDv7 ids are version 7, unique and increasing per thread", "[ids]") {
    std::vector<Uuid> ids;
    for (int i = 0; i < 20000; ++i) ids.push_back(Uuid::generateV7());
    for (std::size_t i = 1; i < ids.size(); ++i) {
        REQUIRE(ids[i - 1] < ids[i]);
    }
    CHECK(ids.front().version() == 7);
    CHECK((ids.front().bytes()[8] & 0xC0) == 0x80);  // RFC variant
}

TEST_CASE("UUIDv7 generation is thread-safe and collision-free", "[ids]") {
    constexpr int threads = 8, per_thread = 5000;
    std::vector<std::vector<Uuid>> made(threads);
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&made, t] {
            for (int i = 0; i < per_thread; ++i) made[t].push_back(Uuid::generateV7());
        });
    }
    for (auto& w : workers) w.join();
    std::set<Uuid> all;
    for (const auto& batch : made) all.insert(batch.begin(), batch.end());
    CHECK(all.size() == threads * per_thread);
}

TEST_CASE("UUIDv7 ids of forked processes differ from their parent's and each other's", "[ids]") {
    // A child copies its parent's generator state: without a reseed after fork(), children
    // made at the same moment would repeat each other's ids (and the store would drop their
    // events as duplicates).
    const auto at = std::chrono::system_clock::time_point(std::chrono::milliseconds(1'800'000'000'000));
    (void)Uuid::generateV7(at);  // the state exists before the fork
    constexpr int children = 3, per_child = 64;
    std::vector<std::array<int, 2>> pipes(children);
    std::vector<pid_t> pids;
    for (int c = 0; c < children; ++c) {
        REQUIRE(pipe(pipes[c].data()) == 0);
        const pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            for (int i = 0; i < per_child; ++i) {
                const Uuid id = Uuid::generateV7(at);
                if (write(pipes[c][1], id.bytes().data(), id.bytes().size()) != 16) _exit(2);
            }
            _exit(0);
        }
        close(pipes[c][1]);
        pids.push_back(pid);
    }
    std::set<Uuid> all;
    for (int i = 0; i < per_child; ++i) all.insert(Uuid::generateV7(at));
    for (int c = 0; c < children; ++c) {
        Uuid::Bytes bytes{};
        for (int i = 0; i < per_child; ++i) {
            REQUIRE(read(pipes[c][0], bytes.data(), bytes.size()) == 16);
            all.insert(Uuid(bytes));
        }
        close(pipes[c][0]);
        int status = 0;
        REQUIRE(waitpid(pids[c], &status, 0) == pids[c]);
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
    }
    CHECK(all.size() == (children + 1) * per_child);
}

TEST_CASE("idempotency keys map to stable ids per business", "[ids]") {
    const auto a = BusinessId::parse("11111111-1111-4111-8111-111111111111");
    const auto b = BusinessId::parse("22222222-2222-4222-8222-222222222222");
    const auto first = EventId::fromKey(a, "request-42");
    CHECK(first == EventId::fromKey(a, "request-42"));
    CHECK(first != EventId::fromKey(a, "request-43"));
    CHECK(first != EventId::fromKey(b, "request-42"));
    CHECK(first.uuid().version() == 5);
    // RFC 9562 name-based UUIDv5 of "www.example.com" in the DNS namespace.
    const auto dns = Uuid::parse("6ba7b810-9dad-11d1-80b4-00c04fd430c8");
    CHECK(Uuid::nameBased(dns, "www.example.com").toString() == "2ed6657d-e927-568b-95e1-2665a8aea6a2");
    // A key that is a UUID is used as is.
    CHECK(EventId::fromKey(a, "0190a6f2-3c4d-7e5f-8a9b-0c1d2e3f4a5b").toString() ==
          "0190a6f2-3c4d-7e5f-8a9b-0c1d2e3f4a5b");
    CHECK_THROWS_AS(EventId::fromKey(a, ""), metered::ValidationError);
    CHECK_THROWS_AS(EventId::fromKey(a, std::string(256, 'k')), metered::ValidationError);
    CHECK_THROWS_AS(EventId::fromKey(a, "\xff\xfe"), metered::ValidationError);
}

TEST_CASE("UUIDs compare as their bytes do, in every byte position", "[ids]") {
    // The order is the bytes' lexicographic one (the canonical text's, PostgreSQL's).
    std::mt19937_64 random(11);
    for (int round = 0; round < 2000; ++round) {
        Uuid::Bytes a{}, b{};
        for (auto& byte : a) byte = static_cast<std::uint8_t>(random());
        b = a;
        const std::size_t at = static_cast<std::size_t>(random() % 16);
        b[at] = static_cast<std::uint8_t>(random());  // differs (or not) at one position only
        if (round % 3 == 0) b[15 - at] = static_cast<std::uint8_t>(random());
        INFO("round " << round);
        CHECK((Uuid(a) <=> Uuid(b)) == (a <=> b));
        CHECK((Uuid(a) == Uuid(b)) == (a == b));
        CHECK((BusinessId(Uuid(a)) < BusinessId(Uuid(b))) == (a < b));
    }
    constexpr Uuid low(Uuid::Bytes{0x00, 0xFF}), high(Uuid::Bytes{0x01});
    static_assert(low < high && low != high && Uuid() < low);
    CHECK(Uuid::parse("00000000-0000-0000-0000-0000000000ff") < Uuid::parse("00000000-0000-0000-0000-000000000100"));
    CHECK(Uuid::parse("7fffffff-ffff-ffff-ffff-ffffffffffff") < Uuid::parse("80000000-0000-0000-0000-000000000000"));
}
