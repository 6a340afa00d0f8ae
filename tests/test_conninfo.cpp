// SPDX-License-Identifier: MIT
// Connection strings never show their password (white-box: the masker is in src/).
#include <catch2/catch.hpp>
#include <rapidcheck.h>
#include <rapidcheck/catch.h>

#include <fmt/format.h>

#include <optional>
#include <string>

#include "conninfo.h"
#include "metered/store.h"
#include "utf8.h"

#ifdef METERED_HAVE_POSTGRES
#include <libpq-fe.h>
#endif

using metered::maskPassword;  // the public name of detail::maskPassword (src/conninfo.h)

namespace {

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

std::string percentEncoded(std::string_view text) {
    std::string out;
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || c == '-' || c == '_' ||
            c == '.' || c == '~') {
            out += c;
        } else {
            out += fmt::format("%{:02X}", u);
        }
    }
    return out;
}

// A libpq keyword value: single-quoted, with ' and \ escaped.
std::string keywordQuoted(std::string_view text) {
    std::string out = "'";
    for (const char c : text) {
        if (c == '\'' || c == '\\') out += '\\';
        out += c;
    }
    return out + "'";
}

#ifdef METERED_HAVE_POSTGRES
// The password libpq itself reads from `conninfo`, or nothing when it refuses the string.
std::optional<std::string> libpqPassword(const std::string& conninfo, bool* accepted = nullptr) {
    char* error = nullptr;
    PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
    PQfreemem(error);
    if (accepted) *accepted = options != nullptr;
    if (!options) return std::nullopt;
    std::optional<std::string> password;
    for (auto* o = options; o->keyword; ++o) {
        if ((std::string_view(o->keyword) == "password" || std::string_view(o->keyword) == "sslpassword") && o->val) {
            password = o->val;
        }
    }
    PQconninfoFree(options);
    return password;
}
#endif

}  // namespace

TEST_CASE("passwords are masked in every form libpq reads them", "[conninfo]") {
    // URIs: the password may hold any of ? / @ : # and be percent-encoded.
    CHECK(maskPassword("postgresql://billing:s3cret@db:5432/metered") == "postgresql://billing:***@db:5432/metered");
    CHECK(maskPassword("postgresql://billing:pa?ss@db/metered") == "postgresql://billing:***@db/metered");
    CHECK(maskPassword("postgresql://billing:pa/ss@db/metered") == "postgresql://billing:***@db/metered");
    CHECK(maskPassword("postgresql://billing:p@ss@db/metered") == "postgresql://billing:***@db/metered");
    CHECK(maskPassword("postgresql://billing:p:a#ss@db/metered") == "postgresql://billing:***@db/metered");
    CHECK(maskPassword("postgresql://billing:p%40ss%2F@db/metered") == "postgresql://billing:***@db/metered");
    CHECK(maskPassword("postgresql://:s3cret@db") == "postgresql://:***@db");
    CHECK(maskPassword("postgres://db/metered?password=s3cret") == "postgres://db/metered?password=***");
    CHECK(maskPassword("postgres://db/metered?user=a&pass%77ord=s3cret&sslmode=require") ==
          "postgres://db/metered?user=a&pass%77ord=***&sslmode=require");
    CHECK(maskPassword("postgres://db/metered?PassWord=s3cret") == "postgres://db/metered?PassWord=***");
    CHECK(maskPassword("postgres://db/metered?sslpassword=s3cret") == "postgres://db/metered?sslpassword=***");
    CHECK(maskPassword("POSTGRESQL://u:s3cret@db") == "POSTGRESQL://u:***@db");
    // A URI libpq refuses is never echoed.
    CHECK(maskPassword("postgresql://u:s3cret@db/x?password=a=b") == "postgresql://***");
    CHECK(maskPassword("postgresql://u:s3%zzcret@db") == "postgresql://***");
    CHECK(maskPassword("postgresql://[::1/x?password=s3cret") == "postgresql://***");
    // key=value strings: any case of the keyword, quoted values with escapes and spaces.
    CHECK(maskPassword("host=db PASSWORD=s3cret dbname=m") == "host=db PASSWORD=*** dbname=m");
    CHECK(maskPassword("host=db PassWord = s3cret") == "host=db PassWord = ***");
    CHECK(maskPassword("host=db password='it\\'s a \\\\ secret' dbname=m") == "host=db password=*** dbname=m");
    CHECK(maskPassword("host=db password=it\\ is dbname=m") == "host=db password=*** dbname=m");
    CHECK(maskPassword("host=db password='s3cret'dbname=m") == "host=db password=***dbname=m");
    CHECK(maskPassword("password=s3cret sslpassword=k3y passfile=/home/a/.pgpass") ==
          "password=*** sslpassword=*** passfile=/home/a/.pgpass");
    CHECK(maskPassword("host=db password='unterminated s3cret") == "***");
    CHECK(maskPassword("host=db s3cret") == "***");
    CHECK(maskPassword(" postgresql://u:s3cret@db?sslmode=require") == "***");  // not a URI for libpq
    CHECK(maskPassword("host=db pass-word=s3cret") == "***");
    // A password repeated in another field is hidden there too (found by fuzz_conninfo).
    CHECK(maskPassword("postgresql://billing:s3cret@db.example.com:RD=s3cret so?sslmode=verify-full") ==
          "postgresql://billing:***@db.example.com:RD=*** so?sslmode=verify-full");
    CHECK(maskPassword("host=s3cret.example.com password=s3cret") == "host=***.example.com password=***");
    CHECK(maskPassword("postgresql://u:p%40ssword@db/xp%40ssword") == "postgresql://u:***@db/x***");
    // A dbname that is itself a connection string.
    CHECK(maskPassword("dbname='host=db password=s3cret'") == "dbname=***");
    // What is not a connection string is kept.
    CHECK(maskPassword("sqlite:metered.db") == "sqlite:metered.db");
    CHECK(maskPassword("memory:") == "memory:");
    CHECK(maskPassword("metered") == "metered");
    CHECK(maskPassword("postgresql://db/metered") == "postgresql://db/metered");
    CHECK(metered::maskPassword("host=db PASSWORD=s3cret") == "host=db PASSWORD=***");
}

