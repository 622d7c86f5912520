// QueueState's decisions: validate a request against the current state and
// choose the command that carries it out. Nothing here changes the state.
#include <nlohmann/json.hpp>

#include "base/text.h"
#include "nodes/queue/core/backoff.h"
#include "nodes/queue/core/queue_state.h"
#include "nodes/queue/core/transitions.h"

namespace dsc::queue {
namespace {

// A name or key we will store and echo back: present, bounded, and valid
// UTF-8 (so it encodes as JSON).
Status CheckName(std::string_view what, std::string_view value, size_t max_bytes) {
  if (value.empty()) return Status::InvalidArgument(std::string(what) + " is empty");
  if (value.size() > max_bytes) {
    return Status::InvalidArgument(std::string(what) + " is longer than " +
                                   std::to_string(max_bytes) + " bytes");
  }
  if (!IsValidUtf8(value)) return Status::InvalidArgument(std::string(what) + " is not UTF-8");
  return Status::Ok();
}

// The payload as compact JSON text, or InvalidArgument. Compact text
// makes the stored task, the log record and the GET answer agree byte for
// byte, however the producer spaced its JSON.
Result<std::string> CompactPayload(std::string_view payload, size_t max_bytes) {
  // Bound the nesting before parsing: writing JSON back out recurses.
  if (!JsonDepthAtMost(payload, kMaxPayloadDepth)) {
    return Status::InvalidArgument("payload is nested deeper than " +
                                   std::to_string(kMaxPayloadDepth) + " levels");
  }
  const nlohmann::json parsed = nlohmann::json::parse(payload, nullptr, false);
  if (parsed.is_discarded()) return Status::InvalidArgument("payload is not valid JSON");
  std::string compact = parsed.dump();  // cannot throw: the parser checked the UTF-8
  if (compact.size() > max_bytes) {
    return Status::InvalidArgument("payload is " + std::to_string(compact.size()) +
                                   " bytes; the limit is " + std::to_string(max_bytes));
  }
  return compact;
}

// NotFound for a task id from a request. The id is echoed only when it is
// one we could have stored: the message ends up in a JSON error answer.
Status UnknownTask(std::string_view id) {
  if (id.size() > kMaxIdBytes || !IsValidUtf8(id)) return Status::NotFound("no such task");
  return Status::NotFound("no task " + std::string(id));
}

}  // namespace

Result<EnqueueDecision> QueueState::DecideEnqueue(const EnqueueRequest& request, int64_t now_ms,
                                                  std::string new_id) const {
  Result<std::string> payload = CompactPayload(request.payload, options_.max_payload_bytes);
  if (!payload.ok()) return payload.status();
  const int max_retries = request.max_retries.value_or(options_.default_max_retries);
  if (max_retries < 0 || max_retries > kMaxRetriesLimit) {
    return Status::InvalidArgument("max_retries must be 0.." + std::to_string(kMaxRetriesLimit));
  }
  // ANCHOR: idempotency_check
  if (request.idempotency_key) {
    DSC_RETURN_IF_ERROR(
        CheckName("idempotency_key", *request.idempotency_key, kMaxIdempotencyKeyBytes));
    // A producer that retries a request (it never saw the answer) must not
    // create a second task: hand back the first one.
    const auto known = id_by_idempotency_key_.find(*request.idempotency_key);
    if (known != id_by_idempotency_key_.end()) {
      const Task& existing = tasks_.at(known->second);
      if (existing.payload != *payload) {
        return Status::Conflict("idempotency_key already used by task " + existing.id +
                                " with another payload");
      }
      return EnqueueDecision{.task_id = existing.id, .command = std::nullopt};
    }
  }
  // ANCHOR_END: idempotency_check
  DSC_RETURN_IF_ERROR(CheckName("task id", new_id, kMaxIdBytes));
  // An id that claims a creation time later than the task's own would,
  // once the task is purged, get 404 instead of 410 (MayHaveBeenPurged).
  if (const std::optional<int64_t> id_ms = TaskIdCreatedMs(new_id); id_ms && *id_ms > now_ms) {
    return Status::InvalidArgument("task id " + new_id + " was made after now_ms");
  }
  if (tasks_.contains(new_id)) {
    return Status::InvalidArgument("task id " + new_id + " is already used");
  }
  Enqueue command{.id = new_id,
                  .payload = std::move(*payload),
                  .max_retries = max_retries,
                  .idempotency_key = request.idempotency_key,
                  .now_ms = now_ms,
                  .enqueue_seq = next_enqueue_seq_};
  return EnqueueDecision{.task_id = std::move(new_id), .command = std::move(command)};
}

// ANCHOR: decide_lease
Result<std::optional<Lease>> QueueState::DecideLease(std::string_view worker, int64_t lease_ms,
                                                     int64_t now_ms) const {
  DSC_RETURN_IF_ERROR(CheckName("worker", worker, kMaxWorkerBytes));
  if (lease_ms < options_.min_lease_ms || lease_ms > options_.max_lease_ms) {
    return Status::InvalidArgument("lease_ms must be " + std::to_string(options_.min_lease_ms) +
                                   ".." + std::to_string(options_.max_lease_ms));
  }
  // ready_ is sorted by (available_at_ms, enqueue order): its first task
  // has waited longest. If even that one is still backing off, none is ready.
  if (ready_.empty() || ready_.begin()->available_at_ms > now_ms) {
    return std::optional<Lease>();
  }
  return std::optional<Lease>(Lease{.id = ready_.begin()->id,
                                    .worker = std::string(worker),
                                    .lease_expires_ms = now_ms + lease_ms,
                                    .now_ms = now_ms});
}
// ANCHOR_END: decide_lease

// ANCHOR: decide_expiries
std::vector<Expire> QueueState::DecideExpiries(int64_t now_ms) const {
  std::vector<Expire> expiries;
  // leased_ is sorted by deadline: stop at the first lease still running.
  for (const auto& [lease_expires_ms, id] : leased_) {
    if (lease_expires_ms > now_ms) break;
    // The worker vanished mid-task: that attempt failed. Counting it is
    // what stops a poison task (one that crashes every worker) from being
    // handed out forever.
    const Task& task = tasks_.at(id);
    expiries.push_back(Expire{.id = id, .dead = RetriesExhausted(task), .now_ms = now_ms});
  }
  return expiries;
}
// ANCHOR_END: decide_expiries

Result<Ack> QueueState::DecideAck(std::string_view id, std::string_view worker,
                                  int64_t now_ms) const {
  DSC_RETURN_IF_ERROR(CheckName("worker", worker, kMaxWorkerBytes));
  const Task* task = Find(id);
  if (task == nullptr) return UnknownTask(id);
  DSC_RETURN_IF_ERROR(CheckLeaseHeld(*task, worker, now_ms));
  return Ack{.id = task->id, .worker = std::string(worker), .now_ms = now_ms};
}

// ANCHOR: decide_fail
Result<Fail> QueueState::DecideFail(std::string_view id, std::string_view worker,
                                    std::string_view error, int64_t now_ms, uint64_t random) const {
  DSC_RETURN_IF_ERROR(CheckName("worker", worker, kMaxWorkerBytes));
  if (!IsValidUtf8(error)) return Status::InvalidArgument("error is not UTF-8");
  const Task* task = Find(id);
  if (task == nullptr) return UnknownTask(id);
  DSC_RETURN_IF_ERROR(CheckLeaseHeld(*task, worker, now_ms));
  const bool dead = RetriesExhausted(*task);
  const int64_t retry_at_ms =
      dead ? now_ms : now_ms + BackoffDelayMs(options_.backoff, task->attempt, random);
  return Fail{.id = task->id,
              .worker = std::string(worker),
              .error = TruncateUtf8(error, kMaxErrorBytes),  // keep the start of a long trace
              .retry_at_ms = retry_at_ms,
              .dead = dead,
              .now_ms = now_ms};
}
// ANCHOR_END: decide_fail

// ANCHOR: decide_purge
std::optional<Purge> QueueState::DecidePurge(int64_t now_ms) const {
  if (options_.retention_ms <= 0) return std::nullopt;  // misconfigured: never delete
  Purge purge{.ids = {}, .now_ms = now_ms};
  // finished_ is sorted by finish time: stop at the first task still
  // within its retention, or when the batch is full.
  for (const auto& [finished_ms, id] : finished_) {
    if (purge.ids.size() == kMaxPurgeBatch) break;
    if (!RetentionPassed(finished_ms, options_.retention_ms, now_ms)) break;
    purge.ids.push_back(id);
  }
  if (purge.ids.empty()) return std::nullopt;
  return purge;
}
// ANCHOR_END: decide_purge

}  // namespace dsc::queue
