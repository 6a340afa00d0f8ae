// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <filesystem>

#include "metered/errors.h"
#include "metered/price_book.h"
#include "test_support.h"

using namespace metered;
using namespace metered::testing;

namespace {

const char* two_plans = R"({
  "default_plan": "basic",
  "plans": [
    {"id": "basic", "currency": "USD", "meters": {
       "api_call": {"unit": "call", "included": 1000, "unit_price": 0.01, "quota": {"limit": 1000}},
       "voice_minute": {"unit": "minute", "included": 60, "unit_price": "0.02"}}},
    {"id": "pro", "name": "Pro", "currency": "EUR", "rounding": "half_up", "meters": {
       "api_call": {"included": 10000, "model": "graduated",
                    "tiers": [{"up_to": 50000, "unit_price": 0.008}, {"up_to": null, "unit_price": 0.006, "flat_fee": 5}],
                    "quota": {"limit": 100000, "hard": true}},
       "voice_minute": {"included": 500, "model": "package", "unit_price": 0.015, "package_size": 100, "package_price": 1.2}}}
  ]})";
}  // namespace

TEST_CASE("the standard price book is the seed's basic plan", "[price_book]") {
    const PriceBook book;
    CHECK(book.defaultPlan().id == "basic");
    CHECK(book.listMeter(EventType::storageMb()).unit_price == Decimal::parse("0.001"));
    CHECK(book.listMeter(EventType::apiCall()).included == Decimal(1000));
    CHECK(book.knows(EventType::aiQuery()));
    CHECK_FALSE(book.knows(EventType("sms")));
    CHECK_THROWS_AS(book.listMeter(EventType("sms")), ValidationError);
    CHECK_THROWS_AS(book.plan("enterprise"), NotFoundError);
}

TEST_CASE("price books load from JSON with exact prices", "[price_book]") {
    const PriceBook book = PriceBook::fromJson(two_plans);
    REQUIRE(book.plans().size() == 2);
    const Plan& pro = book.plan("pro");
    CHECK(pro.currency.code == "EUR");
    CHECK(pro.rounding == Rounding::half_up);
    const Meter& calls = *pro.meter(EventType::apiCall());
    CHECK(calls.model == PricingModel::graduated);
    CHECK(calls.unit_price == Decimal::parse("0.008"));  // list price defaults to the first tier's
    CHECK(calls.tiers[1].flat_fee == Decimal(5));
    CHECK_FALSE(calls.tiers[1].up_to.has_value());
    CHECK(calls.quota->hard);
    CHECK(pro.meter(EventType::voiceMinute())->package_price == Decimal::parse("1.2"));
    // Meters keep the file's order.
    CHECK(book.plan("basic").meters[0].type == EventType::apiCall());
    // The JSON form round-trips exactly.
    const PriceBook again = PriceBook::fromJson(book.toJson());
    CHECK(again.plans() == book.plans());
    CHECK(book.toJson().find("0.001") == std::string::npos);
    CHECK(PriceBook().toJson().find("\"unit_price\": 0.001") != std::string::npos);
}

