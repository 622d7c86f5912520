// QueueState::Apply: the transitions of the task lifecycle. This is the
// only code that changes a task, and it is deterministic: it reads nothing
// but the state and the command (no clock, no options, no randomness), so
// replaying the log gives back the same state.
#include <algorithm>
#include <variant>

#include "base/overloaded.h"
#include "nodes/queue/core/queue_state.h"
#include "nodes/queue/core/transitions.h"

namespace dsc::queue {
namespace {

Status UnknownTask(const std::string& id) { return Status::NotFound("no task " + id); }

// The result of every command but Purge: the one task it changed.
ApplyResult ChangedOne(const std::string& id) {
  ApplyResult result;
  result.changed_task_ids.push_back(id);
  return result;
}

}  // namespace

Result<ApplyResult> QueueState::Apply(const Command& command) {
  return std::visit(Overloaded{
                        [this](const Enqueue& c) { return ApplyEnqueue(c); },
                        [this](const Lease& c) { return ApplyLease(c); },
                        [this](const Ack& c) { return ApplyAck(c); },
                        [this](const Fail& c) { return ApplyFail(c); },
                        [this](const Expire& c) { return ApplyExpire(c); },
                        [this](const Purge& c) { return ApplyPurge(c); },
                    },
                    command);
}

// ANCHOR: apply_transitions
// Each transition checks the same precondition its Decide checked (a
// stale command changes nothing), then: Unindex, change the task, Index.

Result<ApplyResult> QueueState::ApplyEnqueue(const Enqueue& c) {
  if (tasks_.contains(c.id)) return Status::Conflict("task " + c.id + " already exists");
  if (c.idempotency_key && id_by_idempotency_key_.contains(*c.idempotency_key)) {
    return Status::Conflict("idempotency_key already used");
  }
  Task task;
  task.id = c.id;
  task.payload = c.payload;
  task.status = TaskStatus::kPending;
  task.max_retries = c.max_retries;
  task.idempotency_key = c.idempotency_key;
  task.available_at_ms = c.now_ms;  // ready at once
  task.created_ms = c.now_ms;
  task.updated_ms = c.now_ms;
  // Decided and logged: the same number whatever Restore saw. (An older
  // record without one takes the next, as it did when it was written.)
  task.enqueue_seq = c.enqueue_seq != 0 ? c.enqueue_seq : next_enqueue_seq_;
  next_enqueue_seq_ = std::max(next_enqueue_seq_, task.enqueue_seq + 1);
  if (task.idempotency_key) id_by_idempotency_key_.emplace(*task.idempotency_key, task.id);
  Index(tasks_.emplace(c.id, std::move(task)).first->second);
  return ChangedOne(c.id);
}

// ANCHOR: apply_lease
Result<ApplyResult> QueueState::ApplyLease(const Lease& c) {
  Task* task = FindMutable(c.id);
  if (task == nullptr) return UnknownTask(c.id);
  DSC_RETURN_IF_ERROR(CheckLeasable(*task, c.now_ms));
  Unindex(*task);
  task->status = TaskStatus::kProcessing;
  task->attempt += 1;  // an attempt starts with every lease
  task->worker = c.worker;
  task->lease_expires_ms = c.lease_expires_ms;
  task->updated_ms = c.now_ms;
  Index(*task);
  return ChangedOne(c.id);
}
// ANCHOR_END: apply_lease

Result<ApplyResult> QueueState::ApplyAck(const Ack& c) {
  Task* task = FindMutable(c.id);
  if (task == nullptr) return UnknownTask(c.id);
  DSC_RETURN_IF_ERROR(CheckLeaseHeld(*task, c.worker, c.now_ms));
  Unindex(*task);
  task->status = TaskStatus::kCompleted;  // kept until its retention passes
  task->lease_expires_ms.reset();
  task->updated_ms = c.now_ms;
  task->finished_ms = c.now_ms;
  Index(*task);
  return ChangedOne(c.id);
}

// ANCHOR: apply_fail
Result<ApplyResult> QueueState::ApplyFail(const Fail& c) {
  Task* task = FindMutable(c.id);
  if (task == nullptr) return UnknownTask(c.id);
  DSC_RETURN_IF_ERROR(CheckLeaseHeld(*task, c.worker, c.now_ms));
  Unindex(*task);
  task->lease_expires_ms.reset();
  task->last_error = c.error;
  task->updated_ms = c.now_ms;
  if (c.dead) {
    task->status = TaskStatus::kFailed;  // the dead letter: kept with its error
    task->finished_ms = c.now_ms;
  } else {
    task->status = TaskStatus::kPending;
    task->available_at_ms = c.retry_at_ms;  // backoff decided in DecideFail
  }
  Index(*task);
  return ChangedOne(c.id);
}
// ANCHOR_END: apply_fail

// ANCHOR: apply_expire
Result<ApplyResult> QueueState::ApplyExpire(const Expire& c) {
  Task* task = FindMutable(c.id);
  if (task == nullptr) return UnknownTask(c.id);
  DSC_RETURN_IF_ERROR(CheckLeaseExpired(*task, c.now_ms));
  Unindex(*task);
  task->lease_expires_ms.reset();
  task->last_error = "lease of worker " + task->worker.value_or("?") + " expired";
  task->updated_ms = c.now_ms;
  if (c.dead) {
    task->status = TaskStatus::kFailed;
    task->finished_ms = c.now_ms;
  } else {
    task->status = TaskStatus::kPending;
    task->available_at_ms = c.now_ms;  // its worker is gone: offer it again now
  }
  Index(*task);
  return ChangedOne(c.id);
}
// ANCHOR_END: apply_expire

// ANCHOR: apply_purge
Result<ApplyResult> QueueState::ApplyPurge(const Purge& c) {
  // Check every task before removing any, so a refused Purge changes
  // nothing. Only a finished task may go: a damaged or forged record must
  // never delete work still pending or running.
  for (const std::string& id : c.ids) {
    const Task* task = Find(id);
    if (task == nullptr) continue;  // gone already: tolerated below
    if (!IsFinished(task->status)) {
      return Status::Conflict("task " + id + " is " + std::string(TaskStatusName(task->status)) +
                              ", not finished: not purged");
    }
    if (*task->finished_ms > c.now_ms) {
      return Status::Conflict("task " + id + " finished after the purge was decided");
    }
  }
  ApplyResult result;
  for (const std::string& id : c.ids) {
    const auto it = tasks_.find(id);
    if (it == tasks_.end()) {
      // Replaying a Purge whose deletions RocksDB already holds meets
      // exactly this: the task never came back from RocksDB.
      ++result.already_absent;
      continue;
    }
    const Task& task = it->second;
    Unindex(task);
    if (task.idempotency_key) id_by_idempotency_key_.erase(*task.idempotency_key);
    tasks_.erase(it);
    result.removed_task_ids.push_back(id);
  }
  return result;
}
// ANCHOR_END: apply_purge
// ANCHOR_END: apply_transitions

}  // namespace dsc::queue
