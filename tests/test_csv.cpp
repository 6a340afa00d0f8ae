// SPDX-License-Identifier: MIT
// Statements as CSV: RFC 4180 quoting, every kind of line with the figures as stated, lines
// that add up, and host text a spreadsheet would run as a formula kept as text.
#include <catch2/catch.hpp>

#include <map>
#include <sstream>

#include "metered/csv.h"
#include "metered/errors.h"
#include "test_support.h"

using namespace metered;
using namespace metered::testing;
using namespace date::literals;

namespace {

// A statement whose stored document (to_json(BillingUsage)'s shape) has a line of each kind.
Statement rich() {
    Statement s;
    s.business = BusinessId(Uuid::parse("0190a5d2-7c1e-7000-8000-000000000016"));
    s.cycle = {date::local_days(2026_y / 11 / 1), date::local_days(2026_y / 12 / 1)};
    s.time_zone = "UTC";
    s.plan_id = "=HYPERLINK(\"http://evil\")";
    s.currency = "USD";
    s.total = num("31.25");
    s.document = R"({"apiCalls": 1500, "minutesUsed": 0, "cost": 31.25,
        "breakdown": {"apiCalls": {"count": 1500, "cost": 12.00, "filters": [
                          {"label": "api_call cloud=aws,\"gcp\"", "dimension": "cloud", "values": ["aws", "\"gcp\""],
                           "count": 500, "cost": 4.00}]},
                      "voiceMinutes": {"count": 0, "cost": 0.00}},
        "period": {"from": "2026-11-01", "to": "2026-12-01", "timeZone": "UTC"},
        "aiUsage": [{"type": "llm_call", "model": "openai/gpt-4o", "cost": 2.5, "exactAmount": 3.125, "amount": 3.13, "calls": 40}],
        "aiIncluded": {"includedAmount": 1, "amount": -1.00},
        "commitments": [{"kind": "minimum", "type": "voice_minute", "limit": 5, "charged": 0, "amount": 5.00},
                        {"kind": "maximum", "type": null, "limit": 100, "charged": 19.13, "amount": 0.00}],
        "fees": [{"fee": 12.12, "amount": 12.12}]})";
    s.adjustments = {{{date::local_days(2026_y / 10 / 1), date::local_days(2026_y / 11 / 1)}, num("-0.20")}};
    s.credits = {{"-promo", num("10.00")}};
    return s;
}

}  // namespace

TEST_CASE("statement lines export as RFC 4180 CSV, exactly as stated, adding up", "[csv][statements]") {
    const Statement statement = rich();
    const std::string csv = statementsCsv(std::span(&statement, 1));
    const auto table = csvRows(csv);
    REQUIRE(table.front() == std::vector<std::string>{"business_id", "cycle_from", "cycle_to", "currency", "plan_id",
                                                      "line", "item", "quantity", "amount"});
    std::vector<std::vector<std::string>> lines;
    for (std::size_t i = 1; i < table.size(); ++i) {
        REQUIRE(table[i].size() == 9);
        CHECK(table[i][0] == "0190a5d2-7c1e-7000-8000-000000000016");
        CHECK(table[i][1] == "2026-11-01");
        CHECK(table[i][2] == "2026-12-01");
        CHECK(table[i][4] == "'=HYPERLINK(\"http://evil\")");  // text, not a formula
        lines.push_back({table[i].begin() + 5, table[i].end()});
    }
    using Row = std::vector<std::string>;
    CHECK(lines == std::vector<Row>{
                       {"usage", "api_call", "1000", "8.00"},  // 1500 less the filter's 500; 12.00 less 4.00
                       {"filter", "api_call cloud=aws,\"gcp\"", "500", "4.00"},
                       {"usage", "voice_minute", "0", "0.00"},
                       {"ai", "llm_call openai/gpt-4o", "40", "3.13"},
                       {"ai_included", "", "1", "-1.00"},
                       {"commitment", "minimum voice_minute", "5", "5.00"},
                       {"commitment", "maximum plan", "100", "0.00"},
                       {"fee", "", "", "12.12"},
                       {"total", "", "", "31.25"},
                       {"adjustment", "2026-10-01..2026-11-01", "", "-0.20"},
                       {"credit", "'-promo", "", "-10.00"},
                       {"amount_due", "", "", "21.05"},
                   });
    // The lines up to the total add up to it; total, adjustments and credits to what is due.
    Decimal charged, due;
    for (const Row& line : lines) {
        if (line[0] == "total") {
            CHECK(charged == Decimal::parse(line[3]));
            due = charged;
        } else if (line[0] == "amount_due") {
            CHECK(due == Decimal::parse(line[3]));
        } else if (line[0] == "adjustment" || line[0] == "credit") {
            due += Decimal::parse(line[3]);
        } else {
            charged += Decimal::parse(line[3]);
        }
    }
    CHECK(due == statement.amountDue());
    CHECK(statementsCsv({}) == "business_id,cycle_from,cycle_to,currency,plan_id,line,item,quantity,amount\r\n");
}

TEST_CASE("a statement whose stored document is not one metered writes is a clear error", "[csv][hostile]") {
    for (const char* document : {"", "[]", "{}", R"({"breakdown": {"apiCalls": {"count": "x", "cost": 1}}})",
                                 R"({"breakdown": {"apiCalls": {"count": 1}}})", R"({"breakdown": 5})"}) {
        Statement statement = rich();
        statement.document = document;
        INFO(document);
        try {
            statementsCsv(std::span(&statement, 1));
            FAIL("accepted");
        } catch (const StoreError& e) {
            CHECK(std::string(e.what()).find("malformed document") != std::string::npos);
        }
    }
}
