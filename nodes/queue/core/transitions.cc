#include "nodes/queue/core/transitions.h"

#include <string>

namespace dsc::queue {
namespace {

std::string Describe(const Task& task) {
  return "task " + task.id + " is " + std::string(TaskStatusName(task.status));
}

}  // namespace

Status CheckLeasable(const Task& task, int64_t now_ms) {
  if (task.status != TaskStatus::kPending)
    return Status::Conflict(Describe(task) + ", not pending");
  if (task.available_at_ms > now_ms) {
    return Status::Conflict("task " + task.id + " is backing off until " +
                            std::to_string(task.available_at_ms));
  }
  return Status::Ok();
}

Status CheckLeaseHeld(const Task& task, std::string_view worker, int64_t now_ms) {
  if (task.status != TaskStatus::kProcessing) {
    return Status::Conflict(Describe(task) + ", not processing");
  }
  if (task.worker != worker) {
    return Status::Conflict("task " + task.id + " is leased to another worker");
  }
  // The deadline itself is already too late: the lease covers
  // [lease start, lease_expires_ms), the same rule DecideExpiries uses.
  if (*task.lease_expires_ms <= now_ms) {
    return Status::Conflict("the lease on task " + task.id + " expired at " +
                            std::to_string(*task.lease_expires_ms));
  }
  return Status::Ok();
}

Status CheckLeaseExpired(const Task& task, int64_t now_ms) {
  if (task.status != TaskStatus::kProcessing) {
    return Status::Conflict(Describe(task) + ", not processing");
  }
  if (*task.lease_expires_ms > now_ms) {
    return Status::Conflict("the lease on task " + task.id + " runs until " +
                            std::to_string(*task.lease_expires_ms));
  }
  return Status::Ok();
}

}  // namespace dsc::queue
