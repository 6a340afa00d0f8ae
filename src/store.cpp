// SPDX-License-Identifier: MIT
#include "metered/store.h"

#include "metered/errors.h"
#include "metered/memory_store.h"

namespace metered {

std::shared_ptr<UsageStore> openStore(std::string_view uri, const StoreOptions& options) {
    std::shared_ptr<UsageStore> store;
    if (uri == "memory:") {
        store = std::make_shared<MemoryStore>();
    } else {
        throw ValidationError("store", "unsupported store URI (use memory:, sqlite:<path> or postgresql://...)");
    }
    if (options.migrate) store->migrate();
    return store;
}

}  // namespace metered
