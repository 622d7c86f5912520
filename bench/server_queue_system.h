// ServerQueueSystem: what every QueueSystem that is one server process
// shares: a free loopback port, the process started on it and waited for,
// its CPU time, and a clean stop. BeanstalkSystem, DscQueueSystem and
// FloorQueueSystem differ only in the command line and the protocol.
//
// Thread-safety: see queue_system.h.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bench/queue_system.h"
#include "bench/server_process.h"

namespace dsc::bench {

class ServerQueueSystem : public QueueSystem {
 public:
  Result<double> ServerCpuSeconds() const final;
  Status Stop() final;

  // While started: the server's port and process.
  int port() const { return port_; }
  const ServerProcess* server() const { return server_.get(); }

 protected:
  // Picks a free loopback port, starts argv_for(port) with its output in
  // `log_path`, and waits until the port accepts connections.
  Status StartServer(const std::function<std::vector<std::string>(int port)>& argv_for,
                     const std::string& log_path);

 private:
  std::unique_ptr<ServerProcess> server_;
  int port_ = 0;
};

}  // namespace dsc::bench
