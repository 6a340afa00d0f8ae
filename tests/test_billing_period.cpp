// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include "metered/account.h"
#include "metered/billing_period.h"
#include "metered/errors.h"
#include "test_support.h"

using namespace metered;
using namespace date::literals;
using metered::testing::at;
using std::chrono::hours;
using std::chrono::minutes;

namespace {
Account in(const char* zone, int anchor = 1) {
    Account account;
    account.name = "test";
    account.time_zone = zone;
    account.anchor_day = anchor;
    return account;
}
std::string iso(date::local_days day) { return date::format("%F", day); }
}  // namespace

TEST_CASE("the current month is the business's local month (America/New_York)", "[period]") {
    // 03:00 UTC on March 1st is still February 29th in New York.
    const auto period =
        BillingPeriod::resolve(PeriodSpec::currentMonth(), in("America/New_York"), at(2024_y / 3 / 1, hours(3)));
    CHECK(iso(period.days.first) == "2024-02-01");
    CHECK(iso(period.days.end) == "2024-03-01");
    CHECK(period.start == at(2024_y / 2 / 1, hours(5)));
    CHECK(period.end == at(2024_y / 3 / 1, hours(5)));
    CHECK(period.days.count() == 29);
}

TEST_CASE("a month across the spring DST change is an hour short (America/New_York)", "[period]") {
    const auto period = BillingPeriod::resolve(PeriodSpec::currentMonth(), in("America/New_York"), at(2024_y / 3 / 15));
    CHECK(period.start == at(2024_y / 3 / 1, hours(5)));  // EST
    CHECK(period.end == at(2024_y / 4 / 1, hours(4)));    // EDT
    CHECK(period.end - period.start == date::days(31) - hours(1));
    // The night of the change: 23:30 local on March 9th is still the 9th.
    CHECK(iso(localDay(at(2024_y / 3 / 10, hours(4) + minutes(30)), "America/New_York")) == "2024-03-09");
    CHECK(iso(localDay(at(2024_y / 3 / 10, hours(7) + minutes(30)), "America/New_York")) == "2024-03-10");
    // The autumn change: a 25-hour day.
    CHECK(startOfDay(date::local_days(2024_y / 11 / 4), "America/New_York") -
              startOfDay(date::local_days(2024_y / 11 / 3), "America/New_York") ==
          hours(25));
}

TEST_CASE("half-hour offsets (Asia/Kolkata)", "[period]") {
    // 20:00 UTC on Jan 31st is 01:30 on Feb 1st in India.
    const auto period =
        BillingPeriod::resolve(PeriodSpec::currentMonth(), in("Asia/Kolkata"), at(2024_y / 1 / 31, hours(20)));
    CHECK(iso(period.days.first) == "2024-02-01");
    CHECK(period.start == at(2024_y / 1 / 31, hours(18) + minutes(30)));
    CHECK(period.end == at(2024_y / 2 / 29, hours(18) + minutes(30)));
    const auto previous =
        BillingPeriod::resolve(PeriodSpec::previousMonth(), in("Asia/Kolkata"), at(2024_y / 1 / 31, hours(20)));
    CHECK(iso(previous.days.first) == "2024-01-01");
    CHECK(iso(previous.days.end) == "2024-02-01");
}

TEST_CASE("half-hour DST shifts (Australia/Lord_Howe)", "[period]") {
    // DST (+11) ends on 2024-04-07 at 02:00, back to +10:30.
    const auto april =
        BillingPeriod::resolve(PeriodSpec::currentMonth(), in("Australia/Lord_Howe"), at(2024_y / 4 / 10));
    CHECK(april.start == at(2024_y / 3 / 31, hours(13)));
    CHECK(april.end == at(2024_y / 4 / 30, hours(13) + minutes(30)));
    CHECK(startOfDay(date::local_days(2024_y / 4 / 8), "Australia/Lord_Howe") -
              startOfDay(date::local_days(2024_y / 4 / 7), "Australia/Lord_Howe") ==
          hours(24) + minutes(30));
    // DST starts on 2024-10-06 at 02:00 (+10:30 → +11): a 23.5-hour day.
    CHECK(startOfDay(date::local_days(2024_y / 10 / 7), "Australia/Lord_Howe") -
              startOfDay(date::local_days(2024_y / 10 / 6), "Australia/Lord_Howe") ==
          hours(23) + minutes(30));
}

TEST_CASE("a day whose midnight falls in a DST gap starts at the first instant that exists", "[period]") {
    // Chile moved clocks from 00:00 to 01:00 on 2024-09-08 (UTC-4 → UTC-3).
    CHECK(startOfDay(date::local_days(2024_y / 9 / 8), "America/Santiago") == at(2024_y / 9 / 8, hours(4)));
}