TEST_CASE("bad price books name the offending field", "[price_book]") {
    CHECK(bookField("{") == "price book");
    CHECK(bookField(R"({"plans": []})") == "plans");
    CHECK(bookField(R"({"plans": [{"id": "x", "meters": {"api_call": {"included": 5}}}]})") ==
          "plans[0].meters.api_call.unit_price");
    CHECK(bookField(R"({"plans": [{"id": "x", "meters": {"api_call": {"unit_price": -0.01}}}]})") ==
          "plans.x.meters.api_call.unit_price");
    CHECK(bookField(R"({"plans": [{"id": "x", "meters": {"api_call": {"unit_price": "abc"}}}]})") ==
          "plans[0].meters.api_call.unit_price");
    CHECK(bookField(R"({"plans": [{"id": "x", "meters": {"api_call": {"unit_prise": 1}}}]})") ==
          "plans[0].meters.api_call.unit_prise");
    CHECK(bookField(R"({"plans": [{"id": "x", "meters": {"Api Call": {"unit_price": 1}}}]})") == "event_type");
    CHECK(bookField(R"({"plans": [{"id": "x", "meters": {"api_call": {"unit_price": 1, "model": "tiered"}}}]})") ==
          "plans[0].meters.api_call.model");
    CHECK(bookField(R"({"plans": [{"id": "x", "currency": "XYZ", "meters": {"api_call": {"unit_price": 1}}}]})") ==
          "currency");
    CHECK(bookField(R"({"default_plan": "gold", "plans": [{"id": "x", "meters": {"api_call": {"unit_price": 1}}}]})") ==
          "default_plan");
    CHECK(bookField(R"({"plans": [{"id": "a", "meters": {"api_call": {"unit_price": 1}}},
                                {"id": "b", "meters": {"ai_query": {"unit_price": 1}}}]})") ==
          "plans.b.meters.api_call");
    CHECK(bookField(R"({"plans": [{"id": "a", "meters": {"api_call": {"unit_price": 1}}},
                                {"id": "a", "meters": {"api_call": {"unit_price": 1}}}]})") == "plans.a");
    CHECK(bookField(R"({"plans": [{"id": "a", "meters": {"api_call": {"unit_price": 0.0000000000001}}}]})") ==
          "plans.a.meters.api_call.unit_price");
    // Rate-card usage is billed by "ai", never by a meter.
    CHECK(
        bookField(
            R"({"plans": [{"id": "a", "meters": {"api_call": {"unit_price": 1}, "llm_call": {"unit_price": 1}}}]})") ==
        "plans.a.meters.llm_call");
}

TEST_CASE("host-defined types become recordable through the default plan", "[price_book]") {
    const PriceBook book = PriceBook::fromJson(R"({"plans": [{"id": "sms", "meters": {
        "api_call": {"unit_price": 0.01}, "sms_segment": {"unit": "segment", "unit_price": 0.0075}}}]})");
    CHECK(book.knows(EventType("sms_segment")));
    CHECK(book.listMeter(EventType("sms_segment")).unit_price == Decimal::parse("0.0075"));
}

TEST_CASE("unreadable price book files are a clear error", "[price_book]") {
    CHECK_THROWS_AS(PriceBook::load("/nonexistent/plans.json"), ValidationError);
}

namespace {
std::string problemOf(const std::string& json) {
    try {
        PriceBook::fromJson(json);
    } catch (const ValidationError& e) {
        return e.field() + ": " + e.what();
    }
    return "(accepted)";
}
std::string plansWith(const std::string& plan) { return R"({"plans": [)" + plan + "]}"; }
}  // namespace

TEST_CASE("a key given twice in a price book is an error naming its path", "[price_book]") {
    // The second unit_price would bill $0.
    CHECK(bookField(plansWith(R"({"id": "a", "meters": {"api_call": {"unit_price": 0.01, "unit_price": 0}}})")) ==
          "plans[0].meters.api_call.unit_price");
    // The same event type twice: the second meter would silently replace the first.
    CHECK(bookField(plansWith(R"({"id": "a", "meters": {"api_call": {"unit_price": 0.01},
                                                       "api_call": {"unit_price": 0}}})")) ==
          "plans[0].meters.api_call");
    CHECK(bookField(plansWith(R"({"id": "a", "id": "b", "meters": {"api_call": {"unit_price": 1}}})")) ==
          "plans[0].id");
    CHECK(bookField(R"({"default_plan": "a", "default_plan": "b", "plans": []})") == "default_plan");
    CHECK(bookField(plansWith(R"({"id": "a", "meters": {"api_call": {"model": "graduated", "tiers": [
              {"up_to": null, "unit_price": 1, "unit_price": 2}]}}})")) ==
          "plans[0].meters.api_call.tiers[0].unit_price");
    CHECK(problemOf(plansWith(R"({"id": "a", "meters": {"api_call": {"unit_price": 0.01, "unit_price": 0}}})"))
              .find("duplicate key") != std::string::npos);
    // Plans with the same id (already refused by the PriceBook constructor).
    CHECK(problemOf(plansWith(R"({"id": "a", "meters": {"api_call": {"unit_price": 1}}},
                               {"id": "a", "meters": {"api_call": {"unit_price": 2}}})"))
              .find("defined twice") != std::string::npos);
}

