// ReplayLog: bring an Engine up to date with its write-ahead log.
//
// On start, a node opens its wal::Log and its Engine, then calls
//
//   Result<ReplayReport> report = ReplayLog(*log, *engine, apply);
//
// which reads the log from engine.applied_lsn() + 1 to its end, in chunks
// of `batch_records`, turns each record into Puts and Deletes with `apply`
// and Engine::Apply()s each chunk together with the chunk's last LSN.
//
// Why this is idempotent: the LSN rides in the same atomic write as the
// data (engine.h), so whatever instant a crash hits (mid-replay included)
// the engine's state is the fold of records 1..applied_lsn() and the next
// replay starts right after it. No record is applied twice and none is
// skipped, so replaying twice gives the state of replaying once.
//
// The Applier must be deterministic: the same record on the same state
// yields the same operations (no clocks, no randomness: put those in the
// record when it is written). It may read the state through
// Engine::Get(cf, key, batch) to see the records before it in its chunk.
//
// Failures:
//  * Corruption when the log starts after applied_lsn() + 1 (it was
//    compacted past records the state never received), or ends before
//    applied_lsn() (the log lost records the state already reflects; new
//    appends would reuse their LSNs).
//  * Whatever the Applier, the log or the engine returns; the chunks
//    applied before the failure stay applied (replay resumes after them).
//
// Thread-safety: run it before the node serves, with nothing else
// appending to the log or applying to the engine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

#include "base/status.h"
#include "engine/batch.h"
#include "engine/engine.h"
#include "wal/format.h"
#include "wal/log.h"

namespace dsc::engine {

// Adds the operations one record stands for to `batch`. A record that does
// not change the state adds nothing. A non-OK status stops the replay.
using Applier = std::function<Status(const wal::Record& record, Batch& batch)>;

struct ReplayReport {
  uint64_t records = 0;   // records applied by this replay
  uint64_t from_lsn = 0;  // first LSN replayed (applied_lsn() + 1 at start)
  uint64_t to_lsn = 0;    // applied_lsn() at the end (from_lsn - 1 if none)
  uint64_t batches = 0;   // Engine::Apply calls
};

inline constexpr size_t kDefaultReplayBatchRecords = 1024;
// A chunk also stops once it holds this many payload bytes, so replay
// memory stays bounded whatever the record sizes (at least one record).
inline constexpr size_t kReplayBatchBytes = 8u << 20;

Result<ReplayReport> ReplayLog(wal::Log& log, Engine& engine, const Applier& apply,
                               size_t batch_records = kDefaultReplayBatchRecords);

}  // namespace dsc::engine
