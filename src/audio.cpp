// SPDX-License-Identifier: MIT
#include "metered/audio.h"

#include <optional>
#include <string>

#include "metered/errors.h"

namespace metered {
namespace {

constexpr std::uint16_t format_pcm = 1, format_float = 3, format_alaw = 6, format_mulaw = 7,
                        format_extensible = 0xFFFE;
constexpr std::uint32_t streaming_size = 0xFFFFFFFF;

std::uint16_t u16(std::span<const std::uint8_t> b, std::size_t at) {
    return static_cast<std::uint16_t>(b[at] | b[at + 1] << 8);
}
std::uint32_t u32(std::span<const std::uint8_t> b, std::size_t at) {
    return static_cast<std::uint32_t>(b[at]) | static_cast<std::uint32_t>(b[at + 1]) << 8 |
           static_cast<std::uint32_t>(b[at + 2]) << 16 | static_cast<std::uint32_t>(b[at + 3]) << 24;
}
bool tagIs(std::span<const std::uint8_t> b, std::size_t at, const char (&tag)[5]) {
    for (int i = 0; i < 4; ++i) {
        if (b[at + i] != static_cast<std::uint8_t>(tag[i])) return false;
    }
    return true;
}

[[noreturn]] void bad(const std::string& problem) { throw ValidationError("wav", problem); }

// numerator / denominator as minutes with minute_digits digits, rounded half-even.
Decimal minutesFromRatio(int128 numerator, int128 denominator) {
    int128 q = numerator / denominator;
    const int128 r = numerator % denominator;
    if (2 * r > denominator || (2 * r == denominator && q % 2 != 0)) ++q;
    return Decimal::fromMantissa(q, minute_digits);
}

constexpr int128 micro = 1'000'000;

}  // namespace

WavInfo wavDuration(std::span<const std::uint8_t> file) {
    if (file.size() < 12 || !tagIs(file, 0, "RIFF") || !tagIs(file, 8, "WAVE")) {
        bad("not a RIFF/WAVE file");
    }
    const std::uint32_t riff_size = u32(file, 4);
    if (riff_size != 0 && riff_size != streaming_size && riff_size > file.size() - 8) {
        bad("truncated: the RIFF header announces " + std::to_string(riff_size + 8ULL) + " bytes, the file has " +
            std::to_string(file.size()));
    }

    WavInfo info;
    std::uint32_t byte_rate = 0;
    std::uint16_t block_align = 0;
    bool have_format = false;
    std::optional<std::uint32_t> fact_frames;
    std::optional<std::uint64_t> data_size;
    for (std::size_t at = 12; at + 8 <= file.size() && !data_size;) {
        const std::uint32_t size = u32(file, at + 4);
        const std::size_t body = at + 8;
        const std::size_t available = file.size() - body;
        if (tagIs(file, at, "data")) {
            if (!have_format) bad("the data chunk comes before the fmt chunk");
            if (size == streaming_size || (size == 0 && riff_size == 0)) {
                data_size = available;  // written by a streaming encoder: the data runs to the end
            } else if (size > available) {
                bad("truncated: the data chunk announces " + std::to_string(size) + " bytes, " +
                    std::to_string(available) + " are present");
            } else {
                data_size = size;
            }
            break;
        }
        if (size > available) bad("truncated inside a chunk");
        if (tagIs(file, at, "fmt ")) {
            if (size < 16) bad("the fmt chunk is shorter than 16 bytes");
            info.format = u16(file, body);
            info.channels = u16(file, body + 2);
            info.sample_rate = u32(file, body + 4);
            byte_rate = u32(file, body + 8);
            block_align = u16(file, body + 12);
            info.bits_per_sample = u16(file, body + 14);
            if (info.format == format_extensible) {
                if (size < 40) bad("the extensible fmt chunk is shorter than 40 bytes");
                info.format = u16(file, body + 24);  // first two bytes of the sub-format GUID
            }
            have_format = true;
        } else if (tagIs(file, at, "fact") && size >= 4) {
            fact_frames = u32(file, body);
        }
        at = body + size + (size & 1);  // chunks are padded to an even size
    }
    if (!have_format) bad("no fmt chunk");
    if (!data_size) bad("no data chunk");
    if (info.channels == 0 || info.sample_rate == 0 || block_align == 0) {
        bad("channels, sample rate and block alignment must be positive");
    }

    const bool uncompressed = info.format == format_pcm || info.format == format_float ||
                              info.format == format_alaw || info.format == format_mulaw;
    if (uncompressed) {
        const std::uint32_t frame_bytes = info.channels * ((info.bits_per_sample + 7u) / 8u);
        if (info.bits_per_sample == 0 || block_align != frame_bytes ||
            byte_rate != static_cast<std::uint64_t>(info.sample_rate) * block_align) {
            bad("the header contradicts itself (block alignment or byte rate does not match the format)");
        }
        info.frames = *data_size / block_align;
    } else if (fact_frames) {
        info.frames = *fact_frames;
    } else {
        if (byte_rate == 0) bad("a compressed format needs a byte rate or a fact chunk");
        info.frames = static_cast<std::uint64_t>(static_cast<int128>(*data_size) * info.sample_rate / byte_rate);
    }
    info.minutes = minutesFromRatio(static_cast<int128>(info.frames) * micro, static_cast<int128>(info.sample_rate) * 60);
    return info;
}

Decimal estimateMinutes(std::uint64_t bytes, std::uint32_t bits_per_second) {
    if (bits_per_second == 0) throw ValidationError("bits_per_second", "must be positive");
    return minutesFromRatio(static_cast<int128>(bytes) * 8 * micro, static_cast<int128>(bits_per_second) * 60);
}

Decimal minutesOf(std::chrono::microseconds duration) {
    if (duration.count() < 0) throw ValidationError("duration", "must not be negative");
    return minutesFromRatio(static_cast<int128>(duration.count()), 60);
}

}  // namespace metered
