// SPDX-License-Identifier: MIT
// One memory-mapped log segment: anonymous memory, or a spool file (private).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>

namespace metered::detail {

/// Segment layout: a 64-byte header, then records at 64-byte aligned offsets. A record is
/// a 16-byte header (commit word, payload size, CRC-32C of size and payload, spare) and
/// its payload. Producers write the commit word last; until then it reads 0. The
/// producer whose record would cross the end writes an end marker instead.
inline constexpr std::size_t segment_header_bytes = 64;
inline constexpr std::size_t record_header_bytes = 16;
inline constexpr std::uint32_t record_committed = 0x4D455452;  // "RTEM"
inline constexpr std::uint32_t segment_end = 0x21444E45;       // "END!"
inline constexpr char segment_magic[8] = {'M', 'E', 'T', 'E', 'R', 'L', 'O', 'G'};

struct RecordHeader {
    std::uint32_t commit;
    std::uint32_t size;
    std::uint32_t crc;
    std::uint32_t spare;
};
static_assert(sizeof(RecordHeader) == record_header_bytes);

/// Records start on cache-line boundaries, so threads writing neighbouring records on
/// different cores never share a line.
inline constexpr std::size_t record_alignment = 64;
inline constexpr std::size_t alignRecord(std::size_t payload) noexcept {
    return (record_header_bytes + payload + record_alignment - 1) & ~(record_alignment - 1);
}

/// The CRC a record header carries for `payload`.
std::uint32_t recordCrc(std::uint32_t size, const std::byte* payload) noexcept;

/// A mapped region of `size` bytes: anonymous (nothing on disk) or a file in a spool
/// directory. Created regions are fully pre-faulted for writing, so producers writing
/// into them take no page faults. Not copyable; unmaps (and closes) on destruction.
class Mapping {
public:
    /// Anonymous zeroed memory.
    static Mapping anonymous(std::size_t size);
    /// A new spool file of `size` bytes (space reserved with fallocate: a full disk fails
    /// here, with ENOSPC, never later as a SIGBUS), mapped shared, with the segment header
    /// written for `sequence`. Throws std::system_error.
    static Mapping createFile(const std::filesystem::path& path, std::size_t size, std::uint64_t sequence);
    /// An existing spool file, mapped shared for reading what a previous process wrote.
    static Mapping openFile(const std::filesystem::path& path);

    Mapping() = default;
    Mapping(Mapping&& other) noexcept;
    Mapping& operator=(Mapping&& other) noexcept;
    ~Mapping();

    std::byte* data() const noexcept { return data_; }
    std::size_t size() const noexcept { return size_; }
    const std::filesystem::path& path() const noexcept { return path_; }
    bool isFile() const noexcept { return fd_ >= 0; }

    /// Forces the whole pages within [from, to) to disk (msync); no-op for anonymous memory.
    void sync(std::size_t from, std::size_t to) const noexcept;
    /// Unmaps and deletes the file (if any).
    void remove() noexcept;

private:
    std::byte* data_ = nullptr;
    std::size_t size_ = 0;
    int fd_ = -1;
    std::filesystem::path path_;
};

/// Reads the records of a segment written by an earlier process, which may have died
/// while writing or been damaged: records are accepted only with the commit word and a
/// matching CRC; anything else is skipped by scanning ahead, 8 bytes at a time, to the
/// next valid record. Calls `on_record(payload)` in order and returns how many damaged
/// regions were skipped.
std::size_t scanSegment(std::span<const std::byte> segment,
                        const std::function<void(std::span<const std::byte>)>& on_record);

}  // namespace metered::detail
