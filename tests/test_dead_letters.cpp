// SPDX-License-Identifier: MIT
// Dead letters read back and replayed: an event the store refused for good is kept whole
// (metadata numbers as written, model and parts, dimension values) and stored exactly once
// by a replay after the cause is fixed, on every store; a file that is not one the recorder
// writes is refused, naming the line and the field.
#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>

#include "async/dead_letter.h"
#include "metered/dead_letters.h"
#include "metered/errors.h"
#include "metered/usage_recorder.h"
#include "store_fixtures.h"
#include "test_support.h"

using namespace metered;
using namespace metered::testing;
using namespace std::chrono_literals;

namespace {

PriceBook letterBook() { return PriceBook({Plan::basic()}, "basic", {{"end_user", 8, 2}}); }

std::string letterField(std::string_view line) {
    try {
        parseDeadLetter(line, 7);
    } catch (const ValidationError& e) {
        return e.field();
    }
    return "(accepted)";
}

std::string letterWith(const std::string& event) {
    return R"({"at":"2026-11-30T12:00:00.000000Z","reason":"unknown business","event":)" + event + "}";
}

const std::string good_event =
    R"({"id":"0190a5d2-7c1e-7000-8000-0000000000a1","business_id":"0190a5d2-7c1e-7000-8000-000000000016",)"
    R"("event_type":"api_call","quantity":"1","unit_price":"0.01","list_cost":"0.01",)"
    R"("occurred_at":"2026-11-30T11:59:59.123456Z","metadata":{"amount":0.1}})";

}  // namespace

TEMPLATE_TEST_CASE("events dead-lettered for an unknown business are stored exactly as recorded by a replay, once",
                   "[dead_letters][store]", STORE_FIXTURES) {
    TestType fixture;
    TempDir dir;
    const auto biz = account("Acme");
    const auto letters_path = dir.path / "dead-letter.jsonl";
    const std::vector<DimensionValue> who = {{"end_user", "u-42"}};
    std::vector<EventId> ids;
    Metadata metadata;
    metadata.setJson("amount", "0.1");
    metadata.setJson("count", "9007199254740993");  // 2^53 + 1: no double holds it
    metadata.setJson("nested", R"({"a":[1,2.5,"x"]})");
    {
        UsageRecorder recorder(
            fixture.store,
            {.price_book = letterBook(),
             .mode = RecordMode::async,
             .async = {.max_batch = 100, .spool_dir = dir.path / "spool", .dead_letter_path = letters_path}});
        ids.push_back(recorder.record(biz.id, EventType::apiCall(), num("1"), metadata, {.dimensions = who}).id);
        ids.push_back(recorder.recordVoiceMinutes(biz.id, num("2.5")).id);
        ids.push_back(recorder
                          .recordLlmCall(biz.id, {.provider = "openai",
                                                  .model = "gpt-4o",
                                                  .input_tokens = 1000,
                                                  .cached_input_tokens = 500,
                                                  .output_tokens = 200})
                          .id);
        REQUIRE(recorder.flush(10s));
        REQUIRE(recorder.stats().dead_lettered == 3);
    }
    const auto letters = readDeadLetters(letters_path);
    REQUIRE(letters.size() == 3);
    for (std::size_t i = 0; i < letters.size(); ++i) {
        REQUIRE(letters[i].event);
        CHECK(letters[i].line == i + 1);
        CHECK(letters[i].event->id == ids[i]);
        CHECK(letters[i].reason.find("unknown business") != std::string::npos);
    }
    const UsageEvent& api = *letters[0].event;
    CHECK(api.metadata.toJson() == metadata.toJson());
    CHECK(api.metadata.toJson() == R"({"amount":0.1,"count":9007199254740993,"nested":{"a":[1,2.5,"x"]}})");
    CHECK(api.dimensions == std::vector<EventDimension>{{"end_user", "u-42"}});
    const UsageEvent& call = *letters[2].event;
    CHECK(call.model == "openai/gpt-4o");
    CHECK(call.list_cost == num("0.005125"));  // 1000 + 500 cached + 200 out at $2.50 / $1.25 / $10 per million
    REQUIRE(call.parts.size() >= 3);

    // Still unknown: refused again, nothing stored, each refusal with its line.
    auto replay = replayDeadLetters(*fixture.store, letters);
    CHECK(replay.stored == 0);
    REQUIRE(replay.rejected.size() == 3);
    CHECK(replay.rejected[1].first == 2);
    CHECK(replay.rejected[1].second.kind == RejectionKind::unknown_business);

    fixture.store->saveAccount(biz);
    std::vector<std::size_t> progress;
    replay = replayDeadLetters(*fixture.store, letters, 2, [&](std::size_t done) { progress.push_back(done); });
    CHECK(replay.stored == 3);
    CHECK(replay.rejected.empty());
    CHECK(progress == std::vector<std::size_t>{2, 3});
    const auto stored_metadata = fixture.metadataJson(biz.id, ids[0]);  // PostgreSQL's jsonb spaces it
    REQUIRE(stored_metadata);
    CHECK(nlohmann::json::parse(*stored_metadata) == nlohmann::json::parse(metadata.toJson()));
    CHECK(fixture.dimensions(biz.id, ids[0]) == api.dimensions);
    const auto stored_call = fixture.modelAndParts(biz.id, ids[2]);
    REQUIRE(stored_call);
    CHECK(stored_call->first == call.model);
    CHECK(stored_call->second == call.parts);
    const DayRange days{date::local_days(date::year(2000) / 1 / 1), date::local_days(date::year(2199) / 1 / 1)};
    const auto totals = fixture.store->totals(biz.id, days);
    const auto voice = std::find_if(totals.begin(), totals.end(),
                                    [](const UsageTotal& t) { return t.type == EventType::voiceMinute(); });
    REQUIRE(voice != totals.end());
    CHECK(voice->quantity == num("2.5"));

    // Idempotent: a second replay stores nothing again.
    replay = replayDeadLetters(*fixture.store, letters);
    CHECK(replay.stored == 0);
    CHECK(replay.duplicates == 3);
    CHECK(fixture.store->totals(biz.id, days) == totals);
}

