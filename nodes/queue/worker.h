// RunWorker: a demo worker for the queue node (`dsc queue worker`).
//
// Each of `concurrency` threads loops: lease a task (long-polling up to
// wait_ms), "work" for work_ms, then ack it, or fail it with probability
// fail_rate so a learner can watch retries, backoff and dead letters. One
// line per task shows what happened:
//
//   worker w1: leased t-3f2a9c0d1e4b5a67 attempt 1 → done in 120 ms
//   worker w1: leased t-3f2a9c0d1e4b5a67 attempt 1 → failed (simulated), will retry in 1840 ms
//   worker w1: leased t-3f2a9c0d1e4b5a67 attempt 4 → failed (simulated), dead-lettered
//   worker w1: leased t-3f2a9c0d1e4b5a67 attempt 1 → lease lost (409): another worker may run it
//
// A worker that cannot reach the node says so once and keeps trying, so it
// rides through a node restart. SIGINT/SIGTERM: each thread finishes the
// task in hand, then the worker exits 0. Kill it with SIGKILL instead and
// its tasks come back to other workers when their leases run out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace dsc::queue {

struct WorkerOptions {
  std::string server = "http://127.0.0.1:7000";
  std::string id = "w1";         // the worker name the leases carry
  int concurrency = 1;           // threads, each holding at most one task
  int64_t work_ms = 100;         // simulated work per task
  double fail_rate = 0;          // 0..1: share of attempts that fail
  int64_t lease_ms = 30'000;     // how long a lease lasts
  int64_t wait_ms = 5'000;       // long-poll wait per lease request (0..30000)
  uint64_t max_tasks = 0;        // stop after this many tasks; 0: never
  std::optional<uint64_t> seed;  // for fail_rate; nullopt: random
};

// Runs until SIGINT/SIGTERM or max_tasks; returns the exit code: 0 on a
// clean stop, 1 when the node rejects the worker's requests (e.g. a
// lease_ms it does not allow), 2 for bad options (one line on stderr).
// Call from main() before starting other threads (it blocks SIGINT and
// SIGTERM in the threads it starts, see shutdown_signal.h).
int RunWorker(const WorkerOptions& options);

}  // namespace dsc::queue
