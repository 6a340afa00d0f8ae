// SPDX-License-Identifier: MIT
// The library's version (CMake reads it from here).
#pragma once

#include "metered/export.h"

#define METERED_VERSION_MAJOR 0
#define METERED_VERSION_MINOR 1
#define METERED_VERSION_PATCH 0

namespace metered {

/// The version this library was built as, "major.minor.patch".
METERED_API const char* version() noexcept;

}  // namespace metered
