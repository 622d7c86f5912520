// DscRaftSystem: three `dsc raft serve` nodes on loopback with default
// flags (durable: every batch of entries is fdatasynced before a node
// acknowledges it), driven over the HTTP contract in
// nodes/raft/raft_http.h:
//   put    PUT /kv/{key}   body: the raw value   -> 200 {"key","index"}
//   check  GET /kv/{key}   -> 200 {"key","value","index"}  (linearizable)
//   leader GET /status     -> {"state","leader",...} on each node
//
// Thread-safety: see kv_system.h.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bench/raft/cluster_members.h"
#include "bench/raft/kv_system.h"

namespace dsc::bench {

class DscRaftSystem : public KvSystem {
 public:
  // `extra_args` go to every node after the required flags (empty: the
  // defaults).
  DscRaftSystem(std::string dsc_binary, std::vector<std::string> extra_args)
      : dsc_binary_(std::move(dsc_binary)), extra_args_(std::move(extra_args)) {}

  std::string name() const override { return "dsc"; }
  Status Start(const std::string& data_dir) override;
  std::string leader() const override { return leader_; }
  Result<std::unique_ptr<KvConnection>> Connect() override;
  Status CheckWritten(const std::string& key_prefix, uint64_t puts,
                      const std::vector<WrittenKey>& sample) override;
  Result<ClusterCpu> CpuSeconds() const override;
  Status Stop() override;

 private:
  // The leader all three nodes agree on, or why there is none yet.
  Result<std::string> FindLeader();

  const std::string dsc_binary_;
  const std::vector<std::string> extra_args_;
  std::optional<ClusterMembers> members_;
  std::string leader_;
  int leader_port_ = 0;
};

}  // namespace dsc::bench
