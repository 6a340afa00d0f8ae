// SPDX-License-Identifier: MIT
#include "metered/ids.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <sys/random.h>

#include <atomic>
#include <bit>
#include <chrono>
#include <cstring>
#include <ostream>

#include "metered/errors.h"
#include "text_format.h"
#include "utf8.h"
#include "untrusted_text.h"

namespace metered {
namespace {

int hexValue(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// splitmix64: seeds and steps the per-thread generator.
std::uint64_t splitmix(std::uint64_t& state) noexcept {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

// Counts fork()s in this process's ancestry since the first id: a forked child copies its
// parent's generator state, so it would repeat the parent's ids (and its siblings' ids).
std::atomic<std::uint32_t> fork_generation{0};

void afterForkInChild() noexcept { fork_generation.fetch_add(1, std::memory_order_relaxed); }

// Per-thread UUIDv7 state: no lock and no shared cache line on the record path (the fork
// generation is read-only but after a fork).
struct V7State {
    std::uint64_t random_state = 0;
    std::uint64_t last_ms = 0;
    std::uint32_t counter = 0;  // 12 bits, seeded randomly in each new millisecond
    std::uint32_t generation = 0;

    V7State() noexcept {
        [[maybe_unused]] static const int registered = pthread_atfork(nullptr, nullptr, &afterForkInChild);
        reseed();
    }

    // A fresh random state, also after a fork (the millisecond and counter are kept, so ids
    // stay increasing within this thread).
    void reseed() noexcept {
        generation = fork_generation.load(std::memory_order_relaxed);
        std::uint64_t seed = 0;
        if (getrandom(&seed, sizeof seed, 0) != static_cast<ssize_t>(sizeof seed)) {
            seed = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
            seed ^= reinterpret_cast<std::uintptr_t>(this);
        }
        random_state = seed;
        if (last_ms != 0) counter = static_cast<std::uint32_t>(splitmix(random_state) & 0x7FF);
    }
};

// `v` as its big-endian bytes read on this host.
constexpr std::uint64_t bigEndian(std::uint64_t v) noexcept {
    if constexpr (std::endian::native == std::endian::little) return __builtin_bswap64(v);
    return v;
}

void setVersionAndVariant(Uuid::Bytes& b, int version) noexcept {
    b[6] = static_cast<std::uint8_t>((b[6] & 0x0F) | (version << 4));
    b[8] = static_cast<std::uint8_t>((b[8] & 0x3F) | 0x80);
}

}  // namespace

std::optional<Uuid> Uuid::tryParse(std::string_view text) noexcept {
    if (text.size() == 38 && text.front() == '{' && text.back() == '}') text = text.substr(1, 36);
    if (text.size() != 36) return std::nullopt;
    Bytes bytes{};
    std::size_t out = 0;
    for (std::size_t i = 0; i < 36;) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (text[i] != '-') return std::nullopt;
            ++i;
            continue;
        }
        const int hi = hexValue(text[i]), lo = hexValue(text[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        bytes[out++] = static_cast<std::uint8_t>(hi << 4 | lo);
        i += 2;
    }
    return Uuid(bytes);
}

Uuid Uuid::parse(std::string_view text, std::string_view field) {
    if (auto id = tryParse(text)) return *id;
    throw ValidationError(field, detail::quoted(text) + " is not a UUID (expected 8-4-4-4-12 hex digits)");
}

Uuid Uuid::generateV7() noexcept { return generateV7(std::chrono::system_clock::now()); }

Uuid Uuid::generateV7(std::chrono::system_clock::time_point now) noexcept {
    thread_local V7State state;
    if (fork_generation.load(std::memory_order_relaxed) != state.generation) state.reseed();
    auto ms = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
    if (ms > state.last_ms) {
        state.last_ms = ms;
        state.counter = static_cast<std::uint32_t>(splitmix(state.random_state) & 0x7FF);
    } else if (++state.counter > 0xFFF) {
        // 4096 ids in one millisecond: borrow the next millisecond to stay increasing.
        ++state.last_ms;
        state.counter = 0;
    }
    ms = state.last_ms;
    const std::uint64_t random = splitmix(state.random_state);
    // Big-endian: 48 bits of milliseconds, the version and a 12-bit counter, the variant
    // and 62 random bits.
    const std::uint64_t high = bigEndian((ms << 16) | 0x7000 | state.counter);
    const std::uint64_t low = bigEndian((random >> 2) | 0x8000000000000000ULL);
    Bytes b{};
    std::memcpy(b.data(), &high, 8);
    std::memcpy(b.data() + 8, &low, 8);
    return Uuid(b);
}

Uuid Uuid::nameBased(const Uuid& space, std::string_view name) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    // Fetched once: OpenSSL 3 looks an implicit EVP_sha1() up (under a lock) on every use.
    static EVP_MD* const sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    const bool ok = sha1 != nullptr && ctx != nullptr && EVP_DigestInit_ex(ctx, sha1, nullptr) == 1 &&
                    EVP_DigestUpdate(ctx, space.bytes().data(), space.bytes().size()) == 1 &&
                    EVP_DigestUpdate(ctx, name.data(), name.size()) == 1 &&
                    EVP_DigestFinal_ex(ctx, digest, &length) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok || length < 16) throw Error("SHA-1 is unavailable for name-based UUIDs");
    Bytes b{};
    std::memcpy(b.data(), digest, b.size());
    setVersionAndVariant(b, 5);
    return Uuid(b);
}

std::string Uuid::toString() const {
    std::string text;
    text.reserve(36);
    detail::appendUuid(text, *this);
    return text;
}

EventId EventId::fromKey(const BusinessId& business, std::string_view key) {
    if (key.empty()) throw ValidationError("idempotency_key", "must not be empty");
    if (key.size() > 255) throw ValidationError("idempotency_key", "longer than 255 bytes");
    if (!detail::isValidUtf8(key)) throw ValidationError("idempotency_key", "not valid UTF-8");
    if (auto uuid = Uuid::tryParse(key)) return EventId(*uuid);
    return EventId(Uuid::nameBased(business.uuid(), key));
}

std::ostream& operator<<(std::ostream& os, const Uuid& id) { return os << id.toString(); }
std::ostream& operator<<(std::ostream& os, const BusinessId& id) { return os << id.toString(); }
std::ostream& operator<<(std::ostream& os, const EventId& id) { return os << id.toString(); }

namespace detail {

void appendUuid(std::string& out, const Uuid& id) {
    static constexpr char hex[] = "0123456789abcdef";
    char text[36];
    std::size_t at = 0;
    for (std::size_t i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) text[at++] = '-';
        text[at++] = hex[id.bytes()[i] >> 4];
        text[at++] = hex[id.bytes()[i] & 0x0F];
    }
    out.append(text, sizeof text);
}

}  // namespace detail
}  // namespace metered

std::size_t std::hash<metered::Uuid>::operator()(const metered::Uuid& id) const noexcept {
    std::uint64_t a = 0, b = 0;
    std::memcpy(&a, id.bytes().data(), 8);
    std::memcpy(&b, id.bytes().data() + 8, 8);
    return std::hash<std::uint64_t>{}(a ^ (b * 0x9E3779B97F4A7C15ULL));
}