TEST_CASE("random passwords never survive masking", "[conninfo][properties]") {
    rc::prop("a password is absent from the masked URI and key=value forms", [] {
        const auto password = *rc::gen::suchThat(rc::gen::string<std::string>(), [](const std::string& p) {
            return p.size() >= 4 && p.find('\0') == std::string::npos;
        });
        const std::string encoded = percentEncoded(password);
        // Literal in the userinfo where libpq allows it, percent-encoded always, and as a
        // query parameter and keyword value.
        std::vector<std::string> forms = {
            "postgresql://billing:" + encoded + "@db.example.com:5432/metered?sslmode=require",
            "postgres://db.example.com/metered?user=billing&password=" + encoded,
            "host=db.example.com user=billing password=" + keywordQuoted(password) + " dbname=metered",
            "host=db.example.com PASSWORD=" + keywordQuoted(password),
        };
        if (password.find_first_of("@/%") == std::string::npos) {
            forms.push_back("postgresql://billing:" + password + "@db.example.com/metered");
        }
        for (const auto& conninfo : forms) {
            const std::string out = maskPassword(conninfo);
            RC_ASSERT(metered::detail::isValidUtf8(out));
            RC_ASSERT(!contains(out, password));
            RC_ASSERT(!contains(out, encoded));
#ifdef METERED_HAVE_POSTGRES
            // libpq reads the password we meant (except from the deliberately upper-case key).
            if (!contains(conninfo, "PASSWORD")) RC_ASSERT(libpqPassword(conninfo) == std::optional(password));
#endif
        }
    });
}

#ifdef METERED_HAVE_POSTGRES
TEST_CASE("whatever libpq reads as a password is masked", "[conninfo][properties]") {
    CHECK(libpqPassword("postgresql://u:pa?ss@db/m") == std::optional<std::string>("pa?ss"));
    bool accepted = true;
    libpqPassword("host=db PASSWORD=x", &accepted);
    CHECK_FALSE(accepted);  // libpq refuses it, but a host may still print it
    rc::prop("maskPassword hides the password libpq finds in arbitrary text", [] {
        const auto prefix = *rc::gen::element<std::string>("postgresql://", "postgres://", "host=db ", "", "password=");
        const auto body = *rc::gen::container<std::string>(
            rc::gen::element('a', 'b', 's', 'e', 'c', 'r', '1', '@', ':', '/', '?', '#', '=', '&', '%', '2', 'F', '\'',
                             '\\', ' ', ',', '[', ']', 'p', 'w', 'o', 'd'));
        const std::string conninfo = prefix + body;
        const std::string out = maskPassword(conninfo);
        RC_ASSERT(metered::detail::isValidUtf8(out));
        const auto password = libpqPassword(conninfo);
        if (password && password->size() >= 4) RC_ASSERT(!contains(out, *password));
    });
}
#endif
