// SPDX-License-Identifier: MIT
// The spool directory: its lock, its segment files' names, and what an earlier process
// left in it (private).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

namespace metered::detail {

/// The name of lane `lane`'s segment `sequence`: "segment-<lane: 2 hex>-<sequence: 16 hex>.log".
std::filesystem::path segmentFile(const std::filesystem::path& directory, std::size_t lane, std::uint64_t sequence);
/// The sequence number in a segment file's name, or nothing for any other file.
std::optional<std::uint64_t> segmentSequence(const std::filesystem::path& path);

/// A spool directory held by this process: created if missing, locked (flock on
/// `spool.lock`, so a second recorder process gets a clear error instead of sharing it),
/// and tidied of what an earlier process left:
/// - segments never written past their header (prepared ahead, or cut short by a crash
///   while being created) are deleted: they hold nothing;
/// - the others are cut to their last non-zero byte, so a crash loop leaves on disk about
///   what was recorded, not whole preallocated segments;
/// - what remains is `leftovers()`, oldest first, for the flusher to replay.
/// Not thread-safe; the lock is released on destruction.
class SpoolDirectory {
public:
    /// Throws Error when the directory cannot be created, read or locked.
    explicit SpoolDirectory(std::filesystem::path directory);
    ~SpoolDirectory();
    SpoolDirectory(const SpoolDirectory&) = delete;
    SpoolDirectory& operator=(const SpoolDirectory&) = delete;

    const std::filesystem::path& path() const noexcept { return directory_; }
    const std::vector<std::filesystem::path>& leftovers() const noexcept { return leftovers_; }
    /// Bytes of the leftover segments, once tidied.
    std::uint64_t leftoverBytes() const noexcept { return leftover_bytes_; }
    /// The sequence number after every leftover segment's.
    std::uint64_t nextSequence() const noexcept { return next_sequence_; }
    /// Moves a segment that holds unreadable bytes into `damaged/`, never deleting what
    /// an operator may want to inspect; returns where it went.
    std::filesystem::path moveAside(const std::filesystem::path& segment) const;

private:
    std::filesystem::path directory_;
    int lock_fd_ = -1;
    std::vector<std::filesystem::path> leftovers_;
    std::uint64_t leftover_bytes_ = 0;
    std::uint64_t next_sequence_ = 1;
};

}  // namespace metered::detail
