// SPDX-License-Identifier: MIT
// Stores under test: every backend runs the same contract (test_store_contract.cpp).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "metered/memory_store.h"

namespace metered::testing {

/// A fresh, migrated, empty MemoryStore per test.
struct MemoryFixture {
    static constexpr const char* name = "memory";
    std::shared_ptr<MemoryStore> store = std::make_shared<MemoryStore>();

    /// The stored metadata JSON of an event, as the store keeps it.
    std::optional<std::string> metadataJson(const BusinessId& business, const EventId& id) const {
        for (const auto& event : store->events(business)) {
            if (event.id == id) return event.metadata.toJson();
        }
        return std::nullopt;
    }
};

}  // namespace metered::testing
