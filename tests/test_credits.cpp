// SPDX-License-Identifier: MIT
// Prepaid credits on every store: grants stored once, drawn down by statements in the
// documented order (earliest expiry first), the balance carried forward and read live.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "metered/csv.h"
#include "metered/errors.h"
#include "metered/json.h"
#include "metered/usage_reports.h"
#include "store_fixtures.h"
#include "test_support.h"

using namespace metered;
using namespace metered::testing;
using namespace date::literals;
using std::chrono::hours;

namespace {

CreditGrant grant(const BusinessId& business, std::string id, const char* amount, date::local_days effective,
                  std::optional<date::local_days> expires = std::nullopt, int priority = 0) {
    return CreditGrant{business, std::move(id), num(amount), "USD", effective, expires, priority};
}

}  // namespace

TEMPLATE_TEST_CASE("a credit grant is validated, stored once and read back exactly", "[store][credits]",
                   STORE_FIXTURES) {
    TestType fixture;
    UsageStore& store = *fixture.store;
    const Account acme = account("Acme Pizza");
    store.saveAccount(acme);
    const auto day = date::local_days(2024_y / 11 / 1);

    const CreditGrant promo = grant(acme.id, "promo-2024", "10.50", day, day + date::days(30), 2);
    CHECK(store.saveCreditGrant(promo) == promo);
    // The first save wins: a second grant with the same id changes nothing.
    CHECK(store.saveCreditGrant(grant(acme.id, "promo-2024", "99", day)) == promo);
    const CreditGrant prepaid = grant(acme.id, "prepaid", "0.000001", day);
    CHECK(store.saveCreditGrant(prepaid) == prepaid);
    CHECK(store.listCreditGrants(acme.id) == std::vector<CreditGrant>{prepaid, promo});  // by id
    CHECK(store.listCreditGrants(account("Other").id).empty());

    const auto refused = [&](CreditGrant g, const char* field) {
        INFO(field);
        try {
            store.saveCreditGrant(g);
            FAIL("accepted");
        } catch (const ValidationError& e) {
            CHECK(e.field() == field);
        }
    };
    refused(grant(acme.id, "", "1", day), "id");
    refused(grant(acme.id, "a b", "1", day), "id");
    refused(grant(acme.id, std::string(65, 'x'), "1", day), "id");
    refused(grant(acme.id, "g", "0", day), "amount");
    refused(grant(acme.id, "g", "-1", day), "amount");
    refused(grant(acme.id, "g", "1000000000.01", day), "amount");
    refused(grant(acme.id, "g", "0.0000001", day), "amount");
    refused(grant(acme.id, "g", "1", day, day), "expires");
    refused(grant(acme.id, "g", "1", day, std::nullopt, -1), "priority");
    CreditGrant lower = grant(acme.id, "g", "1", day);
    lower.currency = "usd";
    refused(lower, "currency");
    CHECK_THROWS_AS(store.saveCreditGrant(grant(account("Unknown").id, "g", "1", day)), NotFoundError);
    CHECK(store.listCreditGrants(acme.id).size() == 2);
}

