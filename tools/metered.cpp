// SPDX-License-Identifier: MIT
// metered: the command line over a store. `metered statements close|show|list` closes a
// business's billing cycles and reads its statements (docs/history.md).
#include <CLI/CLI.hpp>
#include <metered/metered.h>

#include <iostream>
#include <sstream>

namespace {

// The options every subcommand takes.
struct Target {
    std::string store = "postgresql://";
    std::string business;
    std::string period = "previous_cycle";
};

void addStore(CLI::App& command, Target& target) {
    command
        .add_option("--store", target.store,
                    "store URI: postgresql://user@host/db, a libpq key=value string, sqlite:<path> "
                    "(default: $METERED_STORE, else PostgreSQL from the PG* environment variables)")
        ->envname("METERED_STORE");
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

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"The metered command line: close billing cycles and read their statements."};
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

    CLI11_PARSE(app, argc, argv);
    try {
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