TEST_CASE("an event whose metadata nests as deep as a record call allows reads back the same", "[dead_letters]") {
    TempDir dir;
    const detail::DeadLetterFile file(dir.path / "letters.jsonl");
    UsageEvent event;
    event.id = EventId::generate();
    event.business = BusinessId(Uuid::generateV7());
    event.quantity = num("1");
    event.occurred_at = at(date::sys_days(date::year(2026) / 11 / 30));
    const int depth = Metadata::max_json_depth;  // a value this deep, inside the fields' object
    event.metadata.setJson("deep", std::string(depth, '[') + std::string(depth, ']'));
    event.metadata.set("amount", "12.50");
    std::string error;
    REQUIRE(file.write(event, "unknown business", error));
    const auto letters = readDeadLetters(file.path());
    REQUIRE(letters.size() == 1);
    REQUIRE(letters[0].event);
    CHECK(letters[0].event->metadata.toJson() == event.metadata.toJson());
}

TEST_CASE("a dead-letter file holds undecodable records as hex, and replays skip them", "[dead_letters]") {
    TempDir dir;
    const detail::DeadLetterFile file(dir.path / "letters.jsonl");
    std::string error;
    const std::array<std::byte, 3> bytes{std::byte{0x00}, std::byte{0xab}, std::byte{0xff}};
    REQUIRE(file.writeRaw(bytes, "cannot decode: \xff bad", error));
    const auto letters = readDeadLetters(file.path());
    REQUIRE(letters.size() == 1);
    CHECK_FALSE(letters[0].event);
    CHECK(letters[0].raw_hex == "00abff");
    CHECK(letters[0].reason == "cannot decode: \xef\xbf\xbd bad");  // invalid UTF-8 written as U+FFFD
    MemoryStore store;
    const auto replay = replayDeadLetters(store, letters);
    CHECK(replay.raw == 1);
    CHECK(replay.stored == 0);
}

