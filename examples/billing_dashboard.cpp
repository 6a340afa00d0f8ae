// SPDX-License-Identifier: MIT
// billing_dashboard: the seed's Billing Overview, served. An HTTP server on loopback with
//   GET  /                              the dashboard page (card, charges, budgets, AI usage
//                                       by model, cost by end user, 30-day trends)
//   GET  /api/businesses                the businesses to choose from
//   GET  /api/billing/analytics?businessId=&period=&days=   the seed's response shape (with
//                                       aiUsage per model and aiIncluded, see metered/json.h)
//   GET  /api/billing/bill?businessId=&period=   the period's bill in detail (to_json(Bill):
//                                       aiLines with each model's parts, aiCredit)
//   GET  /api/budgets?businessId=       the business's budgets and where each stands in its
//                                       current cycle (to_json(BudgetStatus) each, ordered by id)
//   GET  /api/billing/breakdown?businessId=&period=&dimension=   the period's usage per value
//                                       of a dimension (end_user, the default; feature; model):
//                                       to_json(GroupedBillingUsage), each value's list cost
//   GET  /metrics                       the recorder's counters and store latencies in the
//                                       Prometheus text format (metered::prometheusText)
//   POST /api/usage/api-call            businessId=…            record an API call
//   POST /api/usage/voice-minutes       businessId=…&minutes=…  record voice minutes
//   POST /api/usage/llm-call            businessId=…&model=provider/model&input=…&cached_input=…&output=…
//                                       [&endUser=…]  record an LLM call, priced at the rate card
//                                       (--rate-card), for that end user (dimension end_user)
// (POST fields as an application/x-www-form-urlencoded body). Errors are JSON
// {"success":false,"error":…}: 400 bad input (the field named), 404 unknown, 402 a call
// refused by a hard budget (BudgetExceededError), 403 a
// cross-site write, 415 not a form, 413 too large, 421 a Host this server is not,
// 503 too many connections, 500 anything else. See dashboard_guard.h for the limits.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <array>
#include <charconv>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dashboard_assets.h"
#include "dashboard_guard.h"
#include "demo.h"

