#include "nodes/raft/core/sim/sim_network.h"

namespace dsc::raft::sim {

int64_t SimNetwork::Delay() {
  if (random_->Chance(faults_.long_delay)) return random_->Between(1, faults_.long_delay_max);
  return random_->Between(faults_.min_delay, faults_.max_delay);
}

void SimNetwork::Send(const Message& message, int64_t now) {
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
