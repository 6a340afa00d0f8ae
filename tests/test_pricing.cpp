// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include "metered/errors.h"
#include "metered/pricing.h"
#include "test_support.h"

using namespace metered;
using namespace metered::testing;

namespace {
Plan tieredPlan(PricingModel model) {
    Meter meter;
    meter.type = EventType::aiQuery();
    meter.unit = "query";
    meter.included = num("100");
    meter.model = model;
    meter.unit_price = num("0.05");
    meter.tiers = {Tier{num("1000"), num("0.05"), num("0")}, Tier{num("5000"), num("0.04"), num("10")},
                   Tier{std::nullopt, num("0.03"), num("25")}};
    Plan plan;
    plan.id = "tiered";
    plan.meters = {meter};
    return plan;
}
}  // namespace

TEST_CASE("the seed scenario on the basic plan is $8.31", "[pricing]") {
    const PricingCalculator calculator(Plan::basic());
    const std::vector<UsageTotal> totals = {
        {EventType::apiCall(), num("1500"), 1500, {}},
        {EventType::voiceMinute(), num("75.5"), 30, {}},
        {EventType::aiQuery(), num("150"), 150, {}},
        {EventType::storageMb(), num("1500"), 3, {}},
    };
    const Bill bill = calculator.bill(totals);
    REQUIRE(bill.lines.size() == 4);
    CHECK(bill.line(EventType::apiCall())->amount.toString() == "5.00");
    CHECK(bill.line(EventType::voiceMinute())->amount.toString() == "0.31");
    CHECK(bill.line(EventType::aiQuery())->amount.toString() == "2.50");
    CHECK(bill.line(EventType::storageMb())->amount.toString() == "0.50");
    CHECK(bill.total.toString() == "8.31");
    const LineItem& voice = *bill.line(EventType::voiceMinute());
    CHECK(voice.included == num("60"));
    CHECK(voice.billable == num("15.5"));
    CHECK(voice.exact_amount == num("0.31"));
}

TEST_CASE("usage within the allowance costs nothing", "[pricing]") {
    const PricingCalculator calculator(Plan::basic());
    const LineItem line = calculator.price(EventType::apiCall(), num("150"));
    CHECK(line.amount == Decimal(0));
    CHECK(line.included == num("150"));
    CHECK(line.billable == Decimal(0));
    // The seed's example priced these 150 calls at $1.50 although 1000 are included.
}

TEST_CASE("rounding happens once per line, in the plan's mode", "[pricing]") {
    Plan plan = Plan::basic();
    const PricingCalculator even(plan);
    // 60.25 minutes: 0.25 billable × $0.02 = $0.005 exactly: a tie.
    CHECK(even.price(EventType::voiceMinute(), num("60.25")).exact_amount == num("0.005"));
    CHECK(even.price(EventType::voiceMinute(), num("60.25")).amount.toString() == "0.00");
    CHECK(even.price(EventType::voiceMinute(), num("60.75")).amount.toString() == "0.02");  // 0.015 → 0.02
    plan.rounding = Rounding::half_up;
    const PricingCalculator up(plan);
    CHECK(up.price(EventType::voiceMinute(), num("60.25")).amount.toString() == "0.01");
    // $0.001 per MB and fractional cents are exact before rounding.
    CHECK(even.price(EventType::storageMb(), num("1000.7")).exact_amount == num("0.0007"));
}

