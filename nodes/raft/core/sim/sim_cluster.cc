#include "nodes/raft/core/sim/sim_cluster.h"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace dsc::raft::sim {
namespace {

// Every 50 ms the checker counts the storages holding each committed
// entry; cheaper than every millisecond and just as sure to notice.
constexpr int64_t kDurabilityCheckMs = 50;

// Nodes are "n1".."nN", stored in that order.
size_t IndexOf(const NodeId& id) { return static_cast<size_t>(std::stoi(id.substr(1)) - 1); }

}  // namespace

SimCluster::SimCluster(const ClusterOptions& options)
    : options_(options),
      random_(options.seed),
      network_(&random_),
      checker_(static_cast<size_t>(options.nodes)) {
  RaftConfig config;
  for (int i = 1; i <= options.nodes; ++i) ids_.push_back("n" + std::to_string(i));
  config.peers = ids_;
  config.election_tick = 10;
  config.heartbeat_tick = 2;
  config.pre_vote = options.pre_vote;
  config.check_quorum = options.check_quorum;
  config.max_entries_per_message = options.max_entries_per_message;
  for (const NodeId& id : ids_) {
    config.id = id;
    nodes_.push_back(std::make_unique<SimNode>(config, &checker_));
    nodes_.back()->set_snapshot_history(true);
    nodes_.back()->Start(random_.Next());
    tick_phase_.push_back(random_.Between(0, kTickMs - 1));
  }
  SetUnreliable(options.unreliable);
}

SimNode& SimCluster::Node(const NodeId& id) { return *nodes_.at(IndexOf(id)); }
const SimNode& SimCluster::Node(const NodeId& id) const { return *nodes_.at(IndexOf(id)); }

void SimCluster::Trace(const std::string& text) const {
  if (options_.trace)
    std::fprintf(stderr, "[%6lld] %s\n", static_cast<long long>(now_), text.c_str());
}

std::string SimCluster::failure() const {
  if (ok()) return "";
  return "t=" + std::to_string(failure_time_) + "ms seed=" + std::to_string(options_.seed) + ": " +
         checker_.failure();
}

// --- the network ---

void SimCluster::UpdatePartition() {
  if (disconnected_.empty()) {
    network_.Heal();
    return;
  }
  // Everyone connected in one group, each cut node alone in its own.
  std::vector<std::vector<NodeId>> groups(1);
  for (const NodeId& id : ids_) {
    if (disconnected_.contains(id)) {
      groups.push_back({id});
    } else {
      groups[0].push_back(id);
    }
  }
  network_.Partition(groups);
}

void SimCluster::Disconnect(const NodeId& id) {
  disconnected_.insert(id);
  UpdatePartition();
  Trace("disconnect " + id);
}

void SimCluster::Connect(const NodeId& id) {
  disconnected_.erase(id);
  UpdatePartition();
  Trace("connect " + id);
}

void SimCluster::ConnectAll() {
  disconnected_.clear();
  UpdatePartition();
  Trace("connect all");
}

void SimCluster::SetUnreliable(bool unreliable) {
  unreliable_ = unreliable;
  if (unreliable) {
    network_.set_faults(NetworkFaults{0.1, 0.05, 1, 30, 0.05, 300});
  } else {
    network_.set_faults(NetworkFaults{0, 0, 1, 5, 0, 1});
  }
  Trace(unreliable ? "network unreliable" : "network reliable");
}

// --- the nodes ---

void SimCluster::Crash(const NodeId& id) {
  if (!Node(id).up()) return;
  Node(id).Crash();
  Trace("crash " + id);
}

void SimCluster::Restart(const NodeId& id) {
  if (Node(id).up()) return;
  Node(id).Start(random_.Next());
  Trace("restart " + id);
}

// --- time ---

void SimCluster::Step() {
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
    while (node->up() && node->raft().HasReady()) {
      // A slow disk: the Ready waits, and a crash now loses it.
      if (unreliable_ && random_.Chance(0.2)) break;
      node->HandleReady(&network_, now_);
    }
    if (options_.compact_every > 0 && node->up() && !node->raft().HasReady() &&
        node->raft().applied_index() >=
            node->raft().log().snapshot_index() + options_.compact_every) {
      node->Compact();
      Trace(node->id() + " snapshot through " +
            std::to_string(node->raft().log().snapshot_index()));
    }
  }
  Check();
  ++now_;
}

