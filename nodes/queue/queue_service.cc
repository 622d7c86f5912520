// QueueService: the request paths (enqueue, lease, ack, fail), the long
// polls and the expiry timer. Opening and recovery live in
// queue_recovery.cc.
#include "nodes/queue/queue_service.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cassert>
#include <utility>
#include <variant>

#include <boost/asio/post.hpp>

namespace dsc::queue {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// The expiry timer fires at least this often: the purge pass runs on it.
constexpr milliseconds kIdleExpiryTick{1000};
// Purge commands one pass may log: each holds the lock while it applies,
// so a backlog (after a long downtime) is worked off over several passes.
constexpr int kMaxPurgesPerPass = 16;

}  // namespace

QueueService::QueueService(QueueServiceOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : SystemClock::Get()),
      state_(options_.queue),
      random_(options_.seed ? *options_.seed : std::random_device{}()) {
  if (options_.executor) {
    waiter_timer_.emplace(options_.executor);
    if (options_.expiry_timer) expiry_timer_.emplace(options_.executor);
  }
}

QueueService::~QueueService() { (void)Close(); }

Result<std::unique_ptr<QueueService>> QueueService::Open(QueueServiceOptions options) {
  if (options.data_dir.empty()) return Status::InvalidArgument("queue: data_dir is required");
  DSC_RETURN_IF_ERROR(ValidateQueueOptions(options.queue));
  std::unique_ptr<QueueService> service(new QueueService(std::move(options)));
  DSC_RETURN_IF_ERROR(service->Recover());
  service->flusher_->Start();
  {
    std::lock_guard lock(service->anchor_->mutex);
    service->anchor_->service = service.get();
  }
  {
    std::lock_guard lock(service->mutex_);
    service->ArmExpiryTimerLocked(service->NowLocked());
  }
  return service;
}

// ---------------------------------------------------------------------------
// The ordering rule.

// ANCHOR: ordering_rule
// Every change goes through here, with mutex_ held, right after Decide:
//
//   decide -> append the record -> apply it in memory     (under mutex_)
//   -> the log calls back once the record is durable -> answer
//
// Why under one mutex: after a crash, recovery applies the records in LSN
// order. The live node must have applied them in that same order, or the
// state it showed its clients is not the state replay rebuilds. Holding
// the mutex from decide to apply makes LSN order == apply order.
//
// Why that is cheap: AppendAsync only copies the record into the page
// cache (one write()); it never waits for an fdatasync. The slow part is
// nobody's wait: WhenDurable hands the reply to the log (OnDurable), whose
// sync thread calls it back after the fdatasync that covers the record,
// one fdatasync for every request that arrived meanwhile (group commit).
//
// Why append before apply: if the append fails (the log is poisoned),
// memory has not moved ahead of the log. Decide already checked
// everything Apply checks, so the apply that follows cannot fail.
Result<uint64_t> QueueService::LogAndApplyLocked(const Command& command) {
  Result<uint64_t> lsn = log_->AppendAsync(CommandRecordType(command), EncodeCommand(command));
  if (!lsn.ok()) {
    ReportFatal(lsn.status().WithContext("append to the log"));
    return Status::Unavailable("the log failed (" + lsn.status().message() +
                               "); the node is restarting");
  }
  Result<ApplyResult> applied = state_.Apply(command);
  assert(applied.ok() && "a command decided under the mutex always applies");
  if (!applied.ok()) return applied.status();

  // RocksDB gets the changed tasks later, behind the log (state_flusher.h).
  std::vector<Task> changed;
  for (const std::string& id : applied->changed_task_ids) changed.push_back(*state_.Find(id));
  flusher_->Add(*lsn, std::move(changed), std::move(applied->removed_task_ids));

  CountLocked(command);
  return lsn;
}