TEST_CASE("graduated tiers price each tier's units and flat fees of tiers reached", "[pricing]") {
    const PricingCalculator calculator(tieredPlan(PricingModel::graduated));
    // 6000 queries: 100 free; 900 at 0.05; 4000 at 0.04 + 10; 1000 at 0.03 + 25.
    const LineItem line = calculator.price(EventType::aiQuery(), num("6000"));
    REQUIRE(line.tiers.size() == 3);
    CHECK(line.tiers[0].quantity == num("900"));
    CHECK(line.tiers[1].quantity == num("4000"));
    CHECK(line.tiers[2].quantity == num("1000"));
    CHECK(line.exact_amount == num("45") + num("170") + num("55"));
    CHECK(line.amount.toString() == "270.00");
    // Inside the allowance: no tier is reached, no flat fee.
    CHECK(calculator.price(EventType::aiQuery(), num("100")).amount == Decimal(0));
    CHECK(calculator.price(EventType::aiQuery(), num("100")).tiers.empty());
    // Fractional quantities are continuous across a bound.
    const LineItem split = calculator.price(EventType::aiQuery(), num("1000.5"));
    REQUIRE(split.tiers.size() == 2);
    CHECK(split.tiers[0].quantity == num("900"));
    CHECK(split.tiers[1].quantity == num("0.5"));
    CHECK(split.exact_amount == num("45") + num("0.02") + num("10"));
}

TEST_CASE("volume tiers price every billable unit at the tier the quantity falls in", "[pricing]") {
    const PricingCalculator calculator(tieredPlan(PricingModel::volume));
    const LineItem line = calculator.price(EventType::aiQuery(), num("6000"));
    REQUIRE(line.tiers.size() == 1);
    CHECK(line.tiers[0].tier == 2);
    CHECK(line.exact_amount == num("5900") * num("0.03") + num("25"));
    const LineItem edge = calculator.price(EventType::aiQuery(), num("1000"));  // bound is inclusive
    CHECK(edge.tiers[0].tier == 0);
    CHECK(edge.exact_amount == num("900") * num("0.05"));
    CHECK(calculator.price(EventType::aiQuery(), num("50")).amount == Decimal(0));
}

TEST_CASE("package pricing charges whole packages after the allowance", "[pricing]") {
    Plan plan = Plan::basic();
    Meter& storage = *plan.meter(EventType::storageMb());
    storage.model = PricingModel::package;
    storage.package_size = num("500");
    storage.package_price = num("0.40");
    const PricingCalculator calculator(plan);
    CHECK(calculator.price(EventType::storageMb(), num("1000")).packages == Decimal(0));
    CHECK(calculator.price(EventType::storageMb(), num("1000.001")).packages == Decimal(1));
    CHECK(calculator.price(EventType::storageMb(), num("1500")).packages == Decimal(1));
    CHECK(calculator.price(EventType::storageMb(), num("1501")).amount.toString() == "0.80");
}

TEST_CASE("bad plans and quantities are refused", "[pricing]") {
    Plan plan = Plan::basic();
    plan.meter(EventType::apiCall())->unit_price = num("-0.01");
    try {
        PricingCalculator{plan};
        FAIL("no exception");
    } catch (const ValidationError& e) {
        CHECK(e.field() == "plans.basic.meters.api_call.unit_price");
    }
    Plan tiers = tieredPlan(PricingModel::graduated);
    tiers.meters[0].tiers[1].up_to = num("900");
    CHECK_THROWS_AS(PricingCalculator{tiers}, ValidationError);
    tiers = tieredPlan(PricingModel::graduated);
    tiers.meters[0].tiers.back().up_to = num("9000");
    CHECK_THROWS_AS(PricingCalculator{tiers}, ValidationError);

    const PricingCalculator calculator(Plan::basic());
    CHECK_THROWS_AS(calculator.price(EventType::apiCall(), num("-1")), ValidationError);
    CHECK_THROWS_AS(calculator.price(EventType("sms"), num("1")), ValidationError);
}

TEST_CASE("daily costs sum to the period's bill", "[pricing]") {
    const PricingCalculator calculator(Plan::basic());
    std::vector<std::vector<UsageTotal>> days = {
        {{EventType::apiCall(), num("600"), 600, {}}},
        {{EventType::apiCall(), num("600"), 600, {}}, {EventType::voiceMinute(), num("61.3"), 2, {}}},
        {},
        {{EventType::voiceMinute(), num("0.3"), 1, {}}},
    };
    const auto costs = calculator.dailyCosts(days);
    REQUIRE(costs.size() == 4);
    CHECK(costs[0] == Decimal(0));   // within the allowance
    CHECK(costs[1] == num("2.03"));  // 200 calls over + 1.3 minutes over (0.026 → 0.03)
    CHECK(costs[2] == Decimal(0));
    CHECK(costs[3] == num("0.00"));  // 1.6 minutes over: 0.032 → 0.03, no change
    std::vector<UsageTotal> all;
    for (const auto& day : days) all.insert(all.end(), day.begin(), day.end());
    CHECK(costs[0] + costs[1] + costs[2] + costs[3] == calculator.bill(all).total);
}

