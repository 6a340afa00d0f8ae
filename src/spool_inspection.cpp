// SPDX-License-Identifier: MIT
#include "metered/spool_inspection.h"

#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <iterator>
#include <string>
#include <tuple>

#include "async/event_codec.h"
#include "async/segment.h"
#include "async/spool_directory.h"
#include "metered/errors.h"

namespace metered {
namespace {

// The bytes of `path` as they are now (a plain read: a file truncated meanwhile reads short,
// where a mapping would fault).
std::vector<std::byte> readAll(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("cannot read " + path.string());
    std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::byte> bytes(chars.size());
    std::transform(chars.begin(), chars.end(), bytes.begin(), [](char c) { return static_cast<std::byte>(c); });
    return bytes;
}

SpoolSegment inspectSegment(const std::filesystem::path& path, std::uint64_t sequence) {
    SpoolSegment segment{.path = path, .sequence = sequence};
    const auto bytes = readAll(path);
    segment.bytes = bytes.size();
    const auto scan = detail::scanSegment(bytes, [&](std::span<const std::byte> record) {
        try {
            const UsageEvent event = detail::decodeEvent(record);
            ++segment.events;
            if (!segment.oldest || event.occurred_at < *segment.oldest) segment.oldest = event.occurred_at;
            if (!segment.newest || event.occurred_at > *segment.newest) segment.newest = event.occurred_at;
        } catch (const std::exception&) {  // as a replay: intact, but not an event this version reads
            ++segment.undecodable;
        }
    });
    segment.damaged = scan.damaged;
    return segment;
}

std::size_t lineCount(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::size_t lines = 0;
    std::string line;
    while (std::getline(in, line)) lines += line.empty() ? 0 : 1;
    return lines;
}

}  // namespace

SpoolInspection inspectSpool(const std::filesystem::path& directory) {
    SpoolInspection result;
    try {
        for (const auto& entry : std::filesystem::directory_iterator(directory)) {
            if (const auto sequence = detail::segmentSequence(entry.path())) {
                result.segments.push_back(inspectSegment(entry.path(), *sequence));
            }
        }
        std::sort(result.segments.begin(), result.segments.end(), [](const SpoolSegment& a, const SpoolSegment& b) {
            return std::tie(a.sequence, a.path) < std::tie(b.sequence, b.path);
        });
        if (std::filesystem::is_directory(directory / "damaged")) {
            for (const auto& entry : std::filesystem::directory_iterator(directory / "damaged")) {
                result.damaged_files.push_back(entry.path());
            }
            std::sort(result.damaged_files.begin(), result.damaged_files.end());
        }
        result.dead_letters = lineCount(directory / "dead-letter.jsonl");
    } catch (const std::filesystem::filesystem_error& e) {
        throw Error("cannot read the spool directory " + directory.string() + ": " + e.code().message());
    }
    std::ifstream lock(directory / "spool.lock");
    std::int64_t pid = 0;
    if (lock >> pid && pid > 0) {
        result.pid = pid;
        result.pid_running = ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
    }
    return result;
}

}  // namespace metered
