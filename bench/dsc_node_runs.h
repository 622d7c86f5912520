// The parts of queue_bench that measure the dsc queue node alone, each on
// fresh nodes it starts and stops itself:
//
//   MeasureIdleRun       the 16-client cycle load on a fresh node, and on
//                        another fresh node that first gets N idle kept-alive
//                        connections (IdleConnections); both loads' cycles/s
//                        and the node's RSS before and after they open.
//   MeasureSteadyMemory  a paced cycle load on a node with a short
//                        --retention-ms, sampling its RSS every second: does
//                        memory stay flat when finished tasks are purged?
//   MeasurePendingMemory N tasks enqueued and never leased: RSS after minus
//                        RSS before, per task.
//
// Thread-safety: call from one thread; each starts and joins its clients.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "bench/cycle_run.h"
#include "bench/queue_bench_report.h"

namespace dsc::bench {

struct DscNodeRunOptions {
  std::string dsc_binary;
  std::string data_dir;  // a fresh directory per node is made inside it
  size_t payload_bytes = 100;
  int threads = 0;  // the node's --threads; 0: its default
};

// `load`: the cycle load (clients, warm-up, window). `idle_first`: measure
// the node with the idle connections first.
Result<IdleRun> MeasureIdleRun(const DscNodeRunOptions& options, const CycleRunOptions& load,
                               size_t idle_connections, int run, bool idle_first);

// `load` must set target_cycles_per_second; `retention_ms` is the node's.
Result<SteadyMemoryResult> MeasureSteadyMemory(const DscNodeRunOptions& options,
                                               CycleRunOptions load, int64_t retention_ms);

// `warmup`: a short cycle load first, so that what the node allocates on
// its first requests is not counted as the tasks' memory.
Result<PendingMemoryResult> MeasurePendingMemory(const DscNodeRunOptions& options, uint64_t tasks,
                                                 int clients, const CycleRunOptions& warmup);

}  // namespace dsc::bench
