// SPDX-License-Identifier: MIT
#include "metered/dead_letters.h"

#include <algorithm>
#include <fstream>

#include "event_json.h"
#include "exact_json.h"
#include "metered/errors.h"
#include "text_format.h"

namespace metered {
namespace {

bool isHex(std::string_view text) {
    return text.size() % 2 == 0 && std::all_of(text.begin(), text.end(),
                                               [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

DeadLetter parseDeadLetter(std::string_view line, std::size_t line_number) {
    const std::string where = "line " + std::to_string(line_number);
    if (line.size() > max_dead_letter_line_bytes) {
        throw ValidationError(where, "longer than " + std::to_string(max_dead_letter_line_bytes) + " bytes");
    }
    // The line's object holds the event, which holds its metadata, whose values nest up to
    // max_json_depth levels each.
    detail::Json json;
    try {
        json = detail::parseExactJson(line, where, Metadata::max_json_depth + 3);
    } catch (const ValidationError& e) {
        if (e.field() == where) throw;
        // A path inside the line ("event.metadata[0]"): under the line's name.
        std::string_view problem = e.what();
        problem.remove_prefix(std::min(problem.size(), ("invalid " + e.field() + ": ").size()));
        throw ValidationError(where + "." + e.field(), problem);
    }
    detail::requireObject(json, where);
    detail::onlyKeys(json, {"at", "reason", "event", "raw"}, where);
    DeadLetter letter;
    letter.line = line_number;
    const auto text = [&](const char* key) {
        if (!json.contains(key)) throw ValidationError(where + "." + key, "is missing");
        return detail::readString(json.at(key), where + "." + key);
    };
    const auto at = detail::parseIsoTimestamp(text("at"));
    if (!at) throw ValidationError(where + ".at", "must be an ISO 8601 UTC timestamp");
    letter.at = *at;
    letter.reason = text("reason");
    if (json.contains("event") == json.contains("raw")) {
        throw ValidationError(where, "must hold either \"event\" or \"raw\"");
    }
    if (json.contains("event")) {
        letter.event = detail::eventFromJson(json.at("event"), where + ".event");
    } else {
        letter.raw_hex = text("raw");
        if (!isHex(letter.raw_hex)) throw ValidationError(where + ".raw", "must be lowercase hex bytes");
    }
    return letter;
}

std::vector<DeadLetter> readDeadLetters(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw StoreError("cannot read the dead-letter file " + path.string(), false);
    std::vector<DeadLetter> letters;
    std::string line;
    for (std::size_t number = 1; std::getline(in, line); ++number) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        letters.push_back(parseDeadLetter(line, number));
    }
    if (in.bad()) throw StoreError("cannot read the dead-letter file " + path.string(), false);
    return letters;
}

DeadLetterReplay replayDeadLetters(UsageStore& store, std::span<const DeadLetter> letters, std::size_t batch_size,
                                   const std::function<void(std::size_t)>& progress) {
    if (batch_size == 0) throw ValidationError("batch_size", "must be positive");
    DeadLetterReplay result;
    std::vector<UsageEvent> batch;
    std::vector<std::size_t> lines;
    std::size_t done = 0;
    const auto flush = [&] {
        if (!batch.empty()) {
            const AppendResult appended = store.append(batch);
            result.stored += appended.stored;
            result.duplicates += appended.duplicates;
            for (const Rejection& rejection : appended.rejected) {
                result.rejected.emplace_back(lines.at(rejection.index), rejection);
            }
            batch.clear();
            lines.clear();
        }
        if (progress) progress(done);
    };
    for (const DeadLetter& letter : letters) {
        ++done;
        if (!letter.event) {
            ++result.raw;
        } else {
            batch.push_back(*letter.event);
            lines.push_back(letter.line);
        }
        if (batch.size() == batch_size) flush();
    }
    flush();
    return result;
}

}  // namespace metered
