// SPDX-License-Identifier: MIT
// Dimensions on record calls: checked against the price book on the host's thread,
// carried through the event log, saved into the store, read back grouped by value.
#include <catch2/catch.hpp>

#include <array>

#include "async/event_codec.h"
#include "metered/errors.h"
#include "metered/json.h"
#include "metered/memory_store.h"
#include "metered/usage_recorder.h"
#include "test_support.h"

using namespace metered;
using namespace metered::testing;
using namespace date::literals;
using std::chrono::hours;

namespace {

PriceBook bookWithDimensions() { return PriceBook({Plan::basic()}, "basic", {{"end_user", 8, 2}, {"feature"}}); }

RecorderOptions withDimensionBook(RecorderOptions options) {
    options.price_book = bookWithDimensions();
    return options;
}

struct DimensionSetup : RecorderSetup {
    explicit DimensionSetup(RecorderOptions options = {}) : RecorderSetup(withDimensionBook(std::move(options))) {}
};

}  // namespace

TEST_CASE("record calls carry dimensions, sorted by name, into the stored event and its rollups", "[dimensions]") {
    DimensionSetup setup;
    // The recorder saved its book's declarations into the store.
    CHECK(setup.store->listDimensions() == setup.recorder.priceBook().dimensions());
    const std::array<DimensionValue, 2> who = {DimensionValue{"feature", "search"}, DimensionValue{"end_user", "u-1"}};
    const Receipt api = setup.recorder.recordApiCall(setup.business.id, {.operation = "chat"}, {.dimensions = who});
    setup.recorder.recordVoiceMinutes(setup.business.id, num("2.5"), {}, {.dimensions = who});
    setup.recorder.record(setup.business.id, EventType::storageMb(), num("10"), {}, {.dimensions = who});
    const auto events = setup.store->events(setup.business.id);
    REQUIRE(events.size() == 3);
    CHECK(events[0].id == api.id);
    const std::vector<EventDimension> sorted = {{"end_user", "u-1"}, {"feature", "search"}};
    for (const auto& e : events) CHECK(e.dimensions == sorted);
    const auto totals = setup.store->dimensionTotals(setup.business.id, december2024, "end_user");
    REQUIRE(totals.size() == 3);  // u-1 × three types
    for (const auto& t : totals) CHECK(t.value == "u-1");
}

TEST_CASE("bad dimensions are refused naming the field, and nothing is recorded", "[dimensions]") {
    DimensionSetup setup;
    const auto& business = setup.business.id;
    auto recordWith = [&](std::vector<DimensionValue> dimensions) {
        return errorField([&] { setup.recorder.recordApiCall(business, {}, {.dimensions = dimensions}); });
    };
    CHECK(recordWith({{"region", "eu"}}) == "dimensions.region");
    CHECK(recordWith({{"model", "openai/gpt-4o"}}) == "dimensions.model");
    CHECK(recordWith({{"end_user", "a"}, {"end_user", "b"}}) == "dimensions.end_user");
    CHECK(recordWith({{"end_user", ""}}) == "dimensions.end_user");
    CHECK(recordWith({{"end_user", "123456789"}}) == "dimensions.end_user");  // max_length 8
    CHECK(recordWith({{"end_user", "\xc3("}}) == "dimensions.end_user");
    CHECK(recordWith({{"end_user", std::string_view("a\0b", 3)}}) == "dimensions.end_user");
    CHECK(recordWith({{"end_user", dimension_overflow_value}}) == "dimensions.end_user");
    std::vector<DimensionValue> nine(9, DimensionValue{"feature", "x"});
    CHECK(recordWith(nine) == "dimensions");
    // An undeclared name is quoted sanitised: clipped, valid UTF-8.
    try {
        setup.recorder.recordApiCall(business, {}, {.dimensions = std::vector<DimensionValue>{{"\xff\xfe evil", "x"}}});
        FAIL("accepted");
    } catch (const ValidationError& e) {
        CHECK(std::string(e.what()).find('\xff') == std::string::npos);
    }
    CHECK(setup.store->events(business).empty());
    // The longest value allowed, and every record call.
    CHECK(recordWith({{"end_user", "12345678"}}).empty());
}

TEST_CASE("asynchronous recording carries dimensions through the event log", "[dimensions]") {
    DimensionSetup setup(asyncInMemory());
    const std::array<DimensionValue, 1> who = {DimensionValue{"end_user", "u-9"}};
    for (int i = 0; i < 3; ++i) setup.recorder.recordApiCall(setup.business.id, {}, {.dimensions = who});
    REQUIRE(setup.recorder.flush());
    const auto events = setup.store->events(setup.business.id);
    REQUIRE(events.size() == 3);
    for (const auto& e : events) CHECK(e.dimensions == std::vector<EventDimension>{{"end_user", "u-9"}});
    const auto totals = setup.store->dimensionTotals(setup.business.id, december2024, "end_user");
    REQUIRE(totals.size() == 1);
    CHECK(totals[0].total.events == 3);
}

