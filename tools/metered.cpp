// SPDX-License-Identifier: MIT
// metered: the command line over a store. `metered statements close|show|list|export`
// closes a business's billing cycles and reads its statements (docs/history.md); `metered
// events export` writes a business's stored events of some days as CSV; `metered
// dead-letters show|replay` reads a dead-letter file and stores its events once the cause is
// fixed, `metered spool inspect` shows what a spool directory holds (docs/operations.md);
// `metered migrate` creates or upgrades a store's schema, and on PostgreSQL partitions the
// raw events by month, which `metered events retain` then keeps for some months.
#include <CLI/CLI.hpp>
#include <metered/metered.h>
#ifdef METERED_HAVE_POSTGRES
#include <metered/postgres_store.h>
#endif
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

namespace {

// The options every subcommand takes.
struct Target {
    std::string store = "postgresql://";
    std::string business;
    std::string period = "previous_cycle";
};

void addStoreOption(CLI::App& command, Target& target) {
    command
        .add_option("--store", target.store,
                    "store URI: postgresql://user@host/db, a libpq key=value string, sqlite:<path> "
                    "(default: $METERED_STORE, else PostgreSQL from the PG* environment variables)")
        ->envname("METERED_STORE");
}

void addStore(CLI::App& command, Target& target) {
    addStoreOption(command, target);
    command.add_option("--business", target.business, "the business's id (a UUID)")->required();
}

// "2024-11-01..2024-12-01" (the day after the last), as PeriodSpec::parse reads it.
std::string daysText(const metered::DayRange& days) {
    std::ostringstream out;
    out << date::year_month_day(days.first) << ".." << date::year_month_day(days.end);
    return out.str();
}

// One line per statement: what `close` and `list` print.
void printLine(const metered::Statement& statement) {
    std::cout << statement.business.toString() << " " << daysText(statement.cycle) << ": total "
              << statement.total.toString() << " " << statement.currency;
    for (const metered::StatementAdjustment& adjustment : statement.adjustments) {
        std::cout << ", adjustment " << daysText(adjustment.cycle) << " " << adjustment.amount.toString();
    }
    for (const metered::CreditApplied& credit : statement.credits) {
        std::cout << ", credit " << credit.grant << " -" << credit.amount.toString();
    }
    if (!statement.adjustments.empty() || !statement.credits.empty()) {
        std::cout << ", due " << statement.amountDue().toString();
    }
    std::cout << " (plan " << statement.plan_id << ", closed "
              << date::format("%FT%TZ", std::chrono::floor<std::chrono::seconds>(statement.closed_at)) << ")\n";
}

// `text` (a reason read from a file) with control characters shown as '?': no escape
// sequence from a file reaches the terminal.
std::string printable(std::string text) {
    for (char& c : text) {
        if (static_cast<unsigned char>(c) < 0x20 || c == '\x7f') c = '?';
    }
    return text;
}

// The lines of the statements of one business, or of every business in the store, whose
// cycles start in `days_text` (every cycle when empty), as CSV: each business's oldest first.
void exportStatements(const Target& target, const std::string& days_text) {
    std::optional<metered::DayRange> days;
    if (!days_text.empty()) {
        const auto spec = metered::PeriodSpec::parse(days_text);
        if (spec.kind() != metered::PeriodSpec::Kind::custom) {
            throw metered::ValidationError("period", "must be days YYYY-MM-DD..YYYY-MM-DD");
        }
        days = spec.customDays();
    }
    const auto store = metered::openStore(target.store);
    std::vector<metered::BusinessId> businesses;
    if (!target.business.empty()) {
        businesses.push_back(metered::BusinessId::parse(target.business));
    } else {
        for (const metered::Account& account : store->listAccounts()) businesses.push_back(account.id);
    }
    const metered::UsageReports reports(store);
    std::vector<metered::Statement> selected;
    for (const metered::BusinessId& business : businesses) {
        for (metered::Statement& statement : reports.listStatements(business)) {
            if (!days || days->contains(statement.cycle.first)) selected.push_back(std::move(statement));
        }
    }
    std::cout << metered::statementsCsv(selected);
}

// The stored events of one business in `period_text` (a period name such as previous_cycle,
// or days) as CSV, to `output` (standard output when empty); a running count on a terminal
// and a summary on standard error.
void exportEvents(const Target& target, const std::string& period_text, const std::string& output) {
    const auto store = metered::openStore(target.store);
    const auto business = metered::BusinessId::parse(target.business);
    const auto account = store->findAccount(business);
    if (!account) throw metered::NotFoundError("unknown business " + business.toString());
    const auto period =
        metered::BillingPeriod::resolve(metered::PeriodSpec::parse(period_text), *account, metered::systemNow());
    std::ofstream file;
    if (!output.empty()) {
        file.open(output, std::ios::binary | std::ios::trunc);
        if (!file) throw std::runtime_error("cannot write " + output);
        file.exceptions(std::ios::badbit | std::ios::failbit);
    }
    std::ostream& out = output.empty() ? std::cout : file;
    const bool terminal = ::isatty(STDERR_FILENO) == 1;
    const auto progress = [&](std::int64_t rows) {
        if (terminal) std::cerr << "\r" << rows << " events" << std::flush;
    };
    const auto summary = metered::exportEventsCsv(*store, business, period.days, out, progress);
    if (terminal) std::cerr << "\n";
    std::cerr << "exported " << summary.events << " events of " << business.toString() << ", " << daysText(period.days)
              << " (" << summary.voided << " voided, " << summary.amended << " amended, " << summary.backfilled
              << " backfilled)\n";
}

#ifdef METERED_HAVE_POSTGRES
metered::PostgresStore& postgresOf(metered::UsageStore& store, std::string_view what) {
    auto* postgres = dynamic_cast<metered::PostgresStore*>(&store);
    if (postgres == nullptr) throw std::runtime_error(std::string(what) + " needs a PostgreSQL store");
    return *postgres;
}
#endif

// Migrates the store (openStore does), partitions its events by month when asked, and says
// where it stands.
void migrate(const std::string& uri, bool partition) {
    const auto store = metered::openStore(uri);
    std::cout << "migrated " << metered::maskPassword(uri);
#ifdef METERED_HAVE_POSTGRES
    if (auto* postgres = dynamic_cast<metered::PostgresStore*>(store.get())) {
        std::cout << ": schema version " << postgres->schemaVersion();
        if (partition && !postgres->eventsPartitionedByMonth()) postgres->partitionEventsByMonth();
        std::cout << (postgres->eventsPartitionedByMonth() ? ", events partitioned by month" : "");
        std::cout << "\n";
        return;
    }
#endif
    if (partition) throw std::runtime_error("partitioning events by month needs a PostgreSQL store");
    std::cout << "\n";
}

// Retires the raw events of the months before the current one and the `months` before it.
void retainEvents(const std::string& uri, int months, bool detach) {
#ifdef METERED_HAVE_POSTGRES
    const auto store = metered::openStore(uri);
    const date::year_month_day today(date::floor<date::days>(std::chrono::system_clock::now()));
    const date::year_month first_kept = today.year() / today.month() - date::months(months);
    const auto retired =
        postgresOf(*store, "retention")
            .retireEventsBefore(first_kept, detach ? metered::Retirement::detach : metered::Retirement::drop);
    std::cout << (detach ? "detached " : "dropped ") << retired.size() << " partitions of raw events before "
              << date::format("%Y-%m", first_kept / 1) << (retired.empty() ? "" : ":");
    for (const std::string& name : retired) std::cout << " " << name;
    std::cout << "\n";
#else
    (void)uri, (void)months, (void)detach;
    throw std::runtime_error("retention needs a PostgreSQL store (this build has none)");
#endif
}

// A dead-letter file's lines by reason, then the undecodable ones.
void showDeadLetters(const std::vector<metered::DeadLetter>& letters) {
    std::map<std::string, std::size_t> by_reason;
    std::size_t raw = 0;
    for (const metered::DeadLetter& letter : letters) {
        if (letter.event) {
            ++by_reason[letter.reason];
        } else {
            ++raw;
        }
    }
    std::cout << letters.size() << " dead letters: " << letters.size() - raw << " events, " << raw
              << " undecodable records\n";
    for (const auto& [reason, count] : by_reason) std::cout << "  " << count << " × " << printable(reason) << "\n";
}

// Replays `letters` into the store, drawing a progress bar on a terminal; prints a summary.
// Fails (exit status 1) while any event is still refused.
int replayFile(const std::string& store_uri, const std::vector<metered::DeadLetter>& letters) {
    const auto store = metered::openStore(store_uri);
    const bool terminal = ::isatty(STDERR_FILENO) == 1;
    const auto progress = [&](std::size_t done) {
        if (!terminal || letters.empty()) return;
        constexpr std::size_t width = 40;
        const std::size_t filled = done * width / letters.size();
        std::cerr << "\r[" << std::string(filled, '#') << std::string(width - filled, ' ') << "] " << done << "/"
                  << letters.size() << std::flush;
    };
    const auto result = metered::replayDeadLetters(*store, letters, 1000, progress);
    if (terminal) std::cerr << "\n";
    std::cout << "stored " << result.stored << ", already stored " << result.duplicates << ", refused "
              << result.rejected.size() << ", undecodable " << result.raw << "\n";
    for (const auto& [line, rejection] : result.rejected) {
        std::cout << "  line " << line << " (event " << rejection.id.toString() << "): " << printable(rejection.reason)
                  << "\n";
    }
    return result.rejected.empty() ? 0 : 1;
}

std::string isoTime(metered::Timestamp t) { return date::format("%FT%TZ", t); }

// What a spool directory holds: each segment, then the lock's process, the damaged files and
// the dead letters.
void showSpool(const std::filesystem::path& directory) {
    const auto spool = metered::inspectSpool(directory);
    std::uint64_t bytes = 0;
    std::size_t undecodable = 0, damaged = 0;
    for (const auto& segment : spool.segments) {
        bytes += segment.bytes;
        undecodable += segment.undecodable;
        damaged += segment.damaged;
    }
    std::cout << directory.string() << ": " << spool.segments.size() << " segments, " << spool.events() << " events, "
              << undecodable << " undecodable records, " << damaged << " damaged places, " << bytes << " bytes\n";
    for (const auto& segment : spool.segments) {
        std::cout << "  " << segment.path.filename().string() << ": " << segment.events << " events";
        if (segment.oldest) std::cout << " from " << isoTime(*segment.oldest) << " to " << isoTime(*segment.newest);
        if (segment.undecodable > 0) std::cout << ", " << segment.undecodable << " undecodable";
        if (segment.damaged > 0) std::cout << ", " << segment.damaged << " damaged";
        std::cout << ", " << segment.bytes << " bytes\n";
    }
    if (spool.pid) {
        std::cout << "last held by process " << *spool.pid
                  << (spool.pid_running ? " (running: its segments also hold events already stored)"
                                        : " (not running: the next recorder on this directory replays them)")
                  << "\n";
    }
    if (!spool.damaged_files.empty()) {
        std::cout << spool.damaged_files.size() << " damaged segments kept in " << (directory / "damaged").string()
                  << "\n";
    }
    if (spool.dead_letters > 0) {
        std::cout << spool.dead_letters << " dead letters: metered dead-letters show "
                  << (directory / "dead-letter.jsonl").string() << "\n";
    }
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "The metered command line: close billing cycles and read their statements; export usage events and retire "
        "old ones; show and replay dead letters; inspect a spool; migrate."};
    app.require_subcommand(1);
    auto* statements = app.add_subcommand("statements", "closed billing cycles (docs/history.md)");
    statements->require_subcommand(1);

