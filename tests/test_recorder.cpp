// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <rapidcheck.h>
#include <rapidcheck/catch.h>

#include "metered/errors.h"
#include "metered/json.h"
#include "metered/memory_store.h"
#include "metered/pricing.h"
#include "test_support.h"

using namespace metered;
using namespace metered::testing;
using namespace date::literals;
using std::chrono::hours;

namespace {

struct RecorderTestSetup {
    std::shared_ptr<MemoryStore> store = std::make_shared<MemoryStore>();
    FixedClock clock;
    Account business = account("Acme Pizza", "America/New_York");
    std::unique_ptr<UsageRecorder> recorder;

    explicit RecorderTestSetup(Timestamp now = at(2024_y / 3 / 20, hours(16))) {
        *clock.now = now;
        store->saveAccount(business);
        recorder = std::make_unique<UsageRecorder>(store, RecorderOptions{.clock = clock});
    }

    // The seed scenario: 1500 API calls, 75.5 voice minutes, 150 AI queries, 1500 MB.
    void recordSeedScenario() {
        for (int i = 0; i < 1500; ++i) {
            recorder->recordApiCall(business.id,
                                    {.operation = "chat_completion", .model = "gpt-4o-mini", .tokens = 300});
        }
        for (int i = 0; i < 30; ++i)
            recorder->recordVoiceMinutes(business.id, num("2.5"), {.operation = "voice_to_text"});
        recorder->recordVoiceMinutes(business.id, num("0.5"));
        for (int i = 0; i < 150; ++i) recorder->recordAiQuery(business.id, {.query_type = "intent"});
        recorder->recordStorage(business.id, num("1000"), {.file_type = "pdf"});
        recorder->recordStorage(business.id, num("500"));
    }
};

}  // namespace

TEST_CASE("the seed scenario bills $8.31 through getBillingUsage and to_json", "[recorder]") {
    RecorderTestSetup setup;
    setup.recordSeedScenario();
    const auto usage = setup.recorder->getBillingUsage(setup.business.id);
    CHECK(usage.quantity(EventType::apiCall()) == num("1500"));
    CHECK(usage.quantity(EventType::voiceMinute()) == num("75.5"));
    CHECK(usage.cost(EventType::apiCall()) == num("5.00"));
    CHECK(usage.cost(EventType::voiceMinute()) == num("0.31"));
    CHECK(usage.cost(EventType::aiQuery()) == num("2.50"));
    CHECK(usage.cost(EventType::storageMb()) == num("0.50"));
    CHECK(usage.bill.total.toString() == "8.31");
    CHECK(usage.events(EventType::voiceMinute()) == 31);
    CHECK(date::format("%F", usage.period.days.first) == "2024-03-01");

    const auto trends = setup.recorder->getUsageTrends(setup.business.id, 30);
    const std::string json = to_json(BillingAnalytics{usage, trends});
    const auto parsed = nlohmann::json::parse(json);
    CHECK(parsed["success"] == true);
    const auto& billing = parsed["data"]["billingUsage"];
    CHECK(billing["apiCalls"] == 1500);
    CHECK(json.find("\"minutesUsed\":75.5,") != std::string::npos);
    CHECK(json.find("\"cost\":8.31,") != std::string::npos);
    CHECK(json.find("\"apiCalls\":{\"count\":1500,\"cost\":5.00}") != std::string::npos);
    CHECK(json.find("\"voiceMinutes\":{\"count\":75.5,\"cost\":0.31}") != std::string::npos);
    CHECK(json.find("\"aiQueries\":{\"count\":150,\"cost\":2.50}") != std::string::npos);
    CHECK(json.find("\"storage\":{\"count\":1500,\"cost\":0.50}") != std::string::npos);
    CHECK(parsed["data"]["trends"].size() == 30);
    CHECK(parsed["data"]["trends"].back()["date"] == "2024-03-20");
    CHECK(json.find("{\"date\":\"2024-03-20\",\"apiCalls\":1500,\"voiceMinutes\":75.5,\"aiQueries\":150,"
                    "\"storageMb\":1500,\"cost\":8.31}") != std::string::npos);
}

TEST_CASE("an idempotency key makes a retried request count once", "[recorder]") {
    RecorderTestSetup setup;
    const auto first = setup.recorder->recordApiCall(setup.business.id, {}, {.idempotency_key = "req-42"});
    const auto retry = setup.recorder->recordApiCall(setup.business.id, {}, {.idempotency_key = "req-42"});
    CHECK(first.outcome == RecordOutcome::stored);
    CHECK(retry.outcome == RecordOutcome::duplicate);
    CHECK(first.id == retry.id);
    CHECK(setup.recorder->getBillingUsage(setup.business.id).quantity(EventType::apiCall()) == num("1"));
    setup.recorder->recordApiCall(setup.business.id, {}, {.idempotency_key = "req-43"});
    CHECK(setup.recorder->getBillingUsage(setup.business.id).quantity(EventType::apiCall()) == num("2"));
}

