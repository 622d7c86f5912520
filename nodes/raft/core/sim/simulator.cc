#include "nodes/raft/core/sim/simulator.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "nodes/raft/core/sim/sim_checker.h"
#include "nodes/raft/core/sim/sim_network.h"
#include "nodes/raft/core/sim/sim_node.h"
#include "nodes/raft/core/sim/sim_random.h"

namespace dsc::raft::sim {
namespace {

constexpr int64_t kTickMs = 10;
constexpr int64_t kDurabilityCheckMs = 50;

class Simulation {
 public:
  explicit Simulation(const SimOptions& options)
      : options_(options),
        random_(options.seed),
        network_(&random_),
        cluster_size_(options.nodes != 0 ? options.nodes : (random_.Chance(0.5) ? 3 : 5)),
        checker_(static_cast<size_t>(cluster_size_)) {
    RaftConfig config;
    for (int i = 1; i <= cluster_size_; ++i) config.peers.push_back("n" + std::to_string(i));
    config.election_tick = 10;
    config.heartbeat_tick = 2;
    // Most runs use both protections; some run without, which must be
    // just as safe (only less available).
    config.pre_vote = random_.Chance(0.8);
    config.check_quorum = random_.Chance(0.8);
    // Small batches split a leader's no-op from the older entries before
    // it, which is what the Figure 8 scenario needs.
    config.max_entries_per_message =
        random_.Chance(0.4) ? 1 + random_.Below(3) : 4 + random_.Below(60);
    for (const NodeId& id : config.peers) {
      config.id = id;
      nodes_.push_back(std::make_unique<SimNode>(config, &checker_));
      nodes_.back()->storage().forget_vote_on_restore = options.forget_votes;
      nodes_.back()->Start(random_.Next());
      tick_phase_.push_back(random_.Between(0, kTickMs - 1));
      crash_at_.push_back(-1);
      restart_at_.push_back(-1);
    }
    Trace("cluster of " + std::to_string(cluster_size_) + (config.pre_vote ? ", pre-vote" : "") +
          (config.check_quorum ? ", check-quorum" : "") + ", max entries " +
          std::to_string(config.max_entries_per_message));
  }

  SimResult Run() {
    for (; now_ < options_.chaos_ms && checker_.ok(); ++now_) Step(/*chaos=*/true);
    if (checker_.ok()) Calm();
    for (int64_t end = now_ + options_.calm_ms; now_ < end && checker_.ok(); ++now_) {
      Step(/*chaos=*/false);
    }
    if (checker_.ok()) CheckLiveness();
    return Result();
  }

 private:
  void Step(bool chaos) {
    if (chaos) Nemesis();
    Client(chaos);
    for (const Message& message : network_.TakeDue(now_)) {
      SimNode& node = Node(message.to);
      if (!node.up()) continue;
      if (options_.trace) Trace(MessageToString(message));
      const Status status = node.raft().Step(message);
      if (!status.ok()) checker_.Fail("Step refused a message: " + status.ToString());
    }
    for (size_t i = 0; i < nodes_.size(); ++i) {
      if (nodes_[i]->up() && (now_ + tick_phase_[i]) % kTickMs == 0) nodes_[i]->raft().Tick();
    }
    for (auto& node : nodes_) {
      // A slow disk: sometimes a node's Ready waits, so a crash can catch
      // state that was never persisted (and so never sent).
      for (int i = 0; i < 3 && node->up() && node->raft().HasReady(); ++i) {
        if (chaos && random_.Chance(0.2)) break;
        node->HandleReady(&network_, now_);
      }
      if (node->up() && random_.Chance(0.01)) MaybeCompact(*node);
    }
    Check(chaos);
  }

  void MaybeCompact(SimNode& node) {
    RaftNode& raft = node.raft();
    if (raft.HasReady() || raft.applied_index() < raft.log().snapshot_index() + 8) return;
    node.Compact();
    Trace(node.id() + " compacted through " + std::to_string(raft.log().snapshot_index()));
  }

