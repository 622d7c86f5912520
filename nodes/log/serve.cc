// dsc::lognode::Serve: wires the pieces of the log node together and runs
// it until SIGTERM/SIGINT (or a fatal log error).
#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "base/first_error.h"
#include "nodes/common/address.h"
#include "nodes/common/node_server.h"
#include "nodes/common/serve_flags.h"
#include "nodes/common/shutdown_signal.h"
#include "nodes/log/log_node.h"
#include "nodes/log/log_service.h"
#include "wal/log.h"

namespace dsc::lognode {
namespace {

int Fail(int code, const std::string& reason) {
  return node::ExitWithReason("log serve", code, reason);
}

}  // namespace

// ANCHOR: serve
int Serve(const ServeOptions& options) {
  // First, before any thread exists, so every thread inherits the blocked
  // signals and only Wait() below receives them.
  node::ShutdownSignal shutdown;

  Result<node::ListenAddress> listen =
      node::ValidateServeFlags(options.id, options.listen, options.data_dir);
  if (!listen.ok()) return Fail(node::kExitUsage, listen.status().message());
  Result<wal::DurabilityPolicy> durability = wal::DurabilityPolicy::Parse(options.fsync);
  if (!durability.ok())
    return Fail(node::kExitUsage, "bad --fsync: " + durability.status().message());
  if (options.max_body_bytes == 0 || options.max_body_bytes > wal::kMaxPayloadBytes) {
    return Fail(node::kExitUsage, fmt::format("bad max body bytes {}: expected 1..{}",
                                              options.max_body_bytes, wal::kMaxPayloadBytes));
  }

  wal::LogOptions log_options;
  log_options.system = "log";
  log_options.durability = *durability;
  Result<std::unique_ptr<wal::Log>> opened = wal::Log::Open(options.data_dir, log_options);
  if (!opened.ok()) {
    return Fail(node::kExitFailure,
                "cannot open the log in " + options.data_dir + ": " + opened.status().ToString());
  }
  std::unique_ptr<wal::Log> log = std::move(opened).value();
  node::NodeServer server(node::NodeServerOptionsFor(options, *listen));

  FirstError fatal;
  LogService service(options.id, log.get(), durability->ToString(), [&](const Status& status) {
    fatal.Set(status);
    shutdown.Request();
  });
  service.Register(server);

  if (Status started = server.Start(); !started.ok()) {
    return Fail(node::kExitFailure, started.message());
  }
  const int signal_number = shutdown.Wait();

  // Stop serving first, so no append races the close: Stop() lets the
  // appends in flight get their reply, which the log's sync thread
  // completes (OnDurable), then ends the server's threads.
  server.Stop();
  Status closed = log->Close();
  return node::ExitAfterShutdown(options.id, fatal.Get(), closed, "the log", signal_number);
}
// ANCHOR_END: serve

}  // namespace dsc::lognode
