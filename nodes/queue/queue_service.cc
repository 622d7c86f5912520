// QueueService: the request paths (enqueue, lease, ack, fail, expiry).
// Opening and recovery live in queue_recovery.cc.
#include "nodes/queue/queue_service.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cassert>
#include <utility>
#include <variant>

namespace dsc::queue {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// How long the expiry thread sleeps at most when no lease is running.
constexpr milliseconds kIdleExpiryTick{1000};

}  // namespace

QueueService::QueueService(QueueServiceOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : SystemClock::Get()),
      state_(options_.queue),
      random_(options_.seed ? *options_.seed : std::random_device{}()) {}

QueueService::~QueueService() { (void)Close(); }

Result<std::unique_ptr<QueueService>> QueueService::Open(QueueServiceOptions options) {
  if (options.data_dir.empty()) return Status::InvalidArgument("queue: data_dir is required");
  std::unique_ptr<QueueService> service(new QueueService(std::move(options)));
  DSC_RETURN_IF_ERROR(service->Recover());
  service->flusher_->Start();
  if (service->options_.expiry_thread) {
    service->expiry_thread_ = std::thread([s = service.get()] { s->RunExpiryLoop(); });
  }
  return service;
}

// ---------------------------------------------------------------------------
// The ordering rule.

// ANCHOR: ordering_rule
// Every change goes through here, with mutex_ held, right after Decide:
//
//   decide -> append the record -> apply it in memory     (under mutex_)
//   -> wait until the record is durable -> answer          (mutex_ released)
//
// Why under one mutex: after a crash, recovery applies the records in LSN
// order. The live node must have applied them in that same order, or the
// state it showed its clients is not the state replay rebuilds. Holding
// the mutex from decide to apply makes LSN order == apply order.
//
// Why that is cheap: AppendAsync only copies the record into the page
// cache (one write()); it never waits for an fdatasync. The slow part,
// WaitDurable, happens after the mutex is released (MakeDurable), where
// concurrent requests share a single fdatasync (group commit).
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
  flusher_->Add(*lsn, std::move(changed));

  CountLocked(command);
  return lsn;
}

Status QueueService::MakeDurable(uint64_t lsn) {
  // Under interval:MS and never, the policy promises only the write().
  if (lsn == 0 || options_.durability.kind != wal::DurabilityPolicy::Kind::kAlways) {
    return Status::Ok();
  }
  Status s = log_->WaitDurable(lsn);
  if (s.ok() || s.IsUnavailable()) return s;  // Unavailable: closed by shutdown
  // The record may or may not be on disk, and the memory already shows it:
  // only a restart (replay of what really is on disk) can be trusted.
  ReportFatal(s.WithContext("sync the log"));
  return Status::Unavailable("the log failed (" + s.message() + "); the node is restarting");
}
// ANCHOR_END: ordering_rule

// ---------------------------------------------------------------------------
// Requests.

// ANCHOR: enqueue
Result<EnqueueResult> QueueService::Enqueue(const EnqueueRequest& request) {
  EnqueueResult result;
  uint64_t durable_before_reply = 0;
  {
    std::lock_guard lock(mutex_);
    DSC_RETURN_IF_ERROR(CheckServingLocked());
    const int64_t now = NowLocked();
    Result<EnqueueDecision> decision = state_.DecideEnqueue(request, now, NewTaskIdLocked());
    if (!decision.ok()) return decision.status();
    result.id = decision->task_id;
    if (decision->command) {
      Result<uint64_t> lsn = LogAndApplyLocked(*decision->command);
      if (!lsn.ok()) return lsn.status();
      durable_before_reply = *lsn;
      ready_cv_.notify_one();  // one new task: one waiting worker can take it
    } else {
      // A repeat of a known idempotency key. The first request's record
      // may still be on its way to disk: wait for everything written so
      // far, so this answer is as durable as the first one.
      result.created = false;
      result.status = state_.Find(result.id)->status;
      durable_before_reply = log_->last_lsn();
    }
  }
  DSC_RETURN_IF_ERROR(MakeDurable(durable_before_reply));  // durable before its 201
  return result;
}
// ANCHOR_END: enqueue

