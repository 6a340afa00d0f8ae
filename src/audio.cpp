// SPDX-License-Identifier: MIT
#include "metered/audio.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>

#include "decimal_access.h"
#include "metered/errors.h"

namespace metered {
namespace {

using detail::int128;

constexpr std::uint16_t format_pcm = 1, format_float = 3, format_alaw = 6, format_mulaw = 7, format_extensible = 0xFFFE;
constexpr std::uint32_t streaming_size = 0xFFFFFFFF;
constexpr std::uint32_t min_sample_rate = 8000, max_sample_rate = 384000;
constexpr std::uint16_t max_channels = 64, max_bits_per_sample = 64;
constexpr std::uint32_t min_frames_per_byte = 128;  // the most frames one compressed byte may carry

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

bool isUncompressed(std::uint16_t format) {
    return format == format_pcm || format == format_float || format == format_alaw || format == format_mulaw;
}

// Refuses a fmt chunk no real recording has, so that no header can make a few bytes last
// for hours: every duration is bounded by the bytes present through the byte rate.
void checkFormat(const WavInfo& info, std::uint32_t byte_rate, std::uint16_t block_align) {
    if (info.sample_rate < min_sample_rate || info.sample_rate > max_sample_rate) {
        bad(fmt::format("fmt.sample_rate {} Hz is outside {}-{} Hz", info.sample_rate, min_sample_rate,
                        max_sample_rate));
    }
    if (info.channels == 0 || info.channels > max_channels) {
        bad(fmt::format("fmt.channels {} is outside 1-{}", info.channels, max_channels));
    }
    if (info.bits_per_sample > max_bits_per_sample) {
        bad(fmt::format("fmt.bits_per_sample {} is more than {}", info.bits_per_sample, max_bits_per_sample));
    }
    if (block_align == 0) bad("fmt.block_align must be positive");
    if (isUncompressed(info.format)) {
        if (info.bits_per_sample == 0) bad("fmt.bits_per_sample must be positive for PCM");
        const std::uint32_t frame_bytes = info.channels * ((info.bits_per_sample + 7u) / 8u);
        if (block_align != frame_bytes) {
            bad(fmt::format("the header contradicts itself: fmt.block_align {} is not channels {} x {} bits / 8 = {}",
                            block_align, info.channels, info.bits_per_sample, frame_bytes));
        }
        if (byte_rate != static_cast<std::uint64_t>(info.sample_rate) * block_align) {
            bad(fmt::format("the header contradicts itself: fmt.byte_rate {} is not sample_rate {} x block_align {}",
                            byte_rate, info.sample_rate, block_align));
        }
        return;
    }
    // Compressed: between 1/128 byte per frame (a 500 bit/s codec at 8 kHz) and what
    // 64-bit samples would take.
    const std::uint64_t most = static_cast<std::uint64_t>(info.sample_rate) * info.channels * 8;
    if (static_cast<std::uint64_t>(byte_rate) * min_frames_per_byte < info.sample_rate || byte_rate > most) {
        bad(
            fmt::format("fmt.byte_rate {} is implausible for {} Hz x {} channels (a compressed format needs "
                        "{}-{} bytes per second)",
                        byte_rate, info.sample_rate, info.channels,
                        (info.sample_rate + min_frames_per_byte - 1) / min_frames_per_byte, most));
    }
}

// numerator / denominator as minutes with minute_digits digits, rounded half-even.
Decimal minutesFromRatio(int128 numerator, int128 denominator) {
    int128 q = numerator / denominator;
    const int128 r = numerator % denominator;
    if (2 * r > denominator || (2 * r == denominator && q % 2 != 0)) ++q;
    return detail::DecimalAccess::make(q, minute_digits);
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
    checkFormat(info, byte_rate, block_align);

    if (isUncompressed(info.format)) {
        info.frames = *data_size / block_align;  // a fact chunk, if any, is redundant
    } else {
        // bytes × sample_rate / byte_rate frames, exactly as the byte rate says.
        const int128 frames_by_rate = static_cast<int128>(*data_size) * info.sample_rate / byte_rate;
        if (fact_frames) {
            // The fact chunk's exact count may exceed the byte rate's estimate a little (a
            // variable bit rate, a last partial block), never by more than an eighth plus
            // one block: anything more is audio that is not in the file.
            const std::uint64_t slack_bytes = *data_size / 8 + std::min<std::uint64_t>(block_align, *data_size);
            const int128 allowed = static_cast<int128>(*data_size + slack_bytes) * info.sample_rate / byte_rate;
            if (*fact_frames > allowed) {
                bad(
                    fmt::format("fact.sample_length {} frames is more than the {} data bytes hold at byte_rate {} "
                                "(at most {} frames)",
                                *fact_frames, *data_size, byte_rate, static_cast<std::uint64_t>(allowed)));
            }
            info.frames = *fact_frames;
        } else {
            info.frames = static_cast<std::uint64_t>(frames_by_rate);
        }
    }
    info.minutes =
        minutesFromRatio(static_cast<int128>(info.frames) * micro, static_cast<int128>(info.sample_rate) * 60);
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
