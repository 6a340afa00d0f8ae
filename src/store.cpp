// SPDX-License-Identifier: MIT
#include "metered/store.h"

#include "conninfo.h"
#include "metered/errors.h"
#include "metered/memory_store.h"
#ifdef METERED_HAVE_POSTGRES
#include "metered/postgres_store.h"
#endif
#ifdef METERED_HAVE_SQLITE
#include "metered/sqlite_store.h"
#endif

namespace metered {
namespace {

bool startsWith(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

// A libpq key=value connection string ("host=db dbname=billing"), or empty (all from PG*).
bool isKeywordConninfo(std::string_view uri) {
    const auto equals = uri.find('=');
    return equals != std::string_view::npos && uri.find("://") == std::string_view::npos &&
           uri.substr(0, equals).find_first_of(":/") == std::string_view::npos;
}

[[noreturn]] void unsupported(std::string_view what) {
    throw ValidationError("store", std::string(what) +
                                       " (use memory:, sqlite:<path>, postgresql://... or a libpq "
                                       "key=value connection string)");
}

}  // namespace

std::shared_ptr<UsageStore> openStore(std::string_view uri, const StoreOptions& options) {
    std::shared_ptr<UsageStore> store;
    if (uri == "memory:") {
        store = std::make_shared<MemoryStore>();
    } else if (startsWith(uri, "sqlite:")) {
#ifdef METERED_HAVE_SQLITE
        const auto path = uri.substr(7);
        if (path.empty()) throw ValidationError("store", "sqlite: needs a file path (sqlite:metered.db)");
        store = std::make_shared<SqliteStore>(SqliteOptions{.path = std::string(path)});
#else
        unsupported("this build of metered has no SQLite support");
#endif
    } else if (startsWith(uri, "postgresql://") || startsWith(uri, "postgres://") || isKeywordConninfo(uri)) {
#ifdef METERED_HAVE_POSTGRES
        store = std::make_shared<PostgresStore>(PostgresOptions{.conninfo = std::string(uri)});
#else
        unsupported("this build of metered has no PostgreSQL support");
#endif
    } else {
        unsupported("unsupported store URI");
    }
    if (options.migrate) store->migrate();
    return store;
}

std::string maskPassword(std::string_view uri) { return detail::maskPassword(uri); }

}  // namespace metered
