// SPDX-License-Identifier: MIT
// Every message the library builds from hostile input is valid UTF-8 (white-box: the
// quoting helper lives in src/).
#include <catch2/catch.hpp>

#include <functional>
#include <nlohmann/json.hpp>

#include "metered/account.h"
#include "metered/billing_period.h"
#include "metered/decimal.h"
#include "metered/errors.h"
#include "metered/event_type.h"
#include "metered/ids.h"
#include "metered/metadata.h"
#include "metered/plan.h"
#include "metered/price_book.h"
#include "metered/store.h"
#include "untrusted_text.h"
#include "utf8.h"

using namespace metered;

namespace {

std::string repeat(std::string_view text, int times) {
    std::string out;
    for (int i = 0; i < times; ++i) out += text;
    return out;
}

// Hostile text: a raw 0xFF byte (a "%FF" decoded by a web framework), 40 × "é" and the same
// shifted by one byte (so a 64-byte cut lands inside a character), truncated sequences,
// control characters, an overlong encoding and a surrogate.
std::vector<std::string> hostileInputs() {
    return {"\xFF",
            "12\xFF",
            repeat("\xC3\xA9", 40),
            "x" + repeat("\xC3\xA9", 40),
            repeat("\xE2\x82\xAC", 30),  // 30 × "€": a cut at 64 bytes lands inside one
            "\xE2\x82",
            "1.5\xF0\x9F\x98",
            "a\nb\tc\x01\x7F",
            "\xC0\xAF",
            "\xED\xA0\x80",
            "'; DROP TABLE x; --"};
}

void checkMessage(const std::string& message) {
    INFO(message);
    CHECK(detail::isValidUtf8(message));
    CHECK_NOTHROW(nlohmann::json(message).dump());
}

void checkThrowsCleanly(const std::function<void()>& call) {
    try {
        call();
        SUCCEED("accepted");
    } catch (const ValidationError& e) {
        checkMessage(e.what());
        checkMessage(e.field());
    } catch (const Error& e) {
        checkMessage(e.what());
    }
}

}  // namespace

TEST_CASE("quoted input is cut on a character boundary and escaped", "[messages]") {
    CHECK(detail::quoted("abc") == "'abc'");
    CHECK(detail::quoted("it's") == "'it\\'s'");
    CHECK(detail::quoted("\xFF") == "'\\xFF'");
    CHECK(detail::quoted("a\nb\x01") == "'a\\nb\\x01'");
    CHECK(detail::quoted(repeat("\xC3\xA9", 40)) == "'" + repeat("\xC3\xA9", 32) + "\xE2\x80\xA6'");
    CHECK(detail::quoted("x" + repeat("\xC3\xA9", 40)) == "'x" + repeat("\xC3\xA9", 31) + "\xE2\x80\xA6'");
    CHECK(detail::quoted(std::string(64, 'a')) == "'" + std::string(64, 'a') + "'");
    CHECK(detail::clipped("it's\\") == "it's\\\\");
    CHECK(detail::toValidUtf8("a\xFF"
                              "b\xE2\x82") ==
          "a\xEF\xBF\xBD"
          "b\xEF\xBF\xBD\xEF\xBF\xBD");
    for (const auto& text : hostileInputs()) {
        checkMessage(detail::quoted(text));
        checkMessage(detail::clipped(text, 5));
    }
}

TEST_CASE("no exception message holds invalid UTF-8, whatever the input", "[messages]") {
    for (const auto& text : hostileInputs()) {
        INFO(detail::quoted(text, 200));
        checkThrowsCleanly([&] { Decimal::parse(text, "quantity"); });
        checkThrowsCleanly([&] { Decimal::parse("1", text); });
        checkThrowsCleanly([&] { BusinessId::parse(text); });
        checkThrowsCleanly([&] { PeriodSpec::parse(text); });
        checkThrowsCleanly([&] { EventType{text}; });
        checkThrowsCleanly([&] { Metadata().set(text, "v"); });
        checkThrowsCleanly([&] { Metadata().set("k", text); });
        checkThrowsCleanly([&] { Metadata().setJson(text, "{"); });
        checkThrowsCleanly([&] { Metadata().setJson("k", "\"" + text + "\""); });
        checkThrowsCleanly([&] { Metadata::fromJson("{\"" + text + "\":1}"); });
        checkThrowsCleanly([&] { Metadata::fromJson(text); });
        checkThrowsCleanly([&] { PriceBook::fromJson(text); });
        checkThrowsCleanly([&] { PriceBook::fromJson(R"({"default_plan":")" + text + R"(","plans":[]})"); });
        checkThrowsCleanly([&] { PriceBook().plan(text); });
        checkThrowsCleanly([&] { BillingPeriod::ofDays({}, text); });
        checkThrowsCleanly([&] { parseRounding(text, "rounding"); });
        checkThrowsCleanly([&] { parsePricingModel(text, "model"); });
        checkThrowsCleanly([&] { Currency::of(text); });
        checkThrowsCleanly([&] {
            Account account;
            account.name = "n";
            account.time_zone = text;
            account.validate();
        });
        checkThrowsCleanly([&] {
            Plan plan = Plan::basic();
            plan.id = text;
            plan.validate();
        });
        checkMessage(maskPassword(text));
        checkMessage(maskPassword("host=db password=" + text + " user=" + text));
        checkMessage(maskPassword("postgresql://u:" + text + "@" + text + "/" + text));
    }
}

TEST_CASE("exceptions built from invalid UTF-8 keep a valid message", "[messages]") {
    checkMessage(NotFoundError("no \xFF").what());
    checkMessage(ValidationError("f\xC3", "bad \xE2\x82").what());
    checkMessage(ValidationError("f\xC3", "x").field());
    checkMessage(StoreError("lost \xF0\x9F", true).what());
}

TEST_CASE("storable text: a zero byte or bad UTF-8 is found at every position, in words and in the tail",
          "[messages]") {
    for (std::size_t size = 1; size <= 20; ++size) {
        for (std::size_t at = 0; at < size; ++at) {
            std::string text(size, 'a');
            CHECK(detail::isStorableText(text));
            text[at] = '\0';
            CHECK_FALSE(detail::isStorableText(text));
            text[at] = '\x80';  // a stray continuation byte
            CHECK_FALSE(detail::isStorableText(text));
            text[at] = '\x7f';
            CHECK(detail::isStorableText(text));
            if (at + 1 < size) {
                text.replace(at, 2, "\xC3\xA9");  // é
                CHECK(detail::isStorableText(text));
                text[at + 1] = '\0';  // a truncated sequence, then U+0000
                CHECK_FALSE(detail::isStorableText(text));
            }
        }
    }
    CHECK(detail::isStorableText(""));
}

TEST_CASE("printable ASCII: every byte value at every position, in words and in the tail", "[messages]") {
    for (std::size_t size = 1; size <= 20; ++size) {
        for (std::size_t at = 0; at < size; ++at) {
            for (int byte = 0; byte < 256; ++byte) {
                // Neighbours at the edges of the range: a borrow or a carry between bytes
                // must not hide the byte at `at`, nor flag a printable one.
                for (const char fill : {' ', '~', 'a'}) {
                    std::string text(size, fill);
                    text[at] = static_cast<char>(byte);
                    INFO("size " << size << ", byte " << byte << " at " << at);
                    CHECK(detail::isPrintableAscii(text) == (byte >= 0x20 && byte <= 0x7E));
                }
            }
        }
    }
    CHECK(detail::isPrintableAscii(""));
}