  void Nemesis() {
    for (size_t i = 0; i < nodes_.size(); ++i) {
      if (crash_at_[i] == now_) Crash(i);
      if (restart_at_[i] == now_ && !nodes_[i]->up()) {
        nodes_[i]->Start(random_.Next());
        Trace("restart " + nodes_[i]->id());
      }
    }
    if (!random_.Chance(1.0 / 150)) return;
    const uint64_t action = random_.Below(10);
    if (action < 2) {
      if (SimNode* leader = SomeLeader()) Crash(IndexOf(leader->id()));
    } else if (action < 5) {
      Crash(random_.Below(nodes_.size()));
    } else if (action < 8) {
      Partition();
    } else {
      network_.Heal();
      Trace("heal");
    }
  }

  // Crashes node i if it is up; it comes back after a random downtime.
  void Crash(size_t i) {
    if (!nodes_[i]->up()) return;
    nodes_[i]->Crash();
    ++crashes_;
    restart_at_[i] = now_ + random_.Between(20, 600);
    Trace("crash " + nodes_[i]->id());
  }

  // Often kill a leader soon after its election, before its no-op reaches
  // everyone: short-lived leaders leave uncommitted entries of old terms
  // behind, the raw material of Figure 8.
  void OnNewLeader(size_t i, bool chaos) {
    Trace(nodes_[i]->id() + " leads term " + std::to_string(nodes_[i]->raft().term()));
    if (chaos && random_.Chance(0.3)) crash_at_[i] = now_ + random_.Between(1, 40);
  }

  void Partition() {
    std::vector<NodeId> ids;
    for (const auto& node : nodes_) ids.push_back(node->id());
    for (size_t i = ids.size() - 1; i > 0; --i) std::swap(ids[i], ids[random_.Below(i + 1)]);
    std::vector<std::vector<NodeId>> groups;
    if (random_.Chance(0.3)) {
      // Isolate one node; the rest stay together.
      groups = {{ids[0]}, std::vector<NodeId>(ids.begin() + 1, ids.end())};
    } else {
      // A random split into two sides (majority and minority).
      const auto cut = static_cast<ptrdiff_t>(1 + random_.Below(ids.size() - 1));
      groups = {std::vector<NodeId>(ids.begin(), ids.begin() + cut),
                std::vector<NodeId>(ids.begin() + cut, ids.end())};
    }
    network_.Partition(groups);
    ++partitions_;
    std::string text = "partition";
    for (const auto& group : groups) {
      text += " {";
      for (const NodeId& id : group) text += " " + id;
      text += " }";
    }
    Trace(text);
  }

  // The node a client would end up at: a random node that believes it
  // leads (there may be a stale one), or nobody.
  SimNode* SomeLeader() {
    std::vector<SimNode*> leaders;
    for (auto& node : nodes_) {
      if (node->up() && node->raft().role() == Role::kLeader) leaders.push_back(node.get());
    }
    return leaders.empty() ? nullptr : leaders[random_.Below(leaders.size())];
  }

  void Client(bool chaos) {
    if (random_.Chance(chaos ? 0.02 : 0.01)) {
      if (SimNode* node = SomeLeader()) {
        // Sometimes a burst, so entries pile up beyond what is committed.
        const uint64_t burst = chaos && random_.Chance(0.2) ? 1 + random_.Below(8) : 1;
        for (uint64_t i = 0; i < burst; ++i) {
          const std::string data = "p" + std::to_string(++proposals_);
          if (!node->raft().Propose(data).ok()) checker_.Fail("leader refused a proposal");
          if (!chaos) probes_.push_back(data);
          Trace(node->id() + " propose " + data);
        }
      }
    }
    if (random_.Chance(0.01)) {
      if (SimNode* node = SomeLeader()) {
        const std::string request_id = "r" + std::to_string(++reads_);
        node->AskRead(request_id, checker_.max_committed());
        if (!node->raft().ReadIndex(request_id).ok()) checker_.Fail("leader refused a read");
        Trace(node->id() + " read " + request_id);
      }
    }
  }

