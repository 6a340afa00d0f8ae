// SPDX-License-Identifier: MIT
// The compact encoding of metadata fields, shared by Metadata and the event log (private).
//
// One field: kind (1 byte), key length (1 byte), key, value length (4 bytes, little
// endian), value. A string field holds raw UTF-8; a JSON field holds JSON text.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "metered/metadata.h"

namespace metered::detail {

enum class FieldKind : std::uint8_t { string = 1, json = 2 };

/// What the event log needs of a Metadata: its fields as encoded bytes, and back.
struct MetadataEncoding {
    static const std::string& bytes(const Metadata& metadata) noexcept { return metadata.encoded_; }
    /// Rebuilds metadata from bytes() (read back from a spool file): structure, UTF-8 and
    /// JSON values are all checked. Throws ValidationError("metadata…", …).
    static Metadata fromBytes(std::string_view encoded);
};

struct EncodedField {
    FieldKind kind;
    std::string_view key;
    std::string_view value;
    std::size_t size;  ///< encoded bytes
};

inline constexpr std::size_t field_overhead = 6;

inline std::size_t encodedFieldSize(std::string_view key, std::string_view value) noexcept {
    return field_overhead + key.size() + value.size();
}

/// Writes one field at `out` (encodedFieldSize bytes); returns the end.
inline char* writeField(char* out, FieldKind kind, std::string_view key, std::string_view value) noexcept {
    *out++ = static_cast<char>(kind);
    *out++ = static_cast<char>(key.size());
    std::memcpy(out, key.data(), key.size());
    out += key.size();
    const auto size = static_cast<std::uint32_t>(value.size());
    for (int i = 0; i < 4; ++i) *out++ = static_cast<char>(size >> (8 * i));
    std::memcpy(out, value.data(), value.size());
    return out + value.size();
}

/// The field at `offset`, or nothing when the bytes there are not a well-formed field.
inline std::optional<EncodedField> readField(std::string_view encoded, std::size_t offset) noexcept {
    if (encoded.size() < offset + 2) return std::nullopt;
    const auto kind = static_cast<std::uint8_t>(encoded[offset]);
    const auto key_size = static_cast<std::uint8_t>(encoded[offset + 1]);
    const std::size_t value_at = offset + 2 + key_size + 4;
    if ((kind != 1 && kind != 2) || key_size == 0 || encoded.size() < value_at) return std::nullopt;
    std::uint32_t value_size = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        value_size |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(encoded[value_at - 4 + i])) << (8 * i);
    }
    if (encoded.size() - value_at < value_size) return std::nullopt;
    return EncodedField{static_cast<FieldKind>(kind), encoded.substr(offset + 2, key_size),
                        encoded.substr(value_at, value_size), value_at + value_size - offset};
}

}  // namespace metered::detail