TEST_CASE("an idempotency key reused for other usage is a conflict, never a silent drop", "[recorder]") {
    RecorderTestSetup setup;
    auto& r = *setup.recorder;
    const auto id = setup.business.id;
    r.recordApiCall(id, {}, {.idempotency_key = "req-7"});
    CHECK_THROWS_AS(r.recordAiQuery(id, {}, {.idempotency_key = "req-7"}), IdempotencyConflictError);
    CHECK_THROWS_AS(r.record(id, EventType::apiCall(), num("2"), {}, {.idempotency_key = "req-7"}),
                    IdempotencyConflictError);
    CHECK(r.recordApiCall(id, {.intent = "retry"}, {.idempotency_key = "req-7"}).outcome == RecordOutcome::duplicate);
    // The key is scoped to the business: another business may use it for anything.
    const auto other = account("Other");
    setup.store->saveAccount(other);
    CHECK(r.recordAiQuery(other.id, {}, {.idempotency_key = "req-7"}).outcome == RecordOutcome::stored);
    const auto usage = r.getBillingUsage(id);
    CHECK(usage.quantity(EventType::apiCall()) == num("1"));
    CHECK(usage.quantity(EventType::aiQuery()) == num("0"));
}

TEST_CASE("bad input is refused with the field named and nothing recorded", "[recorder]") {
    RecorderTestSetup setup;
    auto& r = *setup.recorder;
    const auto id = setup.business.id;
    auto field = [](auto&& call) -> std::string {
        try {
            call();
        } catch (const ValidationError& e) {
            return e.field();
        }
        return "(accepted)";
    };
    CHECK(field([&] { r.recordVoiceMinutes(id, num("-1")); }) == "quantity");
    CHECK(field([&] { r.recordVoiceMinutes(id, Decimal::parse("NaN", "quantity")); }) == "quantity");
    CHECK(field([&] { r.recordVoiceMinutes(id, num("0.0000000001")); }) == "quantity");
    CHECK(field([&] { r.record(id, EventType("sms"), num("1")); }) == "event_type");
    CHECK(field([&] { r.recordApiCall(id, {.intent = "\xff"}); }) == "metadata.intent");
    CHECK(field([&] { r.recordApiCall(BusinessId(), {}); }) == "business_id");
    CHECK(field([&] {
              r.record(id, EventType::apiCall(), num("1"), Metadata().set("blob", std::string(9000, 'x')));
          }) == "metadata");
    CHECK(field([&] { r.recordApiCall(id, {}, {.idempotency_key = std::string(300, 'k')}); }) == "idempotency_key");
    // Quantities are bounded so that no accepted event can make a total unrepresentable.
    CHECK(field([&] { r.recordVoiceMinutes(id, num("4.9e37")); }) == "quantity");
    CHECK(field([&] { r.recordVoiceMinutes(id, num("12345678901234567890123456789012345678")); }) == "quantity");
    CHECK(field([&] { r.recordStorage(id, num("1000000000000.000000001")); }) == "quantity");
    CHECK(field([&] { r.record(id, EventType::voiceMinute(), num("1000000000000")); }) == "(accepted)");
    // occurred_at is bounded: every store keeps four-digit-year days.
    const auto when = [&](date::sys_days day) { return RecordOptions{.occurred_at = Timestamp(day)}; };
    CHECK(field([&] { r.recordApiCall(id, {}, when(1_y / 1 / 1)); }) == "occurred_at");
    CHECK(field([&] { r.recordApiCall(id, {}, when(20000_y / 1 / 1)); }) == "occurred_at");
    CHECK(field([&] { r.recordApiCall(id, {}, when(1999_y / 12 / 31)); }) == "occurred_at");
    CHECK(field([&] { r.recordApiCall(id, {}, when(2200_y / 1 / 1)); }) == "occurred_at");
    // U+0000 is valid UTF-8 but no PostgreSQL text keeps it: refused everywhere, up front.
    using namespace std::string_view_literals;
    CHECK(field([&] { r.recordApiCall(id, {.model = "gpt\0-4o"sv}); }) == "metadata.model");
    CHECK(field([&] { Metadata().set("k", "a\0b"sv); }) == "metadata.k");
    CHECK(field([&] { Metadata().set("k\0"sv, "v"); }) == "metadata");
    CHECK(field([&] { Metadata().setJson("k", R"({"a":["\u0000"]})"); }) == "metadata.k");
    CHECK(field([&] { Metadata::fromJson(R"({"k":{"x":"\u0000"}})"); }) == "metadata.k");
    CHECK(field([&] { Metadata::fromJson(R"({"k":"a\\u0000"})"); }) == "(accepted)");  // a backslash, then "u0000"
    CHECK(setup.store->events(id).size() == 1);                                        // the 10^12 minutes
    // An unknown business is the store's to refuse.
    CHECK_THROWS_AS(r.recordApiCall(BusinessId(Uuid::generateV7())), RejectedError);
    CHECK_THROWS_AS(r.getBillingUsage(BusinessId(Uuid::generateV7())), NotFoundError);
}

