// Task: one unit of work in the durable queue, and its JSON form.
//
// A task is what a producer enqueues and a worker leases, runs, and then
// acks (done) or fails (try again later). QueueState (queue_state.h) owns
// the tasks and moves them between statuses; see the state diagram there.
//
// The JSON form is used twice: the node stores each task in RocksDB as
// TaskToJson(task).dump(), and answers GET /tasks/{id} with it. Absent
// optional fields are left out. Example:
//
//   {"attempt":1,"available_at_ms":1700000000000,"created_ms":1700000000000,
//    "enqueue_seq":7,"id":"t-7","lease_expires_ms":1700000030000,
//    "max_retries":3,"payload":{"image":"cat.png"},"status":"processing",
//    "updated_ms":1700000000500,"worker":"w1"}
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace dsc::queue {

// "failed" is the dead-letter state: the task used up its retries and
// waits for a human, who can read last_error.
enum class TaskStatus { kPending, kProcessing, kCompleted, kFailed };

// "pending", "processing", "completed", "failed".
std::string_view TaskStatusName(TaskStatus status);
// The inverse of TaskStatusName; nullopt for any other text.
std::optional<TaskStatus> ParseTaskStatus(std::string_view name);

// ANCHOR: task
struct Task {
  std::string id;
  std::string payload;  // compact JSON text, whatever the producer sent
  TaskStatus status = TaskStatus::kPending;
  int attempt = 0;      // leases so far: 1 while the first worker runs it
  int max_retries = 0;  // failed attempts that are retried: at most max_retries + 1 attempts
  std::optional<std::string> idempotency_key;  // the producer's dedup key, if any
  std::optional<std::string> worker;  // holder of the current lease, or of the last one
  std::optional<int64_t> lease_expires_ms;  // set exactly while processing
  int64_t available_at_ms = 0;  // a pending task is not leased before this (backoff)
  std::optional<std::string> last_error;  // why the last attempt failed
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  uint64_t enqueue_seq = 0;  // 1, 2, 3... in enqueue order: ties in the ready order go FIFO

  bool operator==(const Task&) const = default;
};
// ANCHOR_END: task

// The JSON form described above. Never throws; neither does dump() on the
// result for any task a QueueState holds, whose strings are valid UTF-8
// (Decide checks every string it puts in a command).
nlohmann::json TaskToJson(const Task& task);

// Parses the text TaskToJson(...).dump() wrote. Corruption when it is not
// such an object or breaks ValidateTask. Never throws.
Result<Task> TaskFromJson(std::string_view text);

// Checks the rules every stored task obeys (Corruption naming the first
// broken one):
//  * id is 1..kMaxIdBytes bytes; 0 <= max_retries <= kMaxRetriesLimit;
//    attempt >= 0;
//  * lease_expires_ms is set exactly when processing;
//  * worker is set exactly when attempt > 0 (someone leased it);
//  * a task that is processing, completed or failed was leased (attempt > 0).
Status ValidateTask(const Task& task);

}  // namespace dsc::queue
