// SPDX-License-Identifier: MIT
// Connection strings: maskPassword never crashes, returns valid UTF-8, and, whenever libpq's
// own parser reads a password (of 4 bytes or more) from the text, that password is not in
// the result.
#include <cstdint>
#include <string>

#include "conninfo.h"
#include "fuzz_check.h"
#include "metered/store.h"

#ifdef METERED_HAVE_POSTGRES
#include <libpq-fe.h>
#endif

using namespace metered;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto text = fuzz::textOf(data, size);
    const std::string masked = detail::maskPassword(text);
    fuzz::require(detail::isValidUtf8(masked), "maskPassword() is not valid UTF-8");
    fuzz::require(maskPassword(text) == masked, "the public and private maskPassword differ");
#ifdef METERED_HAVE_POSTGRES
    if (text.find('\0') != std::string_view::npos) return 0;  // libpq reads a C string
    const std::string conninfo(text);
    char* error = nullptr;
    PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
    PQfreemem(error);
    if (options == nullptr) return 0;
    for (const PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
        const std::string_view keyword = o->keyword;
        if ((keyword == "password" || keyword == "sslpassword") && o->val != nullptr &&
            std::string_view(o->val).size() >= 4) {
            fuzz::require(masked.find(o->val) == std::string::npos, "a password libpq reads survives masking");
        }
    }
    PQconninfoFree(options);
#endif
    return 0;
}
