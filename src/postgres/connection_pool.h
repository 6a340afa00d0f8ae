// SPDX-License-Identifier: MIT
// A small pool of PostgreSQL connections (private).
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "metered/errors.h"
#include "pg_connection.h"

namespace metered::detail {

/// Hands out up to `size` connections, made when first needed; a broken connection is
/// dropped when returned, so the next lease connects afresh. Thread-safe.
class ConnectionPool {
public:
    ConnectionPool(std::string conninfo, std::size_t size);

    /// A connection, returned to the pool when the lease ends.
    class Lease {
    public:
        Lease(ConnectionPool& pool, std::unique_ptr<PgConnection> connection, bool fresh)
            : pool_(&pool), connection_(std::move(connection)), fresh_(fresh) {}
        Lease(Lease&&) noexcept = default;
        Lease& operator=(Lease&&) = delete;
        ~Lease() {
            if (connection_) pool_->giveBack(std::move(connection_));
        }
        PgConnection& operator*() const noexcept { return *connection_; }
        PgConnection* operator->() const noexcept { return connection_.get(); }
        /// True when the connection was opened for this lease (not reused).
        bool fresh() const noexcept { return fresh_; }

    private:
        ConnectionPool* pool_;
        std::unique_ptr<PgConnection> connection_;
        bool fresh_;
    };

    /// Waits for a free connection (or opens one); throws StoreError if connecting fails.
    Lease acquire();

    /// Runs `work(connection)`. If it fails transiently on a reused connection that turns
    /// out broken (the server restarted since it was last used), runs it once more on a
    /// new connection. `work` must be safe to repeat (every store call is idempotent).
    template <class Work>
    auto run(Work&& work) {
        for (int attempt = 0;; ++attempt) {
            Lease lease = acquire();
            try {
                return work(*lease);
            } catch (const StoreError& e) {
                if (attempt > 0 || lease.fresh() || !e.transient() || !lease->broken()) throw;
            }
        }
    }

private:
    void giveBack(std::unique_ptr<PgConnection> connection);

    std::string conninfo_;
    std::size_t size_;
    std::mutex mutex_;
    std::condition_variable available_;
    std::vector<std::unique_ptr<PgConnection>> idle_;
    std::size_t open_ = 0;
};

}  // namespace metered::detail
