#include "nodes/raft/core/sim/sim_network.h"

#include <type_traits>
#include <variant>

namespace dsc::raft::sim {

NetworkStats NetworkStats::operator-(const NetworkStats& earlier) const {
  NetworkStats d;
  d.vote_requests = vote_requests - earlier.vote_requests;
  d.vote_responses = vote_responses - earlier.vote_responses;
  d.appends = appends - earlier.appends;
  d.append_responses = append_responses - earlier.append_responses;
  d.snapshots = snapshots - earlier.snapshots;
  d.snapshot_responses = snapshot_responses - earlier.snapshot_responses;
  d.entries = entries - earlier.entries;
  d.entry_bytes = entry_bytes - earlier.entry_bytes;
  d.append_rejections = append_rejections - earlier.append_rejections;
  return d;
}

void SimNetwork::Count(const Message& message) {
  std::visit(
      [this](const auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, VoteRequest>) ++stats_.vote_requests;
        if constexpr (std::is_same_v<T, VoteResponse>) ++stats_.vote_responses;
        if constexpr (std::is_same_v<T, AppendEntries>) {
          ++stats_.appends;
          stats_.entries += body.entries.size();
          for (const Entry& entry : body.entries) stats_.entry_bytes += entry.data.size();
        }
        if constexpr (std::is_same_v<T, AppendEntriesResponse>) {
          ++stats_.append_responses;
          if (!body.success) ++stats_.append_rejections;
        }
        if constexpr (std::is_same_v<T, InstallSnapshot>) ++stats_.snapshots;
        if constexpr (std::is_same_v<T, InstallSnapshotResponse>) ++stats_.snapshot_responses;
      },
      message.body);
}

int64_t SimNetwork::Delay() {
  if (random_->Chance(faults_.long_delay)) return random_->Between(1, faults_.long_delay_max);
  return random_->Between(faults_.min_delay, faults_.max_delay);
}

void SimNetwork::Send(const Message& message, int64_t now) {
  Count(message);
  if (random_->Chance(faults_.loss)) return;
  queue_.emplace(now + Delay(), message);
  if (random_->Chance(faults_.duplicate)) queue_.emplace(now + Delay(), message);
}

std::vector<Message> SimNetwork::TakeDue(int64_t now) {
  std::vector<Message> due;
  while (!queue_.empty() && queue_.begin()->first <= now) {
    Message message = std::move(queue_.begin()->second);
    queue_.erase(queue_.begin());
    if (Connected(message.from, message.to)) due.push_back(std::move(message));
  }
  return due;
}

void SimNetwork::Partition(const std::vector<std::vector<NodeId>>& groups) {
  group_.clear();
  int next_group = 0;
  for (const auto& group : groups) {
    for (const NodeId& id : group) group_[id] = next_group;
    ++next_group;
  }
}

bool SimNetwork::Connected(const NodeId& a, const NodeId& b) const {
  if (group_.empty()) return true;
  const auto ia = group_.find(a);
  const auto ib = group_.find(b);
  return ia != group_.end() && ib != group_.end() && ia->second == ib->second;
}

}  // namespace dsc::raft::sim