TEST_CASE("recorded events carry the seed's metadata and list prices", "[recorder]") {
    RecorderTestSetup setup;
    const auto receipt = setup.recorder->recordApiCall(setup.business.id, {.operation = "chat_completion",
                                                                           .model = "gpt-4o-mini",
                                                                           .tokens = 412,
                                                                           .intent = "order",
                                                                           .session_id = "s-1"});
    setup.recorder->recordVoiceMinutes(setup.business.id, num("0.7"),
                                       {.operation = "voice_to_text", .audio_size = 48000, .transcription_length = 80});
    const auto events = setup.store->events(setup.business.id);
    REQUIRE(events.size() == 2);
    CHECK(events[0].id == receipt.id);
    CHECK(events[0].id.uuid().version() == 7);
    CHECK(events[0].metadata.toJson() ==
          R"({"operation":"chat_completion","model":"gpt-4o-mini","tokens":412,"intent":"order","sessionId":"s-1"})");
    CHECK(events[0].unit_price == num("0.01"));
    CHECK(events[1].list_cost == num("0.014"));  // 0.7 minutes at 2¢: not representable in the seed's integer cents
    CHECK(events[1].metadata.toJson() == R"({"operation":"voice_to_text","audioSize":48000,"transcriptionLength":80})");
    CHECK(events[1].occurred_at == *setup.clock.now);
}

TEST_CASE("a typed call's metadata is stored whole at any size up to the limit, and past it refused with its size",
          "[recorder]") {
    const auto store = std::make_shared<MemoryStore>();
    const Account business = account("Acme Pizza");
    store->saveAccount(business);
    const RecordMode mode = GENERATE(RecordMode::sync, RecordMode::async);
    UsageRecorder recorder(store, {.max_metadata_bytes = 3000, .mode = mode});
    const auto error = [&](const std::string& session) {
        try {
            recorder.recordApiCall(business.id, {.operation = std::string(300, 'o'), .session_id = session});
        } catch (const ValidationError& e) {
            return e.field() + ": " + e.what();
        }
        return std::string("(accepted)");
    };
    // Past the 512 bytes a call keeps on its stack: all of it on the heap, in order.
    const std::string under(3000 - (6 + 9 + 300) - (6 + 6 + 1) - (6 + 9), 's');  // exactly the limit
    const std::string over = under + "s";
    CHECK(error(under) == "(accepted)");
    CHECK(error(over).find("metadata: 3001 bytes exceed the limit of 3000") != std::string::npos);
    // Far past it: only counted, never copied.
    CHECK(error(std::string(1u << 20, 'x')).find("metadata: 1048919 bytes") != std::string::npos);
    REQUIRE(recorder.flush(std::chrono::seconds(10)));
    const auto events = store->events(business.id);
    REQUIRE(events.size() == 1);
    CHECK(events[0].metadata.toJson() ==
          R"({"operation":")" + std::string(300, 'o') + R"(","tokens":0,"sessionId":")" + under + "\"}");
}

TEST_CASE("trends have a point per local day, zeros included, summing to the cycle's bill", "[recorder]") {
    RecorderTestSetup setup(at(2024_y / 3 / 20, hours(16)));
    auto& r = *setup.recorder;
    const auto id = setup.business.id;
    // February: 1200 calls on Feb 27th (200 over the allowance: $2.00).
    for (int i = 0; i < 1200; ++i) r.recordApiCall(id, {}, {.occurred_at = at(2024_y / 2 / 27, hours(15))});
    // March: 900 calls on the 2nd, 300 on the 18th, 61 voice minutes on the 19th.
    for (int i = 0; i < 900; ++i) r.recordApiCall(id, {}, {.occurred_at = at(2024_y / 3 / 2, hours(15))});
    for (int i = 0; i < 300; ++i) r.recordApiCall(id, {}, {.occurred_at = at(2024_y / 3 / 18, hours(15))});
    r.recordVoiceMinutes(id, num("61"), {}, {.occurred_at = at(2024_y / 3 / 19, hours(15))});

    const auto trends = r.getUsageTrends(id, 30);
    REQUIRE(trends.size() == 30);
    CHECK(trends.front().date == 2024_y / 2 / 20);
    CHECK(trends.back().date == 2024_y / 3 / 20);
    Decimal february, march;
    for (const auto& point : trends) {
        (date::year_month(point.date.year(), point.date.month()) == 2024_y / 2 ? february : march) += point.cost;
        if (point.date == 2024_y / 2 / 27) {
            CHECK(point.quantity(EventType::apiCall()) == num("1200"));
            CHECK(point.cost == num("2.00"));
        } else if (point.date == 2024_y / 3 / 2) {
            CHECK(point.cost == num("0"));  // inside the allowance
        } else if (point.date == 2024_y / 3 / 18) {
            CHECK(point.cost == num("2.00"));  // 1200 so far: 200 over
        } else if (point.date == 2024_y / 3 / 19) {
            CHECK(point.cost == num("0.02"));
        } else {
            CHECK(point.cost == num("0"));
            CHECK(point.quantity(EventType::apiCall()) == num("0"));
        }
    }
    CHECK(february == r.getBillingUsage(id, PeriodSpec::previousMonth()).bill.total);
    CHECK(march == r.getBillingUsage(id).bill.total);
    CHECK_THROWS_AS(r.getUsageTrends(id, 0), ValidationError);
    CHECK_THROWS_AS(r.getUsageTrends(id, 367), ValidationError);
}

