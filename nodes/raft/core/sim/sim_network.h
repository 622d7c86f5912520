// SimNetwork: a seeded, faulty network for the Raft simulator.
//
// Each message gets a random delay (so messages overtake each other), may
// be lost or duplicated, and is delivered only if sender and receiver are
// on the same side of the current partition when it arrives.
//
// Thread-safety: not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "nodes/raft/core/message.h"
#include "nodes/raft/core/sim/sim_random.h"

namespace dsc::raft::sim {

struct NetworkFaults {
  double loss = 0.05;       // chance a message is dropped
  double duplicate = 0.03;  // chance a second copy is sent
  int64_t min_delay = 1;    // in simulated milliseconds
  int64_t max_delay = 12;
  double long_delay = 0.02;  // chance of a delay up to long_delay_max instead
  int64_t long_delay_max = 150;
};

// Messages handed to the network (counted before any loss), by type, and
// the entries AppendEntries carried: the scenario tests bound how many
// messages an election or an entry costs.
struct NetworkStats {
  uint64_t vote_requests = 0;  // including pre-votes
  uint64_t vote_responses = 0;
  uint64_t appends = 0;  // AppendEntries, heartbeats included
  uint64_t append_responses = 0;
  uint64_t snapshots = 0;  // InstallSnapshot
  uint64_t snapshot_responses = 0;
  uint64_t entries = 0;            // entries carried by AppendEntries
  uint64_t entry_bytes = 0;        // their data bytes
  uint64_t append_rejections = 0;  // AppendEntriesResponse with success == false

  uint64_t messages() const {
    return vote_requests + vote_responses + appends + append_responses + snapshots +
           snapshot_responses;
  }
  // What was sent between two readings.
  NetworkStats operator-(const NetworkStats& earlier) const;
};

class SimNetwork {
 public:
  explicit SimNetwork(SimRandom* random) : random_(random) {}

  void set_faults(const NetworkFaults& faults) { faults_ = faults; }
  void Send(const Message& message, int64_t now);
  // Messages due by `now` whose sender and receiver can talk, in arrival
  // order. Messages across the partition are dropped.
  std::vector<Message> TakeDue(int64_t now);

  // Each group can only talk within itself; nodes not listed are alone.
  void Partition(const std::vector<std::vector<NodeId>>& groups);
  void Heal() { group_.clear(); }
  bool Connected(const NodeId& a, const NodeId& b) const;
  bool partitioned() const { return !group_.empty(); }
  size_t in_flight() const { return queue_.size(); }
  const NetworkStats& stats() const { return stats_; }

 private:
  int64_t Delay();
  void Count(const Message& message);

  SimRandom* random_;
  NetworkFaults faults_;
  std::multimap<int64_t, Message> queue_;  // by arrival time; ties keep send order
  std::map<NodeId, int> group_;            // empty: fully connected
  NetworkStats stats_;
};

}  // namespace dsc::raft::sim