// ---- rate-card (AI) usage ---------------------------------------------------------------

namespace {

ModelUsageTotal usage(const char* model, UsagePart part, const char* quantity, const char* cost,
                      EventType type = EventType::llmCall()) {
    return ModelUsageTotal{type, model, part, num(quantity), 1, num(cost)};
}

Plan aiPlan(const char* markup, const char* included) {
    Plan plan = Plan::basic();
    plan.id = "pro";
    plan.ai = AiBilling{};
    plan.ai->markup_percent = num(markup);
    plan.ai->included_amount = num(included);
    return plan;
}

// gpt-4o at $2.50 / $1.25 cached / $10 output per 1M tokens.
const std::vector<ModelUsageTotal> gpt4o_totals = {
    usage("openai/gpt-4o", UsagePart::input, "1000000", "2.5"),
    usage("openai/gpt-4o", UsagePart::cached_input, "100000", "0.125"),
    usage("openai/gpt-4o", UsagePart::output, "200000", "2"),
};

}  // namespace

TEST_CASE("rate-card usage is billed at cost by the basic plan, one line per model rounded once", "[pricing][ai]") {
    const PricingCalculator calculator(Plan::basic());
    const Bill bill = calculator.bill({}, gpt4o_totals);
    REQUIRE(bill.ai_lines.size() == 1);
    const AiLine& line = bill.ai_lines[0];
    CHECK(line.type == EventType::llmCall());
    CHECK(line.model == "openai/gpt-4o");
    CHECK(line.cost == num("4.625"));
    CHECK(line.exact_amount == num("4.625"));
    CHECK(line.amount.toString() == "4.62");  // half-even: 4.625 → 4.62
    REQUIRE(line.parts.size() == 3);          // in UsagePart order
    CHECK(line.parts[0].part == UsagePart::input);
    CHECK(line.parts[1].part == UsagePart::cached_input);
    CHECK(line.parts[1].quantity == num("100000"));
    CHECK(line.parts[1].charge == num("0.125"));
    CHECK(line.parts[2].part == UsagePart::output);
    CHECK_FALSE(bill.ai_credit.has_value());  // nothing included
    CHECK(bill.total.toString() == "4.62");
    CHECK(bill.aiLine(EventType::llmCall(), "openai/gpt-4o") == &bill.ai_lines[0]);
    CHECK(bill.aiLine(EventType::transcription(), "openai/gpt-4o") == nullptr);

    // The seed's meters are untouched: the seed scenario plus the AI line.
    const std::vector<UsageTotal> seed = {
        {EventType::apiCall(), num("1500"), 1500, {}},
        {EventType::voiceMinute(), num("75.5"), 30, {}},
        {EventType::aiQuery(), num("150"), 150, {}},
        {EventType::storageMb(), num("1500"), 3, {}},
    };
    const Bill both = calculator.bill(seed, gpt4o_totals);
    CHECK(both.line(EventType::aiQuery())->amount.toString() == "2.50");
    CHECK(both.line(EventType::apiCall())->amount.toString() == "5.00");
    CHECK(both.total.toString() == "12.93");  // 8.31 + 4.62
    CHECK(calculator.bill(seed).total.toString() == "8.31");
}