    Target target;
    auto* close_cmd = statements->add_subcommand(
        "close", "close a billing cycle that has ended (idempotent: prints the statement stored first)");
    addStore(*close_cmd, target);
    close_cmd->add_option("--period", target.period,
                          "previous_cycle (default) or the cycle's days YYYY-MM-DD..YYYY-MM-DD (end exclusive)");
    auto* show_cmd = statements->add_subcommand("show", "print a closed cycle's statement as JSON");
    addStore(*show_cmd, target);
    show_cmd->add_option("--period", target.period, "previous_cycle (default) or YYYY-MM-DD..YYYY-MM-DD");
    auto* list_cmd = statements->add_subcommand("list", "list a business's statements, oldest first");
    addStore(*list_cmd, target);
    auto* export_cmd = statements->add_subcommand(
        "export", "print statements' lines as CSV (RFC 4180, exact decimals): a business's, or every business's");
    addStoreOption(*export_cmd, target);
    export_cmd->add_option("--business", target.business, "only this business (a UUID); default: every business");
    std::string export_days;
    export_cmd->add_option("--period", export_days,
                           "only the cycles that start in these days, YYYY-MM-DD..YYYY-MM-DD (end exclusive)");

    auto* events = app.add_subcommand("events", "stored usage events: export a business's, retire old months'");
    events->require_subcommand(1);
    std::string events_output;
    auto* events_export = events->add_subcommand(
        "export", "print a business's events of a period as CSV (RFC 4180, exact decimals, corrections applied)");
    addStore(*events_export, target);
    events_export->add_option("--period", target.period,
                              "previous_cycle (default), current_cycle, current_month, previous_month, or the days "
                              "YYYY-MM-DD..YYYY-MM-DD (end exclusive)");
    events_export->add_option("--output", events_output, "write the CSV to this file (default: standard output)");
    int keep_months = 0;
    bool detach = false;
    auto* events_retain = events->add_subcommand(
        "retain", "retention (PostgreSQL, events partitioned by month): drop the raw events of old months");
    addStoreOption(*events_retain, target);
    events_retain
        ->add_option("--keep-months", keep_months,
                     "keep the current month and this many before it (at least 1); rollups and statements stay")
        ->required()
        ->check(CLI::Range(1, 1200));
    events_retain->add_flag("--detach", detach, "detach the old months' partitions instead of dropping them");

