// SPDX-License-Identifier: MIT
// voice_backend: transcribes voice notes the way the seed's voice route does, recording
// their minutes; exact minutes from each WAV header instead of a guess from file size.
// Each transcription is also recorded at what the speech-to-text provider charges for it:
// per second, at least 15 s a call, per started 15 s (recordTranscription), its exact
// cost on the receipt. With no files given it makes a few telephone-quality recordings.
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
            // 18:23 + 25:07 + 20:00 + 12:00 = 75.5 minutes.
            const std::uint32_t lengths[] = {1103, 1507, 1200, 720};
            for (std::size_t i = 0; i < 4; ++i) {
                files.push_back((generated / fmt::format("voice-note-{}.wav", i + 1)).string());
                writeVoiceNote(files.back(), lengths[i]);
            }
        }
        // The host's speech-to-text contract, layered on the shipped card: $0.0001 a second
        // (as whisper-1), but at least 15 s a call and per started 15 s.
        constexpr std::string_view contract = R"({"models": {"contract/phone-stt": {"prices": [
            {"from": "2024-01-01", "per_second": "0.0001", "minimum_seconds": 15, "billing_increment_seconds": 15}]}}})";
        const auto card = std::make_shared<const metered::RateCard>(
            metered::RateCard::standard().overlay(metered::RateCard::fromJson(contract)));
        metered::UsageRecorder recorder(store, {.rate_card = card});
        metered::Decimal total, cost;
        fmt::print("{:<44} {:>8} {:>4} {:>12} {:>12} {:>8} {:>10}\n", "file", "rate", "ch", "seconds", "minutes",
                   "billed s", "STT cost");
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
            const auto transcribed = recorder.recordTranscription(
                business.id, {.provider = "contract",
                              .model = "phone-stt",
                              // frames / rate, to the microsecond
                              .seconds = metered::Decimal::fromMantissa(
                                  static_cast<std::int64_t>(wav.frames * 1'000'000 / wav.sample_rate), 6),
                              .session_id = std::filesystem::path(file).stem().string()});
            total += wav.minutes;
            cost += transcribed.cost.total;
            fmt::print("{:<44} {:>8} {:>4} {:>12} {:>12} {:>8} {:>10}\n",
                       std::filesystem::path(file).filename().string(), wav.sample_rate, wav.channels,
                       transcribed.cost.seconds.normalized().toPlainString(), wav.minutes.toPlainString(),
                       transcribed.cost.billed_seconds.normalized().toPlainString(),
                       transcribed.cost.total.normalized().toPlainString());
        }
        fmt::print("recorded {} voice minutes for {}; the transcriptions cost ${} at the provider's rates\n",
                   total.toPlainString(), business.name, cost.normalized().toPlainString());
    } catch (const std::exception& e) {
        fmt::print(stderr, "voice_backend: {}\n", e.what());
        if (!generated.empty()) std::filesystem::remove_all(generated);
        return 1;
    }
    if (!generated.empty()) std::filesystem::remove_all(generated);
    return 0;
}
