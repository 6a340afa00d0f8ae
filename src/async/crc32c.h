// SPDX-License-Identifier: MIT
// CRC-32C (Castagnoli), by the SSE4.2 instruction where the CPU has it (private).
#pragma once

#include <cstddef>
#include <cstdint>

namespace metered::detail {

/// The CRC-32C of `size` bytes at `data`, continuing from `crc` (0 to start).
std::uint32_t crc32c(const void* data, std::size_t size, std::uint32_t crc = 0) noexcept;

}  // namespace metered::detail