TEST_CASE("quotas: soft quotas bill overage, hard quotas gate", "[recorder]") {
    RecorderTestSetup setup;
    auto& r = *setup.recorder;
    for (int i = 0; i < 1000; ++i) r.recordApiCall(setup.business.id);
    auto soft = r.checkQuota(setup.business.id, EventType::apiCall());
    CHECK(soft.used == num("1000"));
    CHECK(soft.limit == num("1000"));
    CHECK(soft.remaining == num("0"));
    CHECK_FALSE(soft.exceeded);  // soft: reached, not yet above
    CHECK(soft.allows(num("5")));
    r.recordApiCall(setup.business.id);
    CHECK(r.checkQuota(setup.business.id, EventType::apiCall()).exceeded);

    // A plan with a hard quota on voice minutes.
    Plan capped = Plan::basic();
    capped.id = "capped";
    capped.meter(EventType::voiceMinute())->quota = Quota{num("10"), true};
    PriceBook book({Plan::basic(), capped});
    auto business = account("Capped", "UTC", "capped");
    setup.store->saveAccount(business);
    UsageRecorder gated(setup.store, {.price_book = book, .clock = setup.clock});
    gated.recordVoiceMinutes(business.id, num("9.5"));
    auto hard = gated.checkQuota(business.id, EventType::voiceMinute());
    CHECK_FALSE(hard.exceeded);
    CHECK(hard.allows(num("0.5")));
    CHECK_FALSE(hard.allows(num("0.6")));
    gated.recordVoiceMinutes(business.id, num("0.5"));
    hard = gated.checkQuota(business.id, EventType::voiceMinute());
    CHECK(hard.exceeded);
    CHECK(hard.remaining == num("0"));
    const auto none = gated.checkQuota(business.id, EventType::apiCall());
    CHECK(none.used == num("0"));

    // A counting meter's quota counts events: 3 calls of 9 minutes each, a hard quota of 3 calls.
    Plan calls = Plan::basic();
    calls.id = "calls";
    Meter& voice = *calls.meter(EventType::voiceMinute());
    voice.aggregation = Aggregation::count;
    voice.included = num("1");
    voice.quota = Quota{num("3"), true};
    auto caller = account("Caller", "UTC", "calls");
    setup.store->saveAccount(caller);
    UsageRecorder counted(setup.store, {.price_book = PriceBook({Plan::basic(), calls}), .clock = setup.clock});
    for (int i = 0; i < 2; ++i) counted.recordVoiceMinutes(caller.id, num("9"));
    auto status = counted.checkQuota(caller.id, EventType::voiceMinute());
    CHECK(status.used == num("2"));
    CHECK(status.allows(num("1")));
    CHECK_FALSE(status.exceeded);
    counted.recordVoiceMinutes(caller.id, num("9"));
    status = counted.checkQuota(caller.id, EventType::voiceMinute());
    CHECK(status.used == num("3"));
    CHECK(status.exceeded);
    // Billed by count too: 3 calls, 1 included, 2 at $0.02 (not 27 minutes' worth).
    CHECK(counted.reports().getBillingUsage(caller.id).cost(EventType::voiceMinute()) == num("0.04"));
}

TEST_CASE("custom event types are recorded and billed when the price book prices them", "[recorder]") {
    auto store = std::make_shared<MemoryStore>();
    const auto biz = account("Texts");
    store->saveAccount(biz);
    const auto book = PriceBook::fromJson(R"({"plans": [{"id": "basic", "meters": {
        "api_call": {"included": 1000, "unit_price": 0.01},
        "sms_segment": {"unit": "segment", "included": 10, "unit_price": 0.0075}}}]})");
    UsageRecorder recorder(store, {.price_book = book});
    recorder.record(biz.id, EventType("sms_segment"), num("14"), Metadata().set("to", "+15550100"));
    const auto usage = recorder.getBillingUsage(biz.id);
    CHECK(usage.cost(EventType("sms_segment")) == num("0.03"));  // 4 × 0.0075 = 0.03
    CHECK(to_json(usage).find("\"sms_segment\":{\"count\":14,\"cost\":0.03}") != std::string::npos);
}

TEST_CASE("quota and trend JSON are exact and complete", "[recorder]") {
    RecorderTestSetup setup(at(2024_y / 3 / 20, hours(16)));
    for (int i = 0; i < 1003; ++i) setup.recorder->recordApiCall(setup.business.id);
    const auto quota = to_json(setup.recorder->checkQuota(setup.business.id, EventType::apiCall()));
    CHECK(quota ==
          R"({"type":"api_call","used":1003,"included":1000,"limit":1000,"hard":false,"remaining":0,)"
          R"("exceeded":true,"period":{"from":"2024-03-01","to":"2024-04-01","timeZone":"America/New_York"}})");
    const auto trends = setup.recorder->getUsageTrends(setup.business.id, 2);
    CHECK(to_json(trends) ==
          R"([{"date":"2024-03-19","apiCalls":0,"voiceMinutes":0,"aiQueries":0,"storageMb":0,"cost":0.00},)"
          R"({"date":"2024-03-20","apiCalls":1003,"voiceMinutes":0,"aiQueries":0,"storageMb":0,"cost":0.03}])");
}