TEST_CASE("a dead-letter line that is not one the recorder writes is refused, naming the line and the field",
          "[dead_letters][hostile]") {
    CHECK(letterField(letterWith(good_event)) == "(accepted)");
    const auto with = [](std::string_view from, std::string_view to) {
        std::string event = good_event;
        const auto at = event.find(from);
        REQUIRE(at != std::string::npos);
        event.replace(at, from.size(), to);
        return letterWith(event);
    };
    CHECK(letterField("") == "line 7");
    CHECK(letterField("not json") == "line 7");
    CHECK(letterField("[1,2]") == "line 7");
    CHECK(letterField(R"({"at":"2026-11-30T12:00:00.000000Z","reason":"x"})") == "line 7");  // neither event nor raw
    CHECK(letterField(R"({"reason":"x","raw":"00"})") == "line 7.at");
    CHECK(letterField(R"({"at":"yesterday","reason":"x","raw":"00"})") == "line 7.at");
    CHECK(letterField(R"({"at":"2026-11-30T12:00:00.000000Z","reason":"x","raw":"0g"})") == "line 7.raw");
    CHECK(letterField(R"({"at":"2026-11-30T12:00:00.000000Z","reason":"x","raw":"0"})") == "line 7.raw");
    CHECK(letterField(R"({"at":"2026-11-30T12:00:00.000000Z","reason":"x","raw":"00","extra":1})") == "line 7.extra");
    CHECK(letterField(R"({"at":"2026-11-30T12:00:00.000000Z","reason":"x","raw":"00","raw":"01"})") == "line 7.raw");
    CHECK(letterField(letterWith("[]")) == "line 7.event");
    CHECK(letterField(with(R"("quantity":"1")", R"("quantity":"-1")")) == "line 7.event.quantity");
    CHECK(letterField(with(R"("quantity":"1")", R"("quantity":"1e999999")")) == "line 7.event.quantity");
    CHECK(letterField(with(R"("quantity":"1",)", "")) == "line 7.event.quantity");
    CHECK(letterField(with(R"("unit_price":"0.01")", R"("unit_price":true)")) == "line 7.event.unit_price");
    CHECK(letterField(with(R"("id":"0190a5d2-7c1e-7000-8000-0000000000a1")", R"("id":"nope")")) == "line 7.event.id");
    CHECK(letterField(with(R"("event_type":"api_call")", R"("event_type":"Bad Type")")) == "line 7.event.event_type");
    CHECK(letterField(with("11:59:59.123456Z", "25:00:00Z")) == "line 7.event.occurred_at");
    CHECK(letterField(with(R"({"amount":0.1})", R"("text")")) == "line 7.event.metadata");
    CHECK(letterField(with(R"("metadata")", R"("metadata":{},"unknown")")) == "line 7.event.unknown");
    CHECK(letterField(with(R"({"amount":0.1})", R"({"amount":0.1},"parts":[])")) == "line 7.event.parts");
    CHECK(letterField(
              with(R"({"amount":0.1})", R"({},"model":"m","parts":[{"part":"nope","quantity":"1","cost":"1"}])")) ==
          "line 7.event.parts[0].part");
    CHECK(letterField(with(R"({"amount":0.1})", R"({},"model":"m","parts":{})")) == "line 7.event.parts");
    CHECK(letterField(with(R"({"amount":0.1})", R"({},"dimensions":[{"name":"a"}])")) ==
          "line 7.event.dimensions[0].value");
    CHECK(letterField(with(R"({"amount":0.1})", R"({},"model":"")")) == "line 7.event.model");
    // Deeper metadata than a store keeps; a line longer than any the recorder writes.
    CHECK(letterField(with(R"({"amount":0.1})", std::string(40, '[') + std::string(40, ']'))).starts_with("line 7"));
    CHECK(letterField(std::string(max_dead_letter_line_bytes + 1, ' ')) == "line 7");
    // Without list_cost (files written before it was kept): quantity × unit price.
    const auto old = parseDeadLetter(with(R"("list_cost":"0.01",)", ""));
    REQUIRE(old.event);
    CHECK(old.event->list_cost == num("0.01"));
}

TEST_CASE("readDeadLetters refuses a whole file for one bad line, and a file it cannot open", "[dead_letters]") {
    TempDir dir;
    const auto path = dir.path / "letters.jsonl";
    {
        std::ofstream out(path);
        out << letterWith(good_event) << "\n\n" << letterWith(good_event) << "\n{oops\n";
    }
    try {
        readDeadLetters(path);
        FAIL("a bad line was accepted");
    } catch (const ValidationError& e) {
        CHECK(e.field() == "line 4");
    }
    CHECK_THROWS_AS(readDeadLetters(dir.path / "missing.jsonl"), StoreError);
}
