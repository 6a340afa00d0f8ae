// SPDX-License-Identifier: MIT
// Statements: a closed billing cycle is stored once, on every store, and never changes.
#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <sstream>

#include "metered/errors.h"
#include "metered/json.h"
#include "metered/usage_reports.h"
#include "store_doubles.h"
#include "store_fixtures.h"
#include "test_support.h"

using namespace metered;
using namespace metered::testing;
using namespace date::literals;
using std::chrono::hours;

namespace {

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
    const Statement first = statementOf(acme.id, november2024, "0.31", document);
    CHECK(store.saveStatement(first) == first);
    CHECK(store.findStatement(acme.id, november2024.first) == first);

    // A second close of the same cycle (another price, another document) changes nothing.
    const Statement second = statementOf(acme.id, november2024, "9.99", R"({"bill":{"total":9.99}})");
    CHECK(store.saveStatement(second) == first);
    CHECK(store.findStatement(acme.id, november2024.first)->document == document);

    const Statement next = statementOf(acme.id, december2024, "1.00", "{}");
    CHECK(store.saveStatement(next) == next);
    CHECK(store.listStatements(acme.id) == std::vector<Statement>{first, next});
    CHECK_FALSE(store.findStatement(acme.id, date::local_days(2024_y / 10 / 1)).has_value());

