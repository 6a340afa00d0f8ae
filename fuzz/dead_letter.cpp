// SPDX-License-Identifier: MIT
// Dead-letter lines: parseDeadLetter never crashes and refuses only with ValidationError;
// a line it accepts holds an event (or raw bytes) that, written back the way the recorder
// writes it, reads back the same.
#include <cstdint>
#include <string>

#include "event_json.h"
#include "fuzz_check.h"
#include "metered/dead_letters.h"
#include "metered/errors.h"

using namespace metered;

namespace {

bool same(const UsageEvent& a, const UsageEvent& b) {
    return a.id == b.id && a.business == b.business && a.type == b.type && a.quantity == b.quantity &&
           a.unit_price == b.unit_price && a.list_cost == b.list_cost && a.occurred_at == b.occurred_at &&
           a.metadata.toJson() == b.metadata.toJson() && a.model == b.model && a.parts == b.parts &&
           a.dimensions == b.dimensions;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto text = fuzz::textOf(data, size);
    DeadLetter letter;
    try {
        letter = parseDeadLetter(text);
    } catch (const ValidationError&) {
        return 0;
    }
    if (!letter.event) {
        fuzz::require(!letter.raw_hex.empty() || text.find("\"raw\"") != std::string_view::npos,
                      "a letter with neither an event nor raw bytes");
        return 0;
    }
    detail::Json line = {{"at", "2026-01-01T00:00:00.000000Z"}, {"reason", letter.reason}};
    line["event"] = detail::eventJson(*letter.event);
    const DeadLetter again = parseDeadLetter(detail::dumpExact(line, -1, detail::Json::error_handler_t::replace));
    fuzz::require(again.event && same(*again.event, *letter.event), "an accepted event does not read back the same");
    return 0;
}