void QueueService::WhenDurable(uint64_t lsn, std::function<void(const Status&)> then,
                               Replies& replies) {
  if (lsn <= log_->durable_lsn()) {  // on disk already: no need to ask the log
    replies.Add([then = std::move(then)] { then(Status::Ok()); });
    return;
  }
  ++pending_replies_;
  // Runs on the log's sync thread, which must not wait: `then` only hands
  // the answer on (a handler posts it to its connection).
  log_->OnDurable(lsn, [this, then = std::move(then)](const Status& status) {
    --pending_replies_;
    if (status.ok() || status.IsUnavailable()) return then(status);  // Unavailable: closed
    // The record may or may not be on disk, and the memory already shows it:
    // only a restart (replay of what really is on disk) can be trusted.
    ReportFatal(status.WithContext("sync the log"));
    then(Status::Unavailable("the log failed (" + status.message() + "); the node is restarting"));
  });
}
// ANCHOR_END: ordering_rule

// ---------------------------------------------------------------------------
// Requests.

// ANCHOR: enqueue
void QueueService::Enqueue(const EnqueueRequest& request, Done<Result<EnqueueResult>> done) {
  Replies replies;  // sent once the lock below is released
  std::lock_guard lock(mutex_);
  if (Status s = CheckServingLocked(); !s.ok()) return replies.Send(std::move(done), s);
  const int64_t now = NowLocked();
  Result<EnqueueDecision> decision = state_.DecideEnqueue(request, now, NewTaskIdLocked(now));
  if (!decision.ok()) return replies.Send(std::move(done), decision.status());

  EnqueueResult result;
  result.id = decision->task_id;
  uint64_t durable_before_reply = 0;
  if (decision->command) {
    Result<uint64_t> lsn = LogAndApplyLocked(*decision->command);
    if (!lsn.ok()) return replies.Send(std::move(done), lsn.status());
    durable_before_reply = *lsn;
    ServeWaitersLocked(now, replies);  // one new task: the oldest parked worker takes it
  } else {
    // A repeat of a known idempotency key. The first request's record
    // may still be on its way to disk: wait for everything written so
    // far, so this answer is as durable as the first one.
    result.created = false;
    result.status = state_.Find(result.id)->status;
    durable_before_reply = log_->last_lsn();
  }
  // Durable before its 201.
  WhenDurable(
      durable_before_reply,
      [done = std::move(done), result = std::move(result)](const Status& s) {
        if (!s.ok()) return done(s);
        done(result);
      },
      replies);
}
// ANCHOR_END: enqueue

// ANCHOR: long_poll
// Why a lease is answered before its record is durable (unless
// durable_leases): every durable step costs its request one fdatasync
// wait (shared with the other requests of the same group commit, but a
// wait all the same, from 0.1 ms on a good SSD to 10 ms on a disk). A
// task's cycle enqueue + lease + ack used to wait for 3 syncs and now
// waits for 2. The price is small and bounded: a crash before the sync
// can forget a lease (even, on a fresh task, its enqueue, whose producer
// then had no 201 and sends it again), and the task is delivered again.
// That is at-least-once, which workers must handle anyway: a lease also
// runs out under a slow worker. beanstalkd, RabbitMQ and SQS treat
// deliveries the same way. What is answered only once durable (enqueue,
// ack, fail) is what a crash must never take back.
void QueueService::Lease(std::string_view worker, int64_t lease_ms, milliseconds wait,
                         LeaseDone done) {
  Replies replies;  // sent once the lock below is released
  std::lock_guard lock(mutex_);
  if (Status s = CheckServingLocked(); !s.ok()) return replies.Send(std::move(done), s);
  const int64_t now = NowLocked();
  // Leases that ran out give their tasks back first (to older waiters).
  if (Status s = ExpireDueLocked(now, replies); !s.ok()) {
    return replies.Send(std::move(done), s);
  }
  Result<std::optional<queue::Lease>> decision = state_.DecideLease(worker, lease_ms, now);
  if (!decision.ok()) return replies.Send(std::move(done), decision.status());
  if (decision->has_value()) return GrantLeaseLocked(**decision, std::move(done), replies);

  // Nothing ready. Park the request, holding no thread: an enqueue, an
  // expiry or a retry coming due hands it a task (ServeWaitersLocked), or
  // the waiter timer answers "no task" at its deadline (OnWaiterTimer).
  wait = std::clamp(wait, milliseconds(0), kMaxLeaseWait);
  if (wait == milliseconds(0) || !waiter_timer_) {
    return replies.Send(std::move(done), std::optional<LeasedTask>());
  }
  const uint64_t id = next_waiter_id_++;
  const steady_clock::time_point deadline = steady_clock::now() + wait;
  waiters_.emplace(id, LeaseWaiter{std::string(worker), lease_ms, deadline, std::move(done)});
  waiter_deadlines_.emplace(deadline, id);
  ArmWaiterTimerLocked();
  ArmExpiryTimerLocked(now);  // a retry coming due now has a worker to go to
}

