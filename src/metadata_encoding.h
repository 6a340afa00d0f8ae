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

/// The first and the last N bytes of `size` (N ≤ size ≤ 2N) from `in` to `out`: every
/// byte, in two fixed-size moves.
template <std::size_t N>
inline void copyEnds(char* out, const char* in, std::size_t size) noexcept {
    std::memcpy(out, in, N);
    std::memcpy(out + size - N, in + size - N, N);
}

/// Copies `size` bytes from `in` to `out` (not overlapping) and returns the end. Keys,
/// names and most values are short: they take a few moves inline, not a call to memcpy.
[[gnu::always_inline]] inline char* copyBytes(char* out, const char* in, std::size_t size) noexcept {
    if (size >= 8) {
        if (size <= 16) {
            copyEnds<8>(out, in, size);
        } else if (size <= 32) {
            copyEnds<16>(out, in, size);
        } else {
            std::memcpy(out, in, size);
        }
    } else if (size >= 4) {
        copyEnds<4>(out, in, size);
    } else if (size > 0) {  // the first, middle and last byte are all of them
        out[0] = in[0];
        out[size / 2] = in[size / 2];
        out[size - 1] = in[size - 1];
    }
    return out + size;
}

/// Writes one field at `out` (encodedFieldSize bytes); returns the end.
[[gnu::always_inline]] inline char* writeField(char* out, FieldKind kind, std::string_view key,
                                               std::string_view value) noexcept {
    *out++ = static_cast<char>(kind);
    *out++ = static_cast<char>(key.size());
    out = copyBytes(out, key.data(), key.size());
    const auto size = static_cast<std::uint32_t>(value.size());
    for (int i = 0; i < 4; ++i) *out++ = static_cast<char>(size >> (8 * i));
    return copyBytes(out, value.data(), value.size());
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
