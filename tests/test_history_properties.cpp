// SPDX-License-Identifier: MIT
// The billing history's property, over random sequences of recordings, late events,
// backfills, voids, amendments, price versions (with minimums and maximums), plan changes,
// prepaid grants and closes on every store: a closed statement never changes, and once the last cycle is closed, the
// statements' amounts due plus the credit they drew add up to every closed cycle's usage
// priced now, each day at the plan version in effect that day; no grant gives more than
// its amount.
#include <catch2/catch.hpp>

#include <map>
#include <random>

#include "metered/json.h"
#include "metered/usage_reports.h"
#include "store_fixtures.h"
#include "test_support.h"

using namespace metered;
using namespace metered::testing;
using namespace date::literals;
using std::chrono::hours;

namespace {

// The basic plan, and `pro`: voice minutes 30 included, then $0.03; API calls $0.005.
Plan proPlan() {
    Plan plan = Plan::basic();
    plan.id = "pro";
    plan.name = "Pro";
    for (Meter& meter : plan.meters) {
        if (meter.type == EventType::voiceMinute()) {
            meter.included = Decimal(30);
            meter.unit_price = num("0.03");
        } else if (meter.type == EventType::apiCall()) {
            meter.unit_price = num("0.005");
        }
    }
    return plan;
}

struct Recorded {
    EventId id;
    bool voided = false;
};

// One random history of `steps` days from 2024-01-01 for a new business of `store`;
// returns how many of its closed cycles had minimums or maximums settled, and fees charged.
std::pair<int, int> randomHistory(const std::shared_ptr<UsageStore>& store, std::uint32_t seed, int steps) {
    std::mt19937 random(seed);
    const auto chance = [&](int percent) { return std::uniform_int_distribution(0, 99)(random) < percent; };
    const auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(random); };
    // Price changes stated ahead: up to two later versions of each plan, on random days.
    std::vector<Plan> plans = {Plan::basic(), proPlan()};
    if (chance(50)) plans[1].minimum = Decimal(8);  // pro commits to $8 a cycle
    for (const Plan& first : std::vector<Plan>(plans)) {
        for (int v = std::uniform_int_distribution(0, 2)(random); v > 0; --v) {
            Plan version = first;
            version.effective =
                date::local_days(2024_y / 1 / 1) + date::days(std::uniform_int_distribution(1, 99)(random));
            for (Meter& meter : version.meters) {
                meter.unit_price = num(("0.0" + std::to_string(std::uniform_int_distribution(1, 9)(random))).c_str());
            }
            // Minimums and maximums too, settled per cycle by the days each version prices.
            if (chance(40))
                version.meter(EventType::apiCall())->minimum = Decimal(std::uniform_int_distribution(1, 20)(random));
            if (chance(30)) version.maximum = Decimal(std::uniform_int_distribution(20, 60)(random));
            // And a recurring fee, charged per cycle for the days each version prices.
            if (chance(40)) version.fee = Decimal(std::uniform_int_distribution(1, 30)(random));
            if (std::none_of(plans.begin(), plans.end(),
                             [&](const Plan& p) { return p.id == version.id && p.effective == version.effective; })) {
                plans.push_back(version);
            }
        }
    }
    const PriceBook book(plans, "basic");
    for (const Plan& plan : plans) store->savePlan(plan);
    const Account acme = account("Acme Pizza");
    store->saveAccount(acme);
    // A few prepaid grants, some expiring, some starting later.
    std::map<std::string, Decimal> granted;
    for (int g = std::uniform_int_distribution(0, 3)(random); g > 0; --g) {
        const auto effective =
            date::local_days(2024_y / 1 / 1) + date::days(std::uniform_int_distribution(0, 90)(random));
        const std::optional<date::local_days> expires =
            chance(50) ? std::optional(effective + date::days(std::uniform_int_distribution(1, 60)(random)))
                       : std::nullopt;
        const std::string amount = std::to_string(std::uniform_int_distribution(1, 150)(random)) + ".25";
        const CreditGrant grant{acme.id,
                                "grant-" + std::to_string(g),
                                num(amount.c_str()),
                                "USD",
                                effective,
                                expires,
                                std::uniform_int_distribution(0, 2)(random)};
        store->saveCreditGrant(grant);
        granted[grant.id] = grant.amount;
    }
    FixedClock clock;
    const UsageReports reports(store, book, clock);
    const Timestamp start = at(2024_y / 1 / 1, hours(12));
    std::vector<Recorded> events;
    std::map<date::local_days, std::string> seen;  // cycle -> its statement as first read