void QueueService::GrantLeaseLocked(const queue::Lease& lease, LeaseDone done, Replies& replies) {
  Result<uint64_t> lsn = LogAndApplyLocked(lease);
  if (!lsn.ok()) return replies.Send(std::move(done), lsn.status());
  const Task& task = *state_.Find(lease.id);
  LeasedTask leased{task.id, task.payload, task.attempt, *task.lease_expires_ms};
  ArmExpiryTimerLocked(lease.now_ms);  // a new deadline, maybe the earliest
  if (!options_.durable_leases) {
    return replies.Send(std::move(done), std::optional<LeasedTask>(std::move(leased)));
  }
  WhenDurable(
      *lsn,
      [done = std::move(done), leased = std::move(leased)](const Status& s) {
        if (!s.ok()) return done(s);
        done(std::optional<LeasedTask>(leased));
      },
      replies);
}

void QueueService::ServeWaitersLocked(int64_t now_ms, Replies& replies) {
  while (!waiters_.empty() && !fatal_reported_) {
    // Decided for the oldest waiter exactly as a direct lease is.
    const LeaseWaiter& oldest = waiters_.begin()->second;
    Result<std::optional<queue::Lease>> decision =
        state_.DecideLease(oldest.worker, oldest.lease_ms, now_ms);
    if (decision.ok() && !decision->has_value()) return;  // nothing (more) is ready
    LeaseWaiter waiter = TakeWaiterLocked(waiters_.begin());
    if (!decision.ok()) {  // cannot happen: checked when it was parked
      replies.Send(std::move(waiter.done), decision.status());
      continue;
    }
    GrantLeaseLocked(**decision, std::move(waiter.done), replies);
  }
}
// ANCHOR_END: long_poll

void QueueService::Ack(std::string_view id, std::string_view worker, Done<Status> done) {
  Replies replies;  // sent once the lock below is released
  std::lock_guard lock(mutex_);
  if (Status s = CheckServingLocked(); !s.ok()) return replies.Send(std::move(done), s);
  Result<queue::Ack> decision = state_.DecideAck(id, worker, NowLocked());
  if (!decision.ok()) return replies.Send(std::move(done), decision.status());
  Result<uint64_t> lsn = LogAndApplyLocked(*decision);
  if (!lsn.ok()) return replies.Send(std::move(done), lsn.status());
  WhenDurable(*lsn, std::move(done), replies);
}

void QueueService::Fail(std::string_view id, std::string_view worker, std::string_view error,
                        Done<Result<FailResult>> done) {
  Replies replies;  // sent once the lock below is released
  std::lock_guard lock(mutex_);
  if (Status s = CheckServingLocked(); !s.ok()) return replies.Send(std::move(done), s);
  const int64_t now = NowLocked();
  // The jitter is drawn here and recorded in the command (retry_at_ms),
  // so replay never draws a random number.
  Result<queue::Fail> decision = state_.DecideFail(id, worker, error, now, random_());
  if (!decision.ok()) return replies.Send(std::move(done), decision.status());
  Result<uint64_t> lsn = LogAndApplyLocked(*decision);
  if (!lsn.ok()) return replies.Send(std::move(done), lsn.status());
  FailResult result;
  if (decision->dead) {
    result.status = TaskStatus::kFailed;
  } else {
    result.retry_at_ms = decision->retry_at_ms;
    ArmExpiryTimerLocked(now);  // a parked worker gets it once it comes due
  }
  WhenDurable(
      *lsn,
      [done = std::move(done), result](const Status& s) {
        if (!s.ok()) return done(s);
        done(result);
      },
      replies);
}

