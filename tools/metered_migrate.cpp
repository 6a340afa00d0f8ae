// SPDX-License-Identifier: MIT
// metered-migrate: creates or upgrades a store's schema (idempotent; safe to run from
// several machines at once) and prints where it stands.
#include <CLI/CLI.hpp>
#include <metered/metered.h>
#ifdef METERED_HAVE_POSTGRES
#include <metered/postgres_store.h>
#endif

#include <iostream>

int main(int argc, char** argv) {
    CLI::App app{"Create or upgrade the schema of a metered store."};
    std::string uri = "postgresql://";
    app.add_option("--store", uri,
                   "store URI: postgresql://user@host/db, a libpq key=value string, sqlite:<path> "
                   "(default: PostgreSQL from the PG* environment variables)");
    CLI11_PARSE(app, argc, argv);
    try {
        auto store = metered::openStore(uri);
        std::cout << "migrated " << metered::maskPassword(uri);
#ifdef METERED_HAVE_POSTGRES
        if (auto* postgres = dynamic_cast<metered::PostgresStore*>(store.get())) {
            std::cout << ": schema version " << postgres->schemaVersion();
        }
#endif
        std::cout << "\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "metered-migrate: " << e.what() << "\n";
        return 1;
    }
}