TEST_CASE("price-book numbers and strings are read exactly as typed", "[price_book]") {
    // 4294967298 = 2^32 + 2 would be narrowed to 2.
    CHECK(
        bookField(plansWith(R"({"id": "a", "minor_units": 4294967298, "meters": {"api_call": {"unit_price": 1}}})")) ==
        "plans[0].minor_units");
    CHECK(
        bookField(plansWith(R"({"id": "a", "minor_units": -4294967294, "meters": {"api_call": {"unit_price": 1}}})")) ==
        "plans[0].minor_units");
    CHECK(bookField(plansWith(R"({"id": "a", "minor_units": 1e2, "meters": {"api_call": {"unit_price": 1}}})")) ==
          "plans[0].minor_units");
    CHECK(bookField(plansWith(R"({"id": "a", "minor_units": 99999999999999999999999,
                                "meters": {"api_call": {"unit_price": 1}}})")) == "plans[0].minor_units");
    CHECK(PriceBook::fromJson(plansWith(R"({"id": "a", "currency": "XTS", "minor_units": 4,
                                            "meters": {"api_call": {"unit_price": 1}}})"))
              .plan("a")
              .currency.minor_units == 4);
    // A number where a string belongs.
    CHECK(bookField(plansWith(R"({"id": 1.5, "meters": {"api_call": {"unit_price": 1}}})")) == "plans[0].id");
    CHECK(bookField(plansWith(R"({"id": 1, "meters": {"api_call": {"unit_price": 1}}})")) == "plans[0].id");
    CHECK(bookField(plansWith(R"({"id": "a", "name": 2.5, "meters": {"api_call": {"unit_price": 1}}})")) ==
          "plans[0].name");
    CHECK(bookField(plansWith(R"({"id": "a", "meters": {"api_call": {"unit": 0.5, "unit_price": 1}}})")) ==
          "plans[0].meters.api_call.unit");
    CHECK(bookField(R"({"default_plan": 1.0, "plans": [{"id": "a", "meters": {"api_call": {"unit_price": 1}}}]})") ==
          "default_plan");
    // Prices keep every digit, as numbers or as strings, beyond a double's precision.
    const auto book = PriceBook::fromJson(plansWith(
        R"({"id": "a", "meters": {"api_call": {"unit_price": 0.123456789012, "included": 12345678901234567890123}}})"));
    CHECK(book.plan("a").meter(EventType::apiCall())->unit_price == Decimal::parse("0.123456789012"));
    CHECK(book.plan("a").meter(EventType::apiCall())->included == Decimal::parse("12345678901234567890123"));
}

TEST_CASE("deeply nested or oversized price books are refused before parsing recurses", "[price_book]") {
    for (const int levels : {100000, PriceBook::max_json_depth + 1}) {
        INFO(levels);
        const std::string deep = plansWith(R"({"id": "a", "meters": {"api_call": {"unit_price": 1, "quota": )" +
                                           std::string(levels, '[') + std::string(levels, ']') + "}}}");
        CHECK(problemOf(deep).find("nested deeper than") != std::string::npos);
        CHECK(bookField(std::string(levels, '[')) != "");
    }
    CHECK(bookField(std::string(PriceBook::max_json_bytes + 1, ' ')) == "price book");
}

TEST_CASE("a price book path that is a directory says so", "[price_book]") {
    const auto dir = std::filesystem::temp_directory_path();
    try {
        PriceBook::load(dir);
        FAIL("no exception");
    } catch (const ValidationError& e) {
        CHECK(e.field() == "price book");
        CHECK(std::string(e.what()).find("not a regular file") != std::string::npos);
    }
    try {
        PriceBook::load("/nonexistent/plans.json");
        FAIL("no exception");
    } catch (const ValidationError& e) {
        CHECK(std::string(e.what()).find("cannot read") != std::string::npos);
    }
}

TEST_CASE("a plan's AI billing loads from JSON exactly and round-trips", "[price_book][ai]") {
    const PriceBook book = PriceBook::fromJson(R"({"plans": [
      {"id": "basic", "meters": {"api_call": {"unit_price": 0.01}}},
      {"id": "byok", "meters": {"api_call": {"unit_price": 0.01}}, "ai": null},
      {"id": "pro", "meters": {"api_call": {"unit_price": 0.01}},
       "ai": {"markup_percent": 20, "included_amount": "5.00",
              "models": {"openai/gpt-4o": {"markup_percent": 12.5},
                         "anthropic/claude-sonnet-4": {"prices": {"per": "1M", "input": "3.50", "output": 16,
                                                                  "requests": "0.01"}},
                         "openai/whisper-1": {"prices": {"per": "1K", "audio_seconds": "0.0001"}}}}}]})");
    // No "ai": at cost, nothing included (recorded AI cost is never left off a bill by
    // omission); "ai": null: the plan does not bill rate-card usage.
    REQUIRE(book.plan("basic").ai.has_value());
    CHECK(*book.plan("basic").ai == AiBilling{});
    CHECK_FALSE(book.plan("byok").ai.has_value());
    CHECK_FALSE(PriceBook::fromJson(book.toJson()).plan("byok").ai.has_value());
    const Plan& pro = book.plan("pro");
    REQUIRE(pro.ai.has_value());
    CHECK(pro.ai->markup_percent == Decimal(20));
    CHECK(pro.ai->included_amount.toString() == "5.00");
    REQUIRE(pro.ai->models.size() == 3);
    CHECK(pro.ai->models[0].model == "openai/gpt-4o");
    CHECK(pro.ai->models[0].markup_percent == Decimal::parse("12.5"));
    const ModelPricing& claude = *pro.ai->pricing("anthropic/claude-sonnet-4");
    CHECK_FALSE(claude.markup_percent.has_value());
    CHECK(claude.price(UsagePart::input) == Decimal::parse("0.0000035"));
    CHECK(claude.price(UsagePart::output) == Decimal::parse("0.000016"));
    CHECK(claude.price(UsagePart::requests) == Decimal::parse("0.01"));  // per request, never scaled
    CHECK_FALSE(claude.price(UsagePart::cached_input).has_value());
    // Seconds are per unit whatever `per` says.
    CHECK(pro.ai->pricing("openai/whisper-1")->price(UsagePart::audio_seconds) == Decimal::parse("0.0001"));

    const std::string json = book.toJson();
    const PriceBook again = PriceBook::fromJson(json);
    CHECK(again.plans() == book.plans());
    CHECK(json.find("\"input\": 0.0000035") != std::string::npos);
    CHECK(json.find("\"included_amount\": 5.00") != std::string::npos);
    // The standard book's basic plan bills rate-card usage at cost and says so.
    CHECK(PriceBook::fromJson(PriceBook().toJson()).defaultPlan() == Plan::basic());
    CHECK(Plan::basic().ai == AiBilling{});
}