TEST_CASE("billing cycles anchored to a day of month", "[period]") {
    auto cycle = [](date::year_month_day day, int anchor) {
        const auto range = BillingPeriod::cycleContaining(date::local_days(day), anchor);
        return iso(range.first) + ".." + iso(range.end);
    };
    CHECK(cycle(2024_y / 1 / 10, 15) == "2023-12-15..2024-01-15");
    CHECK(cycle(2024_y / 1 / 15, 15) == "2024-01-15..2024-02-15");
    CHECK(cycle(2024_y / 2 / 15, 31) == "2024-01-31..2024-02-29");  // the 31st clamps to Feb 29
    CHECK(cycle(2024_y / 2 / 29, 31) == "2024-02-29..2024-03-31");
    CHECK(cycle(2023_y / 2 / 28, 31) == "2023-02-28..2023-03-31");
    CHECK(cycle(2024_y / 4 / 30, 31) == "2024-04-30..2024-05-31");
    CHECK(cycle(2024_y / 12 / 31, 1) == "2024-12-01..2025-01-01");
    CHECK_THROWS_AS(BillingPeriod::cycleContaining(date::local_days(2024_y / 1 / 1), 0), ValidationError);

    const auto current = BillingPeriod::resolve(PeriodSpec::currentCycle(), in("Asia/Kolkata", 31), at(2024_y / 3 / 5));
    CHECK(iso(current.days.first) == "2024-02-29");
    const auto previous =
        BillingPeriod::resolve(PeriodSpec::previousCycle(), in("Asia/Kolkata", 31), at(2024_y / 3 / 5));
    CHECK(iso(previous.days.first) == "2024-01-31");
    CHECK(iso(previous.days.end) == "2024-02-29");
}

TEST_CASE("period specs parse from the seed's names and custom ranges", "[period]") {
    CHECK(PeriodSpec::parse("current_month").kind() == PeriodSpec::Kind::current_month);
    CHECK(PeriodSpec::parse("previous_month").kind() == PeriodSpec::Kind::previous_month);
    CHECK(PeriodSpec::parse("current_cycle").kind() == PeriodSpec::Kind::current_cycle);
    const auto custom = PeriodSpec::parse("2024-01-05..2024-01-20");
    CHECK(custom.kind() == PeriodSpec::Kind::custom);
    CHECK(custom.customDays().count() == 15);
    CHECK(custom.toString() == "2024-01-05..2024-01-20");
    const auto resolved = BillingPeriod::resolve(custom, in("America/New_York"), at(2030_y / 1 / 1));
    CHECK(resolved.start == at(2024_y / 1 / 5, hours(5)));
    for (const char* bad : {"this_month", "", "2024-01-20..2024-01-05", "2024-02-30..2024-03-01", "2024-1-5..2024-2-1",
                            "2020-01-01..2030-01-01"}) {
        INFO(bad);
        CHECK_THROWS_AS(PeriodSpec::parse(bad), ValidationError);
    }
}

TEST_CASE("accounts validate their settings", "[period]") {
    Account account = in("Europe/Berlin");
    CHECK_NOTHROW(account.validate());
    account.time_zone = "Mars/Olympus_Mons";
    CHECK_THROWS_AS(account.validate(), ValidationError);
    account = in("UTC", 32);
    CHECK_THROWS_AS(account.validate(), ValidationError);
    account = in("UTC");
    account.name = "";
    CHECK_THROWS_AS(account.validate(), ValidationError);
    CHECK_THROWS_AS(localDay(Timestamp{}, "Nowhere/Special"), ValidationError);
}

TEST_CASE("C++20 calendar types are accepted where date's are, exactly", "[period]") {
    using namespace std::chrono;
    const auto chrono_spec = PeriodSpec::custom(year(2024) / 2 / 28, year(2024) / 3 / 2);
    const auto date_spec = PeriodSpec::custom(date::year(2024) / 2 / 28, date::year(2024) / 3 / 2);
    CHECK(chrono_spec.customDays() == date_spec.customDays());
    CHECK(chrono_spec.customDays().count() == 3);  // the 28th, the 29th (a leap year) and March 1st
    const year_month_day leap = year(2024) / 2 / 29;
    CHECK(toChrono(toDate(leap)) == leap);
    CHECK(toChronoDays(toDateDays(local_days(leap))) == local_days(leap));
    CHECK_THROWS_AS(PeriodSpec::custom(year(2024) / 2 / 30, year(2024) / 3 / 2), ValidationError);
}