// ANCHOR: long_poll
Result<std::optional<LeasedTask>> QueueService::Lease(std::string_view worker, int64_t lease_ms,
                                                      milliseconds wait) {
  const auto deadline = steady_clock::now() + std::clamp(wait, milliseconds(0), kMaxLeaseWait);
  std::unique_lock lock(mutex_);
  DSC_RETURN_IF_ERROR(CheckServingLocked());
  for (;;) {
    const int64_t now = NowLocked();
    // Leases that ran out give their tasks back first.
    Result<uint64_t> expired = ExpireDueLocked(now);
    if (!expired.ok()) return expired.status();

    Result<std::optional<queue::Lease>> decision = state_.DecideLease(worker, lease_ms, now);
    if (!decision.ok()) return decision.status();
    if (decision->has_value()) {
      Result<uint64_t> lsn = LogAndApplyLocked(**decision);
      if (!lsn.ok()) return lsn.status();
      const Task& task = *state_.Find((*decision)->id);
      LeasedTask leased{task.id, task.payload, task.attempt, *task.lease_expires_ms};
      expiry_cv_.notify_one();  // a new deadline for the expiry thread
      lock.unlock();
      DSC_RETURN_IF_ERROR(MakeDurable(*lsn));  // the lease survives a crash
      return std::optional<LeasedTask>(std::move(leased));
    }

    // Nothing ready. Sleep (releasing the mutex) until the deadline or
    // until a task could become ready: an enqueue, an expiry or a failed
    // task coming back wake us; a backoff running out is a time we know.
    const auto remaining = deadline - steady_clock::now();
    if (remaining <= steady_clock::duration::zero()) return std::optional<LeasedTask>();
    ready_cv_.wait_for(lock, std::min<steady_clock::duration>(remaining, NextWakeLocked(now)));
    if (shutting_down_ || fatal_reported_) return std::optional<LeasedTask>();
  }
}
// ANCHOR_END: long_poll

Status QueueService::Ack(std::string_view id, std::string_view worker) {
  uint64_t lsn = 0;
  {
    std::lock_guard lock(mutex_);
    DSC_RETURN_IF_ERROR(CheckServingLocked());
    Result<queue::Ack> decision = state_.DecideAck(id, worker, NowLocked());
    if (!decision.ok()) return decision.status();
    Result<uint64_t> logged = LogAndApplyLocked(*decision);
    if (!logged.ok()) return logged.status();
    lsn = *logged;
  }
  return MakeDurable(lsn);
}

Result<FailResult> QueueService::Fail(std::string_view id, std::string_view worker,
                                      std::string_view error) {
  FailResult result;
  uint64_t lsn = 0;
  {
    std::lock_guard lock(mutex_);
    DSC_RETURN_IF_ERROR(CheckServingLocked());
    // The jitter is drawn here and recorded in the command (retry_at_ms),
    // so replay never draws a random number.
    Result<queue::Fail> decision = state_.DecideFail(id, worker, error, NowLocked(), random_());
    if (!decision.ok()) return decision.status();
    Result<uint64_t> logged = LogAndApplyLocked(*decision);
    if (!logged.ok()) return logged.status();
    lsn = *logged;
    if (decision->dead) {
      result.status = TaskStatus::kFailed;
    } else {
      result.retry_at_ms = decision->retry_at_ms;
      // Waiting workers recompute when to look again.
      ready_cv_.notify_all();
    }
  }
  DSC_RETURN_IF_ERROR(MakeDurable(lsn));
  return result;
}

Result<Task> QueueService::GetTask(std::string_view id) {
  Task task;
  uint64_t lsn = 0;
  {
    std::lock_guard lock(mutex_);
    DSC_RETURN_IF_ERROR(CheckServingLocked());
    const Task* found = state_.Find(id);
    if (found == nullptr) {
      if (id.size() > kMaxIdBytes) return Status::NotFound("no such task");
      return Status::NotFound("no task " + std::string(id));
    }
    task = *found;
    lsn = log_->last_lsn();
  }
  // Show only what a crash cannot take back: the records this state
  // reflects may still be syncing.
  DSC_RETURN_IF_ERROR(MakeDurable(lsn));
  return task;
}

