// dsc::queue::Serve: wires the queue node together and runs it until
// SIGTERM/SIGINT (or a fatal log error).
#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "base/first_error.h"
#include "nodes/common/address.h"
#include "nodes/common/node_server.h"
#include "nodes/common/serve_flags.h"
#include "nodes/common/shutdown_signal.h"
#include "nodes/queue/queue_http.h"
#include "nodes/queue/queue_node.h"
#include "nodes/queue/queue_service.h"
#include "wal/log.h"

namespace dsc::queue {
namespace {

int Exit(int code, const std::string& reason) {
  return node::ExitWithReason("queue serve", code, reason);
}

}  // namespace

// ANCHOR: serve
int Serve(const ServeOptions& options) {
  // First, before any thread exists, so every thread inherits the blocked
  // signals and only Wait() below receives them.
  node::ShutdownSignal shutdown;

  Result<node::ListenAddress> listen =
      node::ValidateServeFlags(options.id, options.listen, options.data_dir);
  if (!listen.ok()) return Exit(node::kExitUsage, listen.status().message());
  Result<wal::DurabilityPolicy> durability = wal::DurabilityPolicy::Parse(options.fsync);
  if (!durability.ok())
    return Exit(node::kExitUsage, "bad --fsync: " + durability.status().message());
  if (options.max_body_bytes == 0 || options.max_body_bytes > wal::kMaxPayloadBytes) {
    return Exit(node::kExitUsage, fmt::format("bad max body bytes {}: expected 1..{}",
                                              options.max_body_bytes, wal::kMaxPayloadBytes));
  }

  QueueOptions queue_options;
  queue_options.retention_ms = options.retention_ms;
  if (Status valid = ValidateQueueOptions(queue_options); !valid.ok()) {
    return Exit(node::kExitUsage, "bad --retention-ms: " + valid.message());
  }

  // The server first: the service's timers (long polls, lease expiry) run
  // on its executor. Long polls hold no thread, so the server's few
  // threads (--threads; by default one per core but one) serve any number
  // of waiting workers.
  node::NodeServer server(node::NodeServerOptionsFor(options, *listen));

  FirstError fatal;
  QueueServiceOptions service_options;
  service_options.data_dir = options.data_dir;
  service_options.durability = *durability;
  service_options.queue = queue_options;
  service_options.executor = server.executor();
  service_options.durable_leases = options.durable_leases;
  service_options.on_fatal = [&](const Status& status) {
    fatal.Set(status);
    shutdown.Request();
  };
  Result<std::unique_ptr<QueueService>> opened = QueueService::Open(service_options);
  if (!opened.ok()) {
    return Exit(node::kExitFailure,
                "cannot open the queue in " + options.data_dir + ": " + opened.status().ToString());
  }
  std::unique_ptr<QueueService> service = std::move(opened).value();
  QueueHttp http(options.id, service.get());
  http.Register(server);

  if (Status started = server.Start(); !started.ok()) {
    return Exit(node::kExitFailure, started.message());
  }
  const int signal_number = shutdown.Wait();

  // Answer the long polls (204) so nothing waits for them, stop serving
  // (replies waiting for a sync still go out), then close the state: the
  // last tasks reach RocksDB and the log is synced and closed.
  service->Shutdown();
  server.Stop();
  Status closed = service->Close();
  return node::ExitAfterShutdown(options.id, fatal.Get(), closed, "the queue", signal_number);
}
// ANCHOR_END: serve

}  // namespace dsc::queue
