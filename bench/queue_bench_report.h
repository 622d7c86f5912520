// How queue_bench shows what it measured: an aligned table for people, or
// one JSON line for scripts (--json), both from the same numbers.
//
// The issue that asked for this bench set a target, dsc >= 5x beanstalkd
// at 16 clients; the report prints it beside the measured ratio and says
// whether it was met. It never fails the run over it: a benchmark reports,
// it does not judge.
//
// Thread-safety: plain functions; call from one thread.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "bench/cycle_run.h"

namespace dsc::bench {

inline constexpr int kTargetClients = 16;
inline constexpr double kDscVsBeanstalkdTarget = 5.0;  // at kTargetClients

struct QueueBenchSetup {
  std::string dir;  // both servers' data live below it
  std::string fs_type;
  bool memory_backed = false;
  std::string dsc_binary;
  std::string beanstalkd_binary;
  size_t payload_bytes = 0;
  double warmup_seconds = 0;
  double seconds_per_row = 0;
  // One write + fdatasync of a small record in `dir`, measured before the
  // rows (p50, microseconds): what a durable step costs on this disk, and
  // so what bounds beanstalkd and dsc's group commit alike.
  double fdatasync_p50_us = 0;
};

struct QueueRatio {
  int clients = 0;
  double value = 0;  // dsc cycles/s over beanstalkd cycles/s
  std::optional<double> target;
  bool met() const { return target && value >= *target; }
};

// dsc / beanstalkd for every client count that has both rows.
std::vector<QueueRatio> ComputeQueueRatios(const std::vector<QueueRow>& rows);

void PrintQueueTable(std::ostream& out, const QueueBenchSetup& setup,
                     const std::vector<QueueRow>& rows, const std::vector<QueueRatio>& ratios);
// One line, no newline inside.
void PrintQueueJsonLine(std::ostream& out, const QueueBenchSetup& setup,
                        const std::vector<QueueRow>& rows, const std::vector<QueueRatio>& ratios);

}  // namespace dsc::bench
