#include "bench/server_queue_system.h"

#include <chrono>
#include <utility>

namespace dsc::bench {

Status ServerQueueSystem::StartServer(
    const std::function<std::vector<std::string>(int port)>& argv_for,
    const std::string& log_path) {
  Result<int> port = PickFreeLoopbackPort();
  if (!port.ok()) return port.status();
  port_ = *port;
  Result<std::unique_ptr<ServerProcess>> server = ServerProcess::Start(argv_for(port_), log_path);
  if (!server.ok()) return server.status();
  server_ = std::move(server).value();
  return server_->WaitForPort(port_, std::chrono::seconds(20));
}

Result<double> ServerQueueSystem::ServerCpuSeconds() const { return server_->CpuSeconds(); }

Status ServerQueueSystem::Stop() {
  if (!server_) return Status::Ok();
  Status stopped = server_->Stop();
  server_.reset();
  return stopped;
}

}  // namespace dsc::bench