    for (int step = 0; step < steps; ++step) {
        *clock.now = start + date::days(step);
        INFO("seed " << seed << ", day " << step);
        for (int n = std::uniform_int_distribution(0, 3)(random); n > 0; --n) {
            // Up to 20 days late: some land in cycles already closed.
            const Timestamp when = *clock.now - hours(std::uniform_int_distribution(0, 20 * 24)(random));
            const bool voice = chance(60);
            const std::string quantity = std::to_string(std::uniform_int_distribution(1, 40)(random));
            UsageEvent e = event(acme.id, voice ? EventType::voiceMinute() : EventType::apiCall(), quantity.c_str(),
                                 std::min(when, *clock.now));
            store->append(std::span(&e, 1));
            events.push_back({e.id});
        }
        if (chance(5)) {  // found later: 30 to 60 days old, backfilled with a reason
            UsageEvent e = event(acme.id, EventType::voiceMinute(), "25",
                                 *clock.now - date::days(std::uniform_int_distribution(30, 60)(random)));
            store->backfill(e, "gateway log found", "ops");
            events.push_back({e.id});
        }
        if (!events.empty() && chance(15)) {
            Recorded& target = events[pick(events.size())];
            if (!target.voided && chance(50)) {
                store->voidEvent(acme.id, target.id, "duplicate", "ops");
                target.voided = true;
            } else if (!target.voided) {
                const std::string quantity = std::to_string(std::uniform_int_distribution(0, 50)(random));
                store->amendQuantity(acme.id, target.id, num(quantity.c_str()), "meter fixed", "ops");
            }
        }
        if (chance(5)) {  // a plan change, at once or from the next cycle
            reports.changePlan(acme.id, reports.currentPlan(acme.id).id == "basic" ? "pro" : "basic",
                               chance(50) ? PlanChangeTiming::immediately : PlanChangeTiming::next_cycle);
        }
        reports.closeDueStatements(acme.id, std::chrono::days(std::uniform_int_distribution(0, 5)(random)));
        for (const Statement& statement : store->listStatements(acme.id)) {
            const auto [it, first] = seen.try_emplace(statement.cycle.first, to_json(statement));
            CHECK(it->second == to_json(statement));  // byte for byte as first read
        }
    }

    // Close the last cycle after every change: it carries the true-up of all the others.
    *clock.now = start + date::days(steps + 40);
    reports.closeDueStatements(acme.id, std::chrono::days(0));
    Decimal due;
    Decimal priced_now;
    int settled = 0;
    int charged_fees = 0;
    std::map<std::string, Decimal> drawn;
    const auto statements = store->listStatements(acme.id);
    for (const Statement& statement : statements) {
        due += statement.amountDue();
        Decimal credited;
        for (const CreditApplied& credit : statement.credits) {
            CHECK(credit.amount > Decimal());
            credited += credit.amount;
            drawn[credit.grant] += credit.amount;
        }
        due += credited;  // paid with prepaid credit
        // Credit pays at most what the statement comes to.
        CHECK(credited <= max(statement.amountDue() + credited, Decimal()));
        // The cycle priced now, each day at the plan version in effect that day.
        const auto& c = statement.cycle;
        const Bill bill = reports
                              .getBillingUsage(acme.id, PeriodSpec::custom(date::year_month_day(c.first),
                                                                           date::year_month_day(c.end)))
                              .bill;
        priced_now += bill.total;
        if (!bill.commitments.empty()) ++settled;
        if (!bill.fees.empty()) ++charged_fees;
        if (seen.count(c.first) != 0) CHECK(seen[c.first] == to_json(statement));
    }
    INFO("seed " << seed << ", " << statements.size() << " statements");
    CHECK(due == priced_now);
    for (const auto& [id, amount] : drawn) CHECK(amount <= granted[id]);  // never more than granted
    return {settled, charged_fees};
}

}  // namespace

TEMPLATE_TEST_CASE("random histories: statements never change and amounts due add up to usage priced now",
                   "[store][statements][corrections][property]", STORE_FIXTURES) {
    // Many short histories on the memory store, a few on the databases (same code path).
    const int histories = std::string_view(TestType::name) == "memory" ? 200 : 4;
    int settled = 0;
    int fees = 0;
    for (int i = 0; i < histories; ++i) {
        TestType fixture;
        const auto [commitments, charged] = randomHistory(fixture.store, 1000 + static_cast<std::uint32_t>(i), 100);
        settled += commitments;
        fees += charged;
    }
    CHECK(settled > 0);  // some cycles had a minimum or a maximum to settle
    CHECK(fees > 0);     // and some a recurring fee
}
