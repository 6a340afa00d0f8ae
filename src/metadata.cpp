// SPDX-License-Identifier: MIT
#include "metered/metadata.h"

#include <charconv>
#include <cstring>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "metadata_encoding.h"
#include "text_format.h"
#include "metered/errors.h"
#include "utf8.h"
#include "untrusted_text.h"

namespace metered {

enum class Metadata::Kind : std::uint8_t { string = 1, json = 2 };

namespace {

using detail::readField;

void checkKey(std::string_view key) {
    if (key.empty() || key.size() > 255) {
        throw ValidationError("metadata", "a key must be 1 to 255 bytes long");
    }
    if (!detail::isStorableText(key)) throw ValidationError("metadata", "a key is not valid UTF-8 without U+0000");
}

// True for "0", "-12", "2000": an integer of up to 18 digits without a leading zero, valid
// JSON the parser need not see (the record calls' integer fields, on the flusher's path).
bool isShortJsonInteger(std::string_view text) noexcept {
    if (!text.empty() && text.front() == '-') text.remove_prefix(1);
    if (text.empty() || text.size() > 18 || (text.front() == '0' && text.size() > 1)) return false;
    for (char c : text) {
        if (c < '0' || c > '9') return false;
    }
    return true;
}

// Parses one JSON value of at most Metadata::max_json_bytes, refusing nesting deeper than
// Metadata::max_json_depth as the parser meets it (nlohmann's parser keeps its own stack,
// but dump(), copies and comparisons recurse: 100k levels would overflow the stack).
nlohmann::ordered_json parseJson(std::string_view text, const std::string& field) {
    constexpr int max_depth = Metadata::max_json_depth;
    if (text.size() > Metadata::max_json_bytes) {
        throw ValidationError(field, fmt::format("JSON text of {} bytes is longer than the limit of {}", text.size(),
                                                 Metadata::max_json_bytes));
    }
    const auto limit_depth = [&](int depth, nlohmann::ordered_json::parse_event_t event, nlohmann::ordered_json&) {
        const bool opens = event == nlohmann::ordered_json::parse_event_t::object_start ||
                           event == nlohmann::ordered_json::parse_event_t::array_start;
        if (opens && depth >= max_depth) {
            throw ValidationError(field, fmt::format("JSON nested deeper than {} levels", max_depth));
        }
        return true;
    };
    try {
        return nlohmann::ordered_json::parse(text, limit_depth);
    } catch (const nlohmann::json::exception& e) {
        // parse_error, and out_of_range for a number beyond a double ("1e400").
        throw ValidationError(field, std::string("not valid JSON: ") + e.what());
    }
}

}  // namespace

Metadata& Metadata::put(std::string_view key, Kind kind, std::string_view value) {
    checkKey(key);
    if (value.size() > UINT32_MAX) throw ValidationError("metadata." + detail::clipped(key), "value too large");
    // Replace an existing field of the same key.
    for (std::size_t offset = 0; offset < encoded_.size();) {
        const auto field = readField(encoded_, offset);
        if (field->key == key) {
            encoded_.erase(offset, field->size);
            break;
        }
        offset += field->size;
    }
    const std::size_t at = encoded_.size();
    encoded_.resize(at + detail::encodedFieldSize(key, value));
    detail::writeField(encoded_.data() + at, static_cast<detail::FieldKind>(kind), key, value);
    return *this;
}

Metadata& Metadata::putJson(std::string_view key, std::string_view json) {
    if (detail::hasNulEscape(json)) {
        throw ValidationError("metadata." + detail::clipped(key), "holds U+0000, which no store keeps");
    }
    return put(key, Kind::json, json);
}

Metadata& Metadata::set(std::string_view key, std::string_view value) {
    if (!detail::isStorableText(value)) {
        throw ValidationError("metadata." + detail::clipped(key), "value is not valid UTF-8 without U+0000");
    }
    return put(key, Kind::string, value);
}

Metadata& Metadata::set(std::string_view key, bool value) { return put(key, Kind::json, value ? "true" : "false"); }

Metadata& Metadata::setNull(std::string_view key) { return put(key, Kind::json, "null"); }

Metadata& Metadata::setInteger(std::string_view key, std::int64_t value) {
    char text[24];
    const auto end = std::to_chars(text, text + sizeof text, value).ptr;
    return put(key, Kind::json, std::string_view(text, static_cast<std::size_t>(end - text)));
}

void Metadata::checkFitsInt64(std::string_view key, std::uint64_t value) {
    if (value > static_cast<std::uint64_t>(INT64_MAX)) {
        throw ValidationError("metadata." + detail::clipped(key), "integer larger than 2^63-1");
    }
}

Metadata& Metadata::setJson(std::string_view key, std::string_view json) {
    const auto value = parseJson(json, "metadata." + detail::clipped(key));
    if (value.is_string()) return set(key, value.get_ref<const std::string&>());
    return putJson(key, value.dump());
}

Metadata Metadata::fromJson(std::string_view object_text) {
    const auto object = parseJson(object_text, "metadata");
    if (!object.is_object()) throw ValidationError("metadata", "must be a JSON object");
    Metadata metadata;
    for (const auto& [key, value] : object.items()) {
        if (value.is_string()) {
            metadata.set(key, value.get_ref<const std::string&>());
        } else {
            metadata.putJson(key, value.dump());
        }
    }
    return metadata;
}

std::string Metadata::toJson() const {
    std::string out;
    out.reserve(encoded_.size() + 16);
    out.push_back('{');
    for (std::size_t offset = 0; offset < encoded_.size();) {
        const auto field = readField(encoded_, offset);
        if (offset != 0) out.push_back(',');
        detail::appendJsonString(out, field->key);
        out.push_back(':');
        if (field->kind == detail::FieldKind::string) {
            detail::appendJsonString(out, field->value);
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
    for (std::size_t offset = 0; offset < encoded_.size(); ++count) offset += readField(encoded_, offset)->size;
    return count;
}

namespace detail {

Metadata MetadataEncoding::fromBytes(std::string_view encoded) {
    // Bytes from outside this process (a spool file): everything is checked, JSON values
    // included, as if they came from the host.
    for (std::size_t offset = 0; offset < encoded.size();) {
        const auto field = readField(encoded, offset);
        if (!field || !isStorableText(field->key) ||
            (field->kind == FieldKind::string && !isStorableText(field->value)) ||
            (field->kind == FieldKind::json && hasNulEscape(field->value))) {
            throw ValidationError("metadata", "malformed encoding");
        }
        if (field->kind == FieldKind::json && !isShortJsonInteger(field->value)) {
            parseJson(field->value, "metadata." + clipped(field->key));
        }
        offset += field->size;
    }
    Metadata metadata;
    metadata.encoded_ = std::string(encoded);
    return metadata;
}

}  // namespace detail

}  // namespace metered
