// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <cstring>

#include "metered/errors.h"
#include "metadata_encoding.h"
#include "metered/metadata.h"

using metered::Metadata;

TEST_CASE("metadata renders as a JSON object in field order", "[metadata]") {
    Metadata m;
    m.set("operation", "chat_completion").set("tokens", 412).set("cached", false).setNull("intent");
    CHECK(m.toJson() == R"({"operation":"chat_completion","tokens":412,"cached":false,"intent":null})");
    CHECK(m.size() == 4);
    m.set("tokens", 7);
    CHECK(m.toJson() == R"({"operation":"chat_completion","cached":false,"intent":null,"tokens":7})");
    CHECK(Metadata().toJson() == "{}");
}

TEST_CASE("strings are escaped, injection text is kept verbatim", "[metadata]") {
    Metadata m;
    m.set("intent", "'; DROP TABLE usage_events; --").set("quote", "say \"hi\"\n").set("emoji", "caf\xc3\xa9");
    CHECK(m.toJson() ==
          "{\"intent\":\"'; DROP TABLE usage_events; --\",\"quote\":\"say \\\"hi\\\"\\n\",\"emoji\":\"caf\xc3\xa9\"}");
}

TEST_CASE("metadata from JSON text", "[metadata]") {
    const auto m = Metadata::fromJson(R"({"model":"gpt-4o-mini","tokens":12,"scores":[1,2],"nested":{"a":true}})");
    CHECK(m.toJson() == R"({"model":"gpt-4o-mini","tokens":12,"scores":[1,2],"nested":{"a":true}})");
    CHECK_THROWS_AS(Metadata::fromJson("[1,2]"), metered::ValidationError);
    CHECK_THROWS_AS(Metadata::fromJson("{\"a\":"), metered::ValidationError);
    CHECK_THROWS_AS(Metadata::fromJson("{\"a\":\"\xff\"}"), metered::ValidationError);
    // A number beyond a double is nlohmann's out_of_range, not a parse_error (found by fuzz_metadata).
    CHECK_THROWS_AS(Metadata::fromJson(R"({"a":1e400})"), metered::ValidationError);
    CHECK_THROWS_AS(Metadata().setJson("x", "-7e7373"), metered::ValidationError);
}

TEST_CASE("bad keys and values are rejected", "[metadata]") {
    Metadata m;
    CHECK_THROWS_AS(m.set("", "x"), metered::ValidationError);
    CHECK_THROWS_AS(m.set(std::string(256, 'k'), "x"), metered::ValidationError);
    CHECK_THROWS_AS(m.set("bad", "\xc0\xaf"), metered::ValidationError);          // overlong
    CHECK_THROWS_AS(m.set("bad", "\xed\xa0\x80"), metered::ValidationError);      // surrogate
    CHECK_THROWS_AS(m.set("bad", "\xf4\x90\x80\x80"), metered::ValidationError);  // > U+10FFFF
    CHECK_THROWS_AS(m.set("big", std::uint64_t{1} << 63), metered::ValidationError);
    CHECK_THROWS_AS(m.setJson("x", "{"), metered::ValidationError);
    CHECK(m.empty());  // nothing half-set
}

TEST_CASE("the compact encoding round-trips, and bytes from outside are checked", "[metadata]") {
    using metered::detail::MetadataEncoding;
    Metadata m;
    m.set("a", "b").set("n", -5).setJson("arr", "[1, 2.5]");
    const auto back = MetadataEncoding::fromBytes(MetadataEncoding::bytes(m));
    CHECK(back == m);
    CHECK(back.toJson() == R"({"a":"b","n":-5,"arr":[1,2.5]})");
    CHECK_THROWS_AS(MetadataEncoding::fromBytes(std::string_view(MetadataEncoding::bytes(m)).substr(0, 5)),
                    metered::ValidationError);
    // A JSON field whose text is not JSON (a damaged spool record) is refused, not stored.
    std::string bad = MetadataEncoding::bytes(Metadata().setJson("n", "12345"));
    bad.replace(bad.size() - 5, 5, "12{45");
    CHECK_THROWS_AS(MetadataEncoding::fromBytes(bad), metered::ValidationError);
    // Integers skip the parser; what only looks like one still meets it.
    for (const char* text : {"0", "-0", "7", "-123456789012345678"}) {
        INFO(text);
        const Metadata given = Metadata().setJson("n", text);
        CHECK(MetadataEncoding::fromBytes(MetadataEncoding::bytes(given)) == given);
    }
    for (const char* text : {"012", "-", "1-2", "--1", "-01", "0x1", "1a"}) {
        std::string encoded = MetadataEncoding::bytes(Metadata().setJson("n", "12345"));
        encoded.replace(encoded.size() - 5, 5, text);
        encoded[encoded.size() - std::strlen(text) - 4] = static_cast<char>(std::strlen(text));
        INFO(text);
        CHECK_THROWS_AS(MetadataEncoding::fromBytes(encoded), metered::ValidationError);
    }
}

TEST_CASE("deeply nested or oversized metadata JSON is refused before it can exhaust the stack", "[metadata]") {
    const auto nested = [](int levels) { return std::string(levels, '[') + std::string(levels, ']'); };
    for (const int levels : {100000, 80000, Metadata::max_json_depth + 1}) {
        INFO(levels);
        try {
            Metadata().setJson("deep", nested(levels));
            FAIL("no exception");
        } catch (const metered::ValidationError& e) {
            CHECK(e.field() == "metadata.deep");
            CHECK(std::string(e.what()).find("nested deeper than") != std::string::npos);
        }
        try {
            Metadata::fromJson("{\"deep\":" + nested(levels) + "}");
            FAIL("no exception");
        } catch (const metered::ValidationError& e) {
            CHECK(e.field() == "metadata");
        }
        CHECK_THROWS_AS(Metadata::fromJson(std::string(levels, '{')), metered::ValidationError);
    }
    // The documented limit itself is fine (fromJson counts its outer object).
    CHECK(Metadata().setJson("ok", nested(Metadata::max_json_depth)).size() == 1);
    CHECK(Metadata::fromJson("{\"ok\":" + nested(Metadata::max_json_depth - 1) + "}").size() == 1);
    CHECK_THROWS_AS(Metadata::fromJson("{\"ok\":" + nested(Metadata::max_json_depth) + "}"), metered::ValidationError);
    // Size is checked before parsing.
    const std::string huge = "\"" + std::string(Metadata::max_json_bytes, 'x') + "\"";
    try {
        Metadata().setJson("huge", huge);
        FAIL("no exception");
    } catch (const metered::ValidationError& e) {
        CHECK(e.field() == "metadata.huge");
        CHECK(std::string(e.what()).find("longer than") != std::string::npos);
    }
}
