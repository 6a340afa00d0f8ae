// SPDX-License-Identifier: MIT
#include "event_json.h"

#include "metered/errors.h"
#include "text_format.h"

namespace metered::detail {
namespace {

Decimal readAmount(const Json& object, const char* key, const std::string& at) {
    const std::string field = at + "." + key;
    if (!object.contains(key)) throw ValidationError(field, "is missing");
    Decimal value = readDecimal(object.at(key), field);
    if (value.isNegative()) throw ValidationError(field, "must not be negative");
    return value;
}

std::string readText(const Json& object, const char* key, const std::string& at) {
    const std::string field = at + "." + key;
    if (!object.contains(key)) throw ValidationError(field, "is missing");
    return readString(object.at(key), field);
}

// Runs `read`, a reader that names its field without a path ("event_type"), so that its
// error names "<path>" instead.
template <class Read>
auto withPath(const std::string& path, Read read) {
    try {
        return read();
    } catch (const ValidationError& e) {
        std::string_view problem = e.what();
        if (const auto colon = problem.find(": "); colon != std::string_view::npos) problem.remove_prefix(colon + 2);
        throw ValidationError(path, problem);
    }
}

const Json& readArray(const Json& object, const char* key, const std::string& at) {
    const Json& value = object.at(key);
    if (!value.is_array()) throw ValidationError(at + "." + key, "must be an array");
    return value;
}

}  // namespace

Json eventJson(const UsageEvent& event) {
    Json object = {{"id", event.id.toString()},
                   {"business_id", event.business.toString()},
                   {"event_type", event.type.toString()},
                   {"quantity", event.quantity.toString()},
                   {"unit_price", event.unit_price.toString()},
                   {"list_cost", event.list_cost.toString()},
                   {"occurred_at", isoTimestamp(event.occurred_at)},
                   // The fields' object around values of up to max_json_depth levels each.
                   {"metadata", parseExactJson(event.metadata.toJson(), "metadata", Metadata::max_json_depth + 1)}};
    if (!event.model.empty()) {
        // A rate-card event: what priced it and what its cost is made of, exactly.
        object["model"] = event.model;
        Json& parts = object["parts"] = Json::array();
        for (const PricedPart& part : event.parts) {
            parts.push_back({{"part", toString(part.part)},
                             {"quantity", part.quantity.toString()},
                             {"cost", part.cost.toString()}});
        }
    }
    if (!event.dimensions.empty()) {
        Json& dimensions = object["dimensions"] = Json::array();
        for (const EventDimension& d : event.dimensions) dimensions.push_back({{"name", d.name}, {"value", d.value}});
    }
    return object;
}

UsageEvent eventFromJson(const Json& object, const std::string& at) {
    requireObject(object, at);
    onlyKeys(object,
             {"id", "business_id", "event_type", "quantity", "unit_price", "list_cost", "occurred_at", "metadata",
              "model", "parts", "dimensions"},
             at);
    UsageEvent event;
    event.id = EventId(Uuid::parse(readText(object, "id", at), at + ".id"));
    event.business = BusinessId(Uuid::parse(readText(object, "business_id", at), at + ".business_id"));
    const std::string type = readText(object, "event_type", at);
    event.type = withPath(at + ".event_type", [&] { return EventType(type); });
    event.quantity = readAmount(object, "quantity", at);
    event.unit_price = readAmount(object, "unit_price", at);
    event.list_cost =
        object.contains("list_cost") ? readAmount(object, "list_cost", at) : event.quantity * event.unit_price;
    const auto occurred = parseIsoTimestamp(readText(object, "occurred_at", at));
    if (!occurred) throw ValidationError(at + ".occurred_at", "must be an ISO 8601 UTC timestamp");
    event.occurred_at = *occurred;
    if (!object.contains("metadata")) throw ValidationError(at + ".metadata", "is missing");
    // Field by field, as the host set them (a value may nest max_json_depth levels itself).
    for (const auto& [key, value] : requireObject(object.at("metadata"), at + ".metadata").items()) {
        const std::string json = dumpExact(value);
        withPath(at + ".metadata", [&, &key = key] { event.metadata.setJson(key, json); });
    }
    if (object.contains("model")) {
        event.model = readString(object.at("model"), at + ".model");
        if (event.model.empty()) throw ValidationError(at + ".model", "must not be empty");
    }
    if (object.contains("parts")) {
        if (event.model.empty())
            throw ValidationError(at + ".parts", "only a rate-card event (with a model) has parts");
        const Json& parts = readArray(object, "parts", at);
        for (std::size_t i = 0; i < parts.size(); ++i) {
            const std::string path = at + ".parts[" + std::to_string(i) + "]";
            requireObject(parts[i], path);
            onlyKeys(parts[i], {"part", "quantity", "cost"}, path);
            const auto part = parseUsagePart(readText(parts[i], "part", path));
            if (!part) throw ValidationError(path + ".part", "is not a usage part");
            event.parts.push_back({*part, readAmount(parts[i], "quantity", path), readAmount(parts[i], "cost", path)});
        }
    }
    if (object.contains("dimensions")) {
        const Json& dimensions = readArray(object, "dimensions", at);
        for (std::size_t i = 0; i < dimensions.size(); ++i) {
            const std::string path = at + ".dimensions[" + std::to_string(i) + "]";
            requireObject(dimensions[i], path);
            onlyKeys(dimensions[i], {"name", "value"}, path);
            event.dimensions.push_back({readText(dimensions[i], "name", path), readText(dimensions[i], "value", path)});
        }
    }
    return event;
}

}  // namespace metered::detail
