// SPDX-License-Identifier: MIT
#include "conninfo.h"

#include <cctype>

namespace metered::detail {
namespace {

bool startsWith(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

std::string maskUri(std::string_view uri) {
    std::string out(uri);
    const auto scheme_end = out.find("://");
    const auto authority = scheme_end + 3;
    const auto authority_end = out.find_first_of("/?", authority);
    const auto at = out.rfind('@', authority_end == std::string::npos ? std::string::npos : authority_end);
    if (at != std::string::npos && at >= authority) {
        const auto colon = out.find(':', authority);
        if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
    // password=… among the query parameters
    for (std::size_t from = out.find('?'); from != std::string::npos;) {
        const auto key = from + 1;
        const auto next = out.find('&', key);
        if (startsWith(std::string_view(out).substr(key), "password=")) {
            const auto value = key + 9;
            out.replace(value, (next == std::string::npos ? out.size() : next) - value, "***");
            from = out.find('&', value);
        } else {
            from = next;
        }
    }
    return out;
}

std::string maskKeywords(std::string_view conninfo) {
    std::string out;
    std::size_t i = 0;
    while (i < conninfo.size()) {
        // Copy spaces, then read a keyword up to '='.
        while (i < conninfo.size() && std::isspace(static_cast<unsigned char>(conninfo[i]))) out += conninfo[i++];
        const auto key_start = i;
        while (i < conninfo.size() && conninfo[i] != '=' && !std::isspace(static_cast<unsigned char>(conninfo[i]))) ++i;
        const auto key = conninfo.substr(key_start, i - key_start);
        out.append(key);
        while (i < conninfo.size() && std::isspace(static_cast<unsigned char>(conninfo[i]))) out += conninfo[i++];
        if (i >= conninfo.size() || conninfo[i] != '=') continue;
        out += conninfo[i++];
        while (i < conninfo.size() && std::isspace(static_cast<unsigned char>(conninfo[i]))) out += conninfo[i++];
        // The value: quoted (with \' and \\ escapes) or up to the next space.
        const auto value_start = i;
        if (i < conninfo.size() && conninfo[i] == '\'') {
            for (++i; i < conninfo.size() && conninfo[i] != '\''; ++i) {
                if (conninfo[i] == '\\') ++i;
            }
            if (i < conninfo.size()) ++i;
        } else {
            while (i < conninfo.size() && !std::isspace(static_cast<unsigned char>(conninfo[i]))) ++i;
        }
        if (key == "password") {
            out += "***";
        } else {
            out.append(conninfo.substr(value_start, std::min(i, conninfo.size()) - value_start));
        }
    }
    return out;
}

}  // namespace

std::string maskPassword(std::string_view conninfo) {
    if (startsWith(conninfo, "postgresql://") || startsWith(conninfo, "postgres://")) return maskUri(conninfo);
    return maskKeywords(conninfo);
}

std::string redact(std::string text, std::string_view secret) {
    if (secret.empty()) return text;
    for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3)) {
        text.replace(at, secret.size(), "***");
    }
    return text;
}

}  // namespace metered::detail
