// SPDX-License-Identifier: MIT
// What a spool directory holds, read without changing it (for operators).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

#include "metered/export.h"
#include "metered/time.h"

namespace metered {

/// One segment file of a spool directory.
struct SpoolSegment {
    std::filesystem::path path;
    /// From its name ("segment-<lane>-<sequence>.log"): each lane of the recorder writes its
    /// segments in this order, and a replay reads them oldest first.
    std::uint64_t sequence = 0;
    std::uint64_t bytes = 0;          ///< its size on disk
    std::size_t events = 0;           ///< intact records that decode as events
    std::size_t undecodable = 0;      ///< intact records that do not (a replay dead-letters them)
    std::size_t damaged = 0;          ///< damaged places skipped (a replay moves the file to `damaged/`)
    std::optional<Timestamp> oldest;  ///< the earliest time an event of it happened
    std::optional<Timestamp> newest;  ///< the latest
};

/// A spool directory (AsyncOptions::spool_dir) as inspectSpool read it.
///
/// The segments of a process that has stopped hold what it had not stored: the next
/// recorder on the directory replays them. A running process's segments also hold events
/// already stored (a segment is deleted once every event in it is stored), so their counts
/// are an upper bound of what is pending.
struct SpoolInspection {
    std::vector<SpoolSegment> segments;  ///< by sequence, then name
    /// The process id the lock file names (the last recorder that held the directory), and
    /// whether a process of that id runs now (a hint: ids are reused).
    std::optional<std::int64_t> pid;
    bool pid_running = false;
    std::vector<std::filesystem::path> damaged_files;  ///< segments moved aside into `damaged/`
    std::size_t dead_letters = 0;  ///< lines of `dead-letter.jsonl` (metered dead-letters show reads them)

    std::size_t events() const noexcept {
        std::size_t n = 0;
        for (const SpoolSegment& s : segments) n += s.events;
        return n;
    }
};

/// Reads every segment of `directory` (plain reads, no lock: a running recorder is neither
/// stopped nor slowed) and checks each record as a replay would. Throws Error when the
/// directory cannot be read.
METERED_API SpoolInspection inspectSpool(const std::filesystem::path& directory);

}  // namespace metered