TEST_CASE("a markup applies to the rate-card cost, a model's own markup before the plan's", "[pricing][ai]") {
    Plan plan = aiPlan("20", "0");
    ModelPricing claude;
    claude.model = "anthropic/claude-sonnet-4";
    claude.markup_percent = num("10");
    plan.ai->models.push_back(claude);
    const PricingCalculator calculator(plan);
    std::vector<ModelUsageTotal> totals = gpt4o_totals;
    totals.push_back(usage("anthropic/claude-sonnet-4", UsagePart::input, "100000", "0.3"));
    totals.push_back(usage("anthropic/claude-sonnet-4", UsagePart::output, "10000", "0.15"));
    const Bill bill = calculator.bill({}, totals);
    REQUIRE(bill.ai_lines.size() == 2);
    // Ordered by type, then model.
    const AiLine& anthropic = bill.ai_lines[0];
    const AiLine& openai = bill.ai_lines[1];
    CHECK(anthropic.model == "anthropic/claude-sonnet-4");
    CHECK(openai.exact_amount == num("5.55"));  // 4.625 × 1.2
    CHECK(openai.amount.toString() == "5.55");
    CHECK(openai.parts[0].markup_percent == num("20"));
    CHECK(openai.parts[0].charge == num("3"));  // 2.50 × 1.2
    CHECK(anthropic.parts[0].markup_percent == num("10"));
    CHECK(anthropic.parts[0].charge == num("0.33"));
    CHECK(anthropic.parts[1].charge == num("0.165"));
    CHECK(anthropic.exact_amount == num("0.495"));
    CHECK(anthropic.amount.toString() == "0.50");  // half-even: 0.495 → 0.50
    CHECK(bill.total.toString() == "6.05");
}

TEST_CASE("a model's own prices bill its parts per unit, the other parts at the markup", "[pricing][ai]") {
    Plan plan = aiPlan("20", "0");
    ModelPricing claude;
    claude.model = "anthropic/claude-sonnet-4";
    claude.price(UsagePart::input) = num("0.0000035");  // $3.50 per 1M tokens
    claude.price(UsagePart::output) = num("0.000016");  // $16 per 1M tokens
    plan.ai->models.push_back(claude);
    const PricingCalculator calculator(plan);
    const std::vector<ModelUsageTotal> totals = {
        usage("anthropic/claude-sonnet-4", UsagePart::input, "1000000", "3"),
        usage("anthropic/claude-sonnet-4", UsagePart::output, "100000", "1.5"),
        usage("anthropic/claude-sonnet-4", UsagePart::cache_write, "200000", "0.75"),
        usage("anthropic/claude-sonnet-4", UsagePart::requests, "50", "0"),
    };
    const AiLine line = calculator.priceModel(EventType::llmCall(), "anthropic/claude-sonnet-4", totals);
    REQUIRE(line.parts.size() == 4);
    CHECK(line.parts[0].unit_price == num("0.0000035"));
    CHECK(line.parts[0].charge == num("3.5"));
    CHECK(line.parts[1].part == UsagePart::cache_write);
    CHECK_FALSE(line.parts[1].unit_price.has_value());
    CHECK(line.parts[1].charge == num("0.9"));  // 0.75 × 1.2
    CHECK(line.parts[2].part == UsagePart::output);
    CHECK(line.parts[2].charge == num("1.6"));
    CHECK(line.parts[3].charge == Decimal(0));
    CHECK(line.cost == num("5.25"));
    CHECK(line.amount.toString() == "6.00");
    CHECK(calculator.bill({}, totals).total.toString() == "6.00");
    CHECK(plan.ai->charge("anthropic/claude-sonnet-4", UsagePart::input, num("2"), num("0")) == num("0.000007"));
    CHECK(plan.ai->charge("openai/gpt-4o", UsagePart::input, num("2"), num("0.5")) == num("0.6"));
}

