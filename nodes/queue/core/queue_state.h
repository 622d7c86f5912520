// QueueState: the durable work queue's task lifecycle, as pure code.
//
// The queue node drives it in three steps for every request, like the
// etcd Raft core: nothing here does IO, reads a clock, starts a thread or
// draws a random number. The caller passes the time and the randomness in.
//
//   1. decide:  auto lease = state.DecideLease("w1", 30'000, now_ms);
//               validates the request against the current state and picks
//               everything that must be chosen (ids, deadlines, jitter);
//   2. log:     wal.Append(CommandRecordType(cmd), EncodeCommand(cmd));
//   3. apply:   state.Apply(cmd);  then write the changed tasks to RocksDB
//               in one batch with the record's LSN.
//
// After a crash the node Restore()s the tasks saved in RocksDB and applies
// the log records after the saved LSN: Apply is deterministic, so that
// rebuilds exactly the state the node had.
//
// ANCHOR: state_diagram
// The task lifecycle (each arrow is one command; Apply moves the task):
//
//                 Enqueue
//                    |
//                    v
//    +---------->  pending    (leased only once now >= available_at_ms)
//    |               |
//    |               | Lease (attempt += 1)
//    |               v
//    |           processing ---------- Ack ---------> completed
//    |               |
//    |               | Fail, or Expire (the lease ran out)
//    |               v
//    |     attempt > max_retries? ---- yes ---------> failed (dead letter)
//    |               |
//    +----- no ------+   (Fail: available again after a backoff;
//                         Expire: available again at once)
//
// A known idempotency key makes no command at all: the producer gets the
// existing task back.
// ANCHOR_END: state_diagram
//
// Attempts: `attempt` counts leases. A task with max_retries = N is tried
// at most N + 1 times: the failure (Fail or Expire) of attempt N + 1 is
// dead-lettered. An expired lease counts like a failure, so a poison task
// that crashes every worker that takes it ends in `failed` instead of
// looping forever.
//
// Retention: completed and failed tasks stay queryable for
// QueueOptions::retention_ms after they finished; then a Purge command
// (DecidePurge) removes them, with their idempotency keys, from memory
// and RocksDB. Their ids carry their creation time (MakeTaskId, task.h),
// so GET can still tell "gone" (410) from "never existed" (404) without
// keeping removed ids anywhere.
//
// Ready order: DecideLease hands out the pending task that has been
// available longest — smallest available_at_ms, then enqueue order.
//
// Errors from Decide*: InvalidArgument (400) for a malformed request,
// NotFound (404) for an unknown task id, Conflict (409, conflict.h) when
// the task is not in a state that allows the request.
//
// Thread-safety: not thread-safe. Decide* are const and may run
// concurrently with each other, never with Apply or Restore. If the node
// decides without holding its lock until the command is applied, a
// command may reach Apply after another one changed its task (two leases
// of the same task): Apply then rejects it, changes nothing, and would
// reject it the same way on replay. Apply commands in log order.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "nodes/queue/core/command.h"
#include "nodes/queue/core/queue_options.h"
#include "nodes/queue/core/task.h"

namespace dsc::queue {

// A producer's POST /tasks, parsed.
struct EnqueueRequest {
  std::string payload;             // JSON text (any JSON value)
  std::optional<int> max_retries;  // default: QueueOptions::default_max_retries
  std::optional<std::string> idempotency_key;
};

struct EnqueueDecision {
  std::string task_id;  // the new task, or the one the idempotency key names
  // What to log and apply; empty when the idempotency key matched an
  // existing task (answer with task_id, write nothing).
  std::optional<Enqueue> command;
};

struct ApplyResult {
  // The tasks the command changed, to be written to RocksDB in the same
  // batch as the command's LSN (one id for every command but Purge, none
  // for a Purge).
  std::vector<std::string> changed_task_ids;
  // The tasks a Purge removed, to be deleted from RocksDB in that batch.
  std::vector<std::string> removed_task_ids;
  // Ids a Purge named that were already gone (a replay after RocksDB had
  // deleted them; a repeated id). Tolerated, only counted.
  size_t already_absent = 0;
};

struct QueueStats {
  size_t pending = 0;
  size_t processing = 0;
  size_t completed = 0;
  size_t failed = 0;  // dead-lettered
  // How long the task at the head of the ready order has waited for a
  // worker: now - its available_at_ms, 0 when no task is ready. It grows
  // when the workers fall behind.
  int64_t oldest_pending_age_ms = 0;
};

class QueueState {
 public:
  explicit QueueState(QueueOptions options = {});

