// SPDX-License-Identifier: MIT
#include "conninfo.h"

#include <algorithm>
#include <array>
#include <optional>
#include <vector>

#include "utf8.h"

namespace metered::detail {
namespace {

constexpr std::string_view masked = "***";

// A byte range of the input to print as "***", and the secret it holds once decoded.
struct Span {
    std::size_t begin, end;
    std::string value;
};
using Spans = std::vector<Span>;

bool isKeywordChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// libpq's isspace() in the C locale.
bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

bool startsWithNoCase(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() && lower(text.substr(0, prefix.size())) == prefix;
}

// libpq's connection keywords (15, and those later versions added) other than secrets.
constexpr std::array<std::string_view, 46> plain_keywords{"host",
                                                          "hostaddr",
                                                          "port",
                                                          "dbname",
                                                          "user",
                                                          "passfile",
                                                          "channel_binding",
                                                          "connect_timeout",
                                                          "options",
                                                          "application_name",
                                                          "fallback_application_name",
                                                          "keepalives",
                                                          "keepalives_idle",
                                                          "keepalives_interval",
                                                          "keepalives_count",
                                                          "tcp_user_timeout",
                                                          "sslmode",
                                                          "sslcompression",
                                                          "sslcert",
                                                          "sslkey",
                                                          "sslrootcert",
                                                          "sslcrl",
                                                          "sslcrldir",
                                                          "sslsni",
                                                          "requirepeer",
                                                          "ssl_min_protocol_version",
                                                          "ssl_max_protocol_version",
                                                          "gssencmode",
                                                          "krbsrvname",
                                                          "gsslib",
                                                          "gssdelegation",
                                                          "service",
                                                          "target_session_attrs",
                                                          "replication",
                                                          "requiressl",
                                                          "require_auth",
                                                          "load_balance_hosts",
                                                          "sslcertmode",
                                                          "sslnegotiation",
                                                          "min_protocol_version",
                                                          "max_protocol_version",
                                                          "ssl",
                                                          "oauth_issuer",
                                                          "oauth_client_id",
                                                          "oauth_scope",
                                                          "authtype"};

// Whether the value of `key` must not be shown: any key libpq does not know as harmless
// (so `password`, `sslpassword`, `PASSWORD`, a misspelt "pasword", or a key of a newer
// libpq that may be a secret), whatever its case.
bool isSecretKey(std::string_view key) {
    return std::find(plain_keywords.begin(), plain_keywords.end(), key) == plain_keywords.end();
}

// A dbname that PQconnectdbParams(expand_dbname) would read as a whole connection string.
bool mayBeConninfo(std::string_view value) {
    return value.find('=') != std::string_view::npos || startsWithNoCase(value, "postgresql://") ||
           startsWithNoCase(value, "postgres://");
}

bool needsMask(std::string_view key, std::string_view value) {
    return isSecretKey(key) || (key == "dbname" && mayBeConninfo(value));
}

int hexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// libpq's conninfo_uri_decode: %XX escapes, where a malformed escape or %00 is an error.
std::optional<std::string> percentDecode(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        const int hi = i + 1 < text.size() ? hexValue(text[i + 1]) : -1;
        const int lo = i + 2 < text.size() ? hexValue(text[i + 2]) : -1;
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) return std::nullopt;
        out += static_cast<char>(hi << 4 | lo);
        i += 2;
    }
    return out;
}

