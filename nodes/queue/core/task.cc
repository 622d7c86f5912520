#include "nodes/queue/core/task.h"

#include <algorithm>
#include <limits>

#include "base/json_fields.h"
#include "base/text.h"
#include "nodes/queue/core/queue_options.h"

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
  for (TaskStatus status : {TaskStatus::kPending, TaskStatus::kProcessing, TaskStatus::kCompleted,
                            TaskStatus::kFailed}) {
    if (TaskStatusName(status) == name) return status;
  }
  return std::nullopt;
}

namespace {

// The JSON form with `payload` as the "payload" field.
nlohmann::json TaskToJsonWith(const Task& task, nlohmann::json payload) {
  nlohmann::json out;
  out["id"] = task.id;
  out["payload"] = std::move(payload);
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
  if (task.finished_ms) out["finished_ms"] = *task.finished_ms;
  out["enqueue_seq"] = task.enqueue_seq;
  return out;
}

}  // namespace

nlohmann::json TaskToJson(const Task& task) {
  // The payload is embedded as JSON, not as a string holding JSON. It is
  // valid JSON whenever the task came from a decided Enqueue or from
  // TaskFromJson; anything else is kept as a plain string.
  nlohmann::json payload = nlohmann::json::parse(task.payload, nullptr, false);
  return TaskToJsonWith(task,
                        payload.is_discarded() ? nlohmann::json(task.payload) : std::move(payload));
}

std::string TaskToJsonText(const Task& task) {
  if (!nlohmann::json::accept(task.payload)) return TaskToJson(task).dump();
  return DumpWithPayloadText(TaskToJsonWith(task, nullptr), task.payload);
}

std::string DumpWithPayloadText(nlohmann::json object, std::string_view payload) {
  object["payload"] = nullptr;
  std::string text = object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  // Keys are written sorted and every other value is a scalar, inside
  // whose strings a quote is escaped: this is the one "payload" key.
  constexpr std::string_view kPlaceholder = R"("payload":null)";
  const size_t at = text.find(kPlaceholder);
  if (at == std::string::npos) {  // cannot happen; never guess
    object["payload"] = nlohmann::json::parse(payload, nullptr, false);
    return object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  text.replace(at + kPlaceholder.size() - 4, 4, payload);
  return text;
}

Result<Task> TaskFromJson(std::string_view text) {
  // One level for the task object itself, the rest for its payload.
  if (!JsonDepthAtMost(text, kMaxPayloadDepth + 1)) {
    return Status::Corruption("task: JSON nested too deeply");
  }
  const nlohmann::json object = nlohmann::json::parse(text, nullptr, false);
  if (object.is_discarded()) return Status::Corruption("task: not valid JSON");

  JsonFields r(object, "task", JsonFields::Source::kRecord);
  Task task;
  task.id = r.RequireString("id");
  task.payload = r.RequireValueText("payload");
  const std::string status_name = r.RequireString("status");
  // Ranges checked here, before narrowing to int; ValidateTask checks the rest.
  task.attempt = static_cast<int>(r.RequireInt("attempt", {0, kMaxRetriesLimit + 1}));
  task.max_retries = static_cast<int>(r.RequireInt("max_retries", {0, kMaxRetriesLimit}));
  task.idempotency_key = r.OptionalString("idempotency_key");
  task.worker = r.OptionalString("worker");
  task.lease_expires_ms = r.OptionalInt("lease_expires_ms");
  task.available_at_ms = r.RequireInt("available_at_ms");
  task.last_error = r.OptionalString("last_error");
  task.created_ms = r.RequireInt("created_ms");
  task.updated_ms = r.RequireInt("updated_ms");
  task.finished_ms = r.OptionalInt("finished_ms");
  task.enqueue_seq = static_cast<uint64_t>(r.RequireInt("enqueue_seq", {.min = 0}));
  DSC_RETURN_IF_ERROR(r.status());

  const std::optional<TaskStatus> status = ParseTaskStatus(status_name);
  if (!status) return Status::Corruption("task: unknown status \"" + status_name + "\"");
  task.status = *status;
  // Saved before finished_ms existed: nothing changes a finished task, so
  // its last update is when it finished.
  if (IsFinished(task.status) && !task.finished_ms) task.finished_ms = task.updated_ms;
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
  if (task.finished_ms.has_value() != IsFinished(task.status)) {
    return broken("finished_ms must be set exactly when completed or failed");
  }
  if (task.worker.has_value() != (task.attempt > 0)) {
    return broken("worker must be set exactly when the task was leased");
  }
  if (task.status != TaskStatus::kPending && task.attempt == 0) {
    return broken("a task that left pending must have been leased");
  }
  return Status::Ok();
}

namespace {

constexpr std::string_view kTaskIdPrefix = "t-";
constexpr size_t kTaskIdMsDigits = 12;
constexpr size_t kTaskIdRandomDigits = 16;
constexpr size_t kTaskIdBytes = kTaskIdPrefix.size() + kTaskIdMsDigits + kTaskIdRandomDigits;

// Appends the low `digits` hex digits of `value`, most significant first.
void AppendHex(std::string& out, uint64_t value, size_t digits) {
  constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = digits; i-- > 0;) out += kHex[(value >> (4 * i)) & 0xf];
}

}  // namespace

std::string MakeTaskId(int64_t created_ms, uint64_t random_bits) {
  const int64_t ms = std::clamp<int64_t>(created_ms, 0, kMaxTaskIdMs);
  std::string id;
  id.reserve(kTaskIdBytes);
  id += kTaskIdPrefix;
  AppendHex(id, static_cast<uint64_t>(ms), kTaskIdMsDigits);
  AppendHex(id, random_bits, kTaskIdRandomDigits);
  return id;
}

std::optional<int64_t> TaskIdCreatedMs(std::string_view id) {
  if (id.size() != kTaskIdBytes || !id.starts_with(kTaskIdPrefix)) return std::nullopt;
  int64_t ms = 0;
  for (size_t i = kTaskIdPrefix.size(); i < id.size(); ++i) {
    const char c = id[i];
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else {
      return std::nullopt;  // uppercase too: MakeTaskId never writes it
    }
    if (i < kTaskIdPrefix.size() + kTaskIdMsDigits) ms = ms * 16 + digit;
  }
  return ms;
}

bool RetentionPassed(int64_t finished_ms, int64_t retention_ms, int64_t now_ms) {
  // finished_ms + retention_ms <= now_ms, rearranged so that no clock
  // reading (a fuzzed one included) overflows.
  if (retention_ms < 0) return false;
  if (now_ms < std::numeric_limits<int64_t>::min() + retention_ms) return false;
  return finished_ms <= now_ms - retention_ms;
}

bool MayHaveBeenPurged(std::string_view id, int64_t now_ms, int64_t retention_ms) {
  const std::optional<int64_t> created_ms = TaskIdCreatedMs(id);
  return created_ms.has_value() && RetentionPassed(*created_ms, retention_ms, now_ms);
}

}  // namespace dsc::queue
