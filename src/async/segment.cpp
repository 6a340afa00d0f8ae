// SPDX-License-Identifier: MIT
#include "segment.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <system_error>
#include <utility>

#include "crc32c.h"

namespace metered::detail {
namespace {

[[noreturn]] void fail(const std::string& what, int error) {
    throw std::system_error(error, std::generic_category(), what);
}

std::size_t pageSize() {
    static const auto size = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    return size;
}

}  // namespace

std::uint32_t recordCrc(std::uint32_t size, const std::byte* payload) noexcept {
    return crc32c(payload, size, crc32c(&size, sizeof size));
}

void prefaultForWriting(std::byte* data, std::size_t size) noexcept {
    // The kernel populates a chunk in one call (a fault per page costs most under
    // virtualisation), then a write to each page pays what the hypervisor adds on a first
    // touch here, not in a producer. Chunks keep the mapping's lock held briefly.
    const std::size_t page = pageSize(), chunk = 64 * page;
    for (std::size_t first = 0; first < size; first += chunk) {
        const std::size_t last = std::min(size, first + chunk);
        static_cast<void>(madvise(data + first, last - first, MADV_POPULATE_WRITE));  // EINVAL before 5.14
        for (std::size_t at = first; at < last; at += page) reinterpret_cast<volatile std::uint8_t*>(data)[at] = 0;
    }
}

Mapping Mapping::anonymous(std::size_t size) {
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) fail("cannot map " + std::to_string(size) + " bytes of memory for the event queue", errno);
    // Written once here, by the thread that prepares segments, so that no producer's write
    // is a page's first: MAP_POPULATE is not enough under a hypervisor, where the first write
    // to each populated page still exits to the host (measured on the KVM guest of
    // docs/performance.md: 5.6 µs per page, a slow record call every 21 calls).
    std::memset(p, 0, size);
    Mapping m;
    m.data_ = static_cast<std::byte*>(p);
    m.size_ = size;
    return m;
}

Mapping Mapping::createFile(const std::filesystem::path& path, std::size_t size, std::uint64_t sequence) {
    Mapping m;
    m.path_ = path;
    m.fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (m.fd_ < 0) fail("cannot create spool segment " + path.string(), errno);
    const int reserved = posix_fallocate(m.fd_, 0, static_cast<off_t>(size));
    if (reserved != 0) {
        m.remove();
        fail("cannot reserve " + std::to_string(size) + " bytes for spool segment " + path.string(), reserved);
    }
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, m.fd_, 0);
    if (p == MAP_FAILED) {
        const int error = errno;
        m.remove();
        fail("cannot map spool segment " + path.string(), error);
    }
    m.data_ = static_cast<std::byte*>(p);
    m.size_ = size;
    prefaultForWriting(m.data_, size);  // so that producers never take the write fault
    SegmentHeader header{};
    std::memcpy(header.magic, segment_magic, sizeof segment_magic);
    header.sequence = sequence;
    header.capacity = size;
    std::memcpy(m.data_, &header, sizeof header);
    return m;
}

Mapping Mapping::openFile(const std::filesystem::path& path) {
    Mapping m;
    m.path_ = path;
    m.fd_ = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (m.fd_ < 0) fail("cannot open spool segment " + path.string(), errno);
    struct stat st {};
    if (fstat(m.fd_, &st) != 0) fail("cannot stat spool segment " + path.string(), errno);
    m.size_ = static_cast<std::size_t>(st.st_size);
    if (m.size_ == 0) return m;
    void* p = mmap(nullptr, m.size_, PROT_READ, MAP_SHARED, m.fd_, 0);
    if (p == MAP_FAILED) fail("cannot map spool segment " + path.string(), errno);
    m.data_ = static_cast<std::byte*>(p);
    return m;
}

Mapping::Mapping(Mapping&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)) {}

Mapping& Mapping::operator=(Mapping&& other) noexcept {
    if (this != &other) {
        this->~Mapping();
        new (this) Mapping(std::move(other));
    }
    return *this;
}

Mapping::~Mapping() {
    if (data_ != nullptr) munmap(data_, size_);
    if (fd_ >= 0) ::close(fd_);
}

void Mapping::sync(std::size_t from, std::size_t to) const noexcept {
    if (fd_ < 0 || data_ == nullptr) return;
    const std::size_t page = pageSize();
    from = (from + page - 1) / page * page;
    to = std::min(to, size_) / page * page;
    if (to > from) msync(data_ + from, to - from, MS_SYNC);
}

void Mapping::remove() noexcept {
    if (data_ != nullptr) munmap(data_, size_);
    if (fd_ >= 0) ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
    data_ = nullptr;
    size_ = 0;
    fd_ = -1;
    path_.clear();
}

namespace {

bool allZero(std::span<const std::byte> bytes) noexcept {
    return std::all_of(bytes.begin(), bytes.end(), [](std::byte b) { return b == std::byte{0}; });
}

}  // namespace

std::size_t usedBytes(std::span<const std::byte> segment) noexcept {
    std::size_t end = segment.size();
    while (end >= 8) {
        std::uint64_t word;
        std::memcpy(&word, segment.data() + end - 8, 8);
        if (word != 0) break;
        end -= 8;
    }
    while (end > 0 && segment[end - 1] == std::byte{0}) --end;
    return std::min(segment.size(), (end + record_alignment - 1) / record_alignment * record_alignment);
}

SegmentScan scanSegment(std::span<const std::byte> segment,
                        const std::function<void(std::span<const std::byte>)>& on_record) {
    SegmentScan scan;
    const std::size_t header = std::min(segment.size(), segment_header_bytes);
    const bool header_intact =
        header == segment_header_bytes &&
        std::memcmp(segment.data() + offsetof(SegmentHeader, magic), segment_magic, sizeof segment_magic) == 0;
    if (!header_intact && !allZero(segment.first(header))) ++scan.damaged;
    if (usedBytes(segment) <= segment_header_bytes && scan.damaged == 0) {
        scan.unused = true;
        return scan;
    }
    // After an intact record (or the header) the next boundary must hold a record, a
    // blank (a reservation whose producer had not committed yet), or the end marker.
    // After a blank, the bytes up to the next intact record are that producer's torn
    // payload.
    bool after_blank = false, in_damage = false;
    for (std::size_t at = segment_header_bytes; at + record_header_bytes <= segment.size(); at += record_alignment) {
        RecordHeader h;
        std::memcpy(&h, segment.data() + at, sizeof h);
        if (h.commit == segment_end) break;
        const bool fits = h.size <= segment.size() - at - record_header_bytes;
        if (h.commit == record_committed && fits &&
            recordCrc(h.size, segment.data() + at + record_header_bytes) == h.crc) {
            on_record(segment.subspan(at + record_header_bytes, h.size));
            ++scan.records;
            at += alignRecord(h.size) - record_alignment;
            after_blank = in_damage = false;
            continue;
        }
        if (h.commit == 0) {  // reserved, perhaps written, never committed: its call never returned
            after_blank = true;
            continue;
        }
        if (h.commit == record_skip && fits) {  // a reservation its producer abandoned
            at += alignRecord(h.size) - record_alignment;
            continue;
        }
        if (h.commit == record_committed || !after_blank) {
            if (!in_damage) ++scan.damaged;
            in_damage = true;
        }
    }
    return scan;
}

}  // namespace metered::detail