namespace {

using metered::BusinessId;

void jsonError(httplib::Response& res, int status, std::string_view message) noexcept {
    dashboard::safeJsonError(res, status, message);
}

// A JSON body that cannot fail on text from a store (invalid UTF-8 is replaced).
std::string dumped(const nlohmann::json& json) {
    return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The error response for an exception a handler threw; never throws itself.
void exceptionResponse(httplib::Response& res, const std::exception_ptr& error) noexcept {
    try {
        std::rethrow_exception(error);
    } catch (const metered::ValidationError& e) {
        jsonError(res, 400, e.what());
    } catch (const metered::NotFoundError& e) {
        jsonError(res, 404, e.what());
    } catch (const metered::BudgetExceededError& e) {
        jsonError(res, 402, e.what());
    } catch (const metered::QueueFullError&) {
        jsonError(res, 503, "busy: try again");
    } catch (const std::exception& e) {
        jsonError(res, 500, "internal error");
        std::cerr << "billing_dashboard: " << dashboard::sanitized(e.what()) << "\n";
    } catch (...) {
        jsonError(res, 500, "internal error");
    }
}

// The dimensions the dashboard's recorder declares: who a call was for (the business's own
// end user: a guest, a table) and which feature of the assistant made it.
std::vector<metered::Dimension> dashboardDimensions() { return {{.name = "end_user"}, {.name = "feature"}}; }

// The calls one end user made through one feature.
struct UserCalls {
    std::string_view end_user;
    int calls;
};

// LLM calls of `model` ("provider/model") for `feature`, each with these token counts,
// `calls` of them for each end user.
void recordLlmCalls(metered::UsageRecorder& recorder, const BusinessId& business, std::string_view model,
                    std::string_view feature, std::span<const UserCalls> users, std::int64_t input,
                    std::int64_t cached_input, std::int64_t output) {
    const auto slash = model.find('/');
    metered::LlmUsage usage;
    usage.provider = std::string(model.substr(0, slash));
    usage.model = std::string(model.substr(slash + 1));
    usage.input_tokens = input;
    usage.cached_input_tokens = cached_input;
    usage.output_tokens = output;
    for (const auto& [end_user, calls] : users) {
        const std::array<metered::DimensionValue, 2> who{{{"end_user", end_user}, {"feature", feature}}};
        for (int i = 0; i < calls; ++i) recorder.recordLlmCall(business, usage, {.dimensions = who});
    }
}

// The seed scenario for the first demo business: 1500 API calls, 75.5 voice minutes,
// 150 AI queries and 1500 MB this month ($8.31 on the basic plan). The other two demo
// businesses get LLM calls (rate-card usage, at cost on the basic plan), so that the page's
// AI table has rows while the seed's own figures stay as they are:
//   Bella Bistro: 40 × openai/gpt-4o-mini (1200 input, 800 cached, 300 output):
//                 40 × (0.00018 + 0.00006 + 0.00018) = 0.0168 → $0.02;
//                 10 × anthropic/claude-sonnet-4 (2000 input, 500 output):
//                 10 × (0.006 + 0.0075) = 0.135 → $0.14 (half-even); total $0.16.
//   Curry Corner: 25 × google/gemini-2.5-flash (3000 input, 800 output):
//                 25 × (0.0009 + 0.002) = 0.0725 → $0.07.
// Each call is for one of the business's end users (dimension end_user; feature: which part
// of the assistant), so that the page's "Cost by end user" has rows; each user's list cost
// is its calls at the rate card (a gpt-4o-mini call 0.00042, a sonnet call 0.0135, a
// gemini call 0.0029):
//   Bella Bistro: guest-ana  20 mini + 2 sonnet = 0.0084 + 0.027  = 0.0354
//                 guest-ben  12 mini + 5 sonnet = 0.00504 + 0.0675 = 0.07254
//                 table-7     8 mini + 3 sonnet = 0.00336 + 0.0405 = 0.04386   (sum 0.1518)
//   Curry Corner: guest-dev 15 gemini = 0.0435; guest-esha 10 gemini = 0.029  (sum 0.0725)
// Then their budgets (removed before and saved after the usage, so that no seed call is
// refused, on a store that had them already too), against the rate-card cost this cycle:
//   Bella Bistro: "monthly-ai", soft, $0.25: 0.1518 spent, 60.72 %, the 50 % threshold crossed;
//                 "sonnet-cap", hard, anthropic/claude-sonnet-4, $0.20: 0.135 spent, 67.5 %.
//   Curry Corner: "ai-cap", hard, $0.07: 0.0725 spent, 103.57 %, exceeded (LLM calls refused).
void recordSeedScenario(metered::UsageRecorder& recorder, metered::UsageStore& store) {
    const auto bella = BusinessId::parse(demo::businesses[1].id);
    const auto curry = BusinessId::parse(demo::businesses[2].id);
    const std::array<std::pair<BusinessId, const char*>, 3> demo_budgets{
        {{bella, "monthly-ai"}, {bella, "sonnet-cap"}, {curry, "ai-cap"}}};
    for (const auto& [owner, id] : demo_budgets) store.deleteBudget(owner, id);
    recorder.refreshBudgets();

    const auto business = BusinessId::parse(demo::businesses[0].id);
    for (int i = 0; i < 1500; ++i)
        recorder.recordApiCall(business, {.operation = "chat_completion", .model = "gpt-4o-mini"});
    for (int i = 0; i < 151; ++i) recorder.recordVoiceMinutes(business, metered::Decimal::parse("0.5"));
    for (int i = 0; i < 150; ++i) recorder.recordAiQuery(business, {.query_type = "intent_classification"});
    recorder.recordStorage(business, metered::Decimal(1500), {.file_type = "pdf"});

    const std::array<UserCalls, 3> bella_mini{{{"guest-ana", 20}, {"guest-ben", 12}, {"table-7", 8}}};
    const std::array<UserCalls, 3> bella_sonnet{{{"guest-ana", 2}, {"guest-ben", 5}, {"table-7", 3}}};
    const std::array<UserCalls, 2> curry_flash{{{"guest-dev", 15}, {"guest-esha", 10}}};
    recordLlmCalls(recorder, bella, "openai/gpt-4o-mini", "order_taking", bella_mini, 1200, 800, 300);
    recordLlmCalls(recorder, bella, "anthropic/claude-sonnet-4", "menu_questions", bella_sonnet, 2000, 0, 500);
    recordLlmCalls(recorder, curry, "google/gemini-2.5-flash", "order_taking", curry_flash, 3000, 0, 800);

    const auto budget = [&](const BusinessId& owner, const char* id, const char* amount, metered::BudgetKind kind,
                            std::optional<std::string> model = std::nullopt) {
        store.saveBudget({.id = id,
                          .business = owner,
                          .model = std::move(model),
                          .amount = metered::Decimal::parse(amount),
                          .kind = kind});
    };
    budget(bella, "monthly-ai", "0.25", metered::BudgetKind::soft);
    budget(bella, "sonnet-cap", "0.20", metered::BudgetKind::hard, "anthropic/claude-sonnet-4");
    budget(curry, "ai-cap", "0.07", metered::BudgetKind::hard);
}

// The budgets of a --budgets file: a JSON array of {businessId, id, amount (a string of
// digits: exact), kind ("soft"/"hard", default soft), model (optional, "provider/model"),
// dimension (optional, one value of a declared dimension: {"end_user": "u-42"}),
// thresholdsPercent (optional)}. Throws on anything else.
std::vector<metered::Budget> loadBudgets(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read budgets " + file);
    const auto json = nlohmann::json::parse(in);
    if (!json.is_array()) throw std::runtime_error(file + ": must be a JSON array of budgets");
    std::vector<metered::Budget> budgets;
    for (const auto& item : json) {
        metered::Budget budget;
        budget.business = BusinessId::parse(item.at("businessId").get<std::string>());
        budget.id = item.at("id").get<std::string>();
        budget.amount = metered::Decimal::parse(item.at("amount").get<std::string>(), "amount");
        if (item.contains("kind")) budget.kind = metered::parseBudgetKind(item.at("kind").get<std::string>());
        if (item.contains("model")) budget.model = item.at("model").get<std::string>();
        if (item.contains("dimension")) {
            const auto& dimension = item.at("dimension");
            if (!dimension.is_object() || dimension.size() != 1) {
                throw std::runtime_error(file + ": a budget's dimension must be one {\"name\": \"value\"}");
            }
            budget.dimension = metered::EventDimension{dimension.begin().key(), dimension.begin()->get<std::string>()};
        }
        if (item.contains("thresholdsPercent"))
            budget.thresholds_percent = item.at("thresholdsPercent").get<std::vector<int>>();
        budget.validate();
        budgets.push_back(std::move(budget));
    }
    return budgets;
}

// A token count field of a form: absent is 0; else 0 to max_llm_count, digits only.
std::int64_t tokenField(const httplib::Request& req, const std::string& field) {
    if (!req.has_param(field)) return 0;
    const auto text = req.get_param_value(field);
    std::int64_t value = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc() || ptr != end || value < 0 || value > metered::max_llm_count)
        throw metered::ValidationError(field, "must be a whole number from 0 to 10^12");
    return value;
}

// The period a request names (default: the current billing month); ValidationError: 400.
metered::PeriodSpec requestedPeriod(const httplib::Request& req) {
    return metered::PeriodSpec::parse(req.has_param("period") ? req.get_param_value("period") : "current_month");
}

// The host's rate card overlaid on the shipped one, or the shipped one.
std::shared_ptr<const metered::RateCard> loadRateCard(const std::string& file) {
    if (file.empty()) return std::make_shared<const metered::RateCard>(metered::RateCard::standard());
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read rate card " + file);
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    return std::make_shared<const metered::RateCard>(
        metered::RateCard::standard().overlay(metered::RateCard::fromJson(text)));
}

// The business a request names, or an error response (400 malformed, 404 unknown).
std::optional<metered::Account> requestedBusiness(metered::UsageStore& store, const httplib::Request& req,
                                                  httplib::Response& res) {
    if (!req.has_param("businessId")) {
        jsonError(res, 400, "businessId is required");
        return std::nullopt;
    }
    const auto uuid = metered::Uuid::tryParse(req.get_param_value("businessId"));
    if (!uuid) {
        jsonError(res, 400, "businessId must be a UUID");
        return std::nullopt;
    }
    auto account = store.findAccount(BusinessId(*uuid));
    if (!account) jsonError(res, 404, "no such business");
    return account;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Serve the seed's billing dashboard and analytics API for a metered store."};
    std::string store_uri = demo::default_store;
    std::string host = "127.0.0.1";
    int port = 8080;
    bool seed_scenario = false;
    std::vector<std::string> allowed_hosts;
    dashboard::GuardedServer::Limits limits;
    int request_timeout_ms = 10'000;
    std::string rate_card_file;
    std::string budgets_file;
    app.add_option("--store", store_uri, "store URI (sqlite:<file>, postgresql://..., memory:)")->capture_default_str();
    app.add_option("--host", host, "address to listen on (loopback unless you mean otherwise)")->capture_default_str();
    app.add_option("--port", port, "port (0: any free port, printed at start)")
        ->capture_default_str()
        ->check(CLI::Range(0, 65535));
    app.add_flag("--seed-scenario", seed_scenario, "record the seed scenario for Acme Pizza before serving");
    app.add_option("--allowed-host", allowed_hosts,
                   "another name clients may use in Host (e.g. a reverse proxy's), bare or name:port; repeatable");
    app.add_option("--max-connections", limits.max_connections, "connections served at once; more are refused (503)")
        ->capture_default_str()
        ->check(CLI::Range(1, 1024));
    app.add_option("--request-timeout-ms", request_timeout_ms,
                   "a request's line, headers and body must arrive within this time of its first byte")
        ->capture_default_str()
        ->check(CLI::Range(100, 600'000));
    app.add_option("--rate-card", rate_card_file,
                   "the host's rate card (JSON), overlaid on the shipped one, for recorded LLM calls");
    app.add_option("--budgets", budgets_file,
                   "budgets to save before serving (JSON: [{businessId, id, amount, kind, model, thresholdsPercent}])");
    CLI11_PARSE(app, argc, argv);

    try {
        auto store = metered::openStore(store_uri);
        demo::ensureBusinesses(*store);
        const auto stored_book = metered::storedPriceBook(*store);
        metered::PriceBook book(stored_book.plans(), stored_book.defaultPlan().id, dashboardDimensions());
        metered::UsageRecorder recorder(store,
                                        {.price_book = std::move(book), .rate_card = loadRateCard(rate_card_file)});
        if (seed_scenario) recordSeedScenario(recorder, *store);
        if (!budgets_file.empty()) {
            for (const auto& budget : loadBudgets(budgets_file)) store->saveBudget(budget);
        }
        if (seed_scenario || !budgets_file.empty()) recorder.refreshBudgets();  // the budgets just saved cap at once
        const metered::UsageReports& reports = recorder.reports();

        limits.request_timeout = std::chrono::milliseconds(request_timeout_ms);
        dashboard::GuardedServer server(limits);
        server.set_payload_max_length(std::size_t{16} * 1024);  // larger bodies: 413
        server.set_default_headers(dashboard::securityHeaders());

        server.Get("/", [](const httplib::Request&, httplib::Response& res) {
            res.set_content(dashboard::index_html, "text/html; charset=utf-8");
        });
        server.Get("/dashboard.js", [](const httplib::Request&, httplib::Response& res) {
            res.set_content(dashboard::dashboard_js, "text/javascript; charset=utf-8");
        });
        server.Get("/dashboard.css", [](const httplib::Request&, httplib::Response& res) {
            res.set_content(dashboard::dashboard_css, "text/css; charset=utf-8");
        });
        // The recorder's counters and store latencies, for a Prometheus scrape.
        server.Get("/metrics", [&](const httplib::Request&, httplib::Response& res) {
            res.set_content(metered::prometheusText(recorder), "text/plain; version=0.0.4; charset=utf-8");
        });
        server.Get("/api/businesses", [&](const httplib::Request&, httplib::Response& res) {
            nlohmann::json list = nlohmann::json::array();
            for (const auto& account : store->listAccounts()) {
                list.push_back({{"id", account.id.toString()},
                                {"name", account.name},
                                {"plan", account.plan_id},
                                {"timeZone", account.time_zone}});
            }
            res.set_content(dumped({{"success", true}, {"data", list}}), "application/json");
        });
        server.Get("/api/billing/analytics", [&](const httplib::Request& req, httplib::Response& res) {
            const auto account = requestedBusiness(*store, req, res);
            if (!account) return;
            const auto spec = requestedPeriod(req);  // ValidationError: 400
            int days = 30;
            if (req.has_param("days")) {
                const auto text = req.get_param_value("days");
                const auto parsed = metered::Decimal::tryParse(text);
                const auto value = parsed ? parsed->toInt64() : std::nullopt;
                if (!value || *value < 1 || *value > 366)
                    return jsonError(res, 400, "days must be a whole number from 1 to 366");
                days = static_cast<int>(*value);
            }
            res.set_content(metered::to_json(reports.getBillingAnalytics(account->id, spec, days)), "application/json");
        });
        server.Get("/api/billing/bill", [&](const httplib::Request& req, httplib::Response& res) {
            const auto account = requestedBusiness(*store, req, res);
            if (!account) return;
            const auto usage = reports.getBillingUsage(account->id, requestedPeriod(req));
            // to_json(Bill) is exact JSON already: wrapped as is, never re-parsed.
            res.set_content("{\"success\":true,\"data\":" + metered::to_json(usage.bill) + "}", "application/json");
        });
        server.Get("/api/budgets", [&](const httplib::Request& req, httplib::Response& res) {
            const auto account = requestedBusiness(*store, req, res);
            if (!account) return;
            const auto statuses = recorder.budgetStatus(account->id);
            // to_json is exact JSON already: wrapped as is, never re-parsed.
            res.set_content("{\"success\":true,\"data\":" +
                                metered::to_json(std::span<const metered::BudgetStatus>(statuses)) + "}",
                            "application/json");
        });
        server.Get("/api/billing/breakdown", [&](const httplib::Request& req, httplib::Response& res) {
            const auto account = requestedBusiness(*store, req, res);
            if (!account) return;
            const auto spec = requestedPeriod(req);  // ValidationError: 400
            const auto dimension = req.has_param("dimension") ? req.get_param_value("dimension") : "end_user";
            if (dimension != metered::model_dimension && !recorder.priceBook().findDimension(dimension))
                return jsonError(res, 400, "dimension must be end_user, feature or model");
            const auto usage = recorder.getBillingUsage(account->id, spec, metered::GroupBy{dimension});
            // to_json is exact JSON already: wrapped as is, never re-parsed.
            res.set_content("{\"success\":true,\"data\":" + metered::to_json(usage) + "}", "application/json");
        });
        server.Post("/api/usage/api-call", [&](const httplib::Request& req, httplib::Response& res) {
            const auto account = requestedBusiness(*store, req, res);
            if (!account) return;
            const auto receipt = recorder.recordApiCall(account->id, {.operation = "dashboard_button"});
            res.set_content(dumped({{"success", true}, {"eventId", receipt.id.toString()}}), "application/json");
        });
        server.Post("/api/usage/voice-minutes", [&](const httplib::Request& req, httplib::Response& res) {
            const auto account = requestedBusiness(*store, req, res);
            if (!account) return;
            if (!req.has_param("minutes")) return jsonError(res, 400, "minutes is required");
            const auto minutes = metered::Decimal::parse(req.get_param_value("minutes"), "minutes");
            const auto receipt = recorder.recordVoiceMinutes(account->id, minutes, {.operation = "dashboard_button"});
            res.set_content(dumped({{"success", true}, {"eventId", receipt.id.toString()}}), "application/json");
        });
        server.Post("/api/usage/llm-call", [&](const httplib::Request& req, httplib::Response& res) {
            const auto account = requestedBusiness(*store, req, res);
            if (!account) return;
            if (!req.has_param("model")) return jsonError(res, 400, "model is required (provider/model)");
            const auto model = req.get_param_value("model");
            const auto slash = model.find('/');
            if (slash == std::string::npos || slash == 0 || slash + 1 == model.size())
                return jsonError(res, 400, "model must be provider/model");
            metered::LlmUsage usage;
            usage.provider = model.substr(0, slash);
            usage.model = model.substr(slash + 1);
            usage.input_tokens = tokenField(req, "input");
            usage.cached_input_tokens = tokenField(req, "cached_input");
            usage.output_tokens = tokenField(req, "output");
            // endUser (optional): the library checks it (empty, too long, not UTF-8: a 400
            // naming dimensions.end_user).
            const auto end_user = req.get_param_value("endUser");
            const std::array<metered::DimensionValue, 1> who{{{"end_user", end_user}}};
            const auto dimensions = std::span(who).first(req.has_param("endUser") ? 1 : 0);
            const auto receipt =
                recorder.recordLlmCall(account->id, usage, {.dimensions = dimensions});  // unknown model: 400
            res.set_content(dumped({{"success", true},
                                    {"eventId", receipt.id.toString()},
                                    {"cost", receipt.cost.total.normalized().toString()}}),
                            "application/json");
        });
        server.set_exception_handler([](const httplib::Request&, httplib::Response& res,
                                        const std::exception_ptr& error) { exceptionResponse(res, error); });
        server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
            if (res.body.empty()) {
                jsonError(res, res.status,
                          res.status == 404   ? "not found"
                          : res.status == 400 ? "malformed or incomplete request"
                          : res.status == 413 ? "request body too large"
                          : res.status == 414 ? "request target too long"
                                              : "request refused");
            }
        });

        const int bound = port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, port) ? port : -1);
        if (bound < 0) throw std::runtime_error(fmt::format("cannot listen on {}:{}", host, port));
        const dashboard::RequestPolicy policy(host, bound, allowed_hosts);
        policy.install(server);
        std::cout << "billing dashboard on http://" << host << ":" << bound << "/ (store "
                  << metered::maskPassword(store_uri) << ")" << std::endl;
        server.listen_after_bind();
    } catch (const std::exception& e) {
        std::cerr << "billing_dashboard: " << e.what() << "\n";
        return 1;
    }
}
