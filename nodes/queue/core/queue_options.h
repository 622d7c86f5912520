// QueueOptions: the limits and policies the queue's decisions apply.
//
// Options shape decisions only (QueueState::Decide*). Apply never reads
// them: a command in the log already carries every value that was decided
// (ids, times, retry time, dead or not), so changing an option between two
// runs never changes what replaying the log rebuilds.
//
// Thread-safety: plain values.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/status.h"
#include "nodes/queue/core/backoff.h"

namespace dsc::queue {

// Hard limits on what a command may hold, so that every command fits a
// WAL record, every task fits a response, and a hostile client cannot
// make the node allocate without bound.
inline constexpr int kMaxRetriesLimit = 100;    // max_retries is 0..100
inline constexpr size_t kMaxIdBytes = 128;      // task ids
inline constexpr size_t kMaxWorkerBytes = 128;  // worker names
inline constexpr size_t kMaxIdempotencyKeyBytes = 256;
inline constexpr size_t kMaxErrorBytes = 4'096;  // longer error texts are cut
inline constexpr int kMaxPayloadDepth = 64;      // nesting of arrays/objects
// Task ids one Purge command removes: bounds the record (about 32 KiB with
// the ids MakeTaskId makes) and the time Apply holds the node's lock.
inline constexpr size_t kMaxPurgeBatch = 1'000;

struct QueueOptions {
  // The payload's compact JSON text may not be longer (the node's HTTP body
  // limit, 1 MiB by default, is checked before this).
  size_t max_payload_bytes = 256u << 10;
  // max_retries when the producer gives none: 3 retries = at most 4 attempts.
  int default_max_retries = 3;
  // Allowed lease lengths: long enough to do work, short enough that a dead
  // worker's task comes back within the hour.
  int64_t min_lease_ms = 100;
  int64_t max_lease_ms = 3'600'000;
  // Wait before a failed task is offered again (backoff.h).
  BackoffPolicy backoff;
  // How long a completed or failed task is kept after it finished (from
  // its finished_ms) before DecidePurge removes it from memory and from
  // RocksDB. Must be > 0. Until then GET /tasks/{id} answers with the task;
  // afterwards with 410 Gone (MayHaveBeenPurged, task.h).
  //
  // A purged task's idempotency key is forgotten with it: a producer that
  // retries an enqueue with the same key more than retention_ms after the
  // task finished gets a NEW task. Retries of a lost answer come within
  // seconds; keep the retention well above any producer's retry horizon.
  int64_t retention_ms = 3'600'000;
};

// InvalidArgument naming the first option out of range (retention_ms <= 0,
// min_lease_ms <= 0 or above max_lease_ms). Check before building a
// QueueState.
Status ValidateQueueOptions(const QueueOptions& options);

}  // namespace dsc::queue
