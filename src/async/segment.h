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
inline constexpr std::uint32_t record_skip = 0x50494B53;       // "SKIP": a reservation abandoned by a stale producer
inline constexpr char segment_magic[8] = {'M', 'E', 'T', 'E', 'R', 'L', 'O', 'G'};

/// The start of a segment's header (the rest of its 64 bytes are zero).
struct SegmentHeader {
    char magic[8];  // segment_magic
    std::uint64_t sequence;
    std::uint64_t capacity;  // the file's size when created
};
static_assert(sizeof(SegmentHeader) <= segment_header_bytes);

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

/// Faults every page of `size` bytes at `data` (a shared file mapping) in writable, so that
/// a later write to it takes no fault: the kernel populates 256 KiB at a time
/// (MADV_POPULATE_WRITE, Linux 5.14+; before, the writes fault pages in), then one write per
/// page pays what a hypervisor adds to a page's first write. Writes a zero to each page's
/// first byte. What Mapping::createFile does to a new segment.
void prefaultForWriting(std::byte* data, std::size_t size) noexcept;

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

/// What scanning a segment left by an earlier process found.
struct SegmentScan {
    std::size_t records = 0;  ///< intact records handed to on_record
    /// Damaged places: a segment header that is neither intact nor blank, and each run of
    /// bytes at record boundaries that a committed record would have occupied (a bad
    /// checksum, size or commit word). A record torn because its producer died before
    /// writing its commit word is not damage: its call never returned, so no event was
    /// acknowledged.
    std::size_t damaged = 0;
    /// Nothing was ever written past the header (a segment prepared ahead and never used,
    /// or one whose creation was cut short): no records, no damage.
    bool unused = false;
};

/// Reads the records of a segment written by an earlier process, which may have died
/// while writing or been damaged. Records are self-checking (commit word, size, CRC-32C),
/// so they are scanned whatever the segment header holds: a record is accepted only if
/// intact; anything else is skipped, record boundary by record boundary (64 bytes), to
/// the next intact record. Calls `on_record(payload)` in order.
SegmentScan scanSegment(std::span<const std::byte> segment,
                        const std::function<void(std::span<const std::byte>)>& on_record);

/// Bytes of `segment` that can hold anything: up to its last non-zero byte, rounded up to
/// a record boundary (0 for a blank segment). The rest is zeros and can be cut off.
std::size_t usedBytes(std::span<const std::byte> segment) noexcept;

}  // namespace metered::detail
