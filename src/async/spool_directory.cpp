// SPDX-License-Identifier: MIT
#include "spool_directory.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <system_error>

#include "metered/errors.h"
#include "segment.h"

namespace metered::detail {
namespace {

constexpr std::string_view segment_prefix = "segment-";
constexpr std::string_view segment_suffix = ".log";

}  // namespace

std::filesystem::path segmentFile(const std::filesystem::path& directory, std::size_t lane, std::uint64_t sequence) {
    return directory / fmt::format("{}{:02x}-{:016x}{}", segment_prefix, lane, sequence, segment_suffix);
}

std::optional<std::uint64_t> segmentSequence(const std::filesystem::path& path) {
    const std::string name = path.filename().string();
    // segment-LL-SSSSSSSSSSSSSSSS.log
    if (name.size() != segment_prefix.size() + 2 + 1 + 16 + segment_suffix.size() ||
        !name.starts_with(segment_prefix) || !name.ends_with(segment_suffix) ||
        name[segment_prefix.size() + 2] != '-') {
        return std::nullopt;
    }
    const char* first = name.data() + segment_prefix.size() + 3;
    std::uint64_t sequence = 0;
    const auto [end, error] = std::from_chars(first, first + 16, sequence, 16);
    if (error != std::errc() || end != first + 16 ||
        std::any_of(first, first + 16, [](char c) { return c >= 'A' && c <= 'F'; })) {
        return std::nullopt;
    }
    return sequence;
}

SpoolDirectory::SpoolDirectory(std::filesystem::path directory) : directory_(std::move(directory)) {
    std::error_code ec;
    std::filesystem::create_directories(directory_, ec);
    if (ec) throw Error("cannot create spool directory " + directory_.string() + ": " + ec.message());
    const auto lock_path = directory_ / "spool.lock";
    lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock_fd_ < 0) {
        const int err = errno;
        throw Error("cannot open " + lock_path.string() + ": " + std::generic_category().message(err));
    }
    if (flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
        ::close(lock_fd_);
        throw Error("spool directory " + directory_.string() + " is in use by another recorder process");
    }
    const std::string pid = std::to_string(getpid()) + "\n";
    if (ftruncate(lock_fd_, 0) != 0 || pwrite(lock_fd_, pid.data(), pid.size(), 0) < 0) {
        // The pid is only a hint for operators; the lock is what matters.
    }
    try {
        std::uint64_t last = 0;
        for (const auto& entry : std::filesystem::directory_iterator(directory_)) {
            const auto sequence = segmentSequence(entry.path());
            if (!sequence) continue;
            last = std::max(last, *sequence);
            std::size_t used = 0;
            {
                const Mapping segment = Mapping::openFile(entry.path());
                const std::span<const std::byte> bytes(segment.data(), segment.size());
                used = usedBytes(bytes);
                // A blank file, or an intact header and nothing after it: never written.
                if (used <= segment_header_bytes && scanSegment(bytes, [](std::span<const std::byte>) {}).unused) {
                    used = 0;
                }
            }
            if (used == 0) {
                std::filesystem::remove(entry.path());
                continue;
            }
            if (used < std::filesystem::file_size(entry.path())) std::filesystem::resize_file(entry.path(), used);
            leftovers_.push_back(entry.path());
            leftover_bytes_ += used;
        }
        next_sequence_ = last + 1;
    } catch (const std::exception& e) {
        ::close(lock_fd_);
        throw Error("cannot read spool directory " + directory_.string() + ": " + e.what());
    }
    std::sort(leftovers_.begin(), leftovers_.end());
}

SpoolDirectory::~SpoolDirectory() {
    if (lock_fd_ >= 0) ::close(lock_fd_);
}

std::filesystem::path SpoolDirectory::moveAside(const std::filesystem::path& segment) const {
    const auto aside = directory_ / "damaged";
    std::filesystem::create_directories(aside);
    auto target = aside / segment.filename();
    std::filesystem::rename(segment, target);
    return target;
}

}  // namespace metered::detail
