// QueueState::CheckInvariants: the rules that hold between any two calls,
// written as code (as LogCabin's RaftConsensusInvariants.cc) so tests can
// check them after every step.
#include <string>

#include "nodes/queue/core/queue_state.h"

namespace dsc::queue {

Status QueueState::CheckInvariants() const {
  const auto broken = [](const std::string& what) {
    return Status::Corruption("queue invariant broken: " + what);
  };
  std::array<size_t, 4> counted{};
  size_t with_key = 0;
  for (const auto& [id, task] : tasks_) {
    if (id != task.id) return broken("task stored under id " + id + " says " + task.id);
    DSC_RETURN_IF_ERROR(ValidateTask(task));
    ++counted[static_cast<size_t>(task.status)];
    // Each task sits in exactly the index of its status.
    const bool in_ready = ready_.contains(ReadyKeyOf(task));
    const bool in_leased = task.lease_expires_ms && leased_.contains(LeaseKeyOf(task));
    const bool in_finished = task.finished_ms && finished_.contains(FinishedKeyOf(task));
    if (in_ready != (task.status == TaskStatus::kPending)) {
      return broken("task " + id + " in the ready index iff pending");
    }
    if (in_leased != (task.status == TaskStatus::kProcessing)) {
      return broken("task " + id + " in the lease index iff processing");
    }
    if (in_finished != IsFinished(task.status)) {
      return broken("task " + id + " in the finished index iff completed or failed");
    }
    if (task.enqueue_seq == 0 || task.enqueue_seq >= next_enqueue_seq_) {
      return broken("task " + id + " has an enqueue_seq not yet handed out");
    }
    if (task.idempotency_key) {
      ++with_key;
      const auto it = id_by_idempotency_key_.find(*task.idempotency_key);
      if (it == id_by_idempotency_key_.end() || it->second != id) {
        return broken("idempotency key of task " + id + " not indexed to it");
      }
    }
  }
  // With the per-task checks above, equal sizes mean the indexes hold
  // nothing else.
  if (ready_.size() != counted[static_cast<size_t>(TaskStatus::kPending)]) {
    return broken("ready index holds tasks that are not pending");
  }
  if (leased_.size() != counted[static_cast<size_t>(TaskStatus::kProcessing)]) {
    return broken("lease index holds tasks that are not processing");
  }
  const size_t finished = counted[static_cast<size_t>(TaskStatus::kCompleted)] +
                          counted[static_cast<size_t>(TaskStatus::kFailed)];
  if (finished_.size() != finished) {
    return broken("finished index holds tasks that are not completed or failed");
  }
  if (id_by_idempotency_key_.size() != with_key) {
    return broken("idempotency index holds keys of no task");
  }
  if (counted != count_by_status_) return broken("per-status counts are off");
  return Status::Ok();
}

}  // namespace dsc::queue
