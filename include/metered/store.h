// SPDX-License-Identifier: MIT
// Opening a store from a URI.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "metered/export.h"
#include "metered/usage_store.h"

namespace metered {

/// How openStore prepares the store it opens.
struct StoreOptions {
    bool migrate = true;  ///< run migrate() before returning (idempotent, safe from many processes)
};

/// Opens a store from a URI:
/// - `memory:`: a MemoryStore (nothing persisted);
/// - `sqlite:path/to/file.db`: the embedded SQLite store, when built with it;
/// - `postgresql://…`, `postgres://…` or a libpq key=value conninfo (`host=… dbname=…`):
///   the PostgreSQL store, when built with it.
/// Throws ValidationError("store", …) for an unknown scheme or one this build lacks, and
/// StoreError when the store cannot be opened. Messages never contain a password.
METERED_API std::shared_ptr<UsageStore> openStore(std::string_view uri, const StoreOptions& options = {});

/// `uri` with every password replaced by "***", safe to log: parsed as libpq parses it,
/// the user:password@ of a URI (whatever it holds, percent-encoded or not), the value of a
/// `password`, `sslpassword` or any other keyword or query parameter libpq does not know as
/// harmless (in any case: `PASSWORD=`), and a dbname that is itself a connection string.
/// A URI or key=value string libpq would refuse is masked whole. Valid UTF-8.
METERED_API std::string maskPassword(std::string_view uri);

}  // namespace metered
