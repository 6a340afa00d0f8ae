// SPDX-License-Identifier: MIT
#include "event_codec.h"

#include <cstring>

#include "../decimal_access.h"
#include "../metadata_encoding.h"
#include "metered/errors.h"

namespace metered::detail {
namespace {

// Layout (little endian, this host's): version, type length, type, business (16),
// id (16), occurred_at µs (8), quantity (16 + 1 scale), unit price (16 + 1 scale),
// metadata length (4), metadata; since version 2: model length (2), model
// ("provider/model"), part count (1), parts (part 1, quantity 17, cost 17 each).
// Version 1 records (spools written before rate-card events) have no model and no parts.
// Since version 3: dimension count (1), each dimension as name length (1), name, value
// length (2), value; version 2 records have no dimensions.
constexpr std::uint8_t format_version = 3;
constexpr std::size_t decimal_bytes = 17;
constexpr std::size_t part_bytes = 1 + 2 * decimal_bytes;

class Writer {
public:
    explicit Writer(std::byte* out) : out_(out) {}
    // A value of fixed size.
    void bytes(const void* data, std::size_t size) {
        std::memcpy(out_, data, size);
        out_ += size;
    }
    // Text of any size, empty (whose data() may be null) included.
    void text(std::string_view text) {
        out_ = reinterpret_cast<std::byte*>(copyBytes(reinterpret_cast<char*>(out_), text.data(), text.size()));
    }
    void u8(std::uint8_t v) { bytes(&v, 1); }
    void decimal(const Decimal& d) {
        const int128 m = DecimalAccess::mantissa(d);
        bytes(&m, 16);
        u8(static_cast<std::uint8_t>(d.scale()));
    }

private:
    std::byte* out_;
};

class Reader {
public:
    explicit Reader(std::span<const std::byte> in) : in_(in) {}
    void bytes(void* data, std::size_t size) {
        if (in_.size() - at_ < size) throw ValidationError("event record", "truncated");
        std::memcpy(data, in_.data() + at_, size);
        at_ += size;
    }
    std::uint8_t u8() {
        std::uint8_t v = 0;
        bytes(&v, 1);
        return v;
    }
    std::string_view text(std::size_t size) {
        if (in_.size() - at_ < size) throw ValidationError("event record", "truncated");
        std::string_view view(reinterpret_cast<const char*>(in_.data()) + at_, size);
        at_ += size;
        return view;
    }
    Decimal decimal() {
        int128 m = 0;
        bytes(&m, 16);
        return DecimalAccess::make(m, u8());
    }
    bool done() const { return at_ == in_.size(); }

private:
    std::span<const std::byte> in_;
    std::size_t at_ = 0;
};

}  // namespace

std::size_t encodedEventSize(const EventDraft& draft) noexcept {
    return 2 + draft.type.name().size() + 16 + 16 + 8 + 2 * decimal_bytes + 4 + draft.metadataBytes() + 2 +
           draft.modelBytes() + 1 + draft.parts.size() * part_bytes + 1 + draft.dimensionBytes();
}

void encodeEvent(const EventDraft& draft, std::byte* out) noexcept {
    Writer w(out);
    w.u8(format_version);
    w.u8(static_cast<std::uint8_t>(draft.type.name().size()));
    w.text(draft.type.name());
    w.bytes(draft.business.uuid().bytes().data(), 16);
    w.bytes(draft.id.uuid().bytes().data(), 16);
    const std::int64_t micros = draft.occurred_at.time_since_epoch().count();
    w.bytes(&micros, 8);
    w.decimal(draft.quantity);
    w.decimal(draft.unit_price);
    const auto metadata = static_cast<std::uint32_t>(draft.metadataBytes());
    w.bytes(&metadata, 4);
    w.text(draft.encoded_metadata);
    const auto model = static_cast<std::uint16_t>(draft.modelBytes());
    w.bytes(&model, 2);
    if (model != 0) {
        w.text(draft.model_provider);
        w.u8('/');
        w.text(draft.model_name);
    }
    w.u8(static_cast<std::uint8_t>(draft.parts.size()));
    for (const PricedPart& part : draft.parts) {
        w.u8(static_cast<std::uint8_t>(part.part));
        w.decimal(part.quantity);
        w.decimal(part.cost);
    }
    w.u8(static_cast<std::uint8_t>(draft.dimensions.size()));
    for (const DimensionValue& d : draft.dimensions) {
        w.u8(static_cast<std::uint8_t>(d.name.size()));
        w.text(d.name);
        const auto value = static_cast<std::uint16_t>(d.value.size());
        w.bytes(&value, 2);
        w.text(d.value);
    }
}

UsageEvent decodeEvent(std::span<const std::byte> bytes) {
    Reader r(bytes);
    const std::uint8_t version = r.u8();
    if (version < 1 || version > format_version) throw ValidationError("event record", "unknown format version");
    UsageEvent event;
    event.type = EventType(r.text(r.u8()));
    Uuid::Bytes uuid;
    r.bytes(uuid.data(), 16);
    event.business = BusinessId(Uuid(uuid));
    r.bytes(uuid.data(), 16);
    event.id = EventId(Uuid(uuid));
    std::int64_t micros = 0;
    r.bytes(&micros, 8);
    event.occurred_at = Timestamp(std::chrono::microseconds(micros));
    event.quantity = r.decimal();
    event.unit_price = r.decimal();
    event.list_cost = event.quantity * event.unit_price;
    std::uint32_t metadata = 0;
    r.bytes(&metadata, 4);
    event.metadata = MetadataEncoding::fromBytes(r.text(metadata));
    if (version >= 2) {
        std::uint16_t model = 0;
        r.bytes(&model, 2);
        event.model = r.text(model);
        if (model != 0 && (event.model.front() == '/' || event.model.find('/') == std::string::npos)) {
            throw ValidationError("event record", "model without its provider");
        }
        const std::uint8_t parts = r.u8();
        if (parts > usage_part_count) throw ValidationError("event record", "too many parts");
        event.parts.resize(parts);
        for (PricedPart& part : event.parts) {
            const std::uint8_t kind = r.u8();
            if (kind >= usage_part_count) throw ValidationError("event record", "unknown part");
            part.part = static_cast<UsagePart>(kind);
            part.quantity = r.decimal();
            part.cost = r.decimal();
        }
    }
    if (version >= 3) {
        const std::uint8_t dimensions = r.u8();
        if (dimensions > max_event_dimensions) throw ValidationError("event record", "too many dimensions");
        event.dimensions.resize(dimensions);
        for (EventDimension& d : event.dimensions) {
            d.name = r.text(r.u8());
            std::uint16_t value = 0;
            r.bytes(&value, 2);
            d.value = r.text(value);
        }
    }
    if (!r.done()) throw ValidationError("event record", "trailing bytes");
    return event;
}

}  // namespace metered::detail