  QueueState(const QueueState&) = delete;
  QueueState& operator=(const QueueState&) = delete;
  QueueState(QueueState&&) = default;
  QueueState& operator=(QueueState&&) = default;

  // ---- Decide: validate a request, choose a command. Never change state.

  // A new task with id `new_id` (fresh, chosen by the caller). The payload
  // is stored as compact JSON. When the idempotency key is known, returns
  // the existing task's id and no command (the producer retried a request
  // whose answer it lost); Conflict when that task has another payload.
  // InvalidArgument: payload not JSON, deeper than kMaxPayloadDepth or
  // larger than max_payload_bytes; max_retries outside 0..100; a bad key;
  // a new_id that is empty, too long or already used, or that carries a
  // creation time after now_ms (make it with MakeTaskId(now_ms, random)).
  Result<EnqueueDecision> DecideEnqueue(const EnqueueRequest& request, int64_t now_ms,
                                        std::string new_id) const;

  // A lease of the ready task that has been available longest, until
  // now_ms + lease_ms; nullopt when no task is ready. InvalidArgument for an
  // empty or too long worker or lease_ms outside [min_lease_ms,
  // max_lease_ms]. Apply the commands of DecideExpiries first, so that
  // tasks whose lease ran out are offered again.
  Result<std::optional<Lease>> DecideLease(std::string_view worker, int64_t lease_ms,
                                           int64_t now_ms) const;

  // One Expire for every processing task whose lease has run out
  // (lease_expires_ms <= now_ms), earliest deadline first. Call it on a
  // timer and before leasing.
  std::vector<Expire> DecideExpiries(int64_t now_ms) const;

  // Completes task `id`. NotFound for an unknown id; Conflict when the task
  // is not processing, is leased to another worker, or its lease has run
  // out. The last case holds even before the Expire is applied: from its
  // deadline on, the task may be handed to another worker at any moment,
  // so a late ack must not count.
  Result<Ack> DecideAck(std::string_view id, std::string_view worker, int64_t now_ms) const;

  // Fails the current attempt of task `id` (same errors as DecideAck;
  // InvalidArgument when `error` is not UTF-8; longer than kMaxErrorBytes
  // is cut). Dead-letters the task when attempt > max_retries, otherwise
  // it is retried after BackoffDelayMs(backoff, attempt, random).
  Result<Fail> DecideFail(std::string_view id, std::string_view worker, std::string_view error,
                          int64_t now_ms, uint64_t random) const;

  // The finished tasks whose retention has passed (finished_ms +
  // retention_ms <= now_ms), oldest finish first, at most kMaxPurgeBatch;
  // nullopt when there are none. O(batch log n): it reads the front of
  // the finished index only. Call it on a timer; while it returns a full
  // batch, call it again.
  std::optional<Purge> DecidePurge(int64_t now_ms) const;

  // ---- Apply: the only way the state changes.

  // Moves the command's task along the diagram above. Deterministic: the
  // same command on the same state gives the same result. Never fails for
  // a command just decided on this state. A command that no longer fits
  // (its task changed in between; see thread-safety) changes nothing and
  // returns NotFound or Conflict; the node then answers its request with
  // that error (or decides again).
  //
  // A Purge erases each named task and every index entry for it. Ids
  // already absent are counted in already_absent, not refused. A Purge
  // naming a task that is not finished, or that finished after the
  // command's now_ms, is refused whole (Conflict, nothing removed): Decide
  // never makes one, and a damaged log must not delete live tasks.
  Result<ApplyResult> Apply(const Command& command);

