// SPDX-License-Identifier: MIT
#include "exact_json.h"

#include <vector>

#include "metered/errors.h"

namespace metered::detail {
namespace {

// Marks a string that stands for a number (a control character no validated text holds).
constexpr char number_marker = '\x01';
constexpr std::string_view dumped_marker = "\"\\u0001";

// Builds a DOM like nlohmann's own SAX DOM parser, but keeps fractional numbers as text.
class ExactDomBuilder final : public nlohmann::json_sax<Json> {
public:
    Json root;
    std::string error;

    bool null() override { return add(nullptr); }
    bool boolean(bool value) override { return add(value); }
    bool number_integer(number_integer_t value) override { return add(value); }
    bool number_unsigned(number_unsigned_t value) override { return add(value); }
    bool number_float(number_float_t, const string_t& text) override {
        // The lexer writes the C locale's decimal point; a host's locale may use ','.
        std::string digits = text;
        for (char& c : digits) {
            if (c == ',') c = '.';
        }
        return add(std::move(digits));
    }
    bool string(string_t& value) override { return add(value); }
    bool binary(binary_t&) override { return false; }
    bool start_object(std::size_t) override {
        stack_.push_back(add(Json::object()));
        return true;
    }
    bool key(string_t& name) override {
        key_ = name;
        return true;
    }
    bool end_object() override {
        stack_.pop_back();
        return true;
    }
    bool start_array(std::size_t) override {
        stack_.push_back(add(Json::array()));
        return true;
    }
    bool end_array() override {
        stack_.pop_back();
        return true;
    }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
        error = e.what();
        return false;
    }

private:
    Json* add(Json value) {
        if (stack_.empty()) {
            root = std::move(value);
            return &root;
        }
        Json& parent = *stack_.back();
        if (parent.is_array()) {
            parent.push_back(std::move(value));
            return &parent.back();
        }
        Json& slot = parent[key_];
        slot = std::move(value);
        return &slot;
    }

    std::vector<Json*> stack_;
    std::string key_;
};

}  // namespace

Json parseExactJson(std::string_view text, std::string_view what) {
    ExactDomBuilder builder;
    if (!Json::sax_parse(text, &builder)) {
        throw ValidationError(what, "not valid JSON (" + (builder.error.empty() ? "parse error" : builder.error) + ")");
    }
    return std::move(builder.root);
}

Decimal readDecimal(const Json& value, const std::string& field) {
    if (value.is_number_unsigned()) return Decimal(value.get<std::uint64_t>());
    if (value.is_number_integer()) return Decimal(value.get<std::int64_t>());
    if (value.is_string()) return Decimal::parse(value.get_ref<const std::string&>(), field);
    throw ValidationError(field, "must be a number");
}

Json exactNumber(const Decimal& value) { return std::string(1, number_marker) + value.toString(); }

std::string dumpExact(const Json& document, int indent) {
    const std::string dumped = document.dump(indent);
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

}  // namespace metered::detail
