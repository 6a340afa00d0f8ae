// SPDX-License-Identifier: MIT
// What preparing one spool segment costs, three ways, measured in alternating rounds:
//   new      Mapping::createFile: a new file (fallocate), mapped, every page faulted in
//            writable (what the spool's preparer does for each segment today)
//   reused   a released segment's file opened again and mapped anew, its pages faulted in
//            (what recycling files would do)
//   kept     the same mapping of a written, synced file, its pages faulted in again (what
//            recycling files with their mappings would do: msync left every page clean and
//            write-protected)
// Each round then writes a record's worth (200 of every 256 bytes, as 8 threads recording
// would) and syncs, so the next way starts from what the spool leaves. Prints each way's
// median per segment and the ratios to `new`.
//
//   metered_segment_pages [MIB [ROUNDS [DIRECTORY]]]     (8 MiB, 10 rounds, the temp directory)
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <vector>

#include "async/segment.h"
#include "metered/ids.h"

namespace {

using Steady = std::chrono::steady_clock;
using metered::detail::Mapping;

double millisecondsSince(Steady::time_point start) {
    return std::chrono::duration<double, std::milli>(Steady::now() - start).count();
}

void writeRecords(std::byte* data, std::size_t size) {
    for (std::size_t at = 0; at + 256 <= size; at += 256) std::memset(data + at, 1, 200);
    msync(data, size, MS_SYNC);
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    const std::size_t size = (argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 8) << 20;
    const int rounds = argc > 2 ? std::atoi(argv[2]) : 10;
    const auto dir = (argc > 3 ? std::filesystem::path(argv[3]) : std::filesystem::temp_directory_path()) /
                     ("metered-segment-pages-" + metered::Uuid::generateV7().toString());
    if (size == 0 || rounds < 1) {
        fmt::print(stderr, "usage: metered_segment_pages [MIB [ROUNDS [DIRECTORY]]]\n");
        return 2;
    }
    std::filesystem::create_directories(dir);
    std::vector<double> fresh, reused, kept;
    for (int round = 0; round < rounds; ++round) {
        const auto path = dir / fmt::format("{:020}.seg", round);
        auto start = Steady::now();
        {
            Mapping segment = Mapping::createFile(path, size, static_cast<std::uint64_t>(round) + 1);
            fresh.push_back(millisecondsSince(start));
            writeRecords(segment.data(), size);
        }  // unmapped and closed; the file stays, as a released segment's would be recycled
        const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
        if (fd < 0) {
            fmt::print(stderr, "cannot open {}: {}\n", path.string(), std::strerror(errno));
            return 1;
        }
        start = Steady::now();
        auto* data = static_cast<std::byte*>(mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
        if (data == MAP_FAILED) {
            fmt::print(stderr, "cannot map {}\n", path.string());
            return 1;
        }
        metered::detail::prefaultForWriting(data, size);
        reused.push_back(millisecondsSince(start));
        writeRecords(data, size);
        start = Steady::now();
        metered::detail::prefaultForWriting(data, size);
        kept.push_back(millisecondsSince(start));
        munmap(data, size);
        ::close(fd);
        std::filesystem::remove(path);
    }
    std::filesystem::remove_all(dir);
    const double pages = static_cast<double>(size) / static_cast<double>(sysconf(_SC_PAGESIZE));
    const auto line = [&](const char* way, double ms) {
        fmt::print("{:<48} {:8.2f} ms a segment, {:6.2f} us a page, {:.2f}x new\n", way, ms, 1000 * ms / pages,
                   ms / median(fresh));
    };
    fmt::print("preparing a {} MiB spool segment, median of {} alternating rounds:\n", size >> 20, rounds);
    line("new file (Mapping::createFile)", median(fresh));
    line("released file, mapped again", median(reused));
    line("same mapping, after a write and msync", median(kept));
}
