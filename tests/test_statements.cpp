// SPDX-License-Identifier: MIT
// Statements: a closed billing cycle is stored once, on every store, and never changes.
#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <sstream>

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

const DayRange november{date::local_days(2024_y / 11 / 1), date::local_days(2024_y / 12 / 1)};
const DayRange december{date::local_days(2024_y / 12 / 1), date::local_days(2025_y / 1 / 1)};

Statement statementOf(const BusinessId& business, DayRange cycle, const char* total, std::string document) {
    return Statement{
        business,           cycle, "Europe/Berlin", "basic", "USD", num(total), at(2024_y / 12 / 4, hours(3)),
        std::move(document)};
}

// The basic plan with voice minutes at `price` instead of $0.02.
PriceBook voiceAt(const char* price) {
    Plan plan = Plan::basic();
    for (Meter& meter : plan.meters) {
        if (meter.type == EventType::voiceMinute()) meter.unit_price = num(price);
    }
    return PriceBook({plan}, "basic");
}

}  // namespace

TEMPLATE_TEST_CASE("a statement is stored once and never changes", "[store][statements]", STORE_FIXTURES) {
    TestType fixture;
    UsageStore& store = *fixture.store;
    const Account acme = account("Acme Pizza");
    store.saveAccount(acme);

    // The document is kept byte for byte: exact digits, escapes and non-ASCII text included.
    const std::string document = R"({"bill":{"total":0.310000000000000000001},"note":"Grüße \"quoted\" \\ ✓"})";
    const Statement first = statementOf(acme.id, november, "0.31", document);
    CHECK(store.saveStatement(first) == first);
    CHECK(store.findStatement(acme.id, november.first) == first);

    // A second close of the same cycle (another price, another document) changes nothing.
    const Statement second = statementOf(acme.id, november, "9.99", R"({"bill":{"total":9.99}})");
    CHECK(store.saveStatement(second) == first);
    CHECK(store.findStatement(acme.id, november.first)->document == document);

    const Statement next = statementOf(acme.id, december, "1.00", "{}");
    CHECK(store.saveStatement(next) == next);
    CHECK(store.listStatements(acme.id) == std::vector<Statement>{first, next});
    CHECK_FALSE(store.findStatement(acme.id, date::local_days(2024_y / 10 / 1)).has_value());

    const Account other = account("Other");
    store.saveAccount(other);
    CHECK(store.listStatements(other.id).empty());
    CHECK_THROWS_AS(store.saveStatement(statementOf(BusinessId(Uuid::generateV7()), november, "1", "{}")),
                    NotFoundError);

    // The database itself refuses to change a stored statement.
    if constexpr (requires { fixture.sql(std::string()); }) {
        CHECK_THROWS(fixture.sql("UPDATE metered_statements SET total = 0"));
        CHECK_THROWS(fixture.sql("DELETE FROM metered_statements"));
        CHECK(store.listStatements(acme.id) == std::vector<Statement>{first, next});
    }
}

TEST_CASE("closing a cycle freezes its bill against later prices and late events", "[statements]") {
    auto store = std::make_shared<MemoryStore>();
    FixedClock clock;
    *clock.now = at(2024_y / 12 / 5, hours(12));
    const Account acme = account("Acme Pizza");
    store->saveAccount(acme);
    // 75.5 voice minutes in November: 15.5 above the 60 included, at $0.02: $0.31.
    const std::vector<UsageEvent> november_usage = {
        event(acme.id, EventType::voiceMinute(), "40", at(2024_y / 11 / 3, hours(9))),
        event(acme.id, EventType::voiceMinute(), "35.5", at(2024_y / 11 / 28, hours(18))),
    };
    store->append(november_usage);

    const UsageReports reports(store, voiceAt("0.02"), clock);
    CHECK_FALSE(reports.getStatement(acme.id, PeriodSpec::previousCycle()).has_value());
    const BillingUsage billed = reports.getBillingUsage(acme.id, PeriodSpec::previousCycle());
    const Statement closed = reports.closeStatement(acme.id, PeriodSpec::previousCycle());
    CHECK(closed.total == num("0.31"));
    CHECK(closed.total == billed.bill.total);
    CHECK(closed.cycle == november);
    CHECK(closed.plan_id == "basic");
    CHECK(closed.currency == "USD");
    CHECK(closed.closed_at == *clock.now);
    CHECK(closed.document == to_json(billed));

    // A late November event and a price change re-price the live bill, not the statement.
    store->append(std::vector{event(acme.id, EventType::voiceMinute(), "10", at(2024_y / 11 / 30, hours(23)))});
    *clock.now = at(2024_y / 12 / 9, hours(8));
    const UsageReports repriced(store, voiceAt("0.05"), clock);
    CHECK(repriced.getBillingUsage(acme.id, PeriodSpec::previousCycle()).bill.total == num("1.28"));
    CHECK(repriced.closeStatement(acme.id, PeriodSpec::previousCycle()) == closed);
    CHECK(repriced.getStatement(acme.id, PeriodSpec::previousCycle()) == closed);
    CHECK(repriced.listStatements(acme.id) == std::vector<Statement>{closed});

    // to_json carries the document as it was written.
    const std::string json = to_json(closed);
    CHECK(json.find(R"("total":0.31)") != std::string::npos);
    CHECK(json.find(R"("cycle":{"from":"2024-11-01","to":"2024-12-01"})") != std::string::npos);
    CHECK(json.find(R"("billingUsage":)" + closed.document) != std::string::npos);
}

