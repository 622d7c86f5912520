// The preconditions of each transition in the task lifecycle
// (queue_state.h), shared by Decide (to refuse a request) and Apply (to
// refuse a command that no longer fits). Sharing them is what guarantees
// that a command just decided on a state always applies to it.
// Internal to dsc_queue_core.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/status.h"
#include "nodes/queue/core/task.h"

namespace dsc::queue {

// OK when a worker may lease the task at now_ms: it is pending and its
// backoff is over. Conflict otherwise.
Status CheckLeasable(const Task& task, int64_t now_ms);

// OK when `worker` holds a live lease on the task at now_ms, so it may ack
// or fail it. Conflict otherwise: the task is not processing, another
// worker holds it, or the lease ran out (lease_expires_ms <= now_ms).
Status CheckLeaseHeld(const Task& task, std::string_view worker, int64_t now_ms);

// OK when the task is processing and its lease ran out at now_ms.
// Conflict otherwise.
Status CheckLeaseExpired(const Task& task, int64_t now_ms);

// True when the attempt that just failed (by Fail or Expire) was the last
// one allowed: `attempt` counts leases, so max_retries = 3 allows 4.
inline bool RetriesExhausted(const Task& task) { return task.attempt > task.max_retries; }

}  // namespace dsc::queue
