// Property tests: random producers, workers, purges and clock jumps drive
// a QueueState the way the node does (decide, log, apply). After every
// step the invariants hold, no task is lost (only finished tasks past
// their retention are purged) and no task is leased to two workers; at
// the end, replaying the log (from the start, or from a saved copy of the
// tasks plus the rest of the log) rebuilds the same queue. Once every task
// has finished and its retention has passed, purging leaves nothing.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nodes/queue/core/command.h"
#include "nodes/queue/core/queue_state.h"

namespace dsc::queue {
namespace {

const std::vector<std::string> kWorkers = {"w0", "w1", "w2"};

// Short enough that the random clock steps below pass it now and then.
constexpr int64_t kRetentionMs = 500;

QueueOptions TestOptions() {
  QueueOptions options;
  options.retention_ms = kRetentionMs;
  return options;
}

// One thing that happens to the queue. The fields are raw random numbers;
// each kind of step uses the ones it needs.
struct Step {
  enum Kind { kEnqueue, kLease, kAck, kFail, kExpireDue, kRacingLeases, kPurgeDue, kKinds };
  int kind = kEnqueue;
  int64_t advance_ms = 0;  // the clock moves forward by this first
  size_t pick = 0;         // which task (one past the end: an unknown id)
  size_t worker = 0;       // kWorkers[worker], or the task's own worker when out of range
  uint64_t random = 0;     // jitter for Fail
  int key = 0;             // idempotency key k0..k3, or none when negative
  int max_retries = 0;
  int64_t lease_ms = 0;
};

rc::Gen<Step> GenStep() {
  return rc::gen::apply(
      [](int kind, int64_t advance_ms, size_t pick, size_t worker, uint64_t random, int key,
         int max_retries, int64_t lease_ms) {
        return Step{kind, advance_ms, pick, worker, random, key, max_retries, lease_ms};
      },
      rc::gen::inRange<int>(0, Step::kKinds),
      // Mostly small clock steps, now and then a jump past every lease.
      rc::gen::weightedOneOf<int64_t>(
          {{4, rc::gen::inRange<int64_t>(0, 300)}, {1, rc::gen::inRange<int64_t>(0, 6'000)}}),
      rc::gen::arbitrary<size_t>(), rc::gen::inRange<size_t>(0, kWorkers.size() + 2),
      rc::gen::arbitrary<uint64_t>(), rc::gen::inRange(-4, 4), rc::gen::inRange(0, 4),
      rc::gen::inRange<int64_t>(100, 5'000));
}

// Everything that identifies a queue's state, as one comparable value.
nlohmann::json Dump(const QueueState& state, int64_t now_ms) {
  nlohmann::json tasks = nlohmann::json::array();
  for (const auto& [id, task] : state.tasks()) tasks.push_back(TaskToJson(task));
  const QueueStats stats = state.GetStats(now_ms);
  return {{"tasks", tasks},
          {"counts", {stats.pending, stats.processing, stats.completed, stats.failed}},
          {"oldest_pending_age_ms", stats.oldest_pending_age_ms}};
}

// Drives one QueueState as the node would, keeping the log it would write
// and a model of who holds which lease.
class Driver {
 public:
  void Run(const Step& step) {
    now_ += step.advance_ms;
    switch (step.kind) {
      case Step::kEnqueue: EnqueueStep(step); break;
      case Step::kLease: LeaseStep(step); break;
      case Step::kAck: AckStep(step); break;
      case Step::kFail: FailStep(step); break;
      case Step::kExpireDue: ExpireStep(); break;
      case Step::kRacingLeases: RacingLeasesStep(step); break;
      case Step::kPurgeDue:
        now_ += step.lease_ms;  // the purge timer fires some seconds on
        PurgeStep();
        break;
    }
    CheckAfterStep();
  }

  // Finishes every task: expires the running ones, then leases and acks
  // whatever is pending (past its backoff), until none is left unfinished.
  void FinishEverything() {
    for (;;) {
      const QueueStats stats = state_.GetStats(now_);
      if (stats.pending == 0 && stats.processing == 0) return;
      now_ += 10'000;  // past every lease (<= 5 s) and backoff
      ExpireStep();
      for (;;) {
        Result<std::optional<Lease>> lease = state_.DecideLease("w0", 1'000, now_);
        RC_ASSERT(lease.ok());
        if (!lease->has_value()) break;
        LogAndApply(**lease, true);
        Result<Ack> ack = state_.DecideAck((*lease)->id, "w0", now_);
        RC_ASSERT(ack.ok());
        LogAndApply(*ack, true);
      }
      CheckAfterStep();
    }
  }

  // Moves the clock past every retention and purges until nothing is due.
  void PurgeEverythingDue() {
    now_ += kRetentionMs;
    PurgeStep();
    CheckAfterStep();
  }

  const QueueState& state() const { return state_; }
  const std::vector<std::string>& log() const { return log_; }
  const std::vector<bool>& applied() const { return applied_; }
  int64_t now() const { return now_; }
  size_t enqueued() const { return ids_.size(); }
  size_t purged() const { return purged_.size(); }

 private:
  // Step 2 and 3 of the node's cycle: log the command, then apply it. A
  // command just decided on this state must apply; a stale one (decided
  // before another command changed its task) may be refused.
  void LogAndApply(const Command& command, bool fresh) {
    log_.push_back(EncodeCommand(command));
    const Result<ApplyResult> result = state_.Apply(command);
    if (fresh) RC_ASSERT(result.ok());
    applied_.push_back(result.ok());
    if (result.ok()) UpdateLeaseModel(command);
  }

  // Property (4): a task is leased to at most one worker at a time, and
  // only the worker holding a live lease may end it.
  void UpdateLeaseModel(const Command& command) {
    if (const auto* lease = std::get_if<Lease>(&command)) {
      RC_ASSERT(!holder_.contains(lease->id));  // nobody holds it now
      holder_[lease->id] = {lease->worker, lease->lease_expires_ms};
    } else if (const auto* ack = std::get_if<Ack>(&command)) {
      EndLease(ack->id, ack->worker, ack->now_ms);
    } else if (const auto* fail = std::get_if<Fail>(&command)) {
      EndLease(fail->id, fail->worker, fail->now_ms);
    } else if (const auto* expire = std::get_if<Expire>(&command)) {
      const auto it = holder_.find(expire->id);
      RC_ASSERT(it != holder_.end());
      RC_ASSERT(it->second.second <= expire->now_ms);  // the lease really ran out
      holder_.erase(it);
    } else if (const auto* purge = std::get_if<Purge>(&command)) {
      for (const std::string& id : purge->ids) {
        RC_ASSERT(!holder_.contains(id));      // nobody is working on it
        RC_ASSERT(purged_.insert(id).second);  // purged once
      }
    }
  }

  void EndLease(const std::string& id, const std::string& worker, int64_t now_ms) {
    const auto it = holder_.find(id);
    RC_ASSERT(it != holder_.end());
    RC_ASSERT(it->second.first == worker);
    RC_ASSERT(now_ms < it->second.second);
    holder_.erase(it);
  }

  // Three times in four a task being processed (if any), else any task or
  // an unknown id: acks and fails mostly aim at leases, sometimes miss.
  std::string PickId(const Step& step) const {
    std::vector<std::string> processing;
    for (const auto& [id, task] : state_.tasks()) {
      if (task.status == TaskStatus::kProcessing) processing.push_back(id);
    }
    if (!processing.empty() && step.pick % 4 != 0) {
      return processing[(step.pick / 4) % processing.size()];
    }
    if (ids_.empty() || step.pick % (ids_.size() + 1) == ids_.size()) return "t-unknown";
    return ids_[step.pick % (ids_.size() + 1)];
  }

  std::string PickWorker(const Step& step, const std::string& id) const {
    if (step.worker < kWorkers.size()) return kWorkers[step.worker];
    const Task* task = state_.Find(id);  // most often: the right worker
    return task != nullptr && task->worker ? *task->worker : kWorkers[0];
  }

  void EnqueueStep(const Step& step) {
    EnqueueRequest request;
    request.payload = R"({"job":)" + std::to_string(step.pick % 3) + "}";
    request.max_retries = step.max_retries;
    if (step.key >= 0) request.idempotency_key = "k" + std::to_string(step.key);
    // Now and then an id of the old form, which carries no time. The low
    // bits of the random part count, so that ids never collide (the node
    // draws again when one does).
    const std::string new_id = step.random % 8 == 0
                                   ? "t-" + std::to_string(ids_.size() + 1)
                                   : MakeTaskId(now_, (step.random << 20) | ids_.size());
    Result<EnqueueDecision> decision = state_.DecideEnqueue(request, now_, new_id);
    if (!decision.ok()) {
      // Only a key reused with another payload is refused here.
      RC_ASSERT(decision.status().IsConflict());
      return;
    }
    if (!decision->command) {  // a known key: the existing task comes back
      // (a purged task's key is forgotten: that makes a new task instead)
      RC_ASSERT(state_.Find(decision->task_id) != nullptr);
      RC_ASSERT(state_.Find(decision->task_id)->idempotency_key == request.idempotency_key);
      return;
    }
    LogAndApply(*decision->command, true);
    ids_.push_back(new_id);
  }

  void LeaseStep(const Step& step) {
    Result<std::optional<Lease>> lease =
        state_.DecideLease(kWorkers[step.worker % kWorkers.size()], step.lease_ms, now_);
    RC_ASSERT(lease.ok());
    if (!lease->has_value()) {
      // Nothing is ready: every pending task is still backing off.
      for (const auto& [id, task] : state_.tasks()) {
        RC_ASSERT(task.status != TaskStatus::kPending || task.available_at_ms > now_);
      }
      return;
    }
    LogAndApply(**lease, true);
  }

  void AckStep(const Step& step) {
    const std::string id = PickId(step);
    Result<Ack> ack = state_.DecideAck(id, PickWorker(step, id), now_);
    if (!ack.ok()) {
      RC_ASSERT(ack.status().IsNotFound() || ack.status().IsConflict());
      return;
    }
    LogAndApply(*ack, true);
  }

  void FailStep(const Step& step) {
    const std::string id = PickId(step);
    Result<Fail> fail = state_.DecideFail(id, PickWorker(step, id), "boom", now_, step.random);
    if (!fail.ok()) {
      RC_ASSERT(fail.status().IsNotFound() || fail.status().IsConflict());
      return;
    }
    LogAndApply(*fail, true);
  }

  // What the node's purge timer does: decide and apply purges until none
  // is due. Each removes only finished tasks whose retention has passed,
  // oldest finish first.
  void PurgeStep() {
    for (int batches = 0;; ++batches) {
      RC_ASSERT(batches <= 1'000);
      const std::optional<Purge> purge = state_.DecidePurge(now_);
      if (!purge) break;
      RC_ASSERT(!purge->ids.empty() && purge->ids.size() <= kMaxPurgeBatch);
      int64_t previous_finish = std::numeric_limits<int64_t>::min();
      for (const std::string& id : purge->ids) {
        const Task* task = state_.Find(id);
        RC_ASSERT(task != nullptr);
        RC_ASSERT(IsFinished(task->status));
        RC_ASSERT(*task->finished_ms + kRetentionMs <= now_);
        RC_ASSERT(*task->finished_ms >= previous_finish);
        previous_finish = *task->finished_ms;
      }
      LogAndApply(*purge, true);
    }
    // Every finished task left is still within its retention.
    for (const auto& [id, task] : state_.tasks()) {
      if (IsFinished(task.status)) RC_ASSERT(*task.finished_ms + kRetentionMs > now_);
    }
  }

  void ExpireStep() {
    for (const Expire& expire : state_.DecideExpiries(now_)) LogAndApply(expire, true);
    RC_ASSERT(state_.DecideExpiries(now_).empty());
  }

  // Two workers decide before either command is applied (a node that does
  // not hold its lock from decide to apply). Both are logged; the second
  // may be refused, and replay must refuse it the same way.
  void RacingLeasesStep(const Step& step) {
    Result<std::optional<Lease>> first = state_.DecideLease("w0", step.lease_ms, now_);
    Result<std::optional<Lease>> second = state_.DecideLease("w1", step.lease_ms, now_);
    RC_ASSERT(first.ok() && second.ok());
    if (first->has_value()) LogAndApply(**first, true);
    if (second->has_value()) LogAndApply(**second, false);
  }

  void CheckAfterStep() const {
    // (1) The indexes agree with the tasks, and the counts add up.
    const Status invariants = state_.CheckInvariants();
    RC_ASSERT(invariants.ok());
    const QueueStats stats = state_.GetStats(now_);
    RC_ASSERT(stats.pending + stats.processing + stats.completed + stats.failed ==
              state_.tasks().size());
    // (3) No task is ever lost: every enqueued id is still there, unless
    // a purge removed it (checked to be finished and old enough in
    // PurgeStep). A purged id with a time in it reads as "gone".
    RC_ASSERT(state_.tasks().size() == ids_.size() - purged_.size());
    for (const std::string& id : ids_) {
      const bool purged = purged_.contains(id);
      RC_ASSERT((state_.Find(id) == nullptr) == purged);
      if (purged && TaskIdCreatedMs(id)) RC_ASSERT(state_.MayHaveBeenPurged(id, now_));
    }
    // (4) The processing tasks are exactly the leases the model says are
    // held, by the same workers; attempts stay within the retry budget.
    size_t processing = 0;
    for (const auto& [id, task] : state_.tasks()) {
      RC_ASSERT(task.attempt <= task.max_retries + 1);
      if (task.status == TaskStatus::kPending) RC_ASSERT(task.attempt <= task.max_retries);
      if (task.status != TaskStatus::kProcessing) continue;
      ++processing;
      const auto it = holder_.find(id);
      RC_ASSERT(it != holder_.end());
      RC_ASSERT(task.worker == it->second.first);
      RC_ASSERT(task.lease_expires_ms == it->second.second);
    }
    RC_ASSERT(processing == holder_.size());
  }

  QueueState state_{TestOptions()};
  int64_t now_ = 1'700'000'000'000;
  std::vector<std::string> ids_;                                   // every task enqueued, in order
  std::set<std::string> purged_;                                   // the ids purges removed
  std::vector<std::string> log_;                                   // every command logged, encoded
  std::vector<bool> applied_;                                      // whether Apply accepted log_[i]
  std::map<std::string, std::pair<std::string, int64_t>> holder_;  // id -> (worker, deadline)
};

// Decodes log[from..] and applies it to `state`; checks that each record
// re-encodes to the same bytes and meets the same fate as the first time.
void Replay(const Driver& driver, size_t from, QueueState& state) {
  for (size_t i = from; i < driver.log().size(); ++i) {
    const Result<Command> command = DecodeCommand(driver.log()[i]);
    RC_ASSERT(command.ok());
    RC_ASSERT(EncodeCommand(*command) == driver.log()[i]);
    RC_ASSERT(state.Apply(*command).ok() == driver.applied()[i]);
  }
}

RC_GTEST_PROP(QueueStateProperty, InvariantsHoldAndReplayRebuildsTheSameQueue, ()) {
  const auto steps = *rc::gen::container<std::vector<Step>>(GenStep());
  // Where the node "saved its tasks to RocksDB" before the crash.
  const size_t save_at = *rc::gen::inRange<size_t>(0, steps.size() + 1);

  Driver driver;
  std::vector<std::string> saved_tasks;
  size_t saved_log_size = 0;
  for (size_t i = 0; i <= steps.size(); ++i) {
    if (i == save_at) {
      for (const auto& [id, task] : driver.state().tasks()) {
        saved_tasks.push_back(TaskToJson(task).dump());
      }
      saved_log_size = driver.log().size();
    }
    if (i < steps.size()) driver.Run(steps[i]);
  }
  const nlohmann::json expected = Dump(driver.state(), driver.now());
  // Shows in the test output how often the runs reach the interesting ends.
  const QueueStats stats = driver.state().GetStats(driver.now());
  RC_CLASSIFY(stats.completed > 0, "some completed");
  RC_CLASSIFY(stats.failed > 0, "some dead-lettered");
  RC_CLASSIFY(std::count(driver.applied().begin(), driver.applied().end(), false) > 0,
              "a stale command refused");
  RC_CLASSIFY(driver.purged() > 0, "some purged");

  // (2) Replaying the whole log into an empty queue rebuilds it exactly.
  QueueState from_scratch(TestOptions());
  Replay(driver, 0, from_scratch);
  RC_ASSERT(from_scratch.CheckInvariants().ok());
  RC_ASSERT(Dump(from_scratch, driver.now()) == expected);

  // And so does restoring the saved tasks, then replaying what came after.
  QueueState restored(TestOptions());
  for (const std::string& text : saved_tasks) {
    Result<Task> task = TaskFromJson(text);
    RC_ASSERT(task.ok());
    RC_ASSERT(restored.Restore(std::move(*task)).ok());
  }
  Replay(driver, saved_log_size, restored);
  RC_ASSERT(restored.CheckInvariants().ok());
  RC_ASSERT(Dump(restored, driver.now()) == expected);
  // Purges decided from here agree too.
  RC_ASSERT(restored.DecidePurge(driver.now() + kRetentionMs) ==
            driver.state().DecidePurge(driver.now() + kRetentionMs));

  // Both go on exactly like the original: the next task the original
  // decides gets the same place in the ready order in each.
  Result<EnqueueDecision> next =
      driver.state().DecideEnqueue({"1", 3, std::nullopt}, driver.now(), "t-next");
  RC_ASSERT(next.ok() && next->command.has_value());
  RC_ASSERT(next->command->enqueue_seq == driver.enqueued() + 1);
  RC_ASSERT(from_scratch.Apply(*next->command).ok());
  RC_ASSERT(restored.Apply(*next->command).ok());
  RC_ASSERT(from_scratch.Find("t-next")->enqueue_seq == driver.enqueued() + 1);
  RC_ASSERT(restored.Find("t-next")->enqueue_seq == driver.enqueued() + 1);
  // A task the restored queue decides itself sorts after all it holds,
  // even when the highest numbers were purged before the save.
  Result<EnqueueDecision> own =
      restored.DecideEnqueue({"1", 3, std::nullopt}, driver.now(), "t-own");
  RC_ASSERT(own.ok() && own->command.has_value());
  for (const auto& [id, task] : restored.tasks()) {
    RC_ASSERT(task.enqueue_seq < own->command->enqueue_seq);
  }
}

// Retention bounds memory: once every task has finished and its retention
// has passed, the purges leave no task and no index entry behind, and a
// replay of the whole log (purges included) agrees.
RC_GTEST_PROP(QueueStateProperty, PurgingEverythingFinishedLeavesAnEmptyQueue, ()) {
  const auto steps = *rc::gen::container<std::vector<Step>>(GenStep());
  Driver driver;
  for (const Step& step : steps) driver.Run(step);
  driver.FinishEverything();
  driver.PurgeEverythingDue();
  RC_CLASSIFY(driver.enqueued() > 0, "some tasks");

  const QueueState& state = driver.state();
  RC_ASSERT(state.tasks().empty());
  RC_ASSERT(driver.purged() == driver.enqueued());
  // CheckInvariants compares each index's size with the tasks it must
  // hold: with no tasks, the ready, lease, finished and idempotency
  // indexes are all empty.
  RC_ASSERT(state.CheckInvariants().ok());
  const QueueStats stats = state.GetStats(driver.now());
  RC_ASSERT(stats.pending + stats.processing + stats.completed + stats.failed == 0u);
  RC_ASSERT(!state.NextLeaseExpiryMs() && !state.NextAvailableMs());
  RC_ASSERT(!state.DecidePurge(driver.now() + 100 * kRetentionMs));

  QueueState from_scratch(TestOptions());
  Replay(driver, 0, from_scratch);
  RC_ASSERT(from_scratch.tasks().empty());
  RC_ASSERT(from_scratch.CheckInvariants().ok());

  // Every key is free again: re-enqueueing with it makes a new task.
  for (int key = 0; key < 4; ++key) {
    Result<EnqueueDecision> again = state.DecideEnqueue(
        {"1", 0, "k" + std::to_string(key)}, driver.now(), "t-again" + std::to_string(key));
    RC_ASSERT(again.ok());
    RC_ASSERT(again->command.has_value());
  }
}

// Replaying a purge whose deletions already happened (RocksDB deleted the
// tasks, then the node crashed before the log was compacted) tolerates
// the absent tasks and leaves the same state.
RC_GTEST_PROP(QueueStateProperty, ReplayingPurgesTwiceChangesNothing, ()) {
  const auto steps = *rc::gen::container<std::vector<Step>>(GenStep());
  Driver driver;
  for (const Step& step : steps) driver.Run(step);
  driver.FinishEverything();
  driver.PurgeEverythingDue();

  QueueState state(TestOptions());
  Replay(driver, 0, state);
  for (const std::string& record : driver.log()) {
    const Result<Command> command = DecodeCommand(record);
    RC_ASSERT(command.ok());
    const auto* purge = std::get_if<Purge>(&*command);
    if (purge == nullptr) continue;
    const Result<ApplyResult> again = state.Apply(*purge);
    RC_ASSERT(again.ok());
    RC_ASSERT(again->removed_task_ids.empty());
    RC_ASSERT(again->already_absent == purge->ids.size());
  }
  RC_ASSERT(state.tasks().empty());
  RC_ASSERT(state.CheckInvariants().ok());
}

}  // namespace
}  // namespace dsc::queue
