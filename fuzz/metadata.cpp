// SPDX-License-Identifier: MIT
// Metadata JSON: fromJson/setJson never crash (deep nesting included), refuse with a
// ValidationError whose message is valid UTF-8, and what they accept renders as JSON that
// reads back to the same text.
#include <cstdint>

#include "fuzz_check.h"
#include "metered/errors.h"
#include "metadata_encoding.h"
#include "metered/metadata.h"

using namespace metered;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const auto text = fuzz::textOf(data + 1, size - 1);  // the first byte picks the call
    try {
        Metadata metadata;
        if (data[0] % 2 == 0) {
            metadata = Metadata::fromJson(text);
        } else {
            metadata.setJson("value", text);
        }
        const std::string json = metadata.toJson();
        fuzz::require(detail::isValidUtf8(json), "toJson() is not valid UTF-8");
        const Metadata again = Metadata::fromJson(json);
        fuzz::require(again.toJson() == json, "fromJson(toJson()) renders differently");
        fuzz::require(detail::MetadataEncoding::fromBytes(detail::MetadataEncoding::bytes(metadata)) == metadata,
                      "the encoding does not round-trip");
    } catch (const ValidationError& e) {
        fuzz::requireValidMessage(e.what());
        fuzz::requireValidMessage(e.field());
    }
    return 0;
}