TEST_CASE("budget and budget status JSON are exact and complete", "[recorder][budgets]") {
    Budget month;
    month.id = "month";
    month.business = BusinessId::parse("6f1c2a4e-8d3b-4f5a-9c7e-1b2d3e4f5a6b");
    month.amount = num("10.00");
    CHECK(to_json(month) == R"({"id":"month","businessId":"6f1c2a4e-8d3b-4f5a-9c7e-1b2d3e4f5a6b","model":null,)"
                            R"("amount":10,"thresholdsPercent":[50,80,100],"kind":"soft"})");

    const DayRange december{date::local_days(2024_y / 12 / 1), date::local_days(2025_y / 1 / 1)};
    // 6 of 10 spent on Dec 5: 60 %, the 50 % threshold crossed, 6 / 5 days × 31 days = 37.20.
    const auto soft = budgetStatusOf(month, num("6"), december, date::local_days(2024_y / 12 / 5), 2);
    CHECK(to_json(soft) == R"({"budget":)" + to_json(month) +
                               R"(,"cycle":{"from":"2024-12-01","to":"2025-01-01"},"spent":6,"remaining":4,)"
                               R"("percent":60,"crossedThresholds":[50],"forecast":37.20,"exceeded":false})");

    // A hard model budget overshot by a rate-card cost with more digits than cents, on the
    // cycle's last day: 2.6125 / 2.5 = 104.5 %, nothing remaining, 2.6125 → 2.61 forecast.
    Budget cap = month;
    cap.id = "gpt.4o-cap";
    cap.model = "openai/gpt-4o";
    cap.amount = num("2.5");
    cap.thresholds_percent = {25, 100};
    cap.kind = BudgetKind::hard;
    const auto hard = budgetStatusOf(cap, num("2.6125"), december, date::local_days(2024_y / 12 / 31), 2);
    const std::string hard_json = to_json(hard);
    CHECK(hard_json == R"({"budget":{"id":"gpt.4o-cap","businessId":"6f1c2a4e-8d3b-4f5a-9c7e-1b2d3e4f5a6b",)"
                       R"("model":"openai/gpt-4o","amount":2.5,"thresholdsPercent":[25,100],"kind":"hard"},)"
                       R"("cycle":{"from":"2024-12-01","to":"2025-01-01"},"spent":2.6125,"remaining":0,)"
                       R"("percent":104.5,"crossedThresholds":[25,100],"forecast":2.61,"exceeded":true})");

    const std::vector<BudgetStatus> both{soft, hard};
    CHECK(to_json(both) == "[" + to_json(soft) + "," + hard_json + "]");
    CHECK(to_json(std::vector<BudgetStatus>{}) == "[]");
    // A model of markup is a JSON string like any other (the page shows it as text).
    cap.model = R"(evil/<script>alert("1")</script>)";
    CHECK(nlohmann::json::parse(to_json(cap))["model"] == R"(evil/<script>alert("1")</script>)");
    CHECK(nlohmann::json::parse(to_json(month, 2))["thresholdsPercent"] == nlohmann::json::array({50, 80, 100}));
    // Bytes that are not UTF-8 (the model is not checked for it) cannot make the JSON throw.
    cap.model = "evil/\xff\xc3(";
    CHECK(nlohmann::json::parse(to_json(cap))["model"] == "evil/\xef\xbf\xbd\xef\xbf\xbd(");
    const auto bad = budgetStatusOf(cap, num("1"), december, date::local_days(2024_y / 12 / 2), 2);
    CHECK_NOTHROW(nlohmann::json::parse(to_json(bad)));
}

// ---- Billing cycles: the card, the trends and the invoices agree for every anchor day ----

namespace {

// A business on the basic plan with a billing anchor day, and a fixed clock.
struct Anchored {
    std::shared_ptr<MemoryStore> store = std::make_shared<MemoryStore>();
    FixedClock clock;
    Account business;
    std::unique_ptr<UsageRecorder> recorder;

    Anchored(int anchor_day, Timestamp now, std::string zone = "UTC")
        : business(account("Anchored", std::move(zone), "basic", anchor_day)) {
        *clock.now = now;
        store->saveAccount(business);
        recorder = std::make_unique<UsageRecorder>(store, RecorderOptions{.clock = clock});
    }

    // `quantity` API calls (one event) at noon, local time, on `day`.
    void calls(date::year_month_day day, const char* quantity) {
        auto e = event(business.id, EventType::apiCall(), quantity,
                       startOfDay(date::local_days(day), business.time_zone) + hours(12));
        store->append(std::span<const UsageEvent>(&e, 1));
    }

    // The invoice of a whole cycle, priced directly from the store's totals.
    Decimal invoice(const DayRange& cycle) const {
        return PricingCalculator(Plan::basic()).bill(store->totals(business.id, cycle)).total;
    }

    // The sum of the trend costs of the days in `range` (trends over `window` days).
    Decimal trendCost(const DayRange& range, int window = 120) const {
        Decimal sum;
        for (const auto& point : recorder->getUsageTrends(business.id, window)) {
            if (range.contains(date::local_days(point.date))) sum += point.cost;
        }
        return sum;
    }
};

DayRange days(date::year_month_day from, date::year_month_day to) {
    return {date::local_days(from), date::local_days(to)};
}

}  // namespace

