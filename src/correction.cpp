// SPDX-License-Identifier: MIT
#include "metered/correction.h"

namespace metered {

std::string_view toString(CorrectionKind kind) noexcept {
    switch (kind) {
        case CorrectionKind::void_event:
            return "void";
        case CorrectionKind::amend_quantity:
            return "amend";
        case CorrectionKind::amend_metadata:
            return "metadata";
        case CorrectionKind::backfill:
            return "backfill";
    }
    return "void";
}

}  // namespace metered
