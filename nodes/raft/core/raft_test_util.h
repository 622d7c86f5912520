// Test helpers for the Raft core unit tests: build nodes, drain their
// Ready batches, and a small synchronous network that delivers every
// message at once (the seeded, lossy one is in sim/).
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "nodes/raft/core/raft_node.h"

namespace dsc::raft::test_util {

inline std::vector<NodeId> PeerIds(int count) {
  std::vector<NodeId> ids;
  for (int i = 1; i <= count; ++i) ids.push_back("n" + std::to_string(i));
  return ids;
}

inline RaftConfig TestConfig(const NodeId& id, int cluster_size, uint64_t seed = 7) {
  RaftConfig config;
  config.id = id;
  config.peers = PeerIds(cluster_size);
  config.election_tick = 10;
  config.heartbeat_tick = 2;
  config.seed = seed;
  return config;
}

// Entries with the given terms at indexes 1, 2, 3...
inline std::vector<Entry> EntriesWithTerms(const std::vector<Term>& terms) {
  std::vector<Entry> entries;
  for (size_t i = 0; i < terms.size(); ++i) {
    entries.push_back(Entry{terms[i], i + 1, EntryType::kNormal, "e" + std::to_string(i + 1)});
  }
  return entries;
}

inline RestoredState StateWithLog(Term term, const std::vector<Term>& log_terms) {
  RestoredState state;
  state.hard_state.term = term;
  state.entries = EntriesWithTerms(log_terms);
  return state;
}

// Takes every Ready (as if persisted at once) and returns all messages.
// Committed entries are appended to `applied` when given.
inline std::vector<Message> Drain(RaftNode& node, std::vector<Entry>* applied = nullptr,
                                  std::vector<ReadState>* reads = nullptr) {
  std::vector<Message> out;
  while (node.HasReady()) {
    Ready ready = node.GetReady();
    out.insert(out.end(), ready.messages.begin(), ready.messages.end());
    if (applied)
      applied->insert(applied->end(), ready.committed_entries.begin(),
                      ready.committed_entries.end());
    if (reads) reads->insert(reads->end(), ready.read_states.begin(), ready.read_states.end());
    node.Advance(ready);
  }
  return out;
}

template <typename T>
std::vector<std::pair<Message, T>> OfType(const std::vector<Message>& messages) {
  std::vector<std::pair<Message, T>> out;
  for (const Message& m : messages) {
    if (const T* body = std::get_if<T>(&m.body)) out.emplace_back(m, *body);
  }
  return out;
}

// A message from `from` to `to` at `term`, for tests that drive a node by hand.
inline Message Msg(const NodeId& from, const NodeId& to, Term term, MessageBody body) {
  return Message{from, to, term, std::move(body)};
}

inline void TickTimes(RaftNode& node, int ticks) {
  for (int i = 0; i < ticks; ++i) node.Tick();
}

// Every node of a cluster, connected by a network that delivers each
// message immediately unless a node is cut off.
class TestCluster {
 public:
  explicit TestCluster(int size, bool pre_vote = true, bool check_quorum = true) {
    for (const NodeId& id : PeerIds(size)) {
      RaftConfig config = TestConfig(id, size, 100 + nodes_.size());
      config.pre_vote = pre_vote;
      config.check_quorum = check_quorum;
      nodes_[id] = std::make_unique<RaftNode>(config, RestoredState{});
    }
  }
  // Starts a cluster from given per-node state.
  TestCluster(int size, const std::map<NodeId, RestoredState>& states) {
    for (const NodeId& id : PeerIds(size)) {
      auto it = states.find(id);
      nodes_[id] = std::make_unique<RaftNode>(TestConfig(id, size, 100 + nodes_.size()),
                                              it == states.end() ? RestoredState{} : it->second);
    }
  }

  RaftNode& node(const NodeId& id) { return *nodes_.at(id); }
  void Isolate(const NodeId& id) { isolated_.insert(id); }
  void Heal() { isolated_.clear(); }

  // Drains every node and delivers messages until the network is quiet.
  // Returns how many messages were delivered.
  int Deliver() {
    int delivered = 0;
    for (int rounds = 0; rounds < 10000; ++rounds) {
      std::deque<Message> in_flight;
      for (auto& [id, node] : nodes_) {
        for (Message& m : Drain(*node, &applied_[id])) in_flight.push_back(std::move(m));
      }
      if (in_flight.empty()) return delivered;
      for (const Message& m : in_flight) {
        if (isolated_.contains(m.from) || isolated_.contains(m.to)) continue;
        EXPECT_TRUE(nodes_.at(m.to)->Step(m).ok());
        delivered_.push_back(m);
        ++delivered;
      }
    }
    ADD_FAILURE() << "network never went quiet";
    return delivered;
  }

  // Ticks `id` until it starts an election, then delivers everything.
  void Campaign(const NodeId& id) {
    RaftNode& n = node(id);
    for (int i = 0; i < 100 && n.role() == Role::kFollower; ++i) n.Tick();
    Deliver();
  }

  // Ticks every node once and delivers.
  void TickAll(int times = 1) {
    for (int i = 0; i < times; ++i) {
      for (auto& [id, node] : nodes_) node->Tick();
      Deliver();
    }
  }

  const std::vector<Entry>& applied(const NodeId& id) { return applied_[id]; }
  // Every message delivered so far, in order.
  const std::vector<Message>& delivered() const { return delivered_; }

 private:
  std::map<NodeId, std::unique_ptr<RaftNode>> nodes_;
  std::map<NodeId, std::vector<Entry>> applied_;
  std::set<NodeId> isolated_;
  std::vector<Message> delivered_;
};

}  // namespace dsc::raft::test_util
