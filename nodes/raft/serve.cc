// dsc::raft::Serve: wires a Raft KV node together and runs it until
// SIGTERM/SIGINT (or a fatal storage error).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>

#include "base/first_error.h"
#include "nodes/common/address.h"
#include "nodes/common/node_server.h"
#include "nodes/common/peer_client.h"
#include "nodes/common/serve_flags.h"
#include "nodes/common/shutdown_signal.h"
#include "nodes/raft/raft_http.h"
#include "nodes/raft/raft_kv_node.h"
#include "nodes/raft/raft_kv_service.h"
#include "wal/format.h"
#include "wal/log.h"

namespace dsc::raft {
namespace {

int Exit(int code, const std::string& reason) {
  return node::ExitWithReason("raft serve", code, reason);
}

// Peers send snapshots (the whole state) and batches of up to
// kMaxChainedEntries entries, base64 in JSON: the /raft/* routes accept
// bodies this large, the client routes only --max-body-bytes.
constexpr size_t kMaxPeerBodyBytes = 256u << 20;

}  // namespace

int Serve(const ServeOptions& options) {
  node::ShutdownSignal shutdown;  // first: every thread inherits blocked signals

  Result<node::ListenAddress> listen =
      node::ValidateServeFlags(options.id, options.listen, options.data_dir);
  if (!listen.ok()) return Exit(node::kExitUsage, listen.status().message());
  Result<std::vector<node::PeerAddress>> peers = node::ParsePeerList(options.peers);
  if (!peers.ok()) return Exit(node::kExitUsage, "bad --peers: " + peers.status().message());
  if (std::none_of(peers->begin(), peers->end(),
                   [&](const node::PeerAddress& p) { return p.id == options.id; })) {
    return Exit(node::kExitUsage, "--peers must include this node (--id " + options.id + ")");
  }
  Result<wal::DurabilityPolicy> durability = wal::DurabilityPolicy::Parse(options.fsync);
  if (!durability.ok()) {
    return Exit(node::kExitUsage, "bad --fsync: " + durability.status().message());
  }
  if (options.max_body_bytes == 0 || options.max_body_bytes > wal::kMaxPayloadBytes / 2) {
    return Exit(node::kExitUsage, "bad --max-body-bytes");
  }
  if (options.tick_ms < 1 || options.election_ticks < 3) {
    return Exit(node::kExitUsage, "--tick-ms must be >= 1 and --election-ticks >= 3");
  }
  if (!options.break_rule.empty() && options.break_rule != "stale-reads") {
    return Exit(node::kExitUsage, "bad --break: the only rule to break is stale-reads");
  }
  if (!options.break_rule.empty()) {
    spdlog::warn("node {}: BROKEN ON PURPOSE (--break {}): reads skip ReadIndex", options.id,
                 options.break_rule);
  }

  // Declared first, so it is destroyed last: the peer client, the
  // transport's senders and the handlers all run on its io_context.
  node::NodeServer server(node::NodeServerOptionsFor(options, *listen));

  // Peer calls wait for the peer's fsync; a partitioned peer must not hold
  // a sender for long (it only delays that peer's next heartbeat).
  node::PeerClientOptions peer_options;
  peer_options.connect_timeout = std::chrono::milliseconds(200);
  peer_options.request_timeout = std::chrono::milliseconds(2000);
  node::PeerClient peer_client(server.executor(), options.id, *peers, peer_options,
                               &server.faults());

  FirstError fatal;
  RaftKvOptions service_options;
  service_options.data_dir = options.data_dir;
  service_options.durability = *durability;
  service_options.tick = std::chrono::milliseconds(options.tick_ms);
  service_options.election_ticks = options.election_ticks;
  service_options.heartbeat_ticks = std::max(1, options.election_ticks / 5);
  service_options.snapshot_every = std::max<uint64_t>(options.snapshot_every, 1);
  service_options.break_stale_reads = options.break_rule == "stale-reads";
  service_options.on_fatal = [&](const Status& status) {
    fatal.Set(status);
    shutdown.Request();
  };
  Result<std::unique_ptr<RaftKvService>> opened =
      RaftKvService::Open(service_options, &peer_client, server.executor());
  if (!opened.ok()) {
    return Exit(node::kExitFailure, "cannot open the Raft node in " + options.data_dir + ": " +
                                        opened.status().ToString());
  }
  std::unique_ptr<RaftKvService> service = std::move(opened).value();
  RaftHttp http(service.get(), &peer_client, options.max_body_bytes, kMaxPeerBodyBytes);
  http.Register(server);

  if (Status started = server.Start(); !started.ok()) {
    return Exit(node::kExitFailure, started.message());
  }
  const int signal_number = shutdown.Wait();
  // The service first: it answers every request still waiting (503) and
  // stops its loop and senders, so the server's graceful stop has nothing
  // left to wait for. Then the server, whose threads end; the peer client
  // and the server's io_context go last, when this function returns.
  Status closed = service->Close();
  server.Stop();
  return node::ExitAfterShutdown(options.id, fatal.Get(), closed, "the Raft node", signal_number);
}

}  // namespace dsc::raft