// The secrets of a libpq key=value string, parsed as libpq's conninfo_parse does (values
// unquoted up to a space, or single-quoted; a backslash escapes the next byte in both), or
// nothing when libpq would refuse it.
std::optional<Spans> keywordSecrets(std::string_view s) {
    Spans spans;
    std::size_t i = 0;
    const std::size_t n = s.size();
    while (i < n) {
        if (isSpace(s[i])) {
            ++i;
            continue;
        }
        const std::size_t key_begin = i;
        while (i < n && s[i] != '=' && !isSpace(s[i])) ++i;
        const std::string_view key = s.substr(key_begin, i - key_begin);
        while (i < n && isSpace(s[i])) ++i;
        if (i >= n || s[i] != '=') return std::nullopt;  // missing "=" after a keyword
        // No libpq keyword holds anything but letters, digits and '_': text such as
        // " postgresql://u:pw@h?sslmode=…" is refused by libpq and may hide a password anywhere.
        if (!std::all_of(key.begin(), key.end(), isKeywordChar)) return std::nullopt;
        ++i;
        while (i < n && isSpace(s[i])) ++i;
        const std::size_t value_begin = i;
        std::string value;
        if (i < n && s[i] == '\'') {
            for (++i;;) {
                if (i >= n) return std::nullopt;  // unterminated quoted string
                if (s[i] == '\\') {
                    if (++i < n) value += s[i++];
                    continue;
                }
                if (s[i] == '\'') {
                    ++i;
                    break;
                }
                value += s[i++];
            }
        } else {
            while (i < n && !isSpace(s[i])) {
                if (s[i] == '\\') ++i;
                if (i < n) value += s[i++];
            }
        }
        if (needsMask(key, value)) spans.push_back({value_begin, i, std::move(value)});
    }
    return spans;
}

// The query parameters of a URI (after '?'), parsed as libpq's conninfo_uri_parse_params.
bool queryParamSecrets(std::string_view s, std::size_t p, Spans& spans) {
    while (p < s.size()) {
        const std::size_t key_begin = p;
        std::size_t equals = std::string_view::npos;
        for (; p < s.size() && s[p] != '&'; ++p) {
            if (s[p] == '=') {
                if (equals != std::string_view::npos) return false;  // extra '='
                equals = p;
            }
        }
        if (equals == std::string_view::npos) return false;  // missing '='
        const auto key = percentDecode(s.substr(key_begin, equals - key_begin));
        const auto value = percentDecode(s.substr(equals + 1, p - equals - 1));
        if (!key || !value) return false;
        if (needsMask(*key, *value)) spans.push_back({equals + 1, p, *value});
        if (p < s.size()) ++p;  // past '&'
    }
    return true;
}

bool decodes(std::string_view s, std::size_t begin, std::size_t end) {
    return percentDecode(s.substr(begin, end - begin)).has_value();
}

bool isOneOf(char c, std::string_view set) { return set.find(c) != std::string_view::npos; }

// The secrets of a postgresql:// URI, parsed as libpq's conninfo_uri_parse_options, or
// nothing when libpq would refuse it.
std::optional<Spans> uriSecrets(std::string_view s, std::size_t start) {
    Spans spans;
    const std::size_t n = s.size();
    // user[:password]@ ends at the first '@' before any '/' (libpq), even past a '?' or '#'.
    std::size_t p = start;
    while (p < n && s[p] != '@' && s[p] != '/') ++p;
    if (p < n && s[p] == '@') {
        std::size_t q = start;
        while (s[q] != ':' && s[q] != '@') ++q;
        if (!decodes(s, start, q)) return std::nullopt;
        if (s[q] == ':') {
            auto password = percentDecode(s.substr(q + 1, p - q - 1));
            if (!password) return std::nullopt;
            spans.push_back({q + 1, p, std::move(*password)});
        }
        ++p;
    } else {
        p = start;
    }
    char terminator = 0;
    for (;;) {  // host[:port] pairs, separated by commas
        std::size_t host_begin = p;
        if (p < n && s[p] == '[') {
            host_begin = ++p;
            while (p < n && s[p] != ']') ++p;
            if (p >= n || p == host_begin) return std::nullopt;
            const std::size_t host_end = p++;
            if (p < n && !isOneOf(s[p], ":/?,")) return std::nullopt;
            if (!decodes(s, host_begin, host_end)) return std::nullopt;
        } else {
            while (p < n && !isOneOf(s[p], ":/?,")) ++p;
            if (!decodes(s, host_begin, p)) return std::nullopt;
        }
        terminator = p < n ? s[p] : '\0';
        if (terminator == ':') {
            const std::size_t port_begin = ++p;
            while (p < n && !isOneOf(s[p], "/?,")) ++p;
            if (!decodes(s, port_begin, p)) return std::nullopt;
            terminator = p < n ? s[p] : '\0';
        }
        if (terminator != ',') break;
        ++p;
    }
    if (terminator != 0 && terminator != '?') {  // '/' then the database name
        const std::size_t dbname_begin = ++p;
        while (p < n && s[p] != '?') ++p;
        const auto dbname = percentDecode(s.substr(dbname_begin, p - dbname_begin));
        if (!dbname) return std::nullopt;
        if (mayBeConninfo(*dbname)) spans.push_back({dbname_begin, p, *dbname});
        terminator = p < n ? s[p] : '\0';
    }
    if (terminator != 0 && !queryParamSecrets(s, p + 1, spans)) return std::nullopt;

    // Beyond libpq: a password that holds a '/' or '@' ("u:pa/ss@host") is not where libpq
    // looks, but is still a password: hide everything from the first ':' to the last '@'.
    const std::size_t colon = s.find(':', start), last_at = s.rfind('@');
    if (colon != std::string_view::npos && last_at != std::string_view::npos && last_at > colon && last_at >= start) {
        spans.push_back({colon + 1, last_at, {}});
    }
    return spans;
}

