// SPDX-License-Identifier: MIT
#include "metered/usage_part.h"

#include <array>

namespace metered {
namespace {

constexpr std::array<std::string_view, usage_part_count> part_names = {
    "input",         "cached_input", "cache_write",        "cache_write_1h",
    "output",        "reasoning",    "audio_input",        "cached_audio_input",
    "audio_output",  "image_input",  "cached_image_input", "requests",
    "audio_seconds", "characters"};

}  // namespace

std::string_view toString(UsagePart part) noexcept { return part_names[static_cast<std::size_t>(part)]; }

std::optional<UsagePart> parseUsagePart(std::string_view name) noexcept {
    for (std::size_t i = 0; i < part_names.size(); ++i) {
        if (part_names[i] == name) return static_cast<UsagePart>(i);
    }
    return std::nullopt;
}

}  // namespace metered
