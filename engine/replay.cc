#include "engine/replay.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <vector>

namespace dsc::engine {

Result<ReplayReport> ReplayLog(wal::Log& log, Engine& engine, const Applier& apply,
                               size_t batch_records) {
  if (batch_records == 0) return Status::InvalidArgument("replay batch_records must be > 0");
  const auto started = std::chrono::steady_clock::now();

  ReplayReport report;
  report.from_lsn = engine.applied_lsn() + 1;
  report.to_lsn = engine.applied_lsn();

  // The log must still hold every record the state lacks...
  if (log.first_lsn() > report.from_lsn) {
    return Status::Corruption(fmt::format(
        "log {} starts at LSN {} but engine {} has applied only up to LSN {}: records {}..{} "
        "were dropped from the log before their state was flushed",
        log.dir(), log.first_lsn(), engine.dir(), report.to_lsn, report.from_lsn,
        log.first_lsn() - 1));
  }
  // ...and no fewer records than the state already reflects.
  if (log.last_lsn() < report.to_lsn) {
    return Status::Corruption(fmt::format(
        "log {} ends at LSN {} but engine {} has applied up to LSN {}: the log lost records "
        "the state already reflects",
        log.dir(), log.last_lsn(), engine.dir(), report.to_lsn));
  }

  // ANCHOR: replay_loop
  Batch batch;
  while (engine.applied_lsn() < log.last_lsn()) {
    const uint64_t next = engine.applied_lsn() + 1;
    Result<std::vector<wal::Record>> chunk = log.Read(next, batch_records, kReplayBatchBytes);
    if (!chunk.ok())
      return chunk.status().WithContext(fmt::format("replay: read log from LSN {}", next));
    if (chunk->empty()) break;  // the log ended under us; nothing more to do
    // Idempotence rests on applying exactly next, next+1, ...; the log
    // promises consecutive LSNs, and this is cheap to check.
    if (chunk->front().lsn != next || chunk->back().lsn != next + chunk->size() - 1) {
      return Status::Corruption(
          fmt::format("replay: log {} returned LSNs {}..{} when asked from {}", log.dir(),
                      chunk->front().lsn, chunk->back().lsn, next));
    }

    batch.Clear();
    for (const wal::Record& record : *chunk) {
      Status s = apply(record, batch);
      if (!s.ok()) {
        return s.WithContext(fmt::format("replay: apply record LSN {} (type {})", record.lsn,
                                          static_cast<int>(record.type)));
      }
    }
    DSC_RETURN_IF_ERROR(engine.Apply(batch, chunk->back().lsn));
    report.records += chunk->size();
    report.batches += 1;
  }
  // ANCHOR_END: replay_loop
  report.to_lsn = engine.applied_lsn();

  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  spdlog::info(
      "engine: recovered {} from log {}: replayed {} records (LSN {}..{}) in {} batches, {} ms",
      engine.dir(), log.dir(), report.records, report.from_lsn, report.to_lsn, report.batches,
      elapsed.count());
  return report;
}

}  // namespace dsc::engine
