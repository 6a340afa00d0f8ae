// SPDX-License-Identifier: MIT
// Free-form facts attached to a usage event (operation, model, tokens, sessionId …).
#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>

#include "metered/export.h"

namespace metered {
namespace detail {
struct MetadataEncoding;
}  // namespace detail

/// A flat JSON object of facts about one event, stored as the `metadata` JSONB of the
/// seed's `usage_events`. Fields keep the order they were set in; setting a key again
/// replaces its value.
///
/// Fields are kept in a compact encoded form and turned into JSON text only when a
/// store writes them (`toJson`), so filling metadata on a request thread is cheap.
/// Keys (1–255 bytes) and string values must be valid UTF-8 without U+0000 (which
/// PostgreSQL cannot store): a bad one throws ValidationError("metadata.<key>", …). The size limit (default 8 KiB, see
/// RecorderOptions) is checked against `byteSize()`.
///
/// A value type; not synchronised (fill it on one thread, then hand it over).
class METERED_API Metadata {
public:
    /// Largest JSON text setJson() and fromJson() read (1 MiB, the most a store keeps);
    /// longer text is refused before it is parsed.
    static constexpr std::size_t max_json_bytes = std::size_t{1} << 20;
    /// Deepest nesting of arrays and objects setJson() and fromJson() accept, counting
    /// fromJson()'s outer object; deeper text is refused while it is parsed.
    static constexpr int max_json_depth = 32;

    Metadata() = default;

    Metadata& set(std::string_view key, std::string_view value);
    Metadata& set(std::string_view key, const char* value) { return set(key, std::string_view(value)); }
    Metadata& set(std::string_view key, bool value);
    template <std::integral I>
    requires(!std::same_as<I, bool>) Metadata& set(std::string_view key, I value) {
        if constexpr (std::is_unsigned_v<I> && sizeof(I) >= sizeof(std::int64_t)) {
            checkFitsInt64(key, static_cast<std::uint64_t>(value));
        }
        return setInteger(key, static_cast<std::int64_t>(value));
    }
    /// Sets `key` to `null`.
    Metadata& setNull(std::string_view key);
    /// Sets `key` to an arbitrary JSON value given as text (an object, an array, a number).
    /// Throws ValidationError("metadata.<key>", …) when `json` is not one JSON value, is
    /// longer than max_json_bytes or nests deeper than max_json_depth.
    Metadata& setJson(std::string_view key, std::string_view json);

    /// The fields of a JSON object given as text, e.g. `{"intent":"order","tokens":12}`.
    /// Throws ValidationError("metadata", …) when the text is not a JSON object, is longer
    /// than max_json_bytes or nests deeper than max_json_depth.
    static Metadata fromJson(std::string_view object_text);

    /// The JSON object text, e.g. `{"operation":"chat_completion","tokens":412}`.
    std::string toJson() const;

    bool empty() const noexcept { return encoded_.empty(); }
    /// Number of fields.
    std::size_t size() const noexcept;
    /// Bytes held: the keys and values plus a few bytes per field. Bounded by the
    /// recorder's metadata limit.
    std::size_t byteSize() const noexcept { return encoded_.size(); }
    friend bool operator==(const Metadata&, const Metadata&) = default;

private:
    friend struct detail::MetadataEncoding;  // the event log copies the encoded fields as bytes
    enum class Kind : std::uint8_t;
    Metadata& setInteger(std::string_view key, std::int64_t value);
    Metadata& put(std::string_view key, Kind kind, std::string_view value);
    Metadata& putJson(std::string_view key, std::string_view json);
    static void checkFitsInt64(std::string_view key, std::uint64_t value);

    std::string encoded_;
};

}  // namespace metered
