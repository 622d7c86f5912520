// RunPuts: raft_bench's load generator. N clients, each a thread with its
// own keep-alive connection to the leader, put distinct keys with a
// fixed-size value, one request at a time, against a started KvSystem:
//
//   key   "rb-<run tag>-c<client>-<seq>"
//   value the key, padded with '.' to value_bytes
//
// First a warm-up (not measured), then the measured window: the puts that
// are acknowledged inside it count towards puts/s, and their latencies
// (request sent to answer read) give p50 and p99. CPU time of the leader,
// of all members and of this process is read at the window's edges.
//
// Afterwards the cluster is asked whether it kept what it acknowledged
// (KvSystem::CheckWritten: each client's first and last key read back, the
// count where the system can count), so a broken run cannot report a
// number.
//
// Thread-safety: call from one thread; it starts and joins the clients.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/status.h"
#include "bench/raft/kv_system.h"

namespace dsc::bench {

struct PutRunOptions {
  int clients = 1;
  std::chrono::duration<double> warmup{1.0};
  std::chrono::duration<double> window{5.0};
  size_t value_bytes = 100;
};

// One measured row of raft_bench.
struct PutRow {
  std::string system;  // "dsc", "etcd"
  int clients = 1;
  int run = 1;            // 1..--runs
  std::string leader;     // the member that served the clients
  double seconds = 0;     // the measured window
  uint64_t puts = 0;      // acknowledged inside it
  uint64_t all_puts = 0;  // every acknowledged put, warm-up included
  double p50_ms = 0;
  double p99_ms = 0;
  double leader_cpu_us = 0;   // leader CPU time per measured put
  double cluster_cpu_us = 0;  // all three members' CPU time per measured put
  double client_cpu_us = 0;   // this process's CPU time per measured put
  uint64_t resent = 0;        // puts sent again after the server closed an idle connection

  double PutsPerSecond() const { return seconds > 0 ? static_cast<double>(puts) / seconds : 0; }
};

// `system` must be started; it is checked but not stopped.
Result<PutRow> RunPuts(KvSystem& system, const PutRunOptions& options);

}  // namespace dsc::bench