TEST_CASE("current_month is the business's billing cycle: the card prices its cycle, not the calendar month",
          "[recorder][cycle]") {
    // The hardening issue's case: anchor day 15, 1500 calls on Mar 10, 100 on Mar 16.
    Anchored a(15, at(2024_y / 3 / 20, hours(12)));
    a.calls(2024_y / 3 / 10, "1500");
    a.calls(2024_y / 3 / 16, "100");
    auto& r = *a.recorder;

    const auto card = r.getBillingUsage(a.business.id, PeriodSpec::currentMonth());
    CHECK(card.period.days == days(2024_y / 3 / 15, 2024_y / 4 / 15));
    CHECK(card.quantity(EventType::apiCall()) == num("100"));
    CHECK(card.bill.total.toString() == "0.00");  // the Mar 15 cycle's own allowance covers it
    CHECK(card.bill.total == a.invoice(card.period.days));
    CHECK(card.bill.total == a.trendCost(card.period.days));

    const auto previous = r.getBillingUsage(a.business.id, PeriodSpec::previousMonth());
    CHECK(previous.period.days == days(2024_y / 2 / 15, 2024_y / 3 / 15));
    CHECK(previous.bill.total.toString() == "5.00");
    CHECK(previous.bill.total == a.invoice(previous.period.days));
    CHECK(previous.bill.total == a.trendCost(previous.period.days));

    // The analytics JSON (card and trends of one response) agrees with itself.
    const auto json =
        nlohmann::json::parse(to_json(r.reports().getBillingAnalytics(a.business.id, PeriodSpec::currentMonth(), 30)));
    CHECK(json["data"]["billingUsage"]["cost"].dump() == "0.0");
    CHECK(json["data"]["billingUsage"]["period"]["from"] == "2024-03-15");
    CHECK(json["data"]["billingUsage"]["period"]["to"] == "2024-04-15");
}

TEST_CASE("a calendar month or custom range spanning two cycles gets each cycle's allowance once",
          "[recorder][cycle]") {
    Anchored a(15, at(2024_y / 3 / 20, hours(12)));
    a.calls(2024_y / 3 / 10, "1500");
    a.calls(2024_y / 3 / 16, "100");
    auto& r = *a.recorder;

    // March 1–31 covers the end of the Feb 15 cycle (1500 calls: 500 over) and the start of
    // the Mar 15 cycle (100 calls, inside its allowance): $5.00, never $6.00.
    const auto march = r.getBillingUsage(a.business.id, PeriodSpec::calendarMonth());
    CHECK(march.period.days == days(2024_y / 3 / 1, 2024_y / 4 / 1));
    CHECK(march.quantity(EventType::apiCall()) == num("1600"));
    CHECK(march.bill.total.toString() == "5.00");
    const LineItem* calls = march.bill.line(EventType::apiCall());
    REQUIRE(calls != nullptr);
    CHECK(calls->quantity == num("1600"));
    CHECK(calls->included == num("1100"));  // 1000 of the first cycle's allowance, 100 of the second's
    CHECK(calls->billable == num("500"));
    CHECK(march.bill.total == a.trendCost(march.period.days));

    // A range that starts after the allowance is used up is charged in full: the allowance
    // belongs to the cycle's earliest usage, not to every range.
    a.calls(2024_y / 3 / 17, "950");  // Mar 15 cycle: 1050 so far, 50 over
    const auto late = r.getBillingUsage(a.business.id, PeriodSpec::parse("2024-03-17..2024-03-18"));
    CHECK(late.bill.total.toString() == "0.50");
    CHECK(late.bill.line(EventType::apiCall())->included == num("900"));
    const auto early = r.getBillingUsage(a.business.id, PeriodSpec::parse("2024-03-15..2024-03-17"));
    CHECK(early.bill.total.toString() == "0.00");
    CHECK(early.bill.total + late.bill.total == r.getBillingUsage(a.business.id).bill.total);
    CHECK(PeriodSpec::parse("calendar_month").kind() == PeriodSpec::Kind::calendar_month);
}

TEST_CASE("card == sum of the cycle's trend costs == the cycle's invoice, anchor days 1, 15 and 31 at month boundaries",
          "[recorder][cycle]") {
    for (const int anchor : {1, 15, 31}) {
        for (const char* zone : {"UTC", "America/New_York"}) {
            // Usage on the days around every month boundary and anchor day of a quarter.
            std::vector<date::year_month_day> usage_days;
            for (auto ym : {2024_y / 1, 2024_y / 2, 2024_y / 3, 2024_y / 4}) {
                for (unsigned d : {1u, 2u, 14u, 15u, 16u, 28u, 29u, 30u, 31u}) {
                    if (date::year_month_day(ym / d).ok()) usage_days.push_back(ym / d);
                }
            }
            // "Now": the last hours of a cycle and the first hours of the next, at month ends.
            for (auto now_day : {2024_y / 2 / 29, 2024_y / 3 / 1, 2024_y / 3 / 14, 2024_y / 3 / 15, 2024_y / 3 / 31,
                                 2024_y / 4 / 1, 2024_y / 4 / 30}) {
                for (auto local_hour : {hours(0) + std::chrono::minutes(30), hours(23) + std::chrono::minutes(30)}) {
                    const auto now = startOfDay(date::local_days(now_day), zone) + local_hour;
                    Anchored a(anchor, now, zone);
                    for (const auto& day : usage_days) {
                        if (date::local_days(day) <= date::local_days(now_day)) a.calls(day, "700");
                    }
                    INFO("anchor " << anchor << ", " << zone << ", now " << date::format("%F", now_day));
                    const auto cycle = BillingPeriod::cycleContaining(date::local_days(now_day), anchor);
                    const auto card = a.recorder->getBillingUsage(a.business.id);
                    CHECK(card.period.days == cycle);
                    CHECK(card.bill.total == a.invoice(cycle));
                    CHECK(card.bill.total == a.trendCost(cycle));
                    const auto previous = a.recorder->getBillingUsage(a.business.id, PeriodSpec::previousMonth());
                    CHECK(previous.period.days.end == cycle.first);
                    CHECK(previous.bill.total == a.invoice(previous.period.days));
                    CHECK(previous.bill.total == a.trendCost(previous.period.days));
                    // The calendar month: the parts of its cycles it covers.
                    const auto month = a.recorder->getBillingUsage(a.business.id, PeriodSpec::calendarMonth());
                    CHECK(month.bill.total == a.trendCost(month.period.days));
                    if (anchor == 1) CHECK(month.bill.lines == card.bill.lines);
                }
            }
        }
    }
}

