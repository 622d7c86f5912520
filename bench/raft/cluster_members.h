// ClusterMembers: the three server processes of one cluster under test,
// with the ports they were given, and what both systems do with them alike:
// pick free ports, wait until every member listens, add up CPU time, and
// stop them all, the leader first.
//
// The leader goes first because a member that loses its peers before it
// is stopped may wait for them (etcd's leader tries to hand leadership
// over on SIGTERM and waits for a quorum that is gone).
//
// Thread-safety: driven by one thread; CpuSeconds() may be called from any.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "bench/raft/kv_system.h"
#include "bench/server_process.h"

namespace dsc::bench {

struct ClusterMember {
  std::string name;      // "n1", "e1"
  int client_port = 0;   // where clients connect
  int peer_port = 0;     // where members talk to each other (== client_port for dsc)
  std::string data_dir;  // fresh, below the system's data dir
  std::string log_path;  // the server's stdout and stderr
  std::unique_ptr<ServerProcess> process;
};

class ClusterMembers {
 public:
  // Names `<prefix>1..<prefix>count`, each with a free client port and, if
  // `separate_peer_port`, a second free port for peer traffic. Creates
  // each member's data directory below `data_dir`.
  static Result<ClusterMembers> Pick(const std::string& data_dir, const std::string& prefix,
                                     int count, bool separate_peer_port);

  std::vector<ClusterMember>& members() { return members_; }
  const std::vector<ClusterMember>& members() const { return members_; }
  ClusterMember* Find(const std::string& name);

  // Starts member `i` with `argv`, its log in its log_path.
  Status StartMember(size_t i, const std::vector<std::string>& argv);
  // Waits until every started member accepts connections on its client port.
  Status WaitForPorts(std::chrono::milliseconds timeout);

  Result<ClusterCpu> CpuSeconds(const std::string& leader) const;

  // Stops `leader` first (if named and running), then the others; the
  // first failure, but every member is stopped either way.
  Status StopAll(const std::string& leader);

 private:
  std::vector<ClusterMember> members_;
};

// Polls `probe` every 50 ms until it returns OK or `timeout` passes; then
// the last failure, with `what` in front.
Status PollUntil(const std::string& what, std::chrono::milliseconds timeout,
                 const std::function<Status()>& probe);

}  // namespace dsc::bench
