// How wal_bench shows what it measured: an aligned table for people and one
// JSON line for scripts, both from the same numbers.
//
// Every row is measured --runs times, the runs interleaved (raw, the Log
// rows, RocksDB, then again), so that a slow patch of the shared machine
// hits every row alike. A row shows the median of its runs and their
// spread (min..max). A ratio is the median of the per-run ratios, each
// between two rows measured in the same run, a few seconds apart (so it
// need not equal the quotient of the two medians).
//
// Targets are printed beside the ratios they apply to, PASS or MISS. The
// report never fails the run over them: a benchmark reports, it does not
// judge.
//
// Thread-safety: plain functions; call from one thread.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "bench/measurement.h"

namespace dsc::bench {

// The targets. One appender against the raw loop...
inline constexpr double kOneAppenderVsRawTarget = 1.2;
// ...and many appenders against one (group commit must pay off) and
// against RocksDB's group commit with sync = true.
inline constexpr int kManyAppenders = 64;
inline constexpr double kManyVsOneAppenderTarget = 8.0;
inline constexpr double kManyAppendersVsRocksDbTarget = 1.5;

struct BenchSetup {
  std::string dir;
  std::string fs_type;
  bool memory_backed = false;
  size_t payload_bytes = 0;
  double seconds_per_row = 0;
  int runs = 0;
};

// Every row once, in the order they ran. Each run holds the same rows in
// the same order.
using RunRows = std::vector<RowResult>;

// The median of some values and their range.
struct Spread {
  double median = 0;
  double min = 0;
  double max = 0;
};
Spread SpreadOf(const std::vector<double>& values);  // all 0 when empty

// One row over all runs.
struct WalRowSummary {
  std::string name;
  int threads = 1;
  std::vector<double> appends_per_s;  // one per run, in run order
  Spread appends_per_s_spread;
  double p50_us = 0;  // medians over the runs
  double p99_us = 0;
  double appends_per_sync = 0;
};

// `runs` must all hold the same rows in the same order (asserted).
std::vector<WalRowSummary> SummarizeRows(const std::vector<RunRows>& runs);

struct Ratio {
  std::string name;              // "1 appender / raw"
  std::vector<double> runs;      // appends/s over appends/s, one per run
  std::optional<double> target;  // at least this, where a target was set

  Spread spread() const { return SpreadOf(runs); }
  bool met() const { return target && spread().median >= *target; }
};

// "1 appender / raw", "N appenders / 1 appender" for every other N
// measured, and "64 appenders / RocksDB" when both rows were measured.
// A ratio whose rows are missing is left out.
std::vector<Ratio> ComputeRatios(const std::vector<RunRows>& runs);

void PrintTable(std::ostream& out, const BenchSetup& setup, const std::vector<WalRowSummary>& rows,
                const std::vector<Ratio>& ratios);
// One line, no newline inside, prefixed by nothing: `wal_bench | tail -1`.
void PrintJsonLine(std::ostream& out, const BenchSetup& setup,
                   const std::vector<WalRowSummary>& rows, const std::vector<Ratio>& ratios);

}  // namespace dsc::bench