TEST_CASE("any range's bill is the sum of its days' trend costs; whole cycles are their invoices",
          "[recorder][cycle][properties]") {
    rc::prop("card, trends and invoices agree for random anchors, usage and ranges", [] {
        const int anchor = *rc::gen::inRange(1, 32);
        const auto today = date::local_days(2024_y / 1 / 1) + date::days(*rc::gen::inRange(60, 400));
        Anchored a(anchor, startOfDay(today, "UTC") + hours(*rc::gen::inRange(0, 24)));
        const int count = *rc::gen::inRange(0, 12);
        for (int i = 0; i < count; ++i) {
            const auto day = today - date::days(*rc::gen::inRange(0, 100));
            const auto quantity = std::to_string(*rc::gen::inRange(1, 1500));
            a.calls(date::year_month_day(day), quantity.c_str());
        }
        const auto card = a.recorder->getBillingUsage(a.business.id);
        RC_ASSERT(card.period.days == BillingPeriod::cycleContaining(today, anchor));
        RC_ASSERT(card.bill.total == a.invoice(card.period.days));
        RC_ASSERT(card.bill.total == a.trendCost(card.period.days));
        const auto from = today - date::days(*rc::gen::inRange(0, 100));
        const auto to = from + date::days(*rc::gen::inRange(1, 60));
        const auto custom = a.recorder->getBillingUsage(
            a.business.id, PeriodSpec::custom(date::year_month_day(from), date::year_month_day(to)));
        RC_ASSERT(custom.bill.total == a.trendCost(DayRange{from, std::min(to, today + date::days(1))}));
        Decimal lines;
        for (const auto& line : custom.bill.lines) lines += line.amount;
        RC_ASSERT(lines == custom.bill.total);
    });
}

TEST_CASE("a record call older than the late-event window is refused, in either mode", "[recorder][late]") {
    for (const RecordMode mode : {RecordMode::sync, RecordMode::async}) {
        RecorderSetup setup(RecorderOptions{.mode = mode});  // the clock: 2024-12-05 12:00 UTC
        UsageRecorder& r = setup.recorder;
        const BusinessId& id = setup.business.id;
        const Timestamp oldest = *setup.clock.now - std::chrono::days(35);  // 2024-10-31 12:00
        CHECK(r.recordApiCall(id, {}, {.occurred_at = oldest}).outcome != RecordOutcome::duplicate);
        const Timestamp too_old = oldest - std::chrono::microseconds(1);
        CHECK(errorField([&] { r.recordApiCall(id, {}, {.occurred_at = too_old}); }) == "occurred_at");
        CHECK(errorField([&] { r.record(id, EventType::voiceMinute(), num("1"), {}, {.occurred_at = too_old}); }) ==
              "occurred_at");
        LlmUsage usage;
        usage.provider = "openai";
        usage.model = "gpt-4o";
        usage.input_tokens = 100;
        CHECK(errorField([&] { r.recordLlmCall(id, usage, {.occurred_at = too_old}); }) == "occurred_at");
        // Refused for its time before it is priced: a model the card lacks is not what it is told.
        LlmUsage unknown = usage;
        unknown.model = "no-such-model";
        CHECK(errorField([&] { r.recordLlmCall(id, unknown, {.occurred_at = too_old}); }) == "occurred_at");
        CHECK(errorField([&] { r.recordLlmCall(id, unknown, {.occurred_at = oldest}); }) != "occurred_at");
        CHECK(r.recordLlmCall(id, usage, {.occurred_at = oldest}).outcome != RecordOutcome::duplicate);
        // The future and the present are not late.
        r.recordApiCall(id, {}, {.occurred_at = *setup.clock.now + std::chrono::days(1)});
        REQUIRE(r.flush());
        CHECK(r.stats().recorded == 3);  // the refused calls recorded nothing
        CHECK(setup.store->totals(id, {date::local_days(2024_y / 10 / 1), date::local_days(2024_y / 12 / 7)}).size() ==
              2);
    }
}

TEST_CASE("the late-event window is configurable, or off", "[recorder][late]") {
    RecorderSetup narrow(RecorderOptions{.late_event_window = std::chrono::days(1)});
    const Timestamp now = *narrow.clock.now;
    CHECK(errorField([&] {
              narrow.recorder.recordApiCall(narrow.business.id, {}, {.occurred_at = now - std::chrono::hours(25)});
          }) == "occurred_at");
    narrow.recorder.recordApiCall(narrow.business.id, {}, {.occurred_at = now - std::chrono::hours(23)});

    RecorderSetup off(RecorderOptions{.late_event_window = std::nullopt});
    off.recorder.recordApiCall(off.business.id, {}, {.occurred_at = at(2020_y / 1 / 1)});
    CHECK(off.store->totals(off.business.id, {date::local_days(2020_y / 1 / 1), date::local_days(2020_y / 1 / 2)})
              .size() == 1);

    CHECK(errorField([&] {
              static_cast<void>(RecorderSetup(RecorderOptions{.late_event_window = std::chrono::days(-1)}));
          }) == "late_event_window");
}

