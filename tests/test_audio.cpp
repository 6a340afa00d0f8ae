// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <random>

#include "metered/audio.h"
#include "metered/errors.h"
#include "wav_builder.h"

using namespace metered;
using namespace metered::testing;

TEST_CASE("WAV durations are exact from the header", "[audio]") {
    const auto mono = wavDuration(makeWav({.sample_rate = 16000, .frames = 24000}));
    CHECK(mono.frames == 24000);
    CHECK(mono.minutes == Decimal::parse("0.025"));  // 1.5 s
    const auto stereo = wavDuration(makeWav({.channels = 2, .sample_rate = 44100, .frames = 441000}));
    CHECK(stereo.channels == 2);
    CHECK(stereo.minutes.toString() == "0.166667");  // 10 s, rounded half-even to 6 digits
    const auto ulaw = wavDuration(makeWav({.format = 7, .sample_rate = 8000, .bits = 8, .frames = 8000 * 90}));
    CHECK(ulaw.minutes == Decimal::parse("1.5"));
    const auto extensible = wavDuration(makeWav({.format = 3, .channels = 2, .sample_rate = 48000, .bits = 32,
                                                 .frames = 48000 * 60, .extensible = true, .with_list_chunk = true}));
    CHECK(extensible.format == 3);
    CHECK(extensible.minutes == Decimal(1));
}

TEST_CASE("streaming WAVs with an unknown data size run to the end of the file", "[audio]") {
    auto wav = makeWav({.sample_rate = 8000, .frames = 4800, .data_size_override = 0xFFFFFFFF});
    for (int i = 0; i < 4; ++i) wav[4 + i] = 0xFF;
    CHECK(wavDuration(wav).minutes == Decimal::parse("0.01"));
}

TEST_CASE("truncated or lying WAV headers are clear errors", "[audio]") {
    const auto good = makeWav({.sample_rate = 16000, .frames = 1600});
    auto truncated = good;
    truncated.resize(truncated.size() - 100);
    CHECK_THROWS_AS(wavDuration(truncated), ValidationError);
    CHECK_THROWS_AS(wavDuration(makeWav({.frames = 1600, .byte_rate_override = 1234})), ValidationError);
    CHECK_THROWS_AS(wavDuration(makeWav({.sample_rate = 0, .frames = 1600})), ValidationError);
    CHECK_THROWS_AS(wavDuration(makeWav({.frames = 1600, .data_size_override = 1u << 30})), ValidationError);
    CHECK_THROWS_AS(wavDuration(std::vector<std::uint8_t>{'R', 'I', 'F', 'F'}), ValidationError);
    std::vector<std::uint8_t> mp3(1000, 0xFF);
    CHECK_THROWS_AS(wavDuration(mp3), ValidationError);
    try {
        wavDuration(truncated);
    } catch (const ValidationError& e) {
        CHECK(e.field() == "wav");
        CHECK(std::string(e.what()).find("truncated") != std::string::npos);
    }
}

TEST_CASE("corrupted WAV files never crash the parser", "[audio]") {
    const auto good = makeWav({.channels = 2, .sample_rate = 22050, .frames = 100, .with_list_chunk = true});
    std::mt19937 random(7);
    for (int round = 0; round < 20000; ++round) {
        auto bytes = good;
        const int flips = 1 + static_cast<int>(random() % 4);
        for (int f = 0; f < flips; ++f) bytes[random() % 80] = static_cast<std::uint8_t>(random());
        if (random() % 3 == 0) bytes.resize(random() % bytes.size());
        try {
            const auto info = wavDuration(bytes);
            CHECK(info.sample_rate > 0);
        } catch (const ValidationError&) {
        }
    }
}

TEST_CASE("compressed audio minutes are a documented estimate", "[audio]") {
    CHECK(estimateMinutes(240000) == Decimal(1));          // 240 kB at 32 kbit/s = 60 s
    CHECK(estimateMinutes(120000, 64000) == Decimal::parse("0.25"));
    CHECK_THROWS_AS(estimateMinutes(1, 0), ValidationError);
    CHECK(minutesOf(std::chrono::seconds(90)) == Decimal::parse("1.5"));
    CHECK(minutesOf(std::chrono::milliseconds(1)).toString() == "0.000017");
}
