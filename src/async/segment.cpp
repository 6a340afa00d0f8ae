// SPDX-License-Identifier: MIT
#include "segment.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
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

Mapping Mapping::anonymous(std::size_t size) {
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (p == MAP_FAILED) fail("cannot map " + std::to_string(size) + " bytes of memory for the event queue", errno);
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
    // Touch every page with a write now, so producers never take the write fault.
    const std::size_t page = pageSize();
    for (std::size_t at = 0; at < size; at += page) {
        reinterpret_cast<volatile std::uint8_t*>(m.data_)[at] = 0;
    }
    std::memcpy(m.data_, segment_magic, sizeof segment_magic);
    std::memcpy(m.data_ + 8, &sequence, sizeof sequence);
    const std::uint64_t capacity = size;
    std::memcpy(m.data_ + 16, &capacity, sizeof capacity);
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

std::size_t scanSegment(std::span<const std::byte> segment,
                        const std::function<void(std::span<const std::byte>)>& on_record) {
    std::size_t damaged = 0;
    bool in_damage = false;
    if (segment.size() < segment_header_bytes ||
        std::memcmp(segment.data(), segment_magic, sizeof segment_magic) != 0) {
        return segment.empty() ? 0 : 1;
    }
    for (std::size_t at = segment_header_bytes; at + record_header_bytes <= segment.size();) {
        RecordHeader h;
        std::memcpy(&h, segment.data() + at, sizeof h);
        if (h.commit == segment_end) break;
        const bool fits = h.size <= segment.size() - at - record_header_bytes;
        if (h.commit == record_committed && fits &&
            recordCrc(h.size, segment.data() + at + record_header_bytes) == h.crc) {
            on_record(segment.subspan(at + record_header_bytes, h.size));
            at += alignRecord(h.size);
            in_damage = false;
            continue;
        }
        // Never written (zeros) is the end of the data only if nothing valid follows:
        // a record may have been reserved and left unwritten by a process that died.
        const bool zero = h.commit == 0 && h.size == 0 && h.crc == 0;
        if (!zero && !in_damage) {
            ++damaged;
            in_damage = true;
        }
        at += 8;
    }
    return damaged;
}

}  // namespace metered::detail
