// Task: one unit of work in the durable queue, and its JSON form.
//
// A task is what a producer enqueues and a worker leases, runs, and then
// acks (done) or fails (try again later). QueueState (queue_state.h) owns
// the tasks and moves them between statuses; see the state diagram there.
//
// The JSON form is used twice: the node stores each task in RocksDB as
// TaskToJsonText(task) (the same text as TaskToJson(task).dump()), and
// answers GET /tasks/{id} with it. Absent
// optional fields are left out. Example:
//
//   {"attempt":1,"available_at_ms":1700000000000,"created_ms":1700000000000,
//    "enqueue_seq":7,"id":"t-018bcfe56800a3f29c17e5d0b48c",
//    "lease_expires_ms":1700000030000,"max_retries":3,
//    "payload":{"image":"cat.png"},"status":"processing",
//    "updated_ms":1700000000500,"worker":"w1"}
//
// A completed or failed task also has "finished_ms".
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

// Completed and failed are final: no command moves a task out of them.
inline bool IsFinished(TaskStatus status) {
  return status == TaskStatus::kCompleted || status == TaskStatus::kFailed;
}

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
  std::optional<std::string> worker;           // holder of the current lease, or of the last one
  std::optional<int64_t> lease_expires_ms;     // set exactly while processing
  int64_t available_at_ms = 0;                 // a pending task is not leased before this (backoff)
  std::optional<std::string> last_error;       // why the last attempt failed
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  // When it became completed or failed: set exactly then. Its retention
  // (QueueOptions::retention_ms) counts from here.
  std::optional<int64_t> finished_ms;
  uint64_t enqueue_seq = 0;  // 1, 2, 3... in enqueue order: ties in the ready order go FIFO

  bool operator==(const Task&) const = default;
};
// ANCHOR_END: task

// The JSON form described above. Never throws; neither does dump() on the
// result for any task a QueueState holds, whose strings are valid UTF-8
// (Decide checks every string it puts in a command).
nlohmann::json TaskToJson(const Task& task);

// TaskToJson(task).dump(), byte for byte, without parsing the payload and
// writing it out again: the payload of every task a QueueState holds is
// canonical JSON text (what dump() writes; DecideEnqueue makes it so), and
// it goes into the text as it is. A payload that is not JSON at all falls
// back to TaskToJson.
// The node writes every change of every task with it, so the payload
// would otherwise be parsed on each lease and ack.
std::string TaskToJsonText(const Task& task);

// `object` as JSON text (dump(), invalid UTF-8 replaced) with a "payload"
// field whose value is `payload`, canonical JSON text, put in as it is
// rather than parsed and written out again: byte for byte what dumping
// the object with the parsed payload gives. Every value of `object` must
// be a number, a string, a bool or null (so "payload": appears once, as
// its key). TaskToJsonText and the lease reply are written with it.
std::string DumpWithPayloadText(nlohmann::json object, std::string_view payload);

// Parses the text TaskToJson(...).dump() wrote. Corruption when it is not
// such an object or breaks ValidateTask. Never throws. A completed or
// failed task saved before "finished_ms" existed reads it as its
// updated_ms: nothing changes a finished task, so its last update is when
// it finished.
Result<Task> TaskFromJson(std::string_view text);

// Checks the rules every stored task obeys (Corruption naming the first
// broken one):
//  * id is 1..kMaxIdBytes bytes; 0 <= max_retries <= kMaxRetriesLimit;
//    attempt >= 0;
//  * lease_expires_ms is set exactly when processing;
//  * finished_ms is set exactly when completed or failed;
//  * worker is set exactly when attempt > 0 (someone leased it);
//  * a task that is processing, completed or failed was leased (attempt > 0).
Status ValidateTask(const Task& task);

// ANCHOR: task_id
// Task ids carry the time they were made, so that the node can tell a task
// it removed (QueueState::DecidePurge) from one it never had without
// remembering removed ids:
//
//   task_id := "t-" ms random
//   ms      := 12 lowercase hex digits   creation time, ms since the epoch
//   random  := 16 lowercase hex digits   64 random bits
//
// e.g. "t-018bcfe56800a3f29c17e5d0b48c" (30 bytes). 12 hex digits of
// milliseconds last until the year 10889. The 64 random bits keep ids
// unguessable and make a collision (two ids in the same millisecond with
// the same bits) practically impossible; the node draws again if one
// happens.
//
// Ids of the older form ("t-" + 16 hex digits, no time) and any other
// text stay valid task ids: they just carry no time.
inline constexpr int64_t kMaxTaskIdMs = (int64_t{1} << 48) - 1;

// The id of a task created at `created_ms` (0..kMaxTaskIdMs; clamped into
// that range) with the given random bits.
std::string MakeTaskId(int64_t created_ms, uint64_t random_bits);

// The creation time MakeTaskId wrote into `id`; nullopt for anything that
// is not exactly of the form above (older ids, uppercase hex, wrong
// length...).
std::optional<int64_t> TaskIdCreatedMs(std::string_view id);

// Whether a task with this id, if it ever existed, may have been removed
// by now: the id carries its creation time and that time + retention_ms
// <= now_ms. A task finishes after it is created and is kept retention_ms
// after it finishes, so a task created more recently cannot be gone.
// The node answers 410 Gone for an absent task when this holds, 404
// otherwise (an old-format or malformed id, or a recent one).
bool MayHaveBeenPurged(std::string_view id, int64_t now_ms, int64_t retention_ms);

// finished_ms + retention_ms <= now_ms, without overflow: `finished_ms`
// (a finish or creation time) is old enough to be removed.
bool RetentionPassed(int64_t finished_ms, int64_t retention_ms, int64_t now_ms);
// ANCHOR_END: task_id

}  // namespace dsc::queue
