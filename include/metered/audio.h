// SPDX-License-Identifier: MIT
// Voice minutes from audio: exact for WAV, a documented estimate for compressed audio.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>

#include "metered/decimal.h"
#include "metered/export.h"

namespace metered {

/// Fractional digits of minutes computed from audio or durations (6: a unit of 60 µs).
inline constexpr int minute_digits = 6;

/// What a WAV (RIFF/WAVE) header says about its audio.
struct WavInfo {
    std::uint16_t format = 0;  ///< 1 PCM, 3 IEEE float, 6 A-law, 7 µ-law, 0xFFFE extensible, …
    std::uint16_t channels = 0;
    std::uint32_t sample_rate = 0;  ///< frames per second
    std::uint16_t bits_per_sample = 0;
    std::uint64_t frames = 0;  ///< sample frames in the data chunk
    Decimal minutes;           ///< frames / sample_rate / 60, rounded half-even to minute_digits
};

/// Reads a WAV file's header and computes its exact duration: frames from the data
/// chunk's size and the block alignment (or the `fact` chunk for compressed formats).
/// Throws ValidationError("wav", …), naming the header field, for anything that is not a
/// well-formed, plausible WAV: a truncated file, a data chunk larger than the file, a
/// sample rate outside 8000–384000 Hz, 0 or more than 64 channels, more than 64 bits per
/// sample, a PCM block alignment other than channels × bits / 8 or byte rate other than
/// sample rate × block alignment, a compressed byte rate below sample rate / 128 or above
/// what 64-bit samples take, a `fact` frame count beyond what the data bytes hold at the
/// byte rate (an eighth plus one block of slack). So no header makes a few bytes last
/// long: a duration never exceeds 34 ms per byte of `file`. Never reads past `file`.
METERED_API WavInfo wavDuration(std::span<const std::uint8_t> file);

/// An estimate of minutes for compressed audio (webm/opus, mp3, …) whose length is not in
/// a header we read: bytes × 8 / bits_per_second / 60, rounded half-even to minute_digits.
/// The browser's webm/opus voice notes run near 32 kbit/s, which is the default. An
/// estimate only: prefer the duration the transcription service reports when it has one.
/// Throws ValidationError("bits_per_second", …) for zero.
METERED_API Decimal estimateMinutes(std::uint64_t bytes, std::uint32_t bits_per_second = 32000);

/// A duration in minutes, rounded half-even to minute_digits.
METERED_API Decimal minutesOf(std::chrono::microseconds duration);

}  // namespace metered