void QueueService::GetTask(std::string_view id, Done<Result<Task>> done) {
  Replies replies;  // sent once the lock below is released
  std::lock_guard lock(mutex_);
  if (Status s = CheckServingLocked(); !s.ok()) return replies.Send(std::move(done), s);
  const Task* found = state_.Find(id);
  if (found == nullptr) {
    if (id.size() > kMaxIdBytes)
      return replies.Send(std::move(done), Status::NotFound("no such task"));
    return replies.Send(std::move(done), Status::NotFound("no task " + std::string(id)));
  }
  // Show only what a crash cannot take back: the records this state
  // reflects may still be syncing.
  WhenDurable(
      log_->last_lsn(),
      [done = std::move(done), task = *found](const Status& s) {
        if (!s.ok()) return done(s);
        done(task);
      },
      replies);
}

bool QueueService::MayHaveBeenPurged(std::string_view id) {
  std::lock_guard lock(mutex_);
  return state_.Find(id) == nullptr && state_.MayHaveBeenPurged(id, NowLocked());
}

// ---------------------------------------------------------------------------
// Expiry, retries coming due, purges.

Result<size_t> QueueService::ExpireDue() {
  Replies replies;  // sent once the lock below is released
  std::lock_guard lock(mutex_);
  DSC_RETURN_IF_ERROR(CheckServingLocked());
  const uint64_t before = counters_.expired;
  const int64_t now = NowLocked();
  DSC_RETURN_IF_ERROR(ExpireDueLocked(now, replies));
  DSC_RETURN_IF_ERROR(PurgeLocked(now));
  return static_cast<size_t>(counters_.expired - before);
}

Status QueueService::ExpireDueLocked(int64_t now_ms, Replies& replies) {
  for (const Expire& expire : state_.DecideExpiries(now_ms)) {
    Result<uint64_t> lsn = LogAndApplyLocked(expire);
    if (!lsn.ok()) return lsn.status();
  }
  // Expired tasks are pending again, and retries may have come due.
  ServeWaitersLocked(now_ms, replies);
  return Status::Ok();
}

Status QueueService::PurgeLocked(int64_t now_ms) {
  last_purge_ms_ = now_ms;
  for (int i = 0; i < kMaxPurgesPerPass; ++i) {
    std::optional<Purge> purge = state_.DecidePurge(now_ms);
    if (!purge) break;
    const bool full = purge->ids.size() == kMaxPurgeBatch;
    Result<uint64_t> lsn = LogAndApplyLocked(*purge);
    if (!lsn.ok()) return lsn.status();
    if (!full) break;
  }
  return Status::Ok();
}

// ANCHOR: expiry_loop
// The expiry loop is a timer on the node's executor that re-arms itself:
// it sleeps until the earliest lease deadline, the next retry coming due
// while workers wait, or a second (the purge pass), whichever comes
// first; a new lease or retry re-arms it earlier. No thread sleeps.
//
// No one waits for these records to be durable: if a crash loses an
// Expire, the restarted node finds the same lease run out and decides it
// again; a lost Purge is decided again the same way.
void QueueService::OnExpiryTimer() {
  Replies replies;  // tasks handed to parked long polls
  std::lock_guard lock(mutex_);
  expiry_timer_at_ = steady_clock::time_point::max();
  if (shutting_down_ || fatal_reported_) return;
  const int64_t now = NowLocked();
  if (!ExpireDueLocked(now, replies).ok()) return;  // fatal, already reported
  if (now >= last_purge_ms_ + kIdleExpiryTick.count() && !PurgeLocked(now).ok()) return;
  ArmExpiryTimerLocked(now);
}

