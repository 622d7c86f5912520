// What the closed-loop load runs (queue_bench's cycle_run, raft_bench's
// put_run) share: the measured window after a warm-up and this process's
// CPU time. (The first error any client hit is base/first_error.h.)
//
// Thread-safety: a LoadWindow is read-only once made.
#pragma once

#include <chrono>

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

// User + system CPU seconds of this process (all its threads) so far.
double ProcessCpuSeconds();

}  // namespace dsc::bench
