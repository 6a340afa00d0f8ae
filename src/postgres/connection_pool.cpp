// SPDX-License-Identifier: MIT
#include "connection_pool.h"

namespace metered::detail {

ConnectionPool::ConnectionPool(std::string conninfo, std::size_t size)
    : conninfo_(std::move(conninfo)), size_(size == 0 ? 1 : size) {}

ConnectionPool::Lease ConnectionPool::acquire() {
    std::unique_lock lock(mutex_);
    available_.wait(lock, [&] { return !idle_.empty() || open_ < size_; });
    if (!idle_.empty()) {
        auto connection = std::move(idle_.back());
        idle_.pop_back();
        return Lease(*this, std::move(connection), false);
    }
    ++open_;
    lock.unlock();
    try {
        return Lease(*this, std::make_unique<PgConnection>(conninfo_), true);
    } catch (...) {
        lock.lock();
        --open_;
        available_.notify_one();
        throw;
    }
}

void ConnectionPool::giveBack(std::unique_ptr<PgConnection> connection) {
    if (connection->transactionOpen()) connection->rollbackQuietly();
    std::lock_guard lock(mutex_);
    if (connection->broken() || connection->transactionOpen()) {
        --open_;
    } else {
        idle_.push_back(std::move(connection));
    }
    available_.notify_one();
}

}  // namespace metered::detail