void QueueService::ArmExpiryTimerLocked(int64_t now_ms) {
  if (!expiry_timer_ || shutting_down_) return;
  int64_t next_ms = now_ms + kIdleExpiryTick.count();
  if (std::optional<int64_t> expiry = state_.NextLeaseExpiryMs()) {
    next_ms = std::min(next_ms, *expiry);
  }
  if (std::optional<int64_t> ready = state_.NextAvailableMs(); ready && !waiters_.empty()) {
    next_ms = std::min(next_ms, *ready);
  }
  const steady_clock::time_point at =
      steady_clock::now() + milliseconds(std::max<int64_t>(next_ms - now_ms, 0));
  if (at >= expiry_timer_at_) return;  // it fires by then anyway
  ArmTimerLocked(*expiry_timer_, at, &QueueService::OnExpiryTimer);
  expiry_timer_at_ = at;
}
// ANCHOR_END: expiry_loop

// ---------------------------------------------------------------------------
// Parked long polls and the timers.

QueueService::LeaseWaiter QueueService::TakeWaiterLocked(
    std::map<uint64_t, LeaseWaiter>::iterator it) {
  LeaseWaiter waiter = std::move(it->second);
  waiter_deadlines_.erase({waiter.deadline, it->first});
  waiters_.erase(it);
  return waiter;
}

void QueueService::AnswerAllWaitersLocked(const Result<std::optional<LeasedTask>>& answer,
                                          Replies& replies) {
  while (!waiters_.empty()) {
    replies.Send(TakeWaiterLocked(waiters_.begin()).done, answer);
  }
}

void QueueService::OnWaiterTimer() {
  Replies replies;  // "no task" for every waiter whose wait ran out
  std::lock_guard lock(mutex_);
  waiter_timer_at_ = steady_clock::time_point::max();
  const steady_clock::time_point now = steady_clock::now();
  while (!waiter_deadlines_.empty() && waiter_deadlines_.begin()->first <= now) {
    LeaseWaiter waiter = TakeWaiterLocked(waiters_.find(waiter_deadlines_.begin()->second));
    replies.Send(std::move(waiter.done), std::optional<LeasedTask>());
  }
  ArmWaiterTimerLocked();
}

void QueueService::ArmWaiterTimerLocked() {
  if (!waiter_timer_ || waiter_deadlines_.empty()) return;
  const steady_clock::time_point at = waiter_deadlines_.begin()->first;
  if (at >= waiter_timer_at_) return;  // it fires by then anyway
  ArmTimerLocked(*waiter_timer_, at, &QueueService::OnWaiterTimer);
  waiter_timer_at_ = at;
}

void QueueService::ArmTimerLocked(asio::steady_timer& timer, steady_clock::time_point at,
                                  void (QueueService::*on_fire)()) {
  timer.expires_at(at);  // cancels the wait in progress, if any
  timer.async_wait([anchor = anchor_, on_fire](const boost::system::error_code& error) {
    if (error) return;  // cancelled: re-armed, or shut down
    // A handler that was already due when the timer was re-armed still
    // runs: the handlers only do what is due by now, so that is harmless.
    std::lock_guard lock(anchor->mutex);
    if (anchor->service != nullptr) (anchor->service->*on_fire)();
  });
}

// ---------------------------------------------------------------------------
// Helpers with mutex_ held.

void QueueService::CountLocked(const Command& command) {
  if (std::holds_alternative<queue::Enqueue>(command)) ++counters_.enqueued;
  if (std::holds_alternative<queue::Lease>(command)) ++counters_.leased;
  if (std::holds_alternative<queue::Ack>(command)) ++counters_.acked;
  if (const auto* fail = std::get_if<queue::Fail>(&command)) {
    ++(fail->dead ? counters_.dead_lettered : counters_.retried);
  }
  if (const auto* expire = std::get_if<queue::Expire>(&command)) {
    ++counters_.expired;
    if (expire->dead) ++counters_.dead_lettered;
  }
  if (const auto* purge = std::get_if<queue::Purge>(&command)) {
    counters_.purged += purge->ids.size();
  }
}

Status QueueService::CheckServingLocked() const {
  if (fatal_reported_) return Status::Unavailable("the node failed (" + health().message() + ")");
  if (shutting_down_) return Status::Unavailable("the node is shutting down");
  return Status::Ok();
}

