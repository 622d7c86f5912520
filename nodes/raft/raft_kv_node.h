// The Raft KV node: sessions 8-10's system. Five nodes agree on one log of
// commands with Raft (core/), each applies it to the same key-value map,
// and clients read and write through the leader:
//
//   dsc raft serve --id n1 --listen 127.0.0.1:7401
//                  --peers n1=127.0.0.1:7401,n2=127.0.0.1:7402,... --data DIR
//
// The HTTP API is in raft_http.h; the loop around the core in
// raft_kv_service.h; what is on disk in raft_storage.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace dsc::raft {

struct ServeOptions {
  std::string id = "n1";
  std::string listen = "127.0.0.1:7401";
  std::string peers;     // id=host:port,... including this node (required)
  std::string data_dir;  // required
  std::string fsync = "always";
  bool admin = false;
  size_t max_body_bytes = 1u << 20;
  size_t threads = 0;  // the server's io threads; 0: one per core but one, at least one
  int tick_ms = 50;
  int election_ticks = 10;
  uint64_t snapshot_every = 100000;  // etcd's --snapshot-count default
  std::string break_rule;            // "" or "stale-reads" (for `dsc check raft` exercises)
};

// Runs the node until SIGTERM or SIGINT; returns the process exit code
// (0 clean, 1 unusable data dir / busy port / fatal storage error, 2 bad
// options). Call from main() before starting any other thread.
int Serve(const ServeOptions& options);

}  // namespace dsc::raft
