// QueueState: construction, the indexes, queries and Restore. Decisions
// live in queue_decide.cc, transitions in queue_apply.cc.
#include "nodes/queue/core/queue_state.h"

#include <algorithm>
#include <cassert>

namespace dsc::queue {

Status ValidateQueueOptions(const QueueOptions& options) {
  if (options.retention_ms <= 0) return Status::InvalidArgument("retention_ms must be > 0");
  if (options.min_lease_ms <= 0 || options.min_lease_ms > options.max_lease_ms) {
    return Status::InvalidArgument("need 0 < min_lease_ms <= max_lease_ms");
  }
  return Status::Ok();
}

QueueState::QueueState(QueueOptions options) : options_(std::move(options)) {
  assert(ValidateQueueOptions(options_).ok());
}

QueueState::ReadyKey QueueState::ReadyKeyOf(const Task& task) {
  return ReadyKey{task.available_at_ms, task.enqueue_seq, task.id};
}

QueueState::LeaseKey QueueState::LeaseKeyOf(const Task& task) {
  assert(task.lease_expires_ms.has_value());
  return LeaseKey{*task.lease_expires_ms, task.id};
}

QueueState::FinishedKey QueueState::FinishedKeyOf(const Task& task) {
  assert(task.finished_ms.has_value());
  return FinishedKey{*task.finished_ms, task.id};
}

void QueueState::Index(const Task& task) {
  ++count_by_status_[static_cast<size_t>(task.status)];
  if (task.status == TaskStatus::kPending) ready_.insert(ReadyKeyOf(task));
  if (task.status == TaskStatus::kProcessing) leased_.insert(LeaseKeyOf(task));
  if (IsFinished(task.status)) finished_.insert(FinishedKeyOf(task));
}

void QueueState::Unindex(const Task& task) {
  --count_by_status_[static_cast<size_t>(task.status)];
  if (task.status == TaskStatus::kPending) ready_.erase(ReadyKeyOf(task));
  if (task.status == TaskStatus::kProcessing) leased_.erase(LeaseKeyOf(task));
  if (IsFinished(task.status)) finished_.erase(FinishedKeyOf(task));
}

const Task* QueueState::Find(std::string_view id) const {
  const auto it = tasks_.find(id);
  return it == tasks_.end() ? nullptr : &it->second;
}

Task* QueueState::FindMutable(std::string_view id) {
  const auto it = tasks_.find(id);
  return it == tasks_.end() ? nullptr : &it->second;
}

QueueStats QueueState::GetStats(int64_t now_ms) const {
  QueueStats stats;
  stats.pending = count_by_status_[static_cast<size_t>(TaskStatus::kPending)];
  stats.processing = count_by_status_[static_cast<size_t>(TaskStatus::kProcessing)];
  stats.completed = count_by_status_[static_cast<size_t>(TaskStatus::kCompleted)];
  stats.failed = count_by_status_[static_cast<size_t>(TaskStatus::kFailed)];
  // The head of the ready order has the smallest available_at_ms, so it
  // has waited longest (if it is ready at all).
  if (!ready_.empty()) {
    stats.oldest_pending_age_ms = std::max<int64_t>(0, now_ms - ready_.begin()->available_at_ms);
  }
  return stats;
}

bool QueueState::MayHaveBeenPurged(std::string_view id, int64_t now_ms) const {
  return queue::MayHaveBeenPurged(id, now_ms, options_.retention_ms);
}

std::optional<int64_t> QueueState::NextLeaseExpiryMs() const {
  if (leased_.empty()) return std::nullopt;
  return leased_.begin()->first;
}

std::optional<int64_t> QueueState::NextAvailableMs() const {
  if (ready_.empty()) return std::nullopt;
  return ready_.begin()->available_at_ms;
}

Status QueueState::Restore(Task task) {
  DSC_RETURN_IF_ERROR(ValidateTask(task));
  if (tasks_.contains(task.id)) {
    return Status::Corruption("restore: task " + task.id + " loaded twice");
  }
  if (task.idempotency_key && id_by_idempotency_key_.contains(*task.idempotency_key)) {
    return Status::Corruption("restore: idempotency key of task " + task.id +
                              " already belongs to another task");
  }
  // The next Enqueue decided must sort after every restored task. It may
  // get a smaller number than it would have had the node never stopped
  // (the highest numbers may have been purged), which changes no order;
  // an Enqueue replayed from the log brings its own number.
  next_enqueue_seq_ = std::max(next_enqueue_seq_, task.enqueue_seq + 1);
  if (task.idempotency_key) id_by_idempotency_key_.emplace(*task.idempotency_key, task.id);
  const std::string id = task.id;
  [[maybe_unused]] const auto [it, inserted] = tasks_.emplace(id, std::move(task));
  assert(inserted);
  Index(it->second);
  return Status::Ok();
}

}  // namespace dsc::queue
