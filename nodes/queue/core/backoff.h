// Retry backoff: how long a failed task waits before it is offered again.
//
// A task that failed is retried, but not at once: if it failed because a
// dependency is down, hammering it again helps nobody. Each failure doubles
// the wait (exponential backoff) up to a ceiling, and a random part
// (jitter) spreads retries out, so a thousand tasks that failed together
// do not all come back in the same millisecond (a "thundering herd").
//
// Thread-safety: pure functions over values.
#pragma once

#include <cstdint>

namespace dsc::queue {

struct BackoffPolicy {
  int64_t base_ms = 1'000;  // the ceiling after the first failed attempt (> 0)
  int64_t max_ms = 60'000;  // the ceiling never grows past this (>= base_ms)
};

// ANCHOR: backoff
// The ceiling for the wait after attempt number `attempt` (1 = the first
// lease) failed: base_ms * 2^(attempt-1), capped at max_ms.
//   attempt:   1     2     3     4     5     6     7 ...
//   ceiling:   1s    2s    4s    8s    16s   32s   60s (base 1s, max 60s)
int64_t BackoffCeilingMs(const BackoffPolicy& policy, int attempt);

// The wait itself, with "equal jitter": half the ceiling for sure, plus a
// uniform share of the other half picked by `random`, so the result lies
// in [ceiling/2, ceiling].
//
// Why equal jitter rather than "full jitter" (uniform in [0, ceiling]):
// full jitter spreads retries slightly better, but may retry almost at
// once even after many failures. Equal jitter keeps the promise that
// every failure at least doubles the minimum wait, which is what a
// struggling dependency needs and what a learner can see in the timings.
int64_t BackoffDelayMs(const BackoffPolicy& policy, int attempt, uint64_t random);
// ANCHOR_END: backoff

}  // namespace dsc::queue