int64_t QueueService::NowLocked() {
  // Never let time run backwards into the log (see clock.h).
  last_now_ms_ = std::max(last_now_ms_, clock_->NowMs());
  return last_now_ms_;
}

std::string QueueService::NewTaskIdLocked(int64_t now_ms) {
  // The creation time, then 64 random bits: unguessable enough for a
  // course, no counter to persist, and GET can tell a purged task (410)
  // from one that never existed (404). A collision just draws again.
  for (;;) {
    std::string id = MakeTaskId(now_ms, random_());
    if (state_.Find(id) == nullptr) return id;
  }
}

// ---------------------------------------------------------------------------
// Status, failure and shutdown.

QueueServiceStats QueueService::Stats() {
  QueueServiceStats stats;
  {
    std::lock_guard lock(mutex_);
    stats.tasks = state_.GetStats(NowLocked());
    stats.counters = counters_;
    stats.parked_leases = waiters_.size();
  }
  stats.pending_replies = pending_replies_;
  stats.first_lsn = log_->first_lsn();
  stats.last_lsn = log_->last_lsn();
  stats.durable_lsn = log_->durable_lsn();
  stats.persisted_lsn = flusher_->persisted_lsn();
  return stats;
}

Status QueueService::health() const {
  std::lock_guard lock(fatal_mutex_);
  return fatal_status_;
}

void QueueService::ReportFatal(const Status& status) {
  // May run with mutex_ held (from LogAndApplyLocked) or not (the log's
  // sync thread, the flusher), so it uses its own flag.
  {
    std::lock_guard lock(fatal_mutex_);
    if (!fatal_status_.ok()) return;  // reported already
    fatal_status_ = status;
  }
  fatal_reported_ = true;
  spdlog::error("queue: {}; stopping so a restart recovers by replay", status.ToString());
  // The parked long polls are answered on the executor, which can take
  // mutex_ whoever called this. (Replies waiting for durability are
  // answered by the log itself, with its failure.)
  if (options_.executor) {
    asio::post(options_.executor, [anchor = anchor_] {
      std::lock_guard lock(anchor->mutex);
      if (anchor->service != nullptr) anchor->service->AnswerWaitersAfterFatal();
    });
  }
  if (options_.on_fatal) options_.on_fatal(status);
}

void QueueService::AnswerWaitersAfterFatal() {
  Replies replies;  // sent once the lock below is released
  std::lock_guard lock(mutex_);
  AnswerAllWaitersLocked(CheckServingLocked(), replies);
}

Status QueueService::FlushForTesting() { return flusher_->FlushNow(/*compact=*/true); }

void QueueService::Shutdown() {
  Replies replies;  // sent once the lock below is released
  std::lock_guard lock(mutex_);
  shutting_down_ = true;
  // Every parked long poll answers now, so the server need not wait for
  // their deadlines: "no task", or Unavailable after a fatal failure.
  if (fatal_reported_) {
    AnswerAllWaitersLocked(CheckServingLocked(), replies);
  } else {
    AnswerAllWaitersLocked(std::optional<LeasedTask>(), replies);
  }
  if (waiter_timer_) waiter_timer_->cancel();
  if (expiry_timer_) expiry_timer_->cancel();
  waiter_timer_at_ = expiry_timer_at_ = steady_clock::time_point::max();
}

Status QueueService::Close() {
  if (closed_) return Status::Ok();
  closed_ = true;
  Shutdown();
  {
    // From here on no timer handler reaches the service (and none runs).
    std::lock_guard lock(anchor_->mutex);
    anchor_->service = nullptr;
  }
  Status result;
  // Order: the flusher writes the last tasks to RocksDB (syncing the log
  // first), then RocksDB closes (flushing its memtables), then the log
  // (which answers any reply still waiting for durability).
  if (flusher_) result = flusher_->Stop();
  if (engine_) {
    Status s = engine_->Close();
    if (result.ok()) result = s;
  }
  if (log_) {
    Status s = log_->Close();
    if (result.ok()) result = s;
  }
  return result;
}

}  // namespace dsc::queue