TEST_CASE("a backfill records usage older than the late-event window, in either mode, with its reason",
          "[recorder][late][backfill]") {
    for (const RecordMode mode : {RecordMode::sync, RecordMode::async}) {
        INFO((mode == RecordMode::sync ? "sync" : "async"));
        RecorderSetup setup(RecorderOptions{.mode = mode});  // the clock: 2024-12-05 12:00 UTC
        UsageRecorder& r = setup.recorder;
        const BusinessId& id = setup.business.id;
        const Timestamp old = *setup.clock.now - std::chrono::days(40);  // 2024-10-26 12:00
        const DayRange october{date::local_days(2024_y / 10 / 1), date::local_days(2024_y / 11 / 1)};
        CHECK(errorField([&] { r.recordApiCall(id, {}, {.occurred_at = old}); }) == "occurred_at");

        // Stored before the call returns, in either mode (no flush): stored, never queued.
        const Backfill why{.reason = "meter outage in October", .actor = "ops@acme"};
        const Receipt first = r.recordApiCall(id, {.operation = "chat_completion"},
                                              {.idempotency_key = "outage-1", .occurred_at = old, .backfill = why});
        CHECK(first.outcome == RecordOutcome::stored);
        const auto totals = setup.store->totals(id, october);
        REQUIRE(totals.size() == 1);
        CHECK(totals[0].quantity == num("1"));
        CHECK(totals[0].list_cost == num("0.01"));
        // The same key again: a duplicate, and no second correction.
        const Receipt again =
            r.recordApiCall(id, {}, {.idempotency_key = "outage-1", .occurred_at = old, .backfill = why});
        CHECK(again.outcome == RecordOutcome::duplicate);
        CHECK(again.id == first.id);

        // Every record call takes it.
        CHECK(r.recordVoiceMinutes(id, num("2.5"), {}, {.occurred_at = old, .backfill = why}).outcome ==
              RecordOutcome::stored);
        CHECK(r.recordAiQuery(id, {}, {.occurred_at = old, .backfill = why}).outcome == RecordOutcome::stored);
        CHECK(r.recordStorage(id, num("10"), {}, {.occurred_at = old, .backfill = why}).outcome ==
              RecordOutcome::stored);
        CHECK(r.record(id, EventType::voiceMinute(), num("1"), {}, {.occurred_at = old, .backfill = why}).outcome ==
              RecordOutcome::stored);
        LlmUsage usage;
        usage.provider = "openai";
        usage.model = "gpt-4o";
        usage.input_tokens = 100;
        CHECK(r.recordLlmCall(id, usage, {.occurred_at = old, .backfill = why}).outcome == RecordOutcome::stored);
        CHECK(r.recordTranscription(id, {.provider = "openai", .model = "whisper-1", .seconds = num("60")},
                                    {.occurred_at = old, .backfill = why})
                  .outcome == RecordOutcome::stored);
        CHECK(r.recordSpeech(id, {.provider = "openai", .model = "tts-1", .characters = 1000},
                             {.occurred_at = old, .backfill = why})
                  .outcome == RecordOutcome::stored);

        // Reason and actor are required; every other check still applies.
        CHECK(errorField([&] {
                  r.recordApiCall(id, {}, {.occurred_at = old, .backfill = Backfill{.reason = "", .actor = "ops"}});
              }) == "backfill.reason");
        CHECK(errorField([&] {
                  r.recordApiCall(id, {}, {.occurred_at = old, .backfill = Backfill{.reason = "r", .actor = ""}});
              }) == "backfill.actor");
        CHECK(errorField([&] { r.recordApiCall(id, {}, {.occurred_at = at(1999_y / 12 / 31), .backfill = why}); }) ==
              "occurred_at");
        CHECK(errorField([&] { r.recordStorage(id, num("-1"), {}, {.occurred_at = old, .backfill = why}); }) ==
              "quantity");
        CHECK_THROWS_AS(r.recordApiCall(BusinessId(Uuid::generateV7()), {}, {.occurred_at = old, .backfill = why}),
                        RejectedError);
        CHECK_THROWS_AS(r.recordVoiceMinutes(id, num("3"), {}, {.idempotency_key = "outage-1", .backfill = why}),
                        IdempotencyConflictError);

        // The audit read: one backfill per stored event, with its reason and actor.
        const auto corrections = setup.store->listCorrections(id, october);
        CHECK(corrections.size() == 8);
        for (const Correction& c : corrections) {
            CHECK(c.kind == CorrectionKind::backfill);
            CHECK(c.sequence == 1);
            CHECK(c.reason == "meter outage in October");
            CHECK(c.actor == "ops@acme");
            CHECK(c.day == date::local_days(2024_y / 10 / 26));
        }
        REQUIRE(r.flush());
        CHECK(setup.store->events(id).size() == 8);
    }
}
