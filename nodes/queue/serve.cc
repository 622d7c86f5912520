// dsc::queue::Serve: wires the queue node together and runs it until
// SIGTERM/SIGINT (or a fatal log error).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>
#include <mutex>

#include "nodes/common/address.h"
#include "nodes/common/node_server.h"
#include "nodes/common/shutdown_signal.h"
#include "nodes/queue/queue_http.h"
#include "nodes/queue/queue_node.h"
#include "nodes/queue/queue_service.h"
#include "wal/log.h"

namespace dsc::queue {
namespace {

constexpr int kExitFailure = 1;  // unusable data dir, busy port, fatal log error
constexpr int kExitUsage = 2;    // bad options

// Long polls hold a server thread each for up to 30 s, so the node needs
// more threads than it has cores: this many workers may wait at once.
constexpr size_t kServerThreads = 64;

int Exit(int code, const std::string& reason) {
  fmt::print(stderr, "dsc queue serve: {}\n", reason);
  return code;
}

// Remembers the first fatal error reported by any thread.
class FatalError {
 public:
  void Set(const Status& status) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (status_.ok()) status_ = status;
  }
  Status Get() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return status_;
  }

 private:
  mutable std::mutex mutex_;
  Status status_;  // GUARDED_BY(mutex_)
};

}  // namespace

// ANCHOR: serve
int Serve(const ServeOptions& options) {
  // First, before any thread exists, so every thread inherits the blocked
  // signals and only Wait() below receives them.
  node::ShutdownSignal shutdown;

  if (!node::IsValidNodeId(options.id)) {
    return Exit(kExitUsage, "bad --id \"" + options.id + "\": use letters, digits, '-' or '_'");
  }
  Result<node::ListenAddress> listen = node::ParseListenAddress(options.listen);
  if (!listen.ok()) return Exit(kExitUsage, "bad --listen: " + listen.status().message());
  if (options.data_dir.empty()) return Exit(kExitUsage, "--data DIR is required");
  Result<wal::DurabilityPolicy> durability = wal::DurabilityPolicy::Parse(options.fsync);
  if (!durability.ok()) return Exit(kExitUsage, "bad --fsync: " + durability.status().message());
  if (options.max_body_bytes == 0 || options.max_body_bytes > wal::kMaxPayloadBytes) {
    return Exit(kExitUsage, fmt::format("bad max body bytes {}: expected 1..{}",
                                        options.max_body_bytes, wal::kMaxPayloadBytes));
  }

  FatalError fatal;
  QueueServiceOptions service_options;
  service_options.data_dir = options.data_dir;
  service_options.durability = *durability;
  service_options.on_fatal = [&](const Status& status) {
    fatal.Set(status);
    shutdown.Request();
  };
  Result<std::unique_ptr<QueueService>> opened = QueueService::Open(service_options);
  if (!opened.ok()) {
    return Exit(kExitFailure,
                "cannot open the queue in " + options.data_dir + ": " + opened.status().ToString());
  }
  std::unique_ptr<QueueService> service = std::move(opened).value();

  node::NodeServerOptions server_options;
  server_options.node_id = options.id;
  server_options.listen = *listen;
  server_options.max_body_bytes = options.max_body_bytes;
  server_options.admin = options.admin;
  server_options.worker_threads = kServerThreads;
  server_options.max_connections = std::max(server_options.max_connections, kServerThreads);
  node::NodeServer server(server_options);
  QueueHttp http(options.id, service.get());
  http.Register(server);

  if (Status started = server.Start(); !started.ok()) {
    return Exit(kExitFailure, started.message());
  }
  const int signal_number = shutdown.Wait();

  // Wake the long polls (they answer 204), stop serving, then close the
  // state: the last tasks reach RocksDB and the log is synced and closed.
  service->Shutdown();
  server.Stop();
  Status closed = service->Close();
  if (Status error = fatal.Get(); !error.ok()) {
    spdlog::error("node {} stopped: {}", options.id, error.ToString());
    return kExitFailure;
  }
  if (!closed.ok()) {
    spdlog::error("node {}: closing the queue failed: {}", options.id, closed.ToString());
    return kExitFailure;
  }
  spdlog::info("node {} stopped cleanly (signal {})", options.id, signal_number);
  return 0;
}
// ANCHOR_END: serve

}  // namespace dsc::queue
