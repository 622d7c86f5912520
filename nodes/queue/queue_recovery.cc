// QueueService::Recover: rebuild the queue after a restart or a crash.
//
// RocksDB holds the tasks as of some LSN (its applied LSN); the log holds
// every record, from before that LSN (not yet compacted) to the last one
// written. Restoring the tasks, then applying the records after the LSN,
// rebuilds exactly the state the node had when it stopped: Apply is
// deterministic and every decided value is inside the records.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <system_error>
#include <variant>

#include "engine/key_range.h"
#include "engine/replay.h"
#include "nodes/queue/queue_service.h"

namespace dsc::queue {
namespace {

int64_t CommandNowMs(const Command& command) {
  return std::visit([](const auto& c) { return c.now_ms; }, command);
}

}  // namespace

// ANCHOR: recovery
Status QueueService::Recover() {
  const auto started = std::chrono::steady_clock::now();
  std::error_code ec;
  std::filesystem::create_directories(options_.data_dir, ec);
  if (ec)
    return Status::IOError("cannot create data directory " + options_.data_dir + ": " +
                           ec.message());

  wal::LogOptions log_options;
  log_options.system = "queue";
  log_options.durability = options_.durability;
  log_options.segment_bytes = options_.log_segment_bytes;
  if (options_.log_file_system != nullptr) log_options.fs = options_.log_file_system;
  Result<std::unique_ptr<wal::Log>> log = wal::Log::Open(options_.data_dir + "/wal", log_options);
  if (!log.ok()) return log.status().WithContext("open the log");
  log_ = std::move(log).value();

  engine::EngineOptions engine_options;
  engine_options.column_families = {kTasksColumnFamily};
  engine_options.flush_on_close = options_.flush_engine_on_close;
  Result<std::unique_ptr<engine::Engine>> engine =
      engine::Engine::Open(options_.data_dir + "/state", engine_options);
  if (!engine.ok()) return engine.status().WithContext("open the state");
  engine_ = std::move(engine).value();

  // ANCHOR: recover_steps
  // No other thread exists yet; the lock only keeps the GUARDED_BY honest.
  std::lock_guard lock(mutex_);
  DSC_RETURN_IF_ERROR(RestoreTasks());  // 1. RocksDB's tasks, as of its LSN
  DSC_RETURN_IF_ERROR(ReplayTail());    // 2. the log records after that LSN

  // The replayed state is now in RocksDB's memtable, and the records may
  // sit only in the page cache (a previous run under fsync=never). Sync
  // them, so RocksDB can never hold state the disk's log lacks.
  DSC_RETURN_IF_ERROR(log_->Sync());
  // ANCHOR_END: recover_steps

  flusher_ = std::make_unique<StateFlusher>(log_.get(), engine_.get(), options_.flusher,
                                            [this](const Status& s) { ReportFatal(s); });
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  const QueueStats stats = state_.GetStats(NowLocked());
  spdlog::info(
      "queue: recovered {} tasks ({} pending, {} processing, {} completed, {} failed) from {}: "
      "{} from RocksDB, {} log records replayed (LSN {}..{}, {} refused as when live) in {} ms",
      state_.tasks().size(), stats.pending, stats.processing, stats.completed, stats.failed,
      options_.data_dir, recovery_.tasks_restored, recovery_.records_replayed, recovery_.from_lsn,
      recovery_.to_lsn, recovery_.records_refused, elapsed.count());
  return Status::Ok();
}

Status QueueService::RestoreTasks() {
  Status problem;
  Status scanned =
      engine_->Scan(kTasksColumnFamily, engine::KeyRange::All(),
                    [&](std::string_view key, std::string_view value) {
                      Result<Task> task = TaskFromJson(value);
                      if (!task.ok()) {
                        problem = task.status().WithContext(fmt::format("task {} in RocksDB", key));
                        return false;
                      }
                      last_now_ms_ = std::max(last_now_ms_, task->updated_ms);
                      problem = state_.Restore(std::move(task).value());
                      if (!problem.ok()) return false;
                      ++recovery_.tasks_restored;
                      return true;
                    });
  DSC_RETURN_IF_ERROR(scanned);
  return problem;
}

// ANCHOR: replay_tail
Status QueueService::ReplayTail() {
  // ReplayLog reads the records after RocksDB's applied LSN and writes
  // what each changes to RocksDB with its LSN (engine/replay.h); here each
  // record is also applied to the in-memory state, as it was live.
  auto apply = [this](const wal::Record& record, engine::Batch& batch) -> Status {
    Result<Command> command = DecodeCommand(record.payload);
    if (!command.ok()) return command.status();
    if (record.type != CommandRecordType(*command)) {
      return Status::Corruption(fmt::format("record type {} does not match op \"{}\"",
                                            static_cast<int>(record.type), CommandName(*command)));
    }
    last_now_ms_ = std::max(last_now_ms_, CommandNowMs(*command));
    ++recovery_.records_replayed;
    Result<ApplyResult> applied = state_.Apply(*command);
    if (!applied.ok()) {
      // Apply refuses a command that no longer fits its task, and did so
      // the same way when it was live: skipping it rebuilds the same state.
      ++recovery_.records_refused;
      return Status::Ok();
    }
    for (const std::string& id : applied->changed_task_ids) {
      batch.Put(kTasksColumnFamily, id, TaskToJsonText(*state_.Find(id)));
    }
    for (const std::string& id : applied->removed_task_ids) batch.Delete(kTasksColumnFamily, id);
    return Status::Ok();
  };
  Result<engine::ReplayReport> report = engine::ReplayLog(*log_, *engine_, apply);
  if (!report.ok()) return report.status();
  recovery_.from_lsn = report->from_lsn;
  recovery_.to_lsn = report->to_lsn;
  return Status::Ok();
}
// ANCHOR_END: replay_tail
// ANCHOR_END: recovery

}  // namespace dsc::queue
