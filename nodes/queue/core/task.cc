#include "nodes/queue/core/task.h"

#include "nodes/queue/core/field_reader.h"
#include "nodes/queue/core/queue_options.h"
#include "base/text.h"

namespace dsc::queue {

std::string_view TaskStatusName(TaskStatus status) {
  switch (status) {
    case TaskStatus::kPending: return "pending";
    case TaskStatus::kProcessing: return "processing";
    case TaskStatus::kCompleted: return "completed";
    case TaskStatus::kFailed: return "failed";
  }
  return "unknown";
}

std::optional<TaskStatus> ParseTaskStatus(std::string_view name) {
  for (TaskStatus status : {TaskStatus::kPending, TaskStatus::kProcessing,
                            TaskStatus::kCompleted, TaskStatus::kFailed}) {
    if (TaskStatusName(status) == name) return status;
  }
  return std::nullopt;
}

nlohmann::json TaskToJson(const Task& task) {
  nlohmann::json out;
  out["id"] = task.id;
  // The payload is embedded as JSON, not as a string holding JSON. It is
  // valid JSON whenever the task came from a decided Enqueue or from
  // TaskFromJson; anything else is kept as a plain string.
  nlohmann::json payload = nlohmann::json::parse(task.payload, nullptr, false);
  out["payload"] = payload.is_discarded() ? nlohmann::json(task.payload) : std::move(payload);
  out["status"] = TaskStatusName(task.status);
  out["attempt"] = task.attempt;
  out["max_retries"] = task.max_retries;
  if (task.idempotency_key) out["idempotency_key"] = *task.idempotency_key;
  if (task.worker) out["worker"] = *task.worker;
  if (task.lease_expires_ms) out["lease_expires_ms"] = *task.lease_expires_ms;
  out["available_at_ms"] = task.available_at_ms;
  if (task.last_error) out["last_error"] = *task.last_error;
  out["created_ms"] = task.created_ms;
  out["updated_ms"] = task.updated_ms;
  out["enqueue_seq"] = task.enqueue_seq;
  return out;
}

Result<Task> TaskFromJson(std::string_view text) {
  // One level for the task object itself, the rest for its payload.
  if (!JsonDepthAtMost(text, kMaxPayloadDepth + 1)) {
    return Status::Corruption("task: JSON nested too deeply");
  }
  const nlohmann::json object = nlohmann::json::parse(text, nullptr, false);
  if (object.is_discarded()) return Status::Corruption("task: not valid JSON");

  FieldReader r(object, "task");
  Task task;
  task.id = r.String("id");
  task.payload = r.JsonText("payload");
  const std::string status_name = r.String("status");
  const int64_t attempt = r.Int("attempt");
  const int64_t max_retries = r.Int("max_retries");
  task.idempotency_key = r.OptionalString("idempotency_key");
  task.worker = r.OptionalString("worker");
  task.lease_expires_ms = r.OptionalInt("lease_expires_ms");
  task.available_at_ms = r.Int("available_at_ms");
  task.last_error = r.OptionalString("last_error");
  task.created_ms = r.Int("created_ms");
  task.updated_ms = r.Int("updated_ms");
  const int64_t enqueue_seq = r.Int("enqueue_seq");
  DSC_RETURN_IF_ERROR(r.status());

  const std::optional<TaskStatus> status = ParseTaskStatus(status_name);
  if (!status) return Status::Corruption("task: unknown status \"" + status_name + "\"");
  task.status = *status;
  // Range checks before narrowing to int; ValidateTask checks the rest.
  if (attempt < 0 || attempt > kMaxRetriesLimit + 1) {
    return Status::Corruption("task: attempt out of range");
  }
  if (max_retries < 0 || max_retries > kMaxRetriesLimit) {
    return Status::Corruption("task: max_retries out of range");
  }
  if (enqueue_seq < 0) return Status::Corruption("task: negative enqueue_seq");
  task.attempt = static_cast<int>(attempt);
  task.max_retries = static_cast<int>(max_retries);
  task.enqueue_seq = static_cast<uint64_t>(enqueue_seq);
  DSC_RETURN_IF_ERROR(ValidateTask(task));
  return task;
}

Status ValidateTask(const Task& task) {
  const auto broken = [&](std::string_view rule) {
    return Status::Corruption("task \"" + task.id + "\": " + std::string(rule));
  };
  if (task.id.empty() || task.id.size() > kMaxIdBytes) return broken("id must be 1..128 bytes");
  if (task.max_retries < 0 || task.max_retries > kMaxRetriesLimit) {
    return broken("max_retries out of range");
  }
  if (task.attempt < 0) return broken("negative attempt");
  const bool processing = task.status == TaskStatus::kProcessing;
  if (task.lease_expires_ms.has_value() != processing) {
    return broken("lease_expires_ms must be set exactly while processing");
  }
  if (task.worker.has_value() != (task.attempt > 0)) {
    return broken("worker must be set exactly when the task was leased");
  }
  if (task.status != TaskStatus::kPending && task.attempt == 0) {
    return broken("a task that left pending must have been leased");
  }
  return Status::Ok();
}

}  // namespace dsc::queue