TEST_CASE("the event log encodes dimensions; toEvent gives the same event", "[dimensions]") {
    const std::string longest(256, 'f');
    const std::array<DimensionValue, 2> dims = {DimensionValue{"end_user", "\xc3\xa9l\xc3\xa8ve"},
                                                DimensionValue{"feature", longest}};
    detail::EventDraft draft;
    draft.business = account("A").id;
    draft.type = EventType::apiCall();
    draft.quantity = num("1");
    draft.unit_price = num("0.01");
    draft.id = EventId::generate(at(2025_y / 1 / 1));
    draft.occurred_at = at(2025_y / 1 / 1);
    draft.dimensions = dims;
    std::vector<std::byte> bytes(detail::encodedEventSize(draft));
    detail::encodeEvent(draft, bytes.data());
    const UsageEvent event = detail::decodeEvent(bytes);
    const std::vector<EventDimension> expected = {{"end_user", "\xc3\xa9l\xc3\xa8ve"},
                                                  {"feature", std::string(256, 'f')}};
    CHECK(event.dimensions == expected);
    CHECK(detail::toEvent(draft).dimensions == expected);
    // Truncated inside a value.
    bytes.pop_back();
    CHECK_THROWS_AS(detail::decodeEvent(bytes), ValidationError);
}

TEST_CASE("the model dimension is answered from the model rollups", "[dimensions]") {
    DimensionSetup setup;
    LlmUsage usage;
    usage.provider = "openai";
    usage.model = "gpt-4o";
    usage.input_tokens = 1000;
    setup.recorder.recordLlmCall(setup.business.id, usage);
    setup.recorder.recordLlmCall(setup.business.id, usage);
    const auto totals = setup.store->dimensionTotals(setup.business.id, december2024, "model");
    REQUIRE(totals.size() == 1);
    CHECK(totals[0].value == "openai/gpt-4o");
    CHECK(totals[0].total.type == EventType::llmCall());
    CHECK(totals[0].total.events == 2);
    CHECK(totals[0].total.quantity == num("2"));
    const auto events = setup.store->events(setup.business.id);
    CHECK(totals[0].total.list_cost == events[0].list_cost + events[1].list_cost);
}

TEST_CASE("grouped reads: usage and list cost per value, trends per value, top values by cost", "[dimensions]") {
    DimensionSetup setup;
    const auto& business = setup.business.id;
    auto user = [](std::string_view name) { return std::vector<DimensionValue>{{"feature", name}}; };
    const auto a = user("alpha"), b = user("beta"), c = user("gamma");
    setup.recorder.recordApiCall(business, {}, {.dimensions = a});                 // 0.01
    setup.recorder.recordVoiceMinutes(business, num("3"), {}, {.dimensions = b});  // 0.06
    setup.recorder.recordApiCall(business, {}, {.dimensions = b});                 // 0.01
    setup.recorder.recordStorage(business, num("30"), {}, {.dimensions = c});      // 0.03
    setup.recorder.recordApiCall(business, {}, {.dimensions = c});                 // 0.01
    const auto d = user("delta");
    setup.recorder.recordApiCall(business, {}, {.occurred_at = at(2024_y / 12 / 3, hours(1)), .dimensions = d});
    setup.recorder.recordApiCall(business);  // no dimension: in no group

    const auto grouped = setup.recorder.getBillingUsage(business, PeriodSpec::currentMonth(), GroupBy{"feature"});
    CHECK(grouped.dimension == "feature");
    REQUIRE(grouped.groups.size() == 4);
    CHECK(grouped.groups[0].value == "alpha");
    CHECK(grouped.groups[0].list_cost == num("0.01"));
    CHECK(grouped.groups[1].value == "beta");
    CHECK(grouped.groups[1].list_cost == num("0.07"));
    REQUIRE(grouped.groups[1].usage.size() == 2);
    CHECK(grouped.groups[1].usage[0].type == EventType::apiCall());
    CHECK(grouped.groups[1].usage[1] == UsageTotal{EventType::voiceMinute(), num("3"), 1, num("0.06")});
    CHECK(grouped.groups[2].value == "delta");
    CHECK(grouped.groups[3].list_cost == num("0.04"));

    const auto top = setup.recorder.topValues(business, PeriodSpec::currentMonth(), "feature", 3);
    REQUIRE(top.size() == 3);
    CHECK(top[0].value == "beta");
    CHECK(top[1].value == "gamma");
    CHECK(top[2].value == "alpha");  // 0.01, tied with delta: bytewise first
    CHECK(setup.recorder.topValues(business, PeriodSpec::currentMonth(), "feature", 10).size() == 4);
    CHECK(errorField([&] { setup.recorder.topValues(business, PeriodSpec::currentMonth(), "feature", 0); }) == "n");

    const auto trends = setup.recorder.getUsageTrends(business, 5, GroupBy{"feature"});
    REQUIRE(trends.size() == 5);
    CHECK(trends[0].date == 2024_y / 12 / 1);
    CHECK(trends[1].groups.empty());
    REQUIRE(trends[2].groups.size() == 1);
    CHECK(trends[2].groups[0].value == "delta");
    CHECK(trends[4].groups.size() == 3);

    const std::string json = to_json(std::span<const GroupedUsage>(top).first(1));
    CHECK(json ==
          R"([{"value":"beta","listCost":0.07,"usage":[{"type":"api_call","quantity":1,"events":1,"listCost":0.01},)"
          R"({"type":"voice_minute","quantity":3,"events":1,"listCost":0.06}]}])");
    CHECK(to_json(grouped).find(R"("dimension":"feature")") != std::string::npos);
    CHECK(to_json(std::span<const GroupedTrendPoint>(trends)).find(R"("date":"2024-12-03")") != std::string::npos);
}
