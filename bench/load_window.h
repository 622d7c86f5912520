// What the closed-loop load runs (queue_bench's cycle_run, raft_bench's
// put_run) share: the measured window after a warm-up, the first error any
// client thread hit, and this process's CPU time.
//
// Thread-safety: a LoadWindow is read-only once made; FirstFailure is safe
// to use from every client thread.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>

#include "base/status.h"

namespace dsc::bench {

// [start, end): clients run from now; what ends inside counts.
struct LoadWindow {
  using Clock = std::chrono::steady_clock;

  static LoadWindow AfterWarmup(std::chrono::duration<double> warmup,
                                std::chrono::duration<double> window);
  bool Contains(Clock::time_point t) const { return t >= start && t < end; }

  Clock::time_point start;
  Clock::time_point end;
};

// The first error any client hit; the others stop when they see it.
class FirstFailure {
 public:
  void Set(const Status& status);
  bool HasFailed() const { return failed_; }
  Status Get() const;

 private:
  mutable std::mutex mutex_;
  Status status_;
  std::atomic<bool> failed_{false};
};

// User + system CPU seconds of this process (all its threads) so far.
double ProcessCpuSeconds();

}  // namespace dsc::bench
