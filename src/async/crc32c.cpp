// SPDX-License-Identifier: MIT
#include "crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace metered::detail {
namespace {

constexpr std::uint32_t polynomial = 0x82F63B78;  // reflected Castagnoli

constexpr std::array<std::uint32_t, 256> makeTable() {
    std::array<std::uint32_t, 256> table{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ polynomial : c >> 1;
        table[i] = c;
    }
    return table;
}
constexpr auto table = makeTable();

std::uint32_t softwareCrc(const std::uint8_t* p, std::size_t size, std::uint32_t crc) noexcept {
    crc = ~crc;
    for (std::size_t i = 0; i < size; ++i) crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

#if defined(__x86_64__)
// Three streams at once: the crc32 instruction has a latency of three cycles and a
// throughput of one, so one chain leaves two thirds of it idle. The register state is
// linear: the state after A then B is (the state after A, moved over |B| zero bytes) xor
// (the state after B from zero). Moving a state over a stream's bytes of zeros is four
// table lookups (one per byte of the state). Streams of 64 bytes for long data, then of
// 32 for what is left of 96 bytes or more: a recorded event (~190 bytes) is a 96-byte
// block and a short tail, not one chain of 24 instructions.
struct ZerosTable {
    std::array<std::array<std::uint32_t, 256>, 4> by_byte{};
};

__attribute__((target("sse4.2"))) ZerosTable makeZerosTable(std::size_t stream_bytes) noexcept {
    ZerosTable zeros;
    for (std::uint32_t k = 0; k < 4; ++k) {
        for (std::uint32_t v = 0; v < 256; ++v) {
            std::uint64_t c = v << (8 * k);
            for (std::size_t i = 0; i < stream_bytes / 8; ++i) c = _mm_crc32_u64(c, 0);
            zeros.by_byte[k][v] = static_cast<std::uint32_t>(c);
        }
    }
    return zeros;
}

std::uint64_t overZeros(const ZerosTable& t, std::uint64_t c) noexcept {
    return t.by_byte[0][c & 0xFF] ^ t.by_byte[1][(c >> 8) & 0xFF] ^ t.by_byte[2][(c >> 16) & 0xFF] ^
           t.by_byte[3][(c >> 24) & 0xFF];
}

inline std::uint64_t word(const std::uint8_t* at) noexcept {
    std::uint64_t w;
    std::memcpy(&w, at, 8);
    return w;
}

// The state `c` after the 3 × Stream bytes at `p`.
template <std::size_t Stream>
__attribute__((target("sse4.2"))) std::uint64_t threeStreams(std::uint64_t c, const std::uint8_t* p,
                                                             const ZerosTable& zeros) noexcept {
    std::uint64_t c1 = 0, c2 = 0;
    for (std::size_t i = 0; i < Stream; i += 8) {
        c = _mm_crc32_u64(c, word(p + i));
        c1 = _mm_crc32_u64(c1, word(p + Stream + i));
        c2 = _mm_crc32_u64(c2, word(p + 2 * Stream + i));
    }
    c = overZeros(zeros, c) ^ c1;
    return overZeros(zeros, c) ^ c2;
}

bool hasSse42() noexcept {
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2") != 0;
}

// Found once, when the library loads: a function-local static costs every call (a spool
// record is two calls) a guard check.
const bool has_sse42 = hasSse42();
constexpr std::size_t long_stream = 64, short_stream = 32;
const ZerosTable long_zeros = has_sse42 ? makeZerosTable(long_stream) : ZerosTable{};
const ZerosTable short_zeros = has_sse42 ? makeZerosTable(short_stream) : ZerosTable{};

__attribute__((target("sse4.2"))) std::uint32_t hardwareCrc(const std::uint8_t* p, std::size_t size,
                                                            std::uint32_t crc) noexcept {
    std::uint64_t c = ~crc;
    for (; size >= 3 * long_stream; p += 3 * long_stream, size -= 3 * long_stream) {
        c = threeStreams<long_stream>(c, p, long_zeros);
    }
    if (size >= 3 * short_stream) {
        c = threeStreams<short_stream>(c, p, short_zeros);
        p += 3 * short_stream;
        size -= 3 * short_stream;
    }
    for (; size >= 8; p += 8, size -= 8) c = _mm_crc32_u64(c, word(p));
    auto c32 = static_cast<std::uint32_t>(c);
    if (size >= 4) {
        std::uint32_t w;
        std::memcpy(&w, p, 4);
        c32 = _mm_crc32_u32(c32, w);
        p += 4;
        size -= 4;
    }
    for (; size > 0; ++p, --size) c32 = _mm_crc32_u8(c32, *p);
    return ~c32;
}

#endif

}  // namespace

std::uint32_t crc32c(const void* data, std::size_t size, std::uint32_t crc) noexcept {
    const auto* p = static_cast<const std::uint8_t*>(data);
#if defined(__x86_64__)
    if (has_sse42) return hardwareCrc(p, size, crc);
#endif
    return softwareCrc(p, size, crc);
}

}  // namespace metered::detail
