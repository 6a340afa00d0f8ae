// SPDX-License-Identifier: MIT
// WAV headers: wavDuration never reads past the bytes, refuses with ValidationError("wav"),
// and never returns more audio than the bytes present can hold (34 ms per byte).
#include <cstdint>
#include <span>

#include "fuzz_check.h"
#include "metered/audio.h"
#include "metered/errors.h"

using namespace metered;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        const WavInfo info = wavDuration(std::span<const std::uint8_t>(data, size));
        fuzz::require(info.sample_rate >= 8000 && info.sample_rate <= 384000, "sample rate out of bounds");
        fuzz::require(info.channels >= 1, "no channels");
        fuzz::require(!info.minutes.isNegative(), "negative minutes");
        fuzz::require(info.minutes * Decimal(60'000) <= Decimal(static_cast<std::int64_t>(size)) * Decimal(34),
                      "more audio than the bytes present hold");
    } catch (const ValidationError& e) {
        fuzz::require(e.field() == "wav", "a WAV error names another field");
        fuzz::requireValidMessage(e.what());
    }
    return 0;
}
