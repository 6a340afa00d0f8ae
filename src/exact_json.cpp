// SPDX-License-Identifier: MIT
#include "exact_json.h"

#include <fmt/format.h>

#include <algorithm>

#include <unordered_set>
#include <vector>

#include "metered/errors.h"
#include "untrusted_text.h"

namespace metered::detail {
namespace {

// Marks a string that stands for a number (a control character no validated text holds).
constexpr char number_marker = '\x01';
constexpr std::string_view dumped_marker = "\"\\u0001";

// Builds a DOM like nlohmann's own SAX DOM parser, but keeps fractional numbers as their
// digits, refuses duplicate keys and nesting deeper than a limit, and knows the JSON path
// of every value for its errors. Iterative: no recursion however deep the text.
class ExactDomBuilder final : public nlohmann::json_sax<Json> {
public:
    ExactDomBuilder(std::string_view what, int max_depth) : what_(what), max_depth_(max_depth) {}

    Json root;
    std::string error;

    bool null() override { return add(nullptr) != nullptr; }
    bool boolean(bool value) override { return add(value) != nullptr; }
    bool number_integer(number_integer_t value) override { return add(value) != nullptr; }
    bool number_unsigned(number_unsigned_t value) override { return add(value) != nullptr; }
    bool number_float(number_float_t, const string_t& text) override {
        // The lexer writes the C locale's decimal point; a host's locale may use ','.
        std::string digits = std::string(1, number_marker) + text;
        for (char& c : digits) {
            if (c == ',') c = '.';
        }
        return add(std::move(digits)) != nullptr;
    }
    bool string(string_t& value) override {
        if (!value.empty() && value.front() == number_marker) {
            throw ValidationError(childPath(), "a string must not begin with U+0001");
        }
        return add(value) != nullptr;
    }
    bool binary(binary_t&) override { return false; }
    bool start_object(std::size_t) override { return open(Json::object()); }
    bool key(string_t& name) override {
        Frame& frame = stack_.back();
        if (!frame.keys.insert(name).second) throw ValidationError(pathOf(frame.path, name), "duplicate key");
        key_ = name;
        return true;
    }
    bool end_object() override {
        stack_.pop_back();
        return true;
    }
    bool start_array(std::size_t) override { return open(Json::array()); }
    bool end_array() override {
        stack_.pop_back();
        return true;
    }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
        error = e.what();
        return false;
    }

private:
    struct Frame {
        Json* value;
        std::string path;
        std::unordered_set<std::string> keys;  // objects: the keys seen, for duplicates
    };

    static std::string pathOf(const std::string& parent, std::string_view key) {
        return parent.empty() ? clipped(key) : parent + "." + clipped(key);
    }

    // The path of the value about to be added.
    std::string childPath() const {
        if (stack_.empty()) return std::string(what_);
        const Frame& parent = stack_.back();
        if (parent.value->is_array()) return parent.path + "[" + std::to_string(parent.value->size()) + "]";
        return pathOf(parent.path, key_);
    }

    bool open(Json container) {
        if (static_cast<int>(stack_.size()) >= max_depth_) {
            throw ValidationError(childPath(), fmt::format("nested deeper than {} levels", max_depth_));
        }
        std::string path = stack_.empty() ? std::string() : childPath();
        Json* value = add(std::move(container));
        stack_.push_back({value, std::move(path), {}});
        return true;
    }

    Json* add(Json value) {
        if (stack_.empty()) {
            root = std::move(value);
            return &root;
        }
        Json& parent = *stack_.back().value;
        if (parent.is_array()) {
            parent.push_back(std::move(value));
            return &parent.back();
        }
        // The key is new (key() refused duplicates): append without ordered_map's linear search.
        auto& members = static_cast<Json::object_t::Container&>(parent.get_ref<Json::object_t&>());
        members.emplace_back(key_, std::move(value));
        return &members.back().second;
    }

    std::string_view what_;
    int max_depth_;
    std::vector<Frame> stack_;
    std::string key_;
};

}  // namespace

Json parseExactJson(std::string_view text, std::string_view what, int max_depth) {
    ExactDomBuilder builder(what, max_depth);
    if (!Json::sax_parse(text, &builder)) {
        throw ValidationError(what, "not valid JSON (" + (builder.error.empty() ? "parse error" : builder.error) + ")");
    }
    return std::move(builder.root);
}

bool isExactNumber(const Json& value) {
    return value.is_string() && value.get_ref<const std::string&>().starts_with(number_marker);
}

Decimal readDecimal(const Json& value, const std::string& field) {
    if (value.is_number_unsigned()) return Decimal(value.get<std::uint64_t>());
    if (value.is_number_integer()) return Decimal(value.get<std::int64_t>());
    if (value.is_string()) {
        std::string_view text = value.get_ref<const std::string&>();
        if (text.starts_with(number_marker)) text.remove_prefix(1);
        return Decimal::parse(text, field);
    }
    throw ValidationError(field, "must be a number");
}

Json exactNumber(const Decimal& value) { return std::string(1, number_marker) + value.toString(); }

std::string dumpExact(const Json& document, int indent, Json::error_handler_t invalid_utf8) {
    const std::string dumped = document.dump(indent, ' ', false, invalid_utf8);
    std::string out;
    out.reserve(dumped.size());
    std::size_t from = 0;
    for (std::size_t at; (at = dumped.find(dumped_marker, from)) != std::string::npos;) {
        out.append(dumped, from, at - from);
        const std::size_t start = at + dumped_marker.size();
        const std::size_t end = dumped.find('"', start);
        out.append(dumped, start, end - start);
        from = end + 1;
    }
    out.append(dumped, from, std::string::npos);
    return out;
}

const Json& requireObject(const Json& value, const std::string& at) {
    if (!value.is_object()) throw ValidationError(at, "must be a JSON object");
    return value;
}

std::string readString(const Json& value, const std::string& field) {
    // A fractional number is kept as its digits: it is still not a string.
    if (!value.is_string() || isExactNumber(value)) throw ValidationError(field, "must be a string");
    return value.get<std::string>();
}

void onlyKeys(const Json& object, std::initializer_list<std::string_view> allowed, const std::string& at) {
    for (const auto& [key, value] : object.items()) {
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
            throw ValidationError(at + "." + clipped(key), "unknown field");
        }
    }
}

}  // namespace metered::detail
