// SPDX-License-Identifier: MIT
#include "metered/version.h"

#define METERED_STRINGIFY_(x) #x
#define METERED_STRINGIFY(x) METERED_STRINGIFY_(x)

namespace metered {

const char* version() noexcept {
    return METERED_STRINGIFY(METERED_VERSION_MAJOR) "." METERED_STRINGIFY(METERED_VERSION_MINOR) "." METERED_STRINGIFY(
        METERED_VERSION_PATCH);
}

}  // namespace metered
