// SPDX-License-Identifier: MIT
// The one results table every benchmark section adds rows to.
#pragma once

#include <fmt/format.h>

#include <string>
#include <vector>

namespace metered::bench {

struct Row {
    std::string section;
    std::string measurement;
    std::string result;      ///< the measured figure(s)
    std::string comparison;  ///< ratio to the reference measured in the same run, if any
    std::string target;      ///< what docs/performance.md asks for
    std::string verdict;     ///< "met", "NOT met", or "" when there is no target
};

class Report {
public:
    void add(Row row) {
        fmt::print(stderr, "  {:<12} {:<44} {}  {}\n", row.section, row.measurement, row.result, row.comparison);
        rows_.push_back(std::move(row));
    }
    void print() const {
        std::size_t widths[6] = {7, 11, 6, 10, 6, 7};
        auto widen = [&](const Row& r) {
            const std::string* cells[] = {&r.section, &r.measurement, &r.result, &r.comparison, &r.target, &r.verdict};
            for (int i = 0; i < 6; ++i) widths[i] = std::max(widths[i], cells[i]->size());
        };
        for (const auto& r : rows_) widen(r);
        const auto line = [&](const std::string& a, const std::string& b, const std::string& c, const std::string& d,
                              const std::string& e, const std::string& f) {
            fmt::print("| {:<{}} | {:<{}} | {:>{}} | {:<{}} | {:<{}} | {:<{}} |\n", a, widths[0], b, widths[1], c,
                       widths[2], d, widths[3], e, widths[4], f, widths[5]);
        };
        line("section", "measurement", "result", "comparison", "target", "verdict");
        fmt::print("|{:-<{}}|{:-<{}}|{:->{}}|{:-<{}}|{:-<{}}|{:-<{}}|\n", "", widths[0] + 2, "", widths[1] + 2, "",
                   widths[2] + 2, "", widths[3] + 2, "", widths[4] + 2, "", widths[5] + 2);
        for (const auto& r : rows_) line(r.section, r.measurement, r.result, r.comparison, r.target, r.verdict);
    }

private:
    std::vector<Row> rows_;
};

inline std::string verdict(bool met) { return met ? "met" : "NOT met"; }

}  // namespace metered::bench
