// SimCluster: a simulated Raft cluster that a test scripts step by step.
//
// The simulator (simulator.h) throws random faults at a cluster; a
// scenario test instead tells the story itself: elect a leader, cut it
// off, propose on the new one, crash everybody, restart, and check what
// each node holds at every point. SimCluster gives it the verbs:
//
//   network   Disconnect / Connect a node (a cut node sends and receives
//             nothing), SetUnreliable (loss, duplication, long delays,
//             slow disks);
//   nodes     Crash (everything not on storage is lost) / Restart;
//   time      RunFor(ms), RunTicks(n), RunUntil(predicate, timeout): all
//             simulated, a second of cluster time costs microseconds;
//   client    Propose on one node, or Commit (propose on whoever leads and
//             wait until enough nodes applied it, retrying elsewhere);
//   reading   Leader(), applied(id) (what a node's state machine holds),
//             CountApplied(index), stats() (messages sent, by type).
//
// Built from the simulator's parts (SimNode, SimNetwork, SimChecker), so
// every simulated millisecond is also checked for Raft's safety
// properties: a scenario fails on the first violation even if its own
// assertions would not have noticed. Time runs as in the simulator: a
// tick every 10 ms per node, election timeouts of 100-200 ms.
//
// Thread-safety: not thread-safe; one SimCluster per test.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "nodes/raft/core/sim/sim_checker.h"
#include "nodes/raft/core/sim/sim_network.h"
#include "nodes/raft/core/sim/sim_node.h"
#include "nodes/raft/core/sim/sim_random.h"

namespace dsc::raft::sim {

struct ClusterOptions {
  int nodes = 3;            // named n1..nN
  uint64_t seed = 1;        // network, timers and tick phases all derive from it
  bool unreliable = false;  // start with a faulty network (SetUnreliable)
  bool pre_vote = true;
  bool check_quorum = true;
  size_t max_entries_per_message = 64;
  // Each node snapshots its state machine once it has applied this many
  // entries past its last snapshot (§7); 0: never.
  Index compact_every = 0;
  bool trace = false;  // print every event to stderr
};

class SimCluster {
 public:
  static constexpr int64_t kTickMs = 10;
  // An election timeout is 10-20 ticks; this is comfortably more than one
  // election needs, with a split vote or two.
  static constexpr int64_t kElectionMs = 1000;

  explicit SimCluster(const ClusterOptions& options);

  SimCluster(const SimCluster&) = delete;
  SimCluster& operator=(const SimCluster&) = delete;

  const std::vector<NodeId>& ids() const { return ids_; }
  int size() const { return static_cast<int>(ids_.size()); }

  // --- the network ---
  void Disconnect(const NodeId& id);
  void Connect(const NodeId& id);
  void ConnectAll();
  bool connected(const NodeId& id) const { return !disconnected_.contains(id); }
  // Reliable: every message arrives within 1-5 ms. Unreliable: 10% lost,
  // 5% duplicated, delays up to 30 ms and sometimes up to 300 ms, and a
  // node sometimes leaves its Ready waiting (so a crash catches state it
  // never persisted).
  void SetUnreliable(bool unreliable);

  // --- the nodes ---
  void Crash(const NodeId& id);
  void Restart(const NodeId& id);  // a no-op on a node that is up
  bool up(const NodeId& id) const { return Node(id).up(); }
  RaftNode& raft(const NodeId& id) { return Node(id).raft(); }
  SimNode& node(const NodeId& id) { return Node(id); }
  const SimStorage& storage(const NodeId& id) const { return Node(id).storage(); }

  // --- time ---
  int64_t now() const { return now_; }
  void RunFor(int64_t ms);
  void RunTicks(int ticks) { RunFor(ticks * kTickMs); }
  // Runs until `done` holds (checked before each millisecond) or
  // `timeout_ms` pass; returns whether it held. Stops early, returning
  // false, if a safety property was violated.
  bool RunUntil(const std::function<bool()>& done, int64_t timeout_ms);

  // --- leaders and clients ---
  // Up and connected nodes that believe they lead (a stale leader may sit
  // beside the real one for a moment).
  std::vector<NodeId> Leaders() const;
  // The connected, up leader of the highest term, if any.
  std::optional<NodeId> Leader() const;
  // Runs until Leader() has a value; nullopt after `timeout_ms`.
  std::optional<NodeId> WaitForLeader(int64_t timeout_ms = 3 * kElectionMs);
  // Proposes on `id` if it is up and leads; nullopt otherwise.
  std::optional<Index> Propose(const NodeId& id, const std::string& data);
  // A client's view: proposes `data` on a connected node that accepts it
  // and waits up to 2 s until at least `expected` nodes applied it at the
  // returned index. If that does not happen (the leader lost its job, the
  // entry was overwritten) it retries, when `retry`, until `timeout_ms`.
  // nullopt if it never committed on `expected` nodes. With retries an
  // entry may commit twice, as with a real client that times out.
  std::optional<Index> Commit(const std::string& data, int expected, bool retry = true,
                              int64_t timeout_ms = 10 * kElectionMs);

  // --- reading state ---
  // What `id`'s state machine has applied (since its last restart, plus
  // whatever its snapshot carried in).
  const std::map<Index, Entry>& applied(const NodeId& id) const { return Node(id).applied_log(); }
  // How many nodes (up or not) have applied an entry at `index`; its data
  // goes to *data. Nodes that applied different entries there are a
  // state-machine-safety violation and fail the run.
  int CountApplied(Index index, std::string* data = nullptr);
  // The highest index any node has committed.
  Index max_committed() const { return checker_.max_committed(); }
  const NetworkStats& stats() const { return network_.stats(); }
  // Terms in which someone led, and who.
  const std::map<Term, NodeId>& leaders_by_term() const { return checker_.leaders(); }

  // A node snapshots its state machine now (it must be up).
  void Compact(const NodeId& id) { Node(id).Compact(); }

  // No safety property broken so far; otherwise the first violation, with
  // the simulated time and the seed.
  bool ok() const { return checker_.ok(); }
  std::string failure() const;

  // A random number from the cluster's seeded generator (for scenarios
  // that make random choices and must replay).
  uint64_t Random(uint64_t below) { return random_.Below(below); }

  void Trace(const std::string& text) const;

 private:
  void Step();  // one simulated millisecond
  void Check();
  void UpdatePartition();
  SimNode& Node(const NodeId& id);
  const SimNode& Node(const NodeId& id) const;

  ClusterOptions options_;
  SimRandom random_;
  SimNetwork network_;
  SimChecker checker_;
  std::vector<NodeId> ids_;
  std::vector<std::unique_ptr<SimNode>> nodes_;
  std::vector<int64_t> tick_phase_;
  std::set<NodeId> disconnected_;
  bool unreliable_ = false;
  int64_t now_ = 0;
  int64_t failure_time_ = -1;
};

}  // namespace dsc::raft::sim
