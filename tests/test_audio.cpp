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
    const auto extensible = wavDuration(makeWav({.format = 3,
                                                 .channels = 2,
                                                 .sample_rate = 48000,
                                                 .bits = 32,
                                                 .frames = 48000 * 60,
                                                 .extensible = true,
                                                 .with_list_chunk = true}));
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
            CHECK(info.sample_rate >= 8000);
            // Never more than 34 ms of audio per byte of the file (see wavDuration).
            CHECK(info.minutes * Decimal(60'000) <= Decimal(static_cast<std::int64_t>(bytes.size()) * 34));
        } catch (const ValidationError&) {}
    }
}

namespace {
std::string wavProblem(const std::vector<std::uint8_t>& file) {
    try {
        const auto info = wavDuration(file);
        return "accepted: " + info.minutes.toString() + " minutes";
    } catch (const ValidationError& e) {
        CHECK(e.field() == "wav");
        return e.what();
    }
}
bool mentions(const std::string& text, const char* part) { return text.find(part) != std::string::npos; }

// IMA ADPCM, 4 bits mono at 8 kHz: 256-byte blocks of 505 frames.
WavSpec imaAdpcm(std::uint64_t blocks, std::optional<std::uint32_t> fact) {
    return {.format = 0x11,
            .sample_rate = 8000,
            .bits = 4,
            .frames = blocks,
            .byte_rate_override = 4055,
            .block_align_override = 256,
            .fact_frames = fact};
}
}  // namespace

TEST_CASE("a WAV header cannot claim more audio than its bytes hold", "[audio]") {
    // A compressed file's fact chunk is its exact length when the data can hold it.
    const auto adpcm = wavDuration(makeWav(imaAdpcm(10, 10 * 505)));
    CHECK(adpcm.frames == 5050);
    CHECK(adpcm.minutes.toString() == "0.010521");
    CHECK(wavDuration(makeWav(imaAdpcm(10, 10 * 505 - 300))).frames == 4750);  // a short last block
    CHECK(wavDuration(makeWav(imaAdpcm(10, std::nullopt))).frames == 5050);    // from the byte rate
    // A 60-byte file whose fact chunk says 2^32-1 frames (71 million minutes at 1 Hz).
    const auto lying_fact = makeWav(imaAdpcm(0, 0xFFFFFFFF));
    CHECK(lying_fact.size() < 80);
    CHECK(mentions(wavProblem(lying_fact), "fact.sample_length"));
    CHECK(mentions(wavProblem(makeWav(imaAdpcm(10, 10 * 505 * 2))), "fact.sample_length"));
    // A 1 Hz PCM file of 644 bytes would last 10 minutes.
    const auto one_hertz = makeWav({.sample_rate = 1, .bits = 8, .frames = 600});
    CHECK(one_hertz.size() == 644);
    CHECK(mentions(wavProblem(one_hertz), "fmt.sample_rate 1 Hz"));
    CHECK(mentions(wavProblem(makeWav({.sample_rate = 7999, .frames = 10})), "fmt.sample_rate"));
    CHECK(mentions(wavProblem(makeWav({.sample_rate = 384001, .frames = 10})), "fmt.sample_rate"));
    CHECK(wavDuration(makeWav({.sample_rate = 384000, .frames = 384000})).minutes == Decimal::parse("0.016667"));
    CHECK(mentions(wavProblem(makeWav({.channels = 0, .frames = 10})), "fmt.channels"));
    CHECK(mentions(wavProblem(makeWav({.channels = 65, .frames = 10})), "fmt.channels"));
    CHECK(mentions(wavProblem(makeWav({.bits = 0, .frames = 10, .block_align_override = 2})), "fmt.bits_per_sample"));
    CHECK(mentions(wavProblem(makeWav({.format = 0x11, .bits = 200, .frames = 10})), "fmt.bits_per_sample"));
    CHECK(mentions(wavProblem(makeWav({.frames = 10, .block_align_override = 3})), "fmt.block_align"));
    CHECK(mentions(wavProblem(makeWav({.frames = 10, .byte_rate_override = 1234})), "fmt.byte_rate"));
    // A compressed byte rate of 1 byte per second: 60 data bytes would be a minute.
    CHECK(mentions(wavProblem(makeWav({.format = 0x55,
                                       .sample_rate = 8000,
                                       .bits = 0,
                                       .frames = 60,
                                       .byte_rate_override = 1,
                                       .block_align_override = 1})),
                   "fmt.byte_rate"));
    CHECK(mentions(wavProblem(makeWav({.format = 0x55,
                                       .sample_rate = 8000,
                                       .bits = 0,
                                       .frames = 60,
                                       .byte_rate_override = 8000 * 8 + 1,
                                       .block_align_override = 1})),
                   "fmt.byte_rate"));
}

TEST_CASE("compressed audio minutes are a documented estimate", "[audio]") {
    CHECK(estimateMinutes(240000) == Decimal(1));  // 240 kB at 32 kbit/s = 60 s
    CHECK(estimateMinutes(120000, 64000) == Decimal::parse("0.25"));
    CHECK_THROWS_AS(estimateMinutes(1, 0), ValidationError);
    CHECK(minutesOf(std::chrono::seconds(90)) == Decimal::parse("1.5"));
    CHECK(minutesOf(std::chrono::milliseconds(1)).toString() == "0.000017");
}
