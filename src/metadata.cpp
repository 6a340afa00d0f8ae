// SPDX-License-Identifier: MIT
#include "metered/metadata.h"

#include <charconv>
#include <cstring>
#include <nlohmann/json.hpp>

#include "metered/errors.h"
#include "utf8.h"

namespace metered {

// Encoding of one field: kind (1 byte), key length (1 byte), key, value length (4 bytes,
// little endian), value. Strings hold their raw bytes; every other kind holds JSON text.
enum class Metadata::Kind : std::uint8_t { string = 1, json = 2 };

namespace {

constexpr std::size_t header_bytes = 2;
constexpr std::size_t length_bytes = 4;

struct Field {
    std::uint8_t kind;
    std::string_view key;
    std::string_view value;
    std::size_t size;  // encoded bytes
};

// Reads the field at `offset`, or nothing when the encoding is malformed.
std::optional<Field> fieldAt(std::string_view encoded, std::size_t offset) {
    if (encoded.size() - offset < header_bytes) return std::nullopt;
    const auto kind = static_cast<std::uint8_t>(encoded[offset]);
    const auto key_size = static_cast<std::uint8_t>(encoded[offset + 1]);
    const std::size_t value_at = offset + header_bytes + key_size + length_bytes;
    if (encoded.size() < value_at) return std::nullopt;
    std::uint32_t value_size = 0;
    for (std::size_t i = 0; i < length_bytes; ++i) {
        value_size |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(encoded[value_at - length_bytes + i])) << (8 * i);
    }
    if (encoded.size() - value_at < value_size) return std::nullopt;
    return Field{kind, encoded.substr(offset + header_bytes, key_size), encoded.substr(value_at, value_size),
                 value_at + value_size - offset};
}

void checkKey(std::string_view key) {
    if (key.empty() || key.size() > 255) {
        throw ValidationError("metadata", "a key must be 1 to 255 bytes long");
    }
    if (!detail::isValidUtf8(key)) throw ValidationError("metadata", "a key is not valid UTF-8");
}

nlohmann::ordered_json parseJson(std::string_view text, std::string_view field) {
    try {
        return nlohmann::ordered_json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        throw ValidationError(field, std::string("not valid JSON: ") + e.what());
    }
}

}  // namespace

Metadata& Metadata::put(std::string_view key, Kind kind, std::string_view value) {
    checkKey(key);
    if (value.size() > UINT32_MAX) throw ValidationError("metadata." + std::string(key), "value too large");
    // Replace an existing field of the same key.
    for (std::size_t offset = 0; offset < encoded_.size();) {
        const auto field = fieldAt(encoded_, offset);
        if (field->key == key) {
            encoded_.erase(offset, field->size);
            break;
        }
        offset += field->size;
    }
    encoded_.push_back(static_cast<char>(kind));
    encoded_.push_back(static_cast<char>(key.size()));
    encoded_.append(key);
    const auto size = static_cast<std::uint32_t>(value.size());
    for (std::size_t i = 0; i < length_bytes; ++i) encoded_.push_back(static_cast<char>(size >> (8 * i)));
    encoded_.append(value);
    return *this;
}

Metadata& Metadata::set(std::string_view key, std::string_view value) {
    if (!detail::isValidUtf8(value)) {
        throw ValidationError("metadata." + std::string(key.substr(0, 64)), "value is not valid UTF-8");
    }
    return put(key, Kind::string, value);
}

Metadata& Metadata::set(std::string_view key, bool value) {
    return put(key, Kind::json, value ? "true" : "false");
}

Metadata& Metadata::setNull(std::string_view key) { return put(key, Kind::json, "null"); }

Metadata& Metadata::setInteger(std::string_view key, std::int64_t value) {
    char text[24];
    const auto end = std::to_chars(text, text + sizeof text, value).ptr;
    return put(key, Kind::json, std::string_view(text, static_cast<std::size_t>(end - text)));
}

void Metadata::checkFitsInt64(std::string_view key, std::uint64_t value) {
    if (value > static_cast<std::uint64_t>(INT64_MAX)) {
        throw ValidationError("metadata." + std::string(key.substr(0, 64)), "integer larger than 2^63-1");
    }
}

Metadata& Metadata::setJson(std::string_view key, std::string_view json) {
    const auto value = parseJson(json, "metadata." + std::string(key.substr(0, 64)));
    if (value.is_string()) return set(key, value.get_ref<const std::string&>());
    return put(key, Kind::json, value.dump());
}

Metadata Metadata::fromJson(std::string_view object_text) {
    const auto object = parseJson(object_text, "metadata");
    if (!object.is_object()) throw ValidationError("metadata", "must be a JSON object");
    Metadata metadata;
    for (const auto& [key, value] : object.items()) {
        if (value.is_string()) {
            metadata.set(key, value.get_ref<const std::string&>());
        } else {
            metadata.put(key, Kind::json, value.dump());
        }
    }
    return metadata;
}

std::string Metadata::toJson() const {
    std::string out = "{";
    for (std::size_t offset = 0; offset < encoded_.size();) {
        const auto field = fieldAt(encoded_, offset);
        if (offset != 0) out.push_back(',');
        out += nlohmann::json(std::string(field->key)).dump();
        out.push_back(':');
        if (field->kind == static_cast<std::uint8_t>(Kind::string)) {
            out += nlohmann::json(std::string(field->value)).dump();
        } else {
            out.append(field->value);
        }
        offset += field->size;
    }
    out.push_back('}');
    return out;
}

std::size_t Metadata::size() const noexcept {
    std::size_t count = 0;
    for (std::size_t offset = 0; offset < encoded_.size(); ++count) offset += fieldAt(encoded_, offset)->size;
    return count;
}

Metadata Metadata::fromEncoded(std::string_view encoded) {
    Metadata metadata;
    for (std::size_t offset = 0; offset < encoded.size();) {
        const auto field = fieldAt(encoded, offset);
        if (!field) throw ValidationError("metadata", "malformed encoding");
        if (field->kind == static_cast<std::uint8_t>(Kind::string)) {
            metadata.set(field->key, field->value);
        } else if (field->kind == static_cast<std::uint8_t>(Kind::json)) {
            metadata.setJson(field->key, field->value);
        } else {
            throw ValidationError("metadata", "malformed encoding");
        }
        offset += field->size;
    }
    return metadata;
}

}  // namespace metered