void SimCluster::Check() {
  for (auto& node : nodes_) {
    if (!node->up()) continue;
    const RaftNode& raft = node->raft();
    const Status status = raft.CheckInvariants();
    if (!status.ok()) checker_.Fail(status.ToString());
    if (options_.trace && raft.role() == Role::kLeader && !checker_.leads(raft.term(), node->id()))
      Trace(node->id() + " leads term " + std::to_string(raft.term()));
    checker_.ObserveRole(raft);
    checker_.ObserveCommit(node->id(), raft);
  }
  if (now_ % kDurabilityCheckMs == 0) {
    std::vector<const SimStorage*> storages;
    for (const auto& node : nodes_) storages.push_back(&node->storage());
    checker_.CheckDurability(storages);
  }
  if (!checker_.ok() && failure_time_ < 0) failure_time_ = now_;
}

void SimCluster::RunFor(int64_t ms) {
  for (const int64_t end = now_ + ms; now_ < end;) Step();
}

bool SimCluster::RunUntil(const std::function<bool()>& done, int64_t timeout_ms) {
  for (const int64_t end = now_ + timeout_ms; now_ < end; Step()) {
    if (!checker_.ok()) return false;
    if (done()) return true;
  }
  return done();
}

// --- leaders and clients ---

std::vector<NodeId> SimCluster::Leaders() const {
  std::vector<NodeId> leaders;
  for (const auto& node : nodes_) {
    if (node->up() && connected(node->id()) && node->raft().role() == Role::kLeader) {
      leaders.push_back(node->id());
    }
  }
  return leaders;
}

std::optional<NodeId> SimCluster::Leader() const {
  std::optional<NodeId> best;
  Term best_term = 0;
  for (const NodeId& id : Leaders()) {
    const Term term = Node(id).raft().term();
    if (!best || term > best_term) {
      best = id;
      best_term = term;
    }
  }
  return best;
}

std::optional<NodeId> SimCluster::WaitForLeader(int64_t timeout_ms) {
  if (!RunUntil([this] { return Leader().has_value(); }, timeout_ms)) return std::nullopt;
  return Leader();
}

std::optional<Index> SimCluster::Propose(const NodeId& id, const std::string& data) {
  SimNode& node = Node(id);
  if (!node.up() || node.raft().role() != Role::kLeader) return std::nullopt;
  const Result<Index> index = node.raft().Propose(data);
  if (!index.ok()) {
    checker_.Fail(id + " leads but refused a proposal: " + index.status().ToString());
    return std::nullopt;
  }
  Trace(id + " propose " + data + " at " + std::to_string(*index));
  return *index;
}

std::optional<Index> SimCluster::Commit(const std::string& data, int expected, bool retry,
                                        int64_t timeout_ms) {
  const int64_t deadline = now_ + timeout_ms;
  size_t start = 0;
  while (now_ < deadline && checker_.ok()) {
    // Like a client without a leader hint: try each connected node in turn.
    std::optional<Index> index;
    for (size_t k = 0; k < ids_.size() && !index; ++k) {
      const NodeId& id = ids_[(start + k) % ids_.size()];
      if (connected(id)) index = Propose(id, data);
    }
    start = (start + 1) % ids_.size();
    if (!index) {
      RunFor(50);  // nobody leads yet
      continue;
    }
    const auto committed = [&] {
      std::string at;
      return CountApplied(*index, &at) >= expected && at == data;
    };
    if (RunUntil(committed, std::min<int64_t>(2000, deadline - now_))) return index;
    if (!retry) break;
  }
  return std::nullopt;
}

// --- reading state ---

int SimCluster::CountApplied(Index index, std::string* data) {
  int count = 0;
  std::optional<Entry> first;
  for (const auto& node : nodes_) {
    const auto& log = node->applied_log();
    const auto it = log.find(index);
    if (it == log.end()) continue;
    if (first && (first->term != it->second.term || first->data != it->second.data)) {
      checker_.Fail("state machine safety: nodes applied different entries at index " +
                    std::to_string(index));
      if (failure_time_ < 0) failure_time_ = now_;
    }
    if (!first) first = it->second;
    ++count;
  }
  if (data) *data = first ? first->data : std::string();
  return count;
}

}  // namespace dsc::raft::sim