// ---------------------------------------------------------------------------
// Lease expiry.

Result<size_t> QueueService::ExpireDue() {
  std::lock_guard lock(mutex_);
  DSC_RETURN_IF_ERROR(CheckServingLocked());
  const size_t before = counters_.expired;
  Result<uint64_t> lsn = ExpireDueLocked(NowLocked());
  if (!lsn.ok()) return lsn.status();
  return counters_.expired - before;
}

Result<uint64_t> QueueService::ExpireDueLocked(int64_t now_ms) {
  uint64_t last_lsn = 0;
  for (const Expire& expire : state_.DecideExpiries(now_ms)) {
    Result<uint64_t> lsn = LogAndApplyLocked(expire);
    if (!lsn.ok()) return lsn.status();
    last_lsn = *lsn;
  }
  if (last_lsn != 0) ready_cv_.notify_all();  // tasks are pending again
  return last_lsn;
}

// ANCHOR: expiry_loop
void QueueService::RunExpiryLoop() {
  std::unique_lock lock(mutex_);
  while (!shutting_down_ && !fatal_reported_) {
    const int64_t now = NowLocked();
    // No one waits for these records, so no WaitDurable: if a crash loses
    // an Expire, the restarted node finds the same lease run out and
    // decides it again.
    if (!ExpireDueLocked(now).ok()) return;  // fatal, already reported
    // Sleep until the earliest lease deadline; a new lease wakes us.
    milliseconds sleep = kIdleExpiryTick;
    if (std::optional<int64_t> next = state_.NextLeaseExpiryMs()) {
      sleep = std::clamp(milliseconds(*next - now), milliseconds(1), kIdleExpiryTick);
    }
    expiry_cv_.wait_for(lock, sleep);
  }
}
// ANCHOR_END: expiry_loop

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

std::string QueueService::NewTaskIdLocked() {
  // 64 random bits: unguessable enough for a course, and no counter to
  // persist. A collision (after a restart with a fixed seed, say) just
  // draws again.
  for (;;) {
    std::string id = fmt::format("t-{:016x}", random_());
    if (state_.Find(id) == nullptr) return id;
  }
}

milliseconds QueueService::NextWakeLocked(int64_t now_ms) const {
  std::optional<int64_t> next = state_.NextAvailableMs();
  const std::optional<int64_t> expiry = state_.NextLeaseExpiryMs();
  if (expiry && (!next || *expiry < *next)) next = expiry;
  if (!next) return kMaxLeaseWait;
  return std::clamp(milliseconds(*next - now_ms), milliseconds(1), kMaxLeaseWait);
}

// ---------------------------------------------------------------------------
// Status, failure and shutdown.

QueueServiceStats QueueService::Stats() {
  QueueServiceStats stats;
  {
    std::lock_guard lock(mutex_);
    stats.tasks = state_.GetStats(NowLocked());
    stats.counters = counters_;
  }
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
  // May run with mutex_ held (from LogAndApplyLocked) or not (MakeDurable,
  // the flusher), so it uses its own flag.
  {
    std::lock_guard lock(fatal_mutex_);
    if (!fatal_status_.ok()) return;  // reported already
    fatal_status_ = status;
  }
  fatal_reported_ = true;
  spdlog::error("queue: {}; stopping so a restart recovers by replay", status.ToString());
  ready_cv_.notify_all();
  expiry_cv_.notify_all();
  if (options_.on_fatal) options_.on_fatal(status);
}

Status QueueService::FlushForTesting() { return flusher_->FlushNow(/*compact=*/true); }

void QueueService::Shutdown() {
  {
    std::lock_guard lock(mutex_);
    shutting_down_ = true;
  }
  ready_cv_.notify_all();
  expiry_cv_.notify_all();
}

Status QueueService::Close() {
  if (closed_) return Status::Ok();
  closed_ = true;
  Shutdown();
  if (expiry_thread_.joinable()) expiry_thread_.join();
  Status result;
  // Order: the flusher writes the last tasks to RocksDB (syncing the log
  // first), then RocksDB closes (flushing its memtables), then the log.
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
