// SPDX-License-Identifier: MIT
// A PostgreSQL cluster of a test's own, for fault tests that stop and restart the server.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace metered::testing {

/// A PostgreSQL 15 cluster of this test's own (so it can be stopped without disturbing
/// other tests), made with Debian's pg_createcluster (the test command runs as root) on a
/// loopback port derived from the process id (20000–31999), and dropped when it goes.
class PrivateCluster {
public:
    explicit PrivateCluster(const std::string& prefix) {
        static int made = 0;
        // Below Linux's ephemeral range (32768 and up): no client socket can hold the port.
        port_ = 20000 + static_cast<int>((getpid() + 7919L * made++) % 12000);
        name_ = prefix + "_" + std::to_string(getpid()) + "_" + std::to_string(made);
        run("pg_createcluster 15 " + name_ + " -p " + std::to_string(port_) + " -- --auth=trust >/dev/null");
        start();
        conninfo = "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=postgres";
    }
    ~PrivateCluster() { std::system(("pg_dropcluster --stop 15 " + name_ + " >/dev/null 2>&1").c_str()); }
    PrivateCluster(const PrivateCluster&) = delete;
    PrivateCluster& operator=(const PrivateCluster&) = delete;

    void stop() { run("pg_ctlcluster 15 " + name_ + " stop -m fast"); }
    void start() { run("pg_ctlcluster 15 " + name_ + " start"); }

    std::string conninfo;

private:
    static void run(const std::string& command) {
        if (std::system(command.c_str()) != 0) {
            throw std::runtime_error("'" + command + "' failed (the fault tests need root and postgresql-15)");
        }
    }
    int port_;
    std::string name_;
};

}  // namespace metered::testing
