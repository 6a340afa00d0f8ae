// SPDX-License-Identifier: MIT
// Property tests over thousands of random cases: the money invariants.
#include <catch2/catch.hpp>
#include <rapidcheck.h>
#include <rapidcheck/catch.h>

#include <nlohmann/json.hpp>

#include "decimal_access.h"
#include "metered/memory_store.h"
#include "metered/pricing.h"
#include "test_support.h"

using namespace metered;
using namespace metered::testing;

namespace {

// A decimal of 0 to max_units whole units and up to `digits` random fractional digits.
rc::Gen<Decimal> genDecimal(int digits, std::int64_t max_units) {
    return rc::gen::apply(
        [](std::int64_t units, int scale, std::int64_t fraction) {
            detail::int128 power = 1;
            for (int i = 0; i < scale; ++i) power *= 10;
            return detail::DecimalAccess::make(units * power + fraction % power, scale);
        },
        rc::gen::inRange<std::int64_t>(0, max_units + 1), rc::gen::inRange(0, digits + 1),
        rc::gen::inRange<std::int64_t>(0, 1'000'000'000));
}

rc::Gen<Decimal> genQuantity() { return genDecimal(6, 5'000'000); }
rc::Gen<Decimal> genPrice() {
    return rc::gen::map(rc::gen::pair(rc::gen::inRange<std::int64_t>(0, 100'000'000), rc::gen::inRange(0, 9)),
                        [](std::pair<std::int64_t, int> v) { return Decimal::fromMantissa(v.first, v.second); });
}

// A random meter for `type` under any of the four models.
Meter randomMeter(EventType type) {
    Meter meter;
    meter.type = type;
    meter.unit = "unit";
    meter.included = *genDecimal(3, 2000);
    meter.unit_price = *genPrice();
    meter.model =
        *rc::gen::element(PricingModel::per_unit, PricingModel::graduated, PricingModel::volume, PricingModel::package);
    if (meter.model == PricingModel::graduated || meter.model == PricingModel::volume) {
        const int count = *rc::gen::inRange(1, 5);
        Decimal bound;
        for (int i = 0; i < count; ++i) {
            Tier tier{std::nullopt, *genPrice(), *rc::gen::element(Decimal(0), Decimal::parse("2.5"), Decimal(10))};
            if (i + 1 < count) {
                bound = bound + *genDecimal(2, 5000) + Decimal::parse("0.01");
                tier.up_to = bound;
            }
            meter.tiers.push_back(tier);
        }
    } else if (meter.model == PricingModel::package) {
        meter.package_size = *genDecimal(2, 1000) + Decimal(1);
        meter.package_price = *genPrice();
    }
    return meter;
}

Plan randomPlan() {
    Plan plan;
    plan.id = "random";
    plan.rounding = *rc::gen::element(Rounding::half_even, Rounding::half_up);
    plan.currency = *rc::gen::element(Currency::of("USD"), Currency::of("JPY"), Currency::of("KWD"));
    for (auto type : {EventType::apiCall(), EventType::voiceMinute(), EventType::aiQuery(), EventType::storageMb()}) {
        plan.meters.push_back(randomMeter(type));
    }
    return plan;
}

std::vector<UsageTotal> randomTotals(const Plan& plan) {
    std::vector<UsageTotal> totals;
    for (const Meter& meter : plan.meters) totals.push_back({meter.type, *genQuantity(), 1, {}});
    return totals;
}

}  // namespace

TEST_CASE("money invariants hold for random plans and usage", "[properties]") {
    rc::prop("a bill's total is exactly the sum of its rounded lines", [] {
        const Plan plan = randomPlan();
        const Bill bill = PricingCalculator(plan).bill(randomTotals(plan));
        Decimal sum;
        for (const LineItem& line : bill.lines) {
            RC_ASSERT(line.amount.scale() == plan.currency.minor_units);
            RC_ASSERT(line.amount == line.exact_amount.rounded(plan.currency.minor_units, plan.rounding));
            RC_ASSERT(line.included + line.billable == line.quantity);
            sum += line.amount;
        }
        RC_ASSERT(bill.total == sum);
    });

    rc::prop("included quantities are never billed", [] {
        const Plan plan = randomPlan();
        const PricingCalculator calculator(plan);
        for (const Meter& meter : plan.meters) {
            const Decimal within = *rc::gen::element(Decimal(0), meter.included);
            RC_ASSERT(calculator.price(meter.type, within).amount.isZero());
        }
    });

    rc::prop("more usage never costs less", [] {
        const Plan plan = randomPlan();
        const PricingCalculator calculator(plan);
        const Meter& meter = plan.meters[*rc::gen::inRange<std::size_t>(0, plan.meters.size())];
        const Decimal a = *genQuantity();
        const Decimal b = a + *genQuantity();
        if (meter.model != PricingModel::volume) {  // volume pricing may drop at a tier bound, by design
            RC_ASSERT(calculator.price(meter.type, a).exact_amount <= calculator.price(meter.type, b).exact_amount);
        }
    });

    rc::prop("daily trend costs sum exactly to the period's bill", [] {
        const Plan plan = randomPlan();
        const PricingCalculator calculator(plan);
        const int day_count = *rc::gen::inRange(1, 32);
        std::vector<std::vector<UsageTotal>> days(static_cast<std::size_t>(day_count));
        std::vector<UsageTotal> all;
        for (auto& day : days) {
            if (*rc::gen::inRange(0, 3) == 0) continue;  // some days without usage
            for (const Meter& meter : plan.meters) {
                if (*rc::gen::arbitrary<bool>()) {
                    day.push_back({meter.type, *genDecimal(6, 400'000), 1, {}});
                    all.push_back(day.back());
                }
            }
        }
        const auto costs = calculator.dailyCosts(days);
        Decimal sum;
        for (const auto& cost : costs) sum += cost;
        RC_ASSERT(sum == calculator.bill(all).total);
    });

    rc::prop("decimals print and parse back to themselves", [] {
        const auto d = Decimal::fromMantissa(*rc::gen::arbitrary<std::int64_t>(), *rc::gen::inRange(0, 25));
        RC_ASSERT(Decimal::parse(d.toString()) == d);
        RC_ASSERT(Decimal::parse(d.toString()).scale() == d.scale());
        // Sums of two 64-bit mantissas at scales up to 18 and 12 fit in 38 digits.
        const auto e = Decimal::fromMantissa(*rc::gen::arbitrary<std::int64_t>(), *rc::gen::inRange(0, 13));
        if (d.scale() > 18) return;
        RC_ASSERT(d + e - e == d);
        RC_ASSERT((d < e) == (d - e).isNegative());
    });
}

TEST_CASE("re-appending any batch changes nothing", "[properties]") {
    rc::prop("idempotent append", [] {
        MemoryStore store;
        const auto biz = account("P");
        store.saveAccount(biz);
        const int n = *rc::gen::inRange(1, 40);
        std::vector<UsageEvent> events;
        for (int i = 0; i < n; ++i) {
            const auto type = *rc::gen::element(EventType::apiCall(), EventType::voiceMinute(), EventType::storageMb());
            auto e = event(biz.id, type, "1",
                           at(date::sys_days(date::year(2024) / 3 / 1) + date::days(*rc::gen::inRange(0, 31))));
            e.quantity = *genQuantity();
            e.list_cost = e.quantity * e.unit_price;
            events.push_back(e);
        }
        const DayRange march{date::local_days(date::year(2024) / 3 / 1), date::local_days(date::year(2024) / 4 / 1)};
        RC_ASSERT(store.append(events).stored == events.size());
        const auto before = store.daily(biz.id, march);
        // Replay a random subset, shuffled, possibly with repeats.
        auto replay = *rc::gen::container<std::vector<std::size_t>>(rc::gen::inRange<std::size_t>(0, events.size()));
        std::vector<UsageEvent> again;
        for (auto i : replay) again.push_back(events[i]);
        const auto result = store.append(again);
        RC_ASSERT(result.stored == 0u);
        RC_ASSERT(result.duplicates == again.size());
        RC_ASSERT(store.daily(biz.id, march) == before);
    });
}

TEST_CASE("metadata JSON is escaped exactly as nlohmann escapes it", "[properties]") {
    rc::prop("appendJsonString matches nlohmann::json::dump", [] {
        // Any Unicode scalar values but U+0000 (refused: no store keeps it), as UTF-8, with
        // control characters, quotes and backslashes.
        const auto points = *rc::gen::container<std::vector<std::uint32_t>>(rc::gen::oneOf(
            rc::gen::inRange<std::uint32_t>(1, 0x80), rc::gen::element<std::uint32_t>('"', '\\', '\n', 0x1F, 0x7F),
            rc::gen::inRange<std::uint32_t>(0x80, 0xD800), rc::gen::inRange<std::uint32_t>(0xE000, 0x110000)));
        std::string text;
        for (std::uint32_t cp : points) {
            if (cp < 0x80) {
                text += static_cast<char>(cp);
            } else if (cp < 0x800) {
                text += static_cast<char>(0xC0 | (cp >> 6));
                text += static_cast<char>(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                text += static_cast<char>(0xE0 | (cp >> 12));
                text += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
                text += static_cast<char>(0x80 | (cp & 0x3F));
            } else {
                text += static_cast<char>(0xF0 | (cp >> 18));
                text += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
                text += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
                text += static_cast<char>(0x80 | (cp & 0x3F));
            }
        }
        Metadata m;
        m.set("k", text);
        RC_ASSERT(m.toJson() == "{\"k\":" + nlohmann::json(text).dump() + "}");
    });
}