    bool partition = false;
    auto* migrate_cmd = app.add_subcommand("migrate", "create or upgrade the store's schema");
    addStoreOption(*migrate_cmd, target);
    migrate_cmd->add_flag("--partition-events-by-month", partition,
                          "PostgreSQL: partition the raw events by month (once; copies the table under a lock)");

    auto* dead_letters =
        app.add_subcommand("dead-letters", "events the store refused for good (AsyncOptions::dead_letter_path)");
    dead_letters->require_subcommand(1);
    std::string dead_letter_file;
    auto* dl_show = dead_letters->add_subcommand("show", "count a dead-letter file's events by reason");
    dl_show->add_option("file", dead_letter_file, "the dead-letter file (<spool_dir>/dead-letter.jsonl)")->required();
    auto* dl_replay = dead_letters->add_subcommand(
        "replay", "store a dead-letter file's events as recorded (idempotent: run it again after a fix)");
    dl_replay->add_option("file", dead_letter_file, "the dead-letter file (<spool_dir>/dead-letter.jsonl)")->required();
    addStoreOption(*dl_replay, target);

    auto* spool = app.add_subcommand("spool", "a recorder's spool directory (AsyncOptions::spool_dir)");
    spool->require_subcommand(1);
    std::string spool_dir;
    auto* spool_inspect =
        spool->add_subcommand("inspect", "what the directory holds, read without changing it (safe while recording)");
    spool_inspect->add_option("directory", spool_dir, "the spool directory")->required();

