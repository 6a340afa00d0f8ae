// SPDX-License-Identifier: MIT
// Builds WAV files in memory for tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace metered::testing {

struct WavSpec {
    std::uint16_t format = 1;
    std::uint16_t channels = 1;
    std::uint32_t sample_rate = 16000;
    std::uint16_t bits = 16;
    std::uint64_t frames = 16000;  ///< sample frames, or blocks when block_align_override is set
    bool extensible = false;
    std::uint32_t byte_rate_override = 0;
    std::uint32_t data_size_override = 0;
    bool with_list_chunk = false;
    std::uint16_t block_align_override = 0;    ///< compressed formats: bytes per block
    std::optional<std::uint32_t> fact_frames;  ///< writes a fact chunk before the data
};

inline void put16(std::vector<std::uint8_t>& out, std::uint32_t v) {
    out.push_back(static_cast<std::uint8_t>(v));
    out.push_back(static_cast<std::uint8_t>(v >> 8));
}
inline void put32(std::vector<std::uint8_t>& out, std::uint32_t v) {
    put16(out, v & 0xFFFF);
    put16(out, v >> 16);
}
inline void tag(std::vector<std::uint8_t>& out, const char* t) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(t[i]));
}

/// A WAV file with silent samples.
inline std::vector<std::uint8_t> makeWav(const WavSpec& spec) {
    const std::uint32_t block =
        spec.block_align_override ? spec.block_align_override : spec.channels * ((spec.bits + 7u) / 8u);
    const auto data_size = static_cast<std::uint32_t>(spec.frames * block);
    std::vector<std::uint8_t> out;
    tag(out, "RIFF");
    put32(out, 0);  // patched below
    tag(out, "WAVE");
    if (spec.with_list_chunk) {
        tag(out, "LIST");
        put32(out, 5);
        tag(out, "INFO");
        out.push_back('x');
        out.push_back(0);  // odd size, padded
    }
    tag(out, "fmt ");
    put32(out, spec.extensible ? 40 : 16);
    put16(out, spec.extensible ? 0xFFFE : spec.format);
    put16(out, spec.channels);
    put32(out, spec.sample_rate);
    put32(out, spec.byte_rate_override ? spec.byte_rate_override : spec.sample_rate * block);
    put16(out, block);
    put16(out, spec.bits);
    if (spec.extensible) {
        put16(out, 22);
        put16(out, spec.bits);
        put32(out, 0);
        put16(out, spec.format);  // sub-format GUID begins with the format code
        out.resize(out.size() + 14, 0);
    }
    if (spec.fact_frames) {
        tag(out, "fact");
        put32(out, 4);
        put32(out, *spec.fact_frames);
    }
    tag(out, "data");
    put32(out, spec.data_size_override ? spec.data_size_override : data_size);
    out.resize(out.size() + data_size, 0);
    const auto riff = static_cast<std::uint32_t>(out.size() - 8);
    for (int i = 0; i < 4; ++i) out[4 + i] = static_cast<std::uint8_t>(riff >> (8 * i));
    return out;
}

}  // namespace metered::testing
