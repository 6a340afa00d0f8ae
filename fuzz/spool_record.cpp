// SPDX-License-Identifier: MIT
// Spool segments and the records in them, as an earlier process may have left them: torn,
// flipped, truncated or arbitrary. The first byte picks how the rest is read:
//   even: the rest is a segment file, as found on disk;
//   odd:  the rest is a list of payloads (2-byte length, bytes), written into a segment
//         with intact headers and checksums, then damaged: one byte flipped at an offset
//         and the file cut at a length, both taken from the input's last 4 bytes.
// Invariants: scanning never reads outside the segment and hands out only records that
// passed their checks; decoding a record either throws a metered::Error with a valid
// UTF-8 message or gives an event that encodes back to exactly the same bytes (model,
// parts and dimensions included).
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

#include "async/event_codec.h"
#include "async/segment.h"
#include "fuzz_check.h"
#include "metadata_encoding.h"
#include "metered/errors.h"

using namespace metered;

namespace {

std::vector<std::byte> segmentOf(std::span<const std::uint8_t> in) {
    std::vector<std::byte> segment(detail::segment_header_bytes);
    std::memcpy(segment.data(), detail::segment_magic, sizeof detail::segment_magic);
    std::size_t at = 0;
    while (at + 2 <= in.size()) {
        const std::size_t size = std::min<std::size_t>(in[at] | (in[at + 1] << 8), in.size() - at - 2);
        const std::uint8_t* payload = in.data() + at + 2;
        at += 2 + size;
        const std::size_t offset = segment.size();
        segment.resize(offset + detail::alignRecord(size));
        detail::RecordHeader header{
            detail::record_committed, static_cast<std::uint32_t>(size),
            detail::recordCrc(static_cast<std::uint32_t>(size), reinterpret_cast<const std::byte*>(payload)), 0};
        std::memcpy(segment.data() + offset, &header, sizeof header);
        std::memcpy(segment.data() + offset + detail::record_header_bytes, payload, size);
    }
    return segment;
}

void checkRecord(std::span<const std::byte> payload) {
    try {
        const UsageEvent event = detail::decodeEvent(payload);
        detail::EventDraft draft;
        draft.business = event.business;
        draft.type = event.type;
        draft.quantity = event.quantity;
        draft.unit_price = event.unit_price;
        draft.id = event.id;
        draft.occurred_at = event.occurred_at;
        draft.encoded_metadata = detail::MetadataEncoding::bytes(event.metadata);
        const std::string_view model = event.model;
        if (!model.empty()) {
            draft.model_provider = model.substr(0, model.find('/'));
            draft.model_name = model.substr(model.find('/') + 1);
        }
        draft.parts = event.parts;
        std::vector<DimensionValue> dimensions;
        for (const EventDimension& d : event.dimensions) dimensions.push_back({d.name, d.value});
        draft.dimensions = dimensions;
        // Older records encode as version 3: the same bytes after the version, and what the
        // newer versions add, empty: a version-1 record (no model, no parts) gains a zero
        // model length, part count and dimension count; a version-2 record a dimension count.
        const auto version = static_cast<std::uint8_t>(payload[0]);
        const std::size_t size = payload.size() + (version == 1 ? 4 : version == 2 ? 1 : 0);
        fuzz::require(detail::encodedEventSize(draft) == size, "a decoded event encodes to another size");
        std::vector<std::byte> again(size);
        detail::encodeEvent(draft, again.data());
        fuzz::require(
            again[0] == std::byte{3} && std::memcmp(again.data() + 1, payload.data() + 1, payload.size() - 1) == 0,
            "a decoded event encodes to other bytes");
    } catch (const Error& e) {
        fuzz::requireValidMessage(e.what());
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    std::vector<std::byte> segment;
    const std::span<const std::uint8_t> rest(data + 1, size - 1);
    if (data[0] % 2 == 0) {
        segment.assign(reinterpret_cast<const std::byte*>(rest.data()),
                       reinterpret_cast<const std::byte*>(rest.data() + rest.size()));
    } else if (rest.size() >= 4) {
        segment = segmentOf(rest.first(rest.size() - 4));
        const std::uint8_t* damage = rest.data() + rest.size() - 4;
        const std::size_t flip = (damage[0] | (damage[1] << 8)) % (segment.size() + 1);
        if (flip < segment.size()) segment[flip] ^= std::byte{static_cast<std::uint8_t>(damage[2] | 1)};
        const std::size_t cut = segment.size() - std::min<std::size_t>(damage[3], segment.size());
        segment.resize(cut);
    }
    const std::span<const std::byte> bytes(segment);
    std::size_t handed = 0;
    const detail::SegmentScan scan = detail::scanSegment(bytes, [&](std::span<const std::byte> payload) {
        fuzz::require(payload.data() >= bytes.data() && payload.data() + payload.size() <= bytes.data() + bytes.size(),
                      "a record lies outside its segment");
        ++handed;
        checkRecord(payload);
    });
    fuzz::require(scan.records == handed, "records counted and handed out differ");
    fuzz::require(!scan.unused || (handed == 0 && scan.damaged == 0), "an unused segment had records or damage");
    fuzz::require(detail::usedBytes(bytes) <= bytes.size(), "used bytes beyond the segment");
    return 0;
}
