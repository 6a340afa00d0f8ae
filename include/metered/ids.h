// SPDX-License-Identifier: MIT
// Identifiers: UUIDs, the business a usage belongs to, and the event id that makes
// recording idempotent.
#pragma once

#include <array>
#include <chrono>
#include <compare>
#include <cstring>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include "metered/export.h"

namespace metered {

/// A 128-bit UUID (RFC 9562). Parses and prints the canonical 8-4-4-4-12 hex form.
/// A value type; safe to copy and to share between threads.
class METERED_API Uuid {
public:
    using Bytes = std::array<std::uint8_t, 16>;

    /// The nil UUID (all zeros).
    constexpr Uuid() noexcept = default;
    constexpr explicit Uuid(const Bytes& bytes) noexcept : bytes_(bytes) {}

    /// Parses "0190a6f2-3c4d-7e5f-8a9b-0c1d2e3f4a5b" (either case; optional braces).
    /// Throws ValidationError naming `field` for anything else.
    static Uuid parse(std::string_view text, std::string_view field = "uuid");
    static std::optional<Uuid> tryParse(std::string_view text) noexcept;

    /// A new UUIDv7: 48-bit Unix milliseconds, then a counter and random bits.
    /// Ids made by one thread are strictly increasing; ids from different threads are
    /// ordered by their millisecond. Thread-safe and lock-free.
    static Uuid generateV7() noexcept;
    /// As generateV7(), with the timestamp taken from `now` (saves a clock read when the
    /// caller has one).
    static Uuid generateV7(std::chrono::system_clock::time_point now) noexcept;
    /// The name-based UUIDv5 (SHA-1) of `name` in the namespace `space`: the same inputs
    /// always give the same id, in any language that implements RFC 9562.
    static Uuid nameBased(const Uuid& space, std::string_view name);

    constexpr const Bytes& bytes() const noexcept { return bytes_; }
    constexpr int version() const noexcept { return bytes_[6] >> 4; }
    bool isNil() const noexcept {
        std::uint64_t words[2];
        std::memcpy(words, bytes_.data(), sizeof words);
        return (words[0] | words[1]) == 0;
    }
    std::string toString() const;

    friend constexpr bool operator==(const Uuid& a, const Uuid& b) noexcept {
        return a.word(0) == b.word(0) && a.word(8) == b.word(8);
    }
    /// Byte by byte, as the canonical text and PostgreSQL's uuid sort (UUIDv7s by time).
    friend constexpr std::strong_ordering operator<=>(const Uuid& a, const Uuid& b) noexcept {
        const std::uint64_t a_high = a.word(0), b_high = b.word(0);
        return a_high != b_high ? a_high <=> b_high : a.word(8) <=> b.word(8);
    }

private:
    // Eight bytes from `at`, the first most significant: integers that order as the bytes
    // do (compilers make this one load and a byte swap; the bytes' own == and <=> call memcmp).
    constexpr std::uint64_t word(std::size_t at) const noexcept {
        std::uint64_t value = 0;
        for (std::size_t i = at; i < at + 8; ++i) value = value << 8 | bytes_[i];
        return value;
    }

    Bytes bytes_{};
};

METERED_API std::ostream& operator<<(std::ostream& os, const Uuid& id);

/// The business (tenant) whose usage is recorded and billed: a UUID, as in the seed's
/// `businesses(id)`.
class METERED_API BusinessId {
public:
    constexpr BusinessId() noexcept = default;
    constexpr explicit BusinessId(const Uuid& uuid) noexcept : uuid_(uuid) {}
    /// Throws ValidationError("business_id", …) unless `text` is a UUID.
    static BusinessId parse(std::string_view text) { return BusinessId(Uuid::parse(text, "business_id")); }

    constexpr const Uuid& uuid() const noexcept { return uuid_; }
    std::string toString() const { return uuid_.toString(); }
    friend constexpr auto operator<=>(const BusinessId&, const BusinessId&) noexcept = default;

private:
    Uuid uuid_;
};

/// The identity of one usage event. A store counts an event id once per business,
/// however often it is appended (retries, spool replays, a second process).
class METERED_API EventId {
public:
    constexpr EventId() noexcept = default;
    constexpr explicit EventId(const Uuid& uuid) noexcept : uuid_(uuid) {}
    /// Throws ValidationError("event_id", …) unless `text` is a UUID.
    static EventId parse(std::string_view text) { return EventId(Uuid::parse(text, "event_id")); }

    /// A fresh, time-ordered id (UUIDv7).
    static EventId generate() noexcept { return EventId(Uuid::generateV7()); }
    static EventId generate(std::chrono::system_clock::time_point now) noexcept {
        return EventId(Uuid::generateV7(now));
    }
    /// The id for a caller's idempotency key: the key itself when it is a UUID, otherwise
    /// the UUIDv5 of the key in the business's namespace. The same key for the same
    /// business always gives the same id, so a retried request is counted once.
    /// Throws ValidationError("idempotency_key", …) for an empty, over-long (> 255 bytes)
    /// or non-UTF-8 key.
    static EventId fromKey(const BusinessId& business, std::string_view key);

    constexpr const Uuid& uuid() const noexcept { return uuid_; }
    std::string toString() const { return uuid_.toString(); }
    friend constexpr auto operator<=>(const EventId&, const EventId&) noexcept = default;

private:
    Uuid uuid_;
};

METERED_API std::ostream& operator<<(std::ostream& os, const BusinessId& id);
METERED_API std::ostream& operator<<(std::ostream& os, const EventId& id);

}  // namespace metered

template <>
struct std::hash<metered::Uuid> {
    METERED_API std::size_t operator()(const metered::Uuid& id) const noexcept;
};
template <>
struct std::hash<metered::BusinessId> {
    std::size_t operator()(const metered::BusinessId& id) const noexcept {
        return std::hash<metered::Uuid>{}(id.uuid());
    }
};
template <>
struct std::hash<metered::EventId> {
    std::size_t operator()(const metered::EventId& id) const noexcept { return std::hash<metered::Uuid>{}(id.uuid()); }
};
