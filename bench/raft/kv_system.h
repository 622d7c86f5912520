// KvSystem: what raft_bench needs from a replicated key-value store it
// measures, so dsc's Raft KV and etcd are driven by the same load loop
// (put_run.h).
//
// A system is a three-member cluster on loopback, each member a server
// process with a fresh data directory. Start() returns once a leader is
// elected; every connection goes to that leader, so neither system pays
// for a redirect or a forward. A connection is one client's own keep-alive
// HTTP connection.
//
// Thread-safety: a KvSystem is started, checked and stopped by one thread;
// each KvConnection is used by one client thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace dsc::bench {

class KvConnection {
 public:
  virtual ~KvConnection() = default;
  // Returns once the system acknowledges the write: committed on a
  // majority, each of which synced it to disk.
  virtual Status Put(std::string_view key, std::string_view value) = 0;
  // Puts sent a second time because the server had closed the idle
  // keep-alive connection they were sent on (bench/http_connection.h).
  virtual uint64_t resent() const = 0;
};

// A key and the value last written to it, for CheckWritten.
struct WrittenKey {
  std::string key;
  std::string value;
};

// CPU time (user + system, all threads) the members used so far.
struct ClusterCpu {
  double leader_seconds = 0;
  double all_seconds = 0;  // the three members together
};

class KvSystem {
 public:
  virtual ~KvSystem() = default;
  virtual std::string name() const = 0;  // "dsc", "etcd"
  // Starts three members with their data below `data_dir` (created fresh)
  // and waits until they agree on a leader.
  virtual Status Start(const std::string& data_dir) = 0;
  // The leader's name ("n2", "e1"), as found by Start().
  virtual std::string leader() const = 0;
  // A new connection to the leader.
  virtual Result<std::unique_ptr<KvConnection>> Connect() = 0;
  // Asks the cluster whether the run left what it acknowledged: every key
  // in `sample` reads back (linearizably, from the leader) with its value,
  // `key_prefix` covers at least `puts` keys where the system can count,
  // and the leader is still the one Start() found.
  virtual Status CheckWritten(const std::string& key_prefix, uint64_t puts,
                              const std::vector<WrittenKey>& sample) = 0;
  virtual Result<ClusterCpu> CpuSeconds() const = 0;
  // Stops every member; fails if one did not shut down cleanly.
  virtual Status Stop() = 0;
};

}  // namespace dsc::bench
