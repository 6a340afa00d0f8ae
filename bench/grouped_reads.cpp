// SPDX-License-Identifier: MIT
// Grouped reads (by the `end_user` dimension), a bill counting unique end users and one
// billing stored megabytes over time, as stored events grow, on PostgreSQL and SQLite: they
// read the dimension and level rollups, so their cost should not grow with the events.
#include <metered/postgres_store.h>
#include <metered/sqlite_store.h>

#include <filesystem>
#include <limits>

#include "bench_support.h"
#include "sections.h"

namespace metered::bench {
namespace {

// The value scheme, chosen so that every size reads the same rollup rows: 200 end users,
// each on two fixed days of the month (user % 18 and (user + 9) % 18) with one fixed event
// type (users 0-139 API calls, 140-179 AI queries, 180-199 voice minutes). Events are dealt
// to the businesses in turn and each business's k-th event is user k % 200 on the day
// (k / 200) % 2 picks, so after 400 events a business has all its 400 rollup rows (200
// values over the month) and every size from 10k events (500 per business) on reads
// exactly those rows: only the number of events behind them grows. User 199's events are
// reports of the business's stored megabytes (storage_level) instead: two level rollup rows
// a business, whatever the number of reports behind them.
constexpr std::size_t end_users = 200;
constexpr std::size_t rows_per_business = 2 * end_users;
constexpr int history_days = 18;

std::string endUser(std::size_t user) { return fmt::format("user-{:03}", user); }

// `count` events continuing from event number `from` (the dealing order above).
std::vector<UsageEvent> groupedEvents(const std::vector<BusinessId>& ids, std::size_t from, std::size_t count,
                                      std::uint32_t seed) {
    static const PriceBook book;
    auto events = makeEvents(ids, count, seed);
    std::mt19937 random(seed);
    for (std::size_t i = 0; i < events.size(); ++i) {
        UsageEvent& e = events[i];
        const std::size_t n = from + i;
        const std::size_t k = n / ids.size();
        const std::size_t user = k % end_users;
        const auto day = static_cast<int>((user + ((k / end_users) % 2) * 9) % history_days);
        e.business = ids[n % ids.size()];
        e.type = user < 140   ? EventType::apiCall()
                 : user < 180 ? EventType::aiQuery()
                 : user < 199 ? EventType::voiceMinute()
                              : EventType::storageLevel();
        e.quantity = e.type == EventType::voiceMinute()    ? Decimal::fromMantissa(random() % 5000 + 1, 3)
                     : e.type == EventType::storageLevel() ? Decimal(static_cast<std::int64_t>(random() % 50000))
                                                           : Decimal(1);
        e.unit_price = e.type.isLevel() ? Decimal() : book.listMeter(e.type).unit_price;
        e.list_cost = e.quantity * e.unit_price;
        // 10:00-11:00 UTC on the day: the same local date in every bench zone (UTC-5 to UTC+11).
        e.occurred_at =
            bench_now - std::chrono::days(day) - std::chrono::hours(1) - std::chrono::seconds(random() % 3600);
        e.dimensions = {{"end_user", endUser(user)}};
    }
    return events;
}

PriceBook groupedBook() {
    return PriceBook({Plan::basic()}, "basic", {Dimension{.name = "end_user", .max_values = 1000}});
}

// The basic plan billing stored megabytes by the month (Aggregation::time_weighted).
Plan storagePlan() {
    Plan plan = Plan::basic();
    Meter storage;
    storage.type = EventType::storageLevel();
    storage.aggregation = Aggregation::time_weighted;
    storage.unit = "MB-month";
    storage.unit_price = Decimal::fromMantissa(1, 4);
    plan.meters.push_back(storage);
    return plan;
}

// The same book with API calls billed per unique end user (Aggregation::unique): its bill
// counts the 140 API-call users from the same rollup rows.
PriceBook uniqueUsersBook() {
    Plan plan = storagePlan();
    Meter& api = *plan.meter(EventType::apiCall());
    api.aggregation = Aggregation::unique;
    api.unique_dimension = "end_user";
    api.unit = "user";
    api.included = Decimal(100);
    api.quota.reset();
    return PriceBook({plan}, "basic", groupedBook().dimensions());
}
constexpr std::size_t api_call_users = 140;

// The storage plan with each voice call priced on its own: 5 % of its minutes, at least 0.01
// and at most 0.10 a call (Meter::transaction_minimum, maximum). Its bill reads the month's
// voice events one by one (UsageStore::transactions), so, unlike the reads above, its cost
// grows with them.
PriceBook boundedCallsBook() {
    Plan plan = storagePlan();
    Meter& voice = *plan.meter(EventType::voiceMinute());
    voice.model = PricingModel::percentage;
    voice.unit_price = Decimal::fromMantissa(5, 2);
    voice.included = Decimal();
    voice.quota.reset();
    voice.transaction_minimum = Decimal::fromMantissa(1, 2);
    voice.transaction_maximum = Decimal::fromMantissa(10, 2);
    return PriceBook({plan}, "basic");
}

// Loads the store to each of the read sizes (appends of `batch` events), timing the three
// grouped reads at each. A size is loaded only if, at the loading rate so far, it takes at
// most `budget_seconds` more; otherwise a line says so and the sizes stop there.
template <class Analyze>
void groupedReads(Report& report, const Options& options, const std::string& store_name,
                  const std::shared_ptr<UsageStore>& store, const std::vector<BusinessId>& ids, std::size_t batch,
                  double budget_seconds, Analyze&& analyze) {
    const UsageReports reports(store, groupedBook(), benchClock);
    const UsageReports per_user(store, uniqueUsersBook(), benchClock);
    const UsageReports storage(store, PriceBook({storagePlan()}, "basic"), benchClock);
    const UsageReports bounded(store, boundedCallsBook(), benchClock);
    const BusinessId probe = ids.front();
    const date::year_month_day today{date::floor<date::days>(bench_now)};
    const date::year_month month = today.year() / today.month();
    const DayRange this_month{date::local_days(month / 1), date::local_days((month + date::months(1)) / 1)};
    const GroupBy by_user{"end_user"};

    std::size_t loaded = 0;
    double loading_seconds = 0;
    std::uint32_t seed = 700;
    Percentiles first_usage{}, first_trends{}, first_top{}, first_unique{}, first_storage{}, first_bounded{};
    const auto projected = [&](std::size_t size) {
        return loaded == 0 ? 0.0 : static_cast<double>(size - loaded) * loading_seconds / static_cast<double>(loaded);
    };
    for (std::size_t index = 0; index < options.read_sizes.size(); ++index) {
        const std::size_t size = options.read_sizes[index];
        if (projected(size) > budget_seconds) {
            report.add({"grouped", fmt::format("{} at {} events: not loaded", store_name, size),
                        fmt::format("{:.0f} s projected", projected(size)),
                        fmt::format("at {:.0f} events/s loading would take over {:.0f} s; largest size is {}",
                                    static_cast<double>(loaded) / loading_seconds, budget_seconds, loaded),
                        "", ""});
            break;
        }
        const auto load_start = Steady::now();
        while (loaded < size) {
            const auto events = groupedEvents(ids, loaded, std::min<std::size_t>(200'000, size - loaded), seed++);
            for (std::size_t from = 0; from < events.size(); from += batch) {
                const auto appended = store->append(std::span<const UsageEvent>(events).subspan(
                    from, std::min<std::size_t>(batch, events.size() - from)));
                if (!appended.rejected.empty()) {
                    throw std::runtime_error("grouped: a seeded event was refused: " + appended.rejected[0].reason);
                }
            }
            loaded += events.size();
        }
        loading_seconds += secondsSince(load_start);
        analyze();
        const auto rows = store->dimensionDaily(probe, this_month, "end_user").size();
        const auto groups = reports.getBillingUsage(probe, PeriodSpec::currentMonth(), by_user).groups.size();
        const Decimal users =
            per_user.getBillingUsage(probe, PeriodSpec::currentMonth()).bill.line(EventType::apiCall())->quantity;
        const auto stored = storage.getBillingUsage(probe, PeriodSpec::currentMonth());
        if (stored.bill.line(EventType::storageLevel())->quantity.signum() <= 0) {
            throw std::runtime_error(fmt::format("grouped: no MB-months at {} events", size));
        }
        if (rows != rows_per_business || groups != end_users || users != Decimal(api_call_users)) {
            throw std::runtime_error(fmt::format(
                "grouped: {} rollup rows, {} values and {} API-call users at {} events, expected {}, {} and {}", rows,
                groups, users.toPlainString(), size, rows_per_business, end_users, api_call_users));
        }
        const auto usage = time(options.read_repetitions,
                                [&] { reports.getBillingUsage(probe, PeriodSpec::currentMonth(), by_user); });
        const auto trends = time(options.read_repetitions, [&] { reports.getUsageTrends(probe, 30, by_user); });
        const auto top = time(options.read_repetitions,
                              [&] { reports.topValues(probe, PeriodSpec::currentMonth(), "end_user", 10); });
        const auto unique =
            time(options.read_repetitions, [&] { per_user.getBillingUsage(probe, PeriodSpec::currentMonth()); });
        const auto storage_bill =
            time(options.read_repetitions, [&] { storage.getBillingUsage(probe, PeriodSpec::currentMonth()); });
        const auto calls = store->transactions(probe, EventType::voiceMinute(), this_month).size();
        if (bounded.getBillingUsage(probe, PeriodSpec::currentMonth())
                .bill.line(EventType::voiceMinute())
                ->transaction_bounds.isZero()) {
            throw std::runtime_error(fmt::format("grouped: no voice call bounded at {} events", size));
        }
        const auto bounded_bill =
            time(options.read_repetitions, [&] { bounded.getBillingUsage(probe, PeriodSpec::currentMonth()); });
        const bool first = index == 0;
        if (first) {
            first_usage = usage, first_trends = trends, first_top = top, first_unique = unique;
            first_storage = storage_bill, first_bounded = bounded_bill;
        }
        const bool largest = !first && (index + 1 == options.read_sizes.size() ||
                                        projected(options.read_sizes[index + 1]) > budget_seconds);
        const std::string section = "grouped";
        const std::string at = fmt::format(" at {} events ({})", size, store_name);
        const auto add = [&](const std::string& what, const Percentiles& p, const Percentiles& reference) {
            report.add({section, what + at, readText(p),
                        fmt::format("{:.2f}x the first size; the same {} rollup rows ({} end users) at every size",
                                    p.p50 / reference.p50, rows, end_users),
                        largest ? "within 2x of the first size" : "",
                        largest ? verdict(p.p50 <= 2 * reference.p50) : ""});
        };
        add("grouped getBillingUsage(end_user)", usage, first_usage);
        add("grouped getUsageTrends(30, end_user)", trends, first_trends);
        add("topValues(end_user, 10)", top, first_top);
        add("getBillingUsage, API calls per unique end_user", unique, first_unique);
        add("getBillingUsage, stored MB-months (time-weighted level)", storage_bill, first_storage);
        report.add({section, "getBillingUsage, voice calls bounded per transaction" + at, readText(bounded_bill),
                    fmt::format("{:.2f}x the first size; reads the month's {} voice events of the business one by one",
                                bounded_bill.p50 / first_bounded.p50, calls),
                    "", ""});
        report.add({section, fmt::format("loading to {} events ({}, appends of {})", size, store_name, batch),
                    fmt::format("{:.0f} s", loading_seconds),
                    fmt::format("{:.0f} events/s", static_cast<double>(loaded) / loading_seconds), "", ""});
    }
}

}  // namespace

void grouped(Report& report, const Options& options) {
    groupedPostgres(report, options);
    groupedSqlite(report, options);
}

void groupedPostgres(Report& report, const Options& options) {
    Schema schema;
    auto store = std::make_shared<PostgresStore>(PostgresOptions{.conninfo = schema.conninfo, .pool_size = 2});
    store->migrate();
    store->saveDimensions(groupedBook().dimensions());
    const auto ids = makeBusinesses(*store, options.businesses);
    groupedReads(report, options, "PostgreSQL", store, ids, 50'000, std::numeric_limits<double>::infinity(),
                 [&] { schema.connection().execScript("VACUUM ANALYZE"); });
}

void groupedSqlite(Report& report, const Options& options) {
    const auto path =
        std::filesystem::temp_directory_path() / ("metered_bench_" + Uuid::generateV7().toString().substr(24) + ".db");
    const auto remove = [&] {
        for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
    };
    try {
        auto store = std::make_shared<SqliteStore>(SqliteOptions{.path = path});
        store->migrate();
        store->saveDimensions(groupedBook().dimensions());
        const auto ids = makeBusinesses(*store, options.businesses);
        // SQLite appends on one connection: a size is loaded only if that takes at most
        // --sqlite-load-seconds more at the rate so far (else a line says why the sizes stop).
        groupedReads(report, options, "SQLite", store, ids, 50'000, options.sqlite_load_seconds, [] {});
    } catch (...) {
        remove();
        throw;
    }
    remove();
}

}  // namespace metered::bench