TEST_CASE("bad AI billing in a price book names its path", "[price_book][ai]") {
    const auto withAi = [](const std::string& ai) {
        return bookField(R"({"plans": [{"id": "pro", "meters": {"api_call": {"unit_price": 1}}, "ai": )" + ai + "}]}");
    };
    CHECK(withAi(R"({"markup_percent": 20})") == "");  // accepted
    CHECK(withAi(R"({"markup": 20})") == "plans[0].ai.markup");
    CHECK(withAi(R"({"markup_percent": "lots"})") == "plans[0].ai.markup_percent");
    CHECK(withAi(R"({"markup_percent": -1})") == "plans.pro.ai.markup_percent");
    CHECK(withAi(R"({"included_amount": "5.001"})") == "plans.pro.ai.included_amount");
    CHECK(withAi(R"({"models": {"openai/gpt-4o": {"markup": 1}}})") == "plans[0].ai.models[\"openai/gpt-4o\"].markup");
    CHECK(withAi(R"({"models": {"openai/gpt-4o": {"prices": {"per": "1G", "input": 1}}}})") ==
          "plans[0].ai.models[\"openai/gpt-4o\"].prices.per");
    CHECK(withAi(R"({"models": {"openai/gpt-4o": {"prices": {"inptu": 1}}}})") ==
          "plans[0].ai.models[\"openai/gpt-4o\"].prices.inptu");
    CHECK(withAi(R"({"models": {"openai/gpt-4o": {}, "a/b": {"prices": {"cached_input": -1}}}})") ==
          "plans.pro.ai.models[1].prices.cached_input");
    CHECK(withAi(R"({"models": {"gpt-4o": {}}})") == "plans.pro.ai.models[0].model");
    CHECK(withAi(R"({"models": {"openai/gpt-4o": {}, "openai/gpt-4o": {}}})") != "");  // a key twice: refused
    CHECK(withAi(R"([])") == "plans[0].ai");
}