    CLI11_PARSE(app, argc, argv);
    try {
        if (spool_inspect->parsed()) {
            showSpool(spool_dir);
            return 0;
        }
        if (dead_letters->parsed()) {
            const auto letters = metered::readDeadLetters(dead_letter_file);
            if (dl_show->parsed()) {
                showDeadLetters(letters);
                return 0;
            }
            return replayFile(target.store, letters);
        }
        if (migrate_cmd->parsed()) {
            migrate(target.store, partition);
            return 0;
        }
        if (events_retain->parsed()) {
            retainEvents(target.store, keep_months, detach);
            return 0;
        }
        if (events_export->parsed()) {
            exportEvents(target, target.period, events_output);
            return 0;
        }
        if (export_cmd->parsed()) {
            exportStatements(target, export_days);
            return 0;
        }
        const auto business = metered::BusinessId::parse(target.business);
        const metered::UsageReports reports(metered::openStore(target.store));
        if (close_cmd->parsed()) {
            printLine(reports.closeStatement(business, metered::PeriodSpec::parse(target.period)));
        } else if (show_cmd->parsed()) {
            const auto statement = reports.getStatement(business, metered::PeriodSpec::parse(target.period));
            if (!statement) {
                std::cerr << "metered: " << target.period << " of " << business.toString() << " is not closed\n";
                return 1;
            }
            std::cout << metered::to_json(*statement, 2) << "\n";
        } else {
            for (const auto& statement : reports.listStatements(business)) printLine(statement);
        }
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "metered: " << e.what() << "\n";
        return 1;
    }
}
