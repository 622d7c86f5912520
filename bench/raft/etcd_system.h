// EtcdSystem: three etcd members (Debian's etcd-server) on loopback, each
// with its own data directory and etcd's default durability (the leader
// and each follower fsync their WAL before acknowledging), driven through
// etcd's HTTP/JSON gateway to its gRPC API, where keys and values travel
// base64-encoded:
//   put    POST /v3/kv/put              {"key","value"}          -> 200
//   check  POST /v3/kv/range            {"key"} | {"key","range_end","count_only"}
//   leader POST /v3/maintenance/status  {} -> {"header":{"member_id"},"leader"}
//
// Thread-safety: see kv_system.h.
#pragma once

#include <optional>
#include <string>

#include "bench/raft/cluster_members.h"
#include "bench/raft/kv_system.h"

namespace dsc::bench {

class EtcdSystem : public KvSystem {
 public:
  explicit EtcdSystem(std::string etcd_binary) : etcd_binary_(std::move(etcd_binary)) {}

  std::string name() const override { return "etcd"; }
  Status Start(const std::string& data_dir) override;
  std::string leader() const override { return leader_; }
  Result<std::unique_ptr<KvConnection>> Connect() override;
  Status CheckWritten(const std::string& key_prefix, uint64_t puts,
                      const std::vector<WrittenKey>& sample) override;
  Result<ClusterCpu> CpuSeconds() const override;
  Status Stop() override;

 private:
  // The member all three agree leads, or why there is none yet.
  Result<std::string> FindLeader();

  const std::string etcd_binary_;
  std::optional<ClusterMembers> members_;
  std::string leader_;
  int leader_port_ = 0;
};

// etcd's gateway body for a put: {"key":"<base64>","value":"<base64>"}.
std::string EtcdPutBody(std::string_view key, std::string_view value);
// The smallest key above every key that starts with `prefix` (etcd's
// range_end for a prefix scan); "\0" when there is none.
std::string PrefixRangeEnd(std::string_view prefix);

}  // namespace dsc::bench
