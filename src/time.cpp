// SPDX-License-Identifier: MIT
#include "metered/time.h"

namespace metered {

Timestamp systemNow() {
    return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
}

}  // namespace metered
