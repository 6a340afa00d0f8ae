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
__attribute__((target("sse4.2"))) std::uint32_t hardwareCrc(const std::uint8_t* p, std::size_t size,
                                                              std::uint32_t crc) noexcept {
    std::uint64_t c = ~crc;
    for (; size >= 8; p += 8, size -= 8) {
        std::uint64_t word;
        std::memcpy(&word, p, 8);
        c = _mm_crc32_u64(c, word);
    }
    auto c32 = static_cast<std::uint32_t>(c);
    for (; size > 0; ++p, --size) c32 = _mm_crc32_u8(c32, *p);
    return ~c32;
}

bool hasSse42() noexcept {
    static const bool yes = (__builtin_cpu_init(), __builtin_cpu_supports("sse4.2") != 0);
    return yes;
}
#endif

}  // namespace

std::uint32_t crc32c(const void* data, std::size_t size, std::uint32_t crc) noexcept {
    const auto* p = static_cast<const std::uint8_t*>(data);
#if defined(__x86_64__)
    if (hasSse42()) return hardwareCrc(p, size, crc);
#endif
    return softwareCrc(p, size, crc);
}

}  // namespace metered::detail