TEST_CASE("only a whole billing cycle that has ended can be closed", "[statements]") {
    auto store = std::make_shared<MemoryStore>();
    FixedClock clock;
    *clock.now = at(2024_y / 12 / 5, hours(12));
    const Account anchored = account("Anchored", "UTC", "basic", 15);
    store->saveAccount(anchored);
    const UsageReports reports(store, PriceBook(), clock);

    const auto period_error = [](const std::function<void()>& call) {
        try {
            call();
        } catch (const ValidationError& e) {
            return e.field();
        }
        return std::string("no error");
    };
    // The current cycle (Nov 15 – Dec 15) has not ended.
    CHECK(period_error([&] { reports.closeStatement(anchored.id, PeriodSpec::currentCycle()); }) == "period");
    // A calendar month is not a cycle when the anchor day is 15.
    CHECK(period_error([&] {
              reports.closeStatement(anchored.id, PeriodSpec::custom(2024_y / 10 / 1, 2024_y / 11 / 1));
          }) == "period");
    CHECK(period_error([&] { reports.getStatement(anchored.id, PeriodSpec::calendarMonth()); }) == "period");
    const Statement closed =
        reports.closeStatement(anchored.id, PeriodSpec::custom(2024_y / 10 / 15, 2024_y / 11 / 15));
    CHECK(closed.cycle == DayRange{date::local_days(2024_y / 10 / 15), date::local_days(2024_y / 11 / 15)});
    CHECK(closed.total == Decimal(0));
    CHECK_THROWS_AS(reports.closeStatement(BusinessId(Uuid::generateV7()), PeriodSpec::previousCycle()), NotFoundError);
}

#if defined(METERED_HAVE_SQLITE) || defined(METERED_HAVE_POSTGRES)
namespace {

// Two processes close the same cycle at once, each pricing it differently: both get the
// one statement stored, and only one is stored.
template <class Fixture, class Open>
void closeFromTwoProcesses(Fixture& fixture, Open open) {
    const Account acme = account("Acme Pizza");
    fixture.store->saveAccount(acme);
    fixture.store->append(std::vector{event(acme.id, EventType::voiceMinute(), "75.5", at(2024_y / 11 / 3, hours(9)))});
    const TempDir dir;
    const std::array<const char*, 2> prices = {"0.02", "0.05"};
    const auto failures = inChildProcesses(2, [&](int i) {
        FixedClock clock;
        *clock.now = at(2024_y / 12 / 5, hours(12 + i));
        const UsageReports reports(open(), voiceAt(prices[static_cast<std::size_t>(i)]), clock);
        const Statement got = reports.closeStatement(acme.id, PeriodSpec::previousCycle());
        std::ofstream(dir.path / std::to_string(i)) << got.total << '\n' << got.document;
    });
    REQUIRE(failures.empty());
    const auto stored = fixture.store->listStatements(acme.id);
    REQUIRE(stored.size() == 1);
    CHECK((stored[0].total == num("0.31") || stored[0].total == num("0.78")));
    for (int i = 0; i < 2; ++i) {
        std::ifstream in(dir.path / std::to_string(i));
        std::stringstream text;
        text << in.rdbuf();
        CHECK(text.str() == stored[0].total.toString() + "\n" + stored[0].document);
    }
}

}  // namespace
#endif

#ifdef METERED_HAVE_SQLITE
TEST_CASE("two processes closing the same cycle of an SQLite file store one statement", "[statements][sqlite]") {
    SqliteFixture fixture;
    closeFromTwoProcesses(fixture, [&] { return std::make_shared<SqliteStore>(SqliteOptions{.path = fixture.path}); });
}
#endif

#ifdef METERED_HAVE_POSTGRES
TEST_CASE("two processes closing the same cycle in PostgreSQL store one statement", "[statements][postgres]") {
    PostgresFixture fixture;
    closeFromTwoProcesses(
        fixture, [&] { return std::make_shared<PostgresStore>(PostgresOptions{.conninfo = fixture.conninfo}); });
}
#endif
