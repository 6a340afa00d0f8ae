// SPDX-License-Identifier: MIT
#include "draft_fields.h"

#include "metered/errors.h"
#include "untrusted_text.h"

namespace metered::detail {

void DraftFields::notStorable(std::string_view key) {
    throw ValidationError("metadata." + clipped(key), "value is not valid UTF-8 without U+0000");
}

}  // namespace metered::detail