TEMPLATE_TEST_CASE("statements draw credit earliest expiry first and carry the balance forward",
                   "[store][credits][statements]", STORE_FIXTURES) {
    TestType fixture;
    FixedClock clock;
    *clock.now = at(2024_y / 12 / 5, hours(12));
    const Account acme = account("Acme Pizza");
    fixture.store->saveAccount(acme);
    const UsageReports reports(fixture.store, PriceBook({Plan::basic()}, "basic"), clock);
    const auto nov1 = date::local_days(2024_y / 11 / 1);
    const auto dec1 = date::local_days(2024_y / 12 / 1);
    const auto jan1 = date::local_days(2025_y / 1 / 1);
    // Never expiring (drawn after those that expire), expiring with November, and one that
    // starts in January (nothing before it can draw on it).
    fixture.store->saveCreditGrant(grant(acme.id, "prepaid", "1.00", nov1));
    fixture.store->saveCreditGrant(grant(acme.id, "promo", "0.30", nov1, dec1));
    fixture.store->saveCreditGrant(grant(acme.id, "january", "5", jan1));
    CHECK(reports.creditBalance(acme.id) == num("1.00"));  // on Dec 5 promo has expired; nothing used

    // November: 85.5 voice minutes, $0.51: promo's $0.30 first (it expires), then $0.21 of prepaid.
    const std::vector<UsageEvent> november = {
        event(acme.id, EventType::voiceMinute(), "75.5", at(2024_y / 11 / 3, hours(9))),
        event(acme.id, EventType::voiceMinute(), "10", at(2024_y / 11 / 28, hours(18))),
    };
    fixture.store->append(november);
    // December so far: 70 minutes, $0.20, which would draw on prepaid too.
    fixture.store->append(std::vector{event(acme.id, EventType::voiceMinute(), "70", at(2024_y / 12 / 2, hours(8)))});
    // Live: promo expired on Dec 1, so only what prepaid keeps after Nov ($0.79) and Dec ($0.20) draw.
    CHECK(reports.creditBalance(acme.id) == num("0.59"));

    const Statement closed_november = reports.closeStatement(acme.id, PeriodSpec::previousCycle());
    CHECK(closed_november.total == num("0.51"));
    CHECK(closed_november.credits == std::vector<CreditApplied>{{"promo", num("0.30")}, {"prepaid", num("0.21")}});
    CHECK(closed_november.amountDue() == num("0"));
    CHECK(closed_november.credit_balance == num("0.79"));  // in effect on Dec 1: prepaid only
    CHECK(reports.creditBalance(acme.id) == num("0.59"));  // the same, now read from the statement
    const auto json = nlohmann::json::parse(to_json(closed_november));
    CHECK(json["credits"] == nlohmann::json::parse(R"([{"grant": "promo", "amount": 0.30},
                                                       {"grant": "prepaid", "amount": 0.21}])"));
    CHECK(json["creditBalance"].dump() == "0.79");
    CHECK(json["amountDue"] == 0);

    // A November void is credited back on December's statement, and prepaid pays the rest;
    // "january" starts the day December ends, so December cannot draw on it.
    fixture.store->voidEvent(acme.id, november[1].id, "duplicate", "ops");  // November: $0.31
    fixture.store->append(std::vector{event(acme.id, EventType::voiceMinute(), "50", at(2024_y / 12 / 20, hours(8)))});
    *clock.now = at(2025_y / 1 / 5, hours(12));
    const Statement closed_december = reports.closeStatement(acme.id, PeriodSpec::previousCycle());
    CHECK(closed_december.total == num("1.20"));  // 120 minutes: 60 above the allowance
    CHECK(closed_december.adjustments == std::vector<StatementAdjustment>{{{nov1, dec1}, num("-0.20")}});
    CHECK(closed_december.credits == std::vector<CreditApplied>{{"prepaid", num("0.79")}});
    CHECK(closed_december.amountDue() == num("0.21"));  // credit exhausted: the rest is owed
    CHECK(closed_december.credit_balance == num("5"));  // january, in effect on Jan 1

    // The stored statements are as closed, and a statement never draws what it is not owed.
    CHECK(reports.listStatements(acme.id) == std::vector<Statement>{closed_november, closed_december});
    // Exported as stated: December's usage, its total, November's adjustment, the credit
    // drawn and what is due.
    const std::string csv = statementsCsv(reports.listStatements(acme.id));
    const std::string december = acme.id.toString() + ",2024-12-01,2025-01-01,USD,basic,";
    for (const std::string line :
         {"usage,voice_minute,120,1.20", "total,,,1.20", "adjustment,2024-11-01..2024-12-01,,-0.20",
          "credit,prepaid,,-0.79", "amount_due,,,0.21"}) {
        CHECK(csv.find(december + line + "\r\n") != std::string::npos);
    }
    CHECK(csv.find(acme.id.toString() + ",2024-11-01,2024-12-01,USD,basic,credit,promo,,-0.30\r\n") !=
          std::string::npos);
    fixture.store->append(std::vector{event(acme.id, EventType::voiceMinute(), "65", at(2025_y / 1 / 2, hours(8)))});
    CHECK(reports.creditBalance(acme.id) == num("4.90"));  // January: $0.10 drawn from january
}

TEST_CASE("credit is drawn by expiry, then priority, effective day and id", "[credits]") {
    auto store = std::make_shared<MemoryStore>();
    FixedClock clock;
    *clock.now = at(2024_y / 12 / 5, hours(12));
    const Account acme = account("Acme Pizza");
    store->saveAccount(acme);
    const auto oct1 = date::local_days(2024_y / 10 / 1);
    const auto nov1 = date::local_days(2024_y / 11 / 1);
    const auto later = date::local_days(2025_y / 6 / 1);
    store->saveCreditGrant(grant(acme.id, "z-early", "0.10", nov1, later, 5));
    store->saveCreditGrant(grant(acme.id, "b-first", "0.10", nov1, later, 1));
    store->saveCreditGrant(grant(acme.id, "a-same", "0.10", nov1, later, 5));
    store->saveCreditGrant(grant(acme.id, "y-older", "0.10", oct1, later, 5));
    store->saveCreditGrant(grant(acme.id, "forever", "1", oct1));
    store->append(std::vector{event(acme.id, EventType::voiceMinute(), "85.5", at(2024_y / 11 / 3, hours(9)))});
    const UsageReports reports(store, PriceBook({Plan::basic()}, "basic"), clock);
    const Statement closed = reports.closeStatement(acme.id, PeriodSpec::previousCycle());
    CHECK(closed.credits == std::vector<CreditApplied>{{"b-first", num("0.10")},
                                                       {"y-older", num("0.10")},
                                                       {"a-same", num("0.10")},
                                                       {"z-early", num("0.10")},
                                                       {"forever", num("0.11")}});
    CHECK(closed.amountDue() == num("0"));
}
