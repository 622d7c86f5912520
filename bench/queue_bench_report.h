// What queue_bench measured, and how it shows it: aligned tables for
// people, or one JSON line for scripts (--json), both from the same numbers.
//
// Every row is measured --runs times (3 by default), the runs interleaved so
// that a change in the shared machine's load hits every system alike; the
// tables show each run and the median. A ratio is the median of the
// per-run ratios, each between two rows measured back to back in the same
// run (so it need not equal the quotient of the two medians).
//
// The issue that asked for this bench set targets; the report prints each
// beside what was measured, PASS or MISS. It never fails the run over one:
// a benchmark reports, it does not judge.
//
// Thread-safety: plain functions; call from one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "bench/cycle_run.h"
#include "bench/measurement.h"

namespace dsc::bench {

// The systems' row names.
inline constexpr char kBeanstalkd[] = "beanstalkd";
inline constexpr char kDsc[] = "dsc";
inline constexpr char kDscDurableLeases[] = "dsc --durable-leases";
// http_floor_server, without and with its journal (floor_queue_system.h).
inline constexpr char kFloor[] = "floor (no work)";
inline constexpr char kFloorDurable[] = "floor + fdatasync";

// The targets: dsc (leases not durable) against beanstalkd...
inline constexpr int kTargetClientsLow = 16;
inline constexpr double kVsBeanstalkdTargetLow = 3.0;  // at 16 clients
inline constexpr int kTargetClientsHigh = 64;
inline constexpr double kVsBeanstalkdTargetHigh = 5.0;  // at 64 clients
// ...against the disk's group-commit ceiling, at every client count...
inline constexpr double kCeilingFractionTarget = 0.7;
// ...and with idle connections open, against without them.
inline constexpr int kReferenceClients = 16;  // the idle and memory parts' load
inline constexpr double kIdleRatioTarget = 0.9;

// How many durable waits (fdatasyncs a client waits for, one after the
// other) one enqueue + lease + ack cycle holds: enqueue and ack; the lease
// too with --durable-leases. 0 for a system that is not dsc.
int DurableWaitsPerCycle(const std::string& system);

struct QueueBenchSetup {
  std::string dir;  // every server's data lives below it
  std::string fs_type;
  bool memory_backed = false;
  std::string dsc_binary;
  std::string beanstalkd_binary;
  std::string floor_binary;  // http_floor_server
  size_t payload_bytes = 0;
  double warmup_seconds = 0;
  double seconds_per_row = 0;
  int runs = 0;
  double ceiling_seconds = 0;
  size_t ceiling_record_bytes = 0;
  double disk_probe_seconds = 0;  // each probe around a row
  // One write + fdatasync of a small record in `dir`, measured before the
  // rows (p50, microseconds): what a durable step costs on this disk.
  double fdatasync_p50_us = 0;
  std::string load_before;  // /proc/loadavg when the bench started
  std::string load_after;   // and when it ended
};

// One run of the raw group-commit loop with `clients` writers.
struct CeilingRun {
  int clients = 0;
  int run = 0;
  RowResult raw;              // appends = records synced
  double disk_before_us = 0;  // as QueueRow's
  double disk_after_us = 0;
};

// One run of the idle-connections part: the reference load on a fresh
// node without idle connections, and on another fresh node with them.
struct IdleRun {
  int run = 0;
  bool idle_first = false;  // the node with idle connections was measured first
  QueueRow without;
  QueueRow with;
  uint64_t rss_before_idle = 0;         // the second node, fresh, before they opened
  uint64_t rss_idle = 0;                // and with them open, before its load
  uint64_t rss_after_load_without = 0;  // each node after its load
  uint64_t rss_after_load_with = 0;
  double open_seconds = 0;    // how long opening them took
  size_t no_longer_idle = 0;  // closed by the node (or written to) by the end of the load
};

struct IdleResult {
  int clients = 0;
  size_t connections = 0;
  std::vector<IdleRun> runs;
};

struct RssSample {
  double seconds = 0;  // since the window started
  uint64_t rss_bytes = 0;
};

// The steady-rate run: a paced load on a node with a short retention.
struct SteadyMemoryResult {
  double target_rate = 0;    // cycles/s asked for
  std::string rate_source;   // how that was chosen, for the reader
  int64_t retention_ms = 0;  // the node's --retention-ms
  QueueRow row;
  std::vector<RssSample> samples;  // every second of the window
};

// Pending tasks: enqueued, never leased.
struct PendingMemoryResult {
  uint64_t tasks = 0;
  int clients = 0;
  double enqueue_seconds = 0;
  uint64_t rss_before = 0;
  uint64_t rss_after = 0;
};

struct QueueBenchResults {
  QueueBenchSetup setup;
  std::vector<QueueRow> rows;  // every run of every system and client count
  std::vector<CeilingRun> ceiling;
  std::optional<IdleResult> idle;
  std::optional<SteadyMemoryResult> steady;
  std::optional<PendingMemoryResult> pending;
};

// Least-squares slope of RSS over time of the samples in the second half
// of the window, in KiB per minute.
double RssSlopeKibPerMinute(const std::vector<RssSample>& samples);

// The median dsc throughput at `clients` over the runs; if there is no
// such row, at the nearest client count measured (its count in
// *used_clients). 0 when no dsc row exists.
double MedianDscCyclesPerSecond(const std::vector<QueueRow>& rows, int clients, int* used_clients);

void PrintQueueTable(std::ostream& out, const QueueBenchResults& results);
// One line, no newline inside.
void PrintQueueJsonLine(std::ostream& out, const QueueBenchResults& results);

}  // namespace dsc::bench
