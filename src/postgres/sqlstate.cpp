// SPDX-License-Identifier: MIT
#include "sqlstate.h"

namespace metered::detail {

bool isTransientSqlstate(std::string_view sqlstate) noexcept {
    if (sqlstate.size() != 5) return true;  // no code: the connection itself failed
    const auto cls = sqlstate.substr(0, 2);
    if (cls == "08" || cls == "40" || cls == "53") return true;
    return sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03" || sqlstate == "57014" ||
           sqlstate == "55P03" || sqlstate == "58000" || sqlstate == "58030";
}

bool isProxyFailure(std::string_view sqlstate, std::string_view primary_message) noexcept {
    return sqlstate == "XX000" && primary_message.starts_with("PL/Proxy function ");
}

}  // namespace metered::detail