    const Account other = account("Other");
    store.saveAccount(other);
    CHECK(store.listStatements(other.id).empty());
    CHECK_THROWS_AS(store.saveStatement(statementOf(BusinessId(Uuid::generateV7()), november2024, "1", "{}")),
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
    CHECK(closed.cycle == november2024);
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

namespace {

// The cycles of `statements`, in order.
std::vector<DayRange> cyclesOf(const std::vector<Statement>& statements) {
    std::vector<DayRange> cycles;
    for (const Statement& statement : statements) cycles.push_back(statement.cycle);
    return cycles;
}

// The calendar month beginning on `first`.
DayRange month(date::year_month_day first) {
    return {date::local_days(first), date::local_days(first + date::months(1))};
}

}  // namespace

TEST_CASE("due cycles close after the grace window, back to the first usage", "[statements]") {
    auto store = std::make_shared<MemoryStore>();
    FixedClock clock;
    const Account acme = account("Acme Pizza");
    store->saveAccount(acme);
    store->append(std::vector{
        event(acme.id, EventType::voiceMinute(), "40", at(2024_y / 9 / 10, hours(9))),
        event(acme.id, EventType::voiceMinute(), "75.5", at(2024_y / 11 / 3, hours(9))),
    });
    const UsageReports reports(store, voiceAt("0.02"), clock);

    // December 3rd: November (ended December 1st) is not due with 3 days of grace; September
    // (the first usage) and October (none: $0) are. August and before, without usage, are not.
    *clock.now = at(2024_y / 12 / 3, hours(23));
    const auto first = reports.closeDueStatements(acme.id, std::chrono::days(3));
    REQUIRE(cyclesOf(first) == std::vector<DayRange>{month(2024_y / 9 / 1), month(2024_y / 10 / 1)});
    CHECK(first[0].total == Decimal(0));  // 40 minutes: within the 60 included
    CHECK(first[1].total == Decimal(0));
    CHECK(reports.closeDueStatements(acme.id, std::chrono::days(3)).empty());

    // December 4th, 00:00: November is due.
    *clock.now = at(2024_y / 12 / 4);
    const auto november_closed = reports.closeDueStatements(acme.id, std::chrono::days(3));
    REQUIRE(november_closed.size() == 1);
    CHECK(november_closed[0].cycle == november2024);
    CHECK(november_closed[0].total == num("0.31"));
    CHECK(november_closed[0].closed_at == *clock.now);
    CHECK(cyclesOf(reports.listStatements(acme.id)) ==
          std::vector<DayRange>{month(2024_y / 9 / 1), month(2024_y / 10 / 1), november2024});
    CHECK(reports.closeDueStatements(acme.id, std::chrono::days(0)).empty());

    // No grace: a cycle is due the day after its last day.
    const Account other = account("Other");
    store->saveAccount(other);
    store->append(std::vector{event(other.id, EventType::voiceMinute(), "61", at(2024_y / 11 / 30, hours(23)))});
    *clock.now = at(2024_y / 12 / 1);
    CHECK(cyclesOf(reports.closeDueStatements(other.id, std::chrono::days(0))) == std::vector<DayRange>{november2024});

    CHECK(errorField([&] { reports.closeDueStatements(acme.id, std::chrono::days(-1)); }) == "grace");
    CHECK(errorField([&] { reports.closeDueStatements(acme.id, std::chrono::days(367)); }) == "grace");
    CHECK_THROWS_AS(reports.closeDueStatements(BusinessId(Uuid::generateV7()), std::chrono::days(3)), NotFoundError);
}

TEST_CASE("closing due cycles looks back a bounded number of cycles", "[statements]") {
    auto store = std::make_shared<MemoryStore>();
    FixedClock clock;
    *clock.now = at(2024_y / 12 / 10);
    const Account idle = account("Idle");
    const Account old = account("Old");
    store->saveAccount(idle);
    store->saveAccount(old);
    // January 2023 is 23 cycles back: outside the horizon. June 2024 is the first usage in it.
    store->append(std::vector{
        event(old.id, EventType::apiCall(), "1", at(2023_y / 1 / 10)),
        event(old.id, EventType::apiCall(), "1", at(2024_y / 6 / 10)),
    });
    const UsageReports reports(store, PriceBook(), clock);
    CHECK(reports.closeDueStatements(idle.id, std::chrono::days(3)).empty());
    CHECK(cyclesOf(reports.closeDueStatements(old.id, std::chrono::days(3))) ==
          std::vector<DayRange>{month(2024_y / 6 / 1), month(2024_y / 7 / 1), month(2024_y / 8 / 1),
                                month(2024_y / 9 / 1), month(2024_y / 10 / 1), month(2024_y / 11 / 1)});

    // Without usage since, nothing more is due a year on (the horizon moved past June).
    *clock.now = at(2026_y / 1 / 10);
    CHECK(reports.closeDueStatements(old.id, std::chrono::days(3)).empty());
}

namespace {

// A store with one account and its November usage (75.5 voice minutes: $0.31), and a
// recorder over it whose clock reads December 5th, 2024.
struct ClosingSetup {
    std::shared_ptr<MemoryStore> store = std::make_shared<MemoryStore>();
    FixedClock clock;
    Account acme = account("Acme Pizza");

    ClosingSetup() {
        *clock.now = at(2024_y / 12 / 5, hours(12));
        store->saveAccount(acme);
        store->append(std::vector{event(acme.id, EventType::voiceMinute(), "75.5", at(2024_y / 11 / 3, hours(9)))});
    }
    RecorderOptions options(RecorderOptions o = {}) const {
        o.clock = clock;
        o.price_book = voiceAt("0.02");
        return o;
    }
};

}  // namespace

TEST_CASE("a synchronous recorder closes due statements on a record call, once per interval", "[statements]") {
    ClosingSetup setup;
    UsageRecorder recorder(setup.store, setup.options());
    CHECK(setup.store->listStatements(setup.acme.id).empty());  // nothing before a record call
    recorder.recordApiCall(setup.acme.id);
    CHECK(recorder.stats().statement_close_rounds == 1);
    CHECK(recorder.stats().statements_closed == 1);
    const auto stored = setup.store->listStatements(setup.acme.id);
    REQUIRE(stored.size() == 1);
    CHECK(stored[0].cycle == november2024);
    CHECK(stored[0].total == num("0.31"));
    recorder.recordApiCall(setup.acme.id);
    CHECK(recorder.stats().statement_close_rounds == 1);  // the interval (an hour) has not passed

    // Off: no closing.
    ClosingSetup off;
    UsageRecorder manual(off.store, off.options({.statement_grace = std::nullopt}));
    manual.recordApiCall(off.acme.id);
    CHECK(manual.stats().statement_close_rounds == 0);
    CHECK(off.store->listStatements(off.acme.id).empty());

    // Not due yet with a grace of 5 days (November is due December 6th).
    ClosingSetup early;
    UsageRecorder patient(early.store, early.options({.statement_grace = std::chrono::days(5)}));
    patient.recordApiCall(early.acme.id);
    CHECK(patient.stats().statement_close_rounds == 1);
    CHECK(early.store->listStatements(early.acme.id).empty());

    CHECK(errorField([&] {
              static_cast<void>(UsageRecorder(setup.store, setup.options({.statement_grace = std::chrono::days(-1)})));
          }) == "statement_grace");
    CHECK(errorField([&] {
              static_cast<void>(UsageRecorder(
                  setup.store, setup.options({.statement_close_interval = std::chrono::milliseconds(0)})));
          }) == "statement_close_interval");
}

TEST_CASE("an asynchronous recorder closes due statements on its background thread", "[statements][async]") {
    ClosingSetup setup;
    UsageRecorder recorder(setup.store, setup.options({.mode = RecordMode::async,
                                                       .budget_refresh = std::chrono::milliseconds(0),
                                                       .statement_close_interval = std::chrono::milliseconds(10)}));
    REQUIRE(eventually([&] { return recorder.stats().statement_close_rounds >= 1; }));
    CHECK(recorder.stats().statements_closed == 1);
    const auto stored = setup.store->listStatements(setup.acme.id);
    REQUIRE(stored.size() == 1);
    CHECK(stored[0].total == num("0.31"));
    // Later rounds find nothing more to close.
    REQUIRE(eventually([&] { return recorder.stats().statement_close_rounds >= 3; }));
    CHECK(recorder.stats().statements_closed == 1);
    CHECK(recorder.stats().statement_close_failures == 0);
}

TEST_CASE("a failure to close is counted, never thrown to the recording thread", "[statements]") {
    // A store that keeps no statements: saving one throws StoreError.
    auto store = std::make_shared<UnreliableStore>();
    FixedClock clock;
    *clock.now = at(2024_y / 12 / 5, hours(12));
    const Account acme = account("Acme Pizza");
    store->saveAccount(acme);
    store->inner->append(std::vector{event(acme.id, EventType::voiceMinute(), "75.5", at(2024_y / 11 / 3))});
    UsageRecorder recorder(store, RecorderOptions{.price_book = voiceAt("0.02"), .clock = clock});
    CHECK(recorder.recordApiCall(acme.id).outcome == RecordOutcome::stored);
    CHECK(recorder.stats().statement_close_rounds == 1);
    CHECK(recorder.stats().statements_closed == 0);
    CHECK(recorder.stats().statement_close_failures == 1);
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