  void Check(bool chaos) {
    for (size_t i = 0; i < nodes_.size(); ++i) {
      SimNode* node = nodes_[i].get();
      if (!node->up()) continue;
      const Status status = node->raft().CheckInvariants();
      if (!status.ok()) checker_.Fail(status.ToString());
      const bool new_leader =
          node->raft().role() == Role::kLeader && !checker_.leads(node->raft().term(), node->id());
      checker_.ObserveRole(node->raft());
      if (new_leader) OnNewLeader(i, chaos);
      checker_.ObserveCommit(node->id(), node->raft());
    }
    if (now_ % kDurabilityCheckMs == 0) CheckDurability();
    if (!checker_.ok() && failure_time_ < 0) failure_time_ = now_;
  }

  void CheckDurability() {
    std::vector<const SimStorage*> storages;
    for (const auto& node : nodes_) storages.push_back(&node->storage());
    checker_.CheckDurability(storages);
  }

  // Phase 2: everything heals and stays up.
  void Calm() {
    network_.Heal();
    network_.set_faults(NetworkFaults{0, 0, 1, 12, 0, 1});
    for (auto& node : nodes_) {
      if (!node->up()) node->Start(random_.Next());
    }
    Trace("calm: healed, all nodes up");
  }

  // Liveness: some proposal made in the calm phase reached every node.
  void CheckLiveness() {
    CheckDurability();
    for (const std::string& probe : probes_) {
      bool everywhere = true;
      for (const auto& node : nodes_) everywhere = everywhere && node->HasApplied(probe);
      if (everywhere) return;
    }
    checker_.Fail("liveness: after " + std::to_string(options_.calm_ms) +
                  " ms without faults no proposal was applied on every node (" +
                  std::to_string(probes_.size()) + " tried)");
    failure_time_ = now_;
  }

  SimResult Result() const {
    SimResult result;
    result.ok = checker_.ok();
    if (!result.ok)
      result.failure = "t=" + std::to_string(failure_time_) + "ms: " + checker_.failure();
    result.nodes = cluster_size_;
    const auto leaders = checker_.leaders();
    result.leaders = leaders.size();
    result.max_term = leaders.empty() ? 0 : leaders.rbegin()->first;
    result.committed = checker_.max_committed();
    result.crashes = crashes_;
    result.partitions = partitions_;
    for (const auto& node : nodes_) {
      result.reads_served += node->counters().reads_served;
      result.snapshots_installed += node->counters().snapshots_installed;
      result.truncations += node->counters().truncations;
    }
    return result;
  }

  // Nodes are "n1".."nN", stored in that order.
  static size_t IndexOf(const NodeId& id) {
    return static_cast<size_t>(std::stoi(id.substr(1)) - 1);
  }
  SimNode& Node(const NodeId& id) { return *nodes_[IndexOf(id)]; }

  void Trace(const std::string& text) const {
    if (options_.trace)
      std::fprintf(stderr, "[%6lld] %s\n", static_cast<long long>(now_), text.c_str());
  }

  SimOptions options_;
  SimRandom random_;
  SimNetwork network_;
  int cluster_size_;
  SimChecker checker_;
  std::vector<std::unique_ptr<SimNode>> nodes_;
  std::vector<int64_t> tick_phase_;
  std::vector<int64_t> crash_at_;    // per node: scheduled crash time, or -1
  std::vector<int64_t> restart_at_;  // per node: scheduled restart time, or -1
  int64_t now_ = 0;
  int64_t failure_time_ = -1;
  int crashes_ = 0;
  int partitions_ = 0;
  uint64_t proposals_ = 0;
  uint64_t reads_ = 0;
  std::vector<std::string> probes_;
};

}  // namespace

SimResult RunSimulation(const SimOptions& options) { return Simulation(options).Run(); }

}  // namespace dsc::raft::sim