// Replaces every occurrence of `secret` in the valid UTF-8 `text` by "***", widened to
// whole characters so the result stays valid. Short secrets are left: "abc" would hide
// every "abc" of a host name, and a secret cannot be told from its own masked place.
void redactEverywhere(std::string& text, std::string_view secret) {
    if (secret.size() < 4) return;
    const auto continuation = [&](std::size_t at) {
        return at < text.size() && (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80;
    };
    // Each replacement shortens the text, so this ends.
    for (std::size_t at = text.find(secret); at != std::string::npos; at = text.find(secret)) {
        std::size_t begin = at, end = at + secret.size();
        while (begin > 0 && continuation(begin)) --begin;
        while (continuation(end)) ++end;
        text.replace(begin, end - begin, masked);
    }
}

// `text` with each span (merged where they overlap) replaced by "***", and then any other
// occurrence of a secret (raw or decoded) too, e.g. a password repeated in another field.
std::string applyMasks(std::string_view text, Spans spans) {
    std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) { return a.begin < b.begin; });
    std::string out;
    std::size_t from = 0;
    for (std::size_t i = 0; i < spans.size();) {
        const std::size_t begin = spans[i].begin;
        std::size_t end = spans[i].end;
        for (++i; i < spans.size() && spans[i].begin <= end; ++i) end = std::max(end, spans[i].end);
        if (begin < from) continue;
        out.append(text, from, begin - from);
        out += masked;
        from = end;
    }
    out.append(text, from, std::string_view::npos);
    out = toValidUtf8(out);
    for (const Span& span : spans) {
        redactEverywhere(out, text.substr(span.begin, span.end - span.begin));
        redactEverywhere(out, span.value);
    }
    return out;
}

}  // namespace

std::string maskPassword(std::string_view conninfo) {
    // The store URIs that are not connection strings (openStore reads them first).
    if (conninfo == "memory:" || conninfo.starts_with("sqlite:")) return toValidUtf8(conninfo);
    for (const std::string_view scheme : {"postgresql://", "postgres://"}) {
        if (startsWithNoCase(conninfo, scheme)) {
            const auto spans = uriSecrets(conninfo, scheme.size());
            // A URI libpq would refuse is never echoed: its parts cannot be told apart.
            if (!spans) return std::string(scheme) + std::string(masked);
            return applyMasks(conninfo, *spans);
        }
    }
    // No '=': not key=value pairs but a database name (PQconnectdbParams' expand_dbname).
    if (conninfo.find('=') == std::string_view::npos) return toValidUtf8(conninfo);
    const auto spans = keywordSecrets(conninfo);
    if (!spans) return std::string(masked);
    return applyMasks(conninfo, *spans);
}

std::string redact(std::string text, std::string_view secret) {
    if (secret.empty()) return text;
    for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3)) {
        text.replace(at, secret.size(), "***");
    }
    return text;
}

}  // namespace metered::detail