  // Loads a task saved in RocksDB (at startup, before applying the log),
  // rebuilding the indexes. Corruption when it breaks ValidateTask or
  // repeats an id or an idempotency key already loaded.
  Status Restore(Task task);

  // ---- Queries.

  // The task, or nullptr. Valid until the next Apply or Restore.
  const Task* Find(std::string_view id) const;
  QueueStats GetStats(int64_t now_ms) const;
  // For an id Find does not know: MayHaveBeenPurged(id, now_ms,
  // retention_ms) (task.h) with this queue's retention. True: answer 410
  // Gone; false: 404 Not Found.
  bool MayHaveBeenPurged(std::string_view id, int64_t now_ms) const;
  // Every task, ordered by id.
  const std::map<std::string, Task, std::less<>>& tasks() const { return tasks_; }
  // The earliest lease deadline: when DecideExpiries next has work.
  std::optional<int64_t> NextLeaseExpiryMs() const;
  // The earliest available_at_ms of a pending task: when DecideLease next
  // has work, for a worker waiting in a long poll.
  std::optional<int64_t> NextAvailableMs() const;

  // Checks that the indexes agree with the tasks (each task in exactly the
  // index of its status, counts right, every task valid). O(n): for tests
  // and debug builds. Defined in queue_state_invariants.cc.
  Status CheckInvariants() const;

 private:
  // Pending tasks in lease order. `id` breaks no real tie (enqueue_seq is
  // unique) but makes the key unique even for oddly restored tasks.
  struct ReadyKey {
    int64_t available_at_ms;
    uint64_t enqueue_seq;
    std::string id;
    auto operator<=>(const ReadyKey&) const = default;
  };
  // Processing tasks by lease deadline.
  using LeaseKey = std::pair<int64_t, std::string>;
  // Completed and failed tasks by finished_ms, then id.
  using FinishedKey = std::pair<int64_t, std::string>;

  static ReadyKey ReadyKeyOf(const Task& task);
  static LeaseKey LeaseKeyOf(const Task& task);
  static FinishedKey FinishedKeyOf(const Task& task);

  Task* FindMutable(std::string_view id);
  // Adds the task to / removes it from the index of its current status and
  // the per-status count. Every transition is Unindex, change, Index.
  void Index(const Task& task);
  void Unindex(const Task& task);

  Result<ApplyResult> ApplyEnqueue(const Enqueue& c);
  Result<ApplyResult> ApplyLease(const Lease& c);
  Result<ApplyResult> ApplyAck(const Ack& c);
  Result<ApplyResult> ApplyFail(const Fail& c);
  Result<ApplyResult> ApplyExpire(const Expire& c);
  Result<ApplyResult> ApplyPurge(const Purge& c);

  QueueOptions options_;
  std::map<std::string, Task, std::less<>> tasks_;  // every task, by id
  std::map<std::string, std::string, std::less<>> id_by_idempotency_key_;
  std::set<ReadyKey> ready_;   // exactly the pending tasks
  std::set<LeaseKey> leased_;  // exactly the processing tasks
  // Exactly the completed and failed tasks, oldest finish first: what
  // DecidePurge reads. A sorted set, not a deque in apply order: live
  // finish times never decrease (the node's clock is clamped), but
  // Restore loads tasks in id order, and a clock set back between two runs
  // would break the order too; a set stays right either way, for
  // O(log n) per finish.
  std::set<FinishedKey> finished_;
  std::array<size_t, 4> count_by_status_{};  // indexed by TaskStatus
  uint64_t next_enqueue_seq_ = 1;            // for the next decided Enqueue
};

}  // namespace dsc::queue