TEST_CASE("the included AI amount credits the AI lines up to the allowance", "[pricing][ai]") {
    const std::vector<UsageTotal> calls = {{EventType::apiCall(), num("1500"), 1500, {}}};
    SECTION("partly used: the whole AI usage is free") {
        const PricingCalculator calculator(aiPlan("0", "5.00"));
        const Bill bill = calculator.bill(calls, gpt4o_totals);
        REQUIRE(bill.ai_credit.has_value());
        CHECK(bill.ai_credit->included_amount == num("5"));
        CHECK(bill.ai_credit->amount.toString() == "-4.62");
        CHECK(bill.total.toString() == "5.00");  // the calls only
    }
    SECTION("used up: the AI usage above it is billed") {
        const PricingCalculator calculator(aiPlan("20", "5.00"));
        const Bill bill = calculator.bill(calls, gpt4o_totals);
        CHECK(bill.ai_lines[0].amount.toString() == "5.55");
        CHECK(bill.ai_credit->amount.toString() == "-5.00");
        CHECK(bill.total.toString() == "5.55");  // 5.00 + 5.55 − 5.00
    }
    SECTION("no AI usage: no credit line") {
        const PricingCalculator calculator(aiPlan("20", "5.00"));
        const Bill bill = calculator.bill(calls);
        CHECK(bill.ai_lines.empty());
        CHECK_FALSE(bill.ai_credit.has_value());
        CHECK(bill.total.toString() == "5.00");
    }
}

TEST_CASE("AI usage is rounded once per line, never per part or per bill", "[pricing][ai]") {
    const PricingCalculator calculator(aiPlan("0", "0"));
    const std::vector<ModelUsageTotal> totals = {
        usage("openai/gpt-4o-mini", UsagePart::input, "1000", "0.004"),
        usage("openai/gpt-4o-mini", UsagePart::output, "400", "0.004"),
        usage("openai/whisper-1", UsagePart::audio_seconds, "24", "0.004", EventType::transcription()),
        usage("openai/whisper-1", UsagePart::requests, "1", "0", EventType::transcription()),
    };
    const Bill bill = calculator.bill({}, totals);
    REQUIRE(bill.ai_lines.size() == 2);
    const AiLine* mini = bill.aiLine(EventType::llmCall(), "openai/gpt-4o-mini");
    REQUIRE(mini != nullptr);
    CHECK(mini->parts[0].charge == num("0.004"));  // parts stay exact: rounded each they would be 0.00 + 0.00
    CHECK(mini->amount.toString() == "0.01");      // 0.008 rounded once
    const AiLine* whisper = bill.aiLine(EventType::transcription(), "openai/whisper-1");
    REQUIRE(whisper != nullptr);
    CHECK(whisper->amount.toString() == "0.00");  // its own line: 0.004 → 0.00, not 0.012 → 0.01 for the bill
    CHECK(bill.total.toString() == "0.01");
}

TEST_CASE("a plan without AI billing ignores rate-card usage; bad usage is refused", "[pricing][ai]") {
    Plan plan = Plan::basic();
    plan.ai.reset();
    const PricingCalculator calculator(plan);
    const Bill bill = calculator.bill({}, gpt4o_totals);
    CHECK(bill.ai_lines.empty());
    CHECK(bill.total.toString() == "0.00");
    CHECK_THROWS_AS(calculator.priceModel(EventType::llmCall(), "openai/gpt-4o", gpt4o_totals), ValidationError);

    const PricingCalculator at_cost(Plan::basic());
    CHECK_THROWS_AS(at_cost.priceModel(EventType::apiCall(), "openai/gpt-4o", gpt4o_totals), ValidationError);
    const std::vector<ModelUsageTotal> negative = {usage("openai/gpt-4o", UsagePart::input, "-1", "0")};
    CHECK_THROWS_AS(at_cost.bill({}, negative), ValidationError);
}

