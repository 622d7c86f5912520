// RunCycles: N clients, each on its own connection, repeating one cycle
// against a started QueueSystem:
//
//   enqueue a fresh task -> lease one task -> ack it
//
// First a warm-up (not measured), then the measured window: the cycles
// that end inside it count towards cycles/s, and their whole-cycle
// latencies give p50 and p99. By default each client starts its next cycle
// as soon as the last one ends (closed loop); with a target rate the
// clients pace themselves to it together.
//
// Correctness is checked while measuring, so a broken run cannot report a
// number: every leased payload must be one some client enqueued and nobody
// leased yet (TaskLedger), and afterwards the server itself must say it
// is empty and saw exactly as many tasks as the clients completed cycles.
//
// Thread-safety: call from one thread; it starts and joins the clients.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "base/status.h"
#include "bench/queue_system.h"

namespace dsc::bench {

struct CycleRunOptions {
  int clients = 1;
  std::chrono::duration<double> warmup{1.0};
  std::chrono::duration<double> window{5.0};
  size_t payload_bytes = 100;
  // Cycles per second of all clients together; 0: as fast as they go.
  // Each client then starts a cycle every (clients / rate) seconds, late ones
  // at once (a client more than a second behind drops the backlog).
  double target_cycles_per_second = 0;
  // Called on the calling thread at the window's start and every `tick`
  // after it, up to its end, with the time since the start (to sample the
  // server's memory while the load runs).
  std::function<void(std::chrono::duration<double> since_start)> on_tick;
  std::chrono::duration<double> tick{1.0};
};

// One row of queue_bench's table.
struct QueueRow {
  std::string system;  // "dsc", "beanstalkd"
  int clients = 1;
  double seconds = 0;       // the measured window
  uint64_t cycles = 0;      // cycles that ended inside it
  uint64_t all_cycles = 0;  // every cycle of the run, warm-up included
  double p50_ms = 0;
  double p99_ms = 0;
  double server_cpu_us = 0;  // server CPU time per measured cycle
  double client_cpu_us = 0;  // this process's CPU time per measured cycle
  int run = 0;               // which of the bench's runs (1-based), set by the caller
  // p50 of one write + fdatasync on the same disk just before and just
  // after the row (microseconds), set by the caller: which regime the
  // disk was in.
  double disk_before_us = 0;
  double disk_after_us = 0;

  double CyclesPerSecond() const { return seconds > 0 ? static_cast<double>(cycles) / seconds : 0; }
};

// `system` must be started; it is checked (CheckDrained) but not stopped.
Result<QueueRow> RunCycles(QueueSystem& system, const CycleRunOptions& options);

}  // namespace dsc::bench