namespace {
const char* one_plan_with =
    R"({"plans": [{"id": "basic", "meters": {"api_call": {"unit_price": 0.01}}}], "dimensions": )";
std::string withDimensions(const std::string& dimensions) { return one_plan_with + dimensions + "}"; }
}  // namespace

TEST_CASE("price books declare dimensions, read and written back", "[price_book][dimensions]") {
    const PriceBook book = PriceBook::fromJson(withDimensions(
        R"({"end_user": {"max_length": 40, "max_values": 3}, "feature": {}, "region": {"max_values": 7}})"));
    REQUIRE(book.dimensions().size() == 3);
    CHECK(book.dimensions()[0] == Dimension{"end_user", 40, 3});
    CHECK(book.dimensions()[1] == Dimension{"feature", 64, 1000});  // the defaults
    CHECK(book.dimensions()[2] == Dimension{"region", 64, 7});
    REQUIRE(book.findDimension("feature") != nullptr);
    CHECK(book.findDimension("model") == nullptr);
    CHECK(book.findDimension("nobody") == nullptr);
    const PriceBook again = PriceBook::fromJson(book.toJson());
    CHECK(again.dimensions() == book.dimensions());
    CHECK(again.toJson() == book.toJson());
    // A book without dimensions writes none (its JSON is what it was before dimensions).
    CHECK(PriceBook().dimensions().empty());
    CHECK(PriceBook().toJson().find("dimensions") == std::string::npos);
}

TEST_CASE("bad dimension declarations name the field", "[price_book][dimensions]") {
    CHECK(bookField(withDimensions(R"({"end_user": {"max_length": 0}})")) == "dimensions.end_user.max_length");
    CHECK(bookField(withDimensions(R"({"end_user": {"max_length": 257}})")) == "dimensions.end_user.max_length");
    CHECK(bookField(withDimensions(R"({"end_user": {"max_length": "64"}})")) == "dimensions.end_user.max_length");
    CHECK(bookField(withDimensions(R"({"end_user": {"max_values": 100001}})")) == "dimensions.end_user.max_values");
    CHECK(bookField(withDimensions(R"({"end_user": {"max_values": 0}})")) == "dimensions.end_user.max_values");
    CHECK(bookField(withDimensions(R"({"end_user": {"colour": 1}})")) == "dimensions.end_user.colour");
    CHECK(bookField(withDimensions(R"({"End_user": {}})")) == "dimensions.End_user");
    CHECK(bookField(withDimensions(R"({"9lives": {}})")) == "dimensions.9lives");
    CHECK(bookField(withDimensions(R"({"abcdefghijabcdefghijabcdefghijabc": {}})")) ==
          "dimensions.abcdefghijabcdefghijabcdefghijabc");
    CHECK(bookField(withDimensions(R"({"model": {}})")) == "dimensions.model");
    CHECK(bookField(withDimensions(R"({"end_user": {}, "end_user": {}})")) == "dimensions.end_user");
    CHECK(bookField(withDimensions(R"(["end_user"])")) == "dimensions");
    CHECK(bookField(withDimensions(R"({"end_user": 5})")) == "dimensions.end_user");
    CHECK(bookField(
              withDimensions(R"({"abcdefghijabcdefghijabcdefghijab": {"max_length": 256, "max_values": 100000}})")) ==
          "");  // accepted
    // Declared in code: the same checks.
    CHECK_THROWS_AS(PriceBook({Plan::basic()}, "basic", {{"a"}, {"a"}}), ValidationError);
    CHECK_THROWS_AS(PriceBook({Plan::basic()}, "basic", {{"end_user", 300}}), ValidationError);
    CHECK_NOTHROW(PriceBook({Plan::basic()}, "basic", {{"end_user"}, {"feature", 16, 10}}));
}