TEST_CASE("daily costs and cycle slices with AI usage sum exactly to the cycle's bill", "[pricing][ai]") {
    const PricingCalculator calculator(aiPlan("0", "1.00"));
    const std::vector<std::vector<UsageTotal>> days = {{}, {{EventType::apiCall(), num("1100"), 1100, {}}}, {}, {}};
    const std::vector<std::vector<ModelUsageTotal>> model_days = {
        {usage("openai/gpt-4o", UsagePart::input, "241600", "0.604")},
        {usage("openai/gpt-4o", UsagePart::input, "241600", "0.604")},
        {},
        {usage("openai/whisper-1", UsagePart::audio_seconds, "3330", "0.333", EventType::transcription())},
    };
    const auto costs = calculator.dailyCosts(days, model_days);
    REQUIRE(costs.size() == 4);
    CHECK(costs[0] == Decimal(0));   // 0.60 of AI usage, all included
    CHECK(costs[1] == num("1.21"));  // 100 calls over (1.00); AI 1.208 → 1.21, 1.00 included: 0.21
    CHECK(costs[2] == Decimal(0));
    CHECK(costs[3] == num("0.33"));  // the allowance is used up
    std::vector<UsageTotal> all;
    std::vector<ModelUsageTotal> all_models;
    for (const auto& day : days) all.insert(all.end(), day.begin(), day.end());
    for (const auto& day : model_days) all_models.insert(all_models.end(), day.begin(), day.end());
    const Bill cycle = calculator.bill(all, all_models);
    CHECK(cycle.total.toString() == "1.54");  // 1.00 + 1.21 + 0.33 − 1.00
    CHECK(costs[0] + costs[1] + costs[2] + costs[3] == cycle.total);

    // The cycle's days 2-4 as one slice and day 1 as another sum to the cycle's bill.
    CycleSlice first{{}, days[0], {}, model_days[0]};
    CycleSlice rest{days[0], all, model_days[0], all_models};
    const Bill day1 = calculator.billSlices(std::vector{first});
    const Bill later = calculator.billSlices(std::vector{rest});
    CHECK(day1.total == costs[0]);
    CHECK(later.total == costs[1] + costs[2] + costs[3]);
    REQUIRE(later.ai_lines.size() == 2);
    CHECK(later.aiLine(EventType::llmCall(), "openai/gpt-4o")->amount == num("0.61"));  // 1.21 − 0.60
    CHECK(later.aiLine(EventType::llmCall(), "openai/gpt-4o")->parts[0].quantity == num("241600"));
    CHECK(later.ai_credit->amount == num("-0.40"));  // −1.00 − (−0.60)
    const Bill both = calculator.billSlices(std::vector{first, rest});
    CHECK(both.total == cycle.total);

    CHECK_THROWS_AS(calculator.dailyCosts(days, std::span(model_days).first(2)), ValidationError);
}

TEST_CASE("bad AI billing is refused naming the field", "[pricing][ai]") {
    auto fieldOf = [](const Plan& plan) {
        try {
            PricingCalculator{plan};
        } catch (const ValidationError& e) {
            return e.field();
        }
        return std::string("(accepted)");
    };
    ModelPricing gpt;
    gpt.model = "openai/gpt-4o";
    ModelPricing claude;
    claude.model = "anthropic/claude-sonnet-4";
    Plan plan = aiPlan("20", "5.00");
    plan.ai->models = {gpt, claude};
    CHECK(fieldOf(plan) == "(accepted)");

    Plan bad = plan;
    bad.ai->markup_percent = num("-1");
    CHECK(fieldOf(bad) == "plans.pro.ai.markup_percent");
    bad = plan;
    bad.ai->included_amount = num("-5");
    CHECK(fieldOf(bad) == "plans.pro.ai.included_amount");
    bad = plan;
    bad.ai->included_amount = num("5.001");  // below the cent
    CHECK(fieldOf(bad) == "plans.pro.ai.included_amount");
    bad = plan;
    bad.ai->models[1].price(UsagePart::cached_input) = num("-0.000001");
    CHECK(fieldOf(bad) == "plans.pro.ai.models[1].prices.cached_input");
    bad = plan;
    bad.ai->models[0].markup_percent = num("-10");
    CHECK(fieldOf(bad) == "plans.pro.ai.models[0].markup_percent");
    bad = plan;
    bad.ai->models[1].model = "openai/gpt-4o";
    CHECK(fieldOf(bad) == "plans.pro.ai.models[1].model");
    for (const char* name : {"gpt-4o", "/gpt-4o", "openai/", ""}) {
        bad = plan;
        bad.ai->models[0].model = name;
        CHECK(fieldOf(bad) == "plans.pro.ai.models[0].model");
    }
}
