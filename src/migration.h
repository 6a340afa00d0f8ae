// SPDX-License-Identifier: MIT
// A versioned schema change of a database store (private).
#pragma once

namespace metered::detail {

/// One versioned schema change. A store applies each once, in order of version, in one
/// transaction, and records it in its metered_schema_version table.
struct Migration {
    int version;
    const char* description;
    const char* sql;
};

}  // namespace metered::detail
