#include "nodes/queue/core/backoff.h"

#include <algorithm>
#include <cassert>

namespace dsc::queue {

// ANCHOR: backoff_computation
int64_t BackoffCeilingMs(const BackoffPolicy& policy, int attempt) {
  assert(policy.base_ms > 0 && policy.max_ms >= policy.base_ms);
  int64_t ceiling = std::min(policy.base_ms, policy.max_ms);
  // Double once per attempt after the first, stopping at the cap (a loop
  // rather than a shift, so a large attempt cannot overflow).
  for (int i = 1; i < attempt && ceiling < policy.max_ms; ++i) {
    ceiling = ceiling > policy.max_ms / 2 ? policy.max_ms : ceiling * 2;
  }
  return ceiling;
}

int64_t BackoffDelayMs(const BackoffPolicy& policy, int attempt, uint64_t random) {
  const int64_t ceiling = BackoffCeilingMs(policy, attempt);
  const int64_t half = ceiling / 2;
  // `ceiling - half + 1` choices give every value in [half, ceiling].
  const auto spread = static_cast<uint64_t>(ceiling - half + 1);
  return half + static_cast<int64_t>(random % spread);
}
// ANCHOR_END: backoff_computation

}  // namespace dsc::queue
