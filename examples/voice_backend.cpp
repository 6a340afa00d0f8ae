// SPDX-License-Identifier: MIT
// voice_backend: transcribes voice notes the way the seed's voice route does, recording
// their minutes; exact minutes from each WAV header instead of a guess from file size.
// With no files given it makes a few telephone-quality recordings to process.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "demo.h"

namespace {

void put32(std::vector<std::uint8_t>& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void put16(std::vector<std::uint8_t>& out, std::uint32_t v) {
    for (int i = 0; i < 2; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void tag(std::vector<std::uint8_t>& out, const char* t) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(t[i]));
}

// A µ-law, 8 kHz, mono WAV of `seconds` (a quiet buzz), as phone systems record.
void writeVoiceNote(const std::filesystem::path& path, std::uint32_t seconds) {
    const std::uint32_t rate = 8000, frames = rate * seconds;
    std::vector<std::uint8_t> wav;
    tag(wav, "RIFF");
    put32(wav, 36 + frames);
    tag(wav, "WAVE");
    tag(wav, "fmt ");
    put32(wav, 16);
    put16(wav, 7);  // µ-law
    put16(wav, 1);
    put32(wav, rate);
    put32(wav, rate);
    put16(wav, 1);
    put16(wav, 8);
    tag(wav, "data");
    put32(wav, frames);
    wav.reserve(wav.size() + frames);
    for (std::uint32_t i = 0; i < frames; ++i) wav.push_back(static_cast<std::uint8_t>(0xF0 | (i / 20 % 16)));
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(wav.data()), static_cast<std::streamsize>(wav.size()));
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Record the exact voice minutes of WAV files with metered."};
    std::string store_uri = demo::default_store;
    std::string business_name = demo::businesses[0].name;
    std::vector<std::string> files;
    app.add_option("--store", store_uri, "store URI (sqlite:<file>, postgresql://..., memory:)")->capture_default_str();
    app.add_option("--business", business_name, "business name or id")->capture_default_str();
    app.add_option("files", files, "WAV files (default: generate four voice notes totalling 75.5 minutes)");
    CLI11_PARSE(app, argc, argv);

    std::filesystem::path generated;
    try {
        auto store = metered::openStore(store_uri);
        demo::ensureBusinesses(*store);
        const auto business = demo::findBusiness(*store, business_name);
        if (files.empty()) {
            generated =
                std::filesystem::temp_directory_path() / ("metered-voice-" + metered::Uuid::generateV7().toString());
            std::filesystem::create_directories(generated);
            const std::uint32_t lengths[] = {1110, 1500, 1200, 720};  // 18.5 + 25 + 20 + 12 minutes
            for (std::size_t i = 0; i < 4; ++i) {
                files.push_back((generated / fmt::format("voice-note-{}.wav", i + 1)).string());
                writeVoiceNote(files.back(), lengths[i]);
            }
        }
        metered::UsageRecorder recorder(store);
        metered::Decimal total;
        fmt::print("{:<44} {:>8} {:>4} {:>12} {:>12}\n", "file", "rate", "ch", "seconds", "minutes");
        for (const auto& file : files) {
            std::ifstream in(file, std::ios::binary);
            if (!in) throw std::runtime_error("cannot read " + file);
            const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                                  std::istreambuf_iterator<char>());
            const auto wav = metered::wavDuration(bytes);
            recorder.recordVoiceMinutes(business.id, wav.minutes,
                                        {.operation = "voice_to_text",
                                         .audio_size = static_cast<std::int64_t>(bytes.size()),
                                         .transcription_length = static_cast<std::int64_t>(wav.frames / 800),
                                         .session_id = std::filesystem::path(file).stem().string()});
            total += wav.minutes;
            fmt::print("{:<44} {:>8} {:>4} {:>12} {:>12}\n", std::filesystem::path(file).filename().string(),
                       wav.sample_rate, wav.channels, wav.frames / wav.sample_rate, wav.minutes.toPlainString());
        }
        fmt::print("recorded {} voice minutes for {}\n", total.toPlainString(), business.name);
    } catch (const std::exception& e) {
        fmt::print(stderr, "voice_backend: {}\n", e.what());
        if (!generated.empty()) std::filesystem::remove_all(generated);
        return 1;
    }
    if (!generated.empty()) std::filesystem::remove_all(generated);
    return 0;
}
