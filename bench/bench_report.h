// How wal_bench shows what it measured: an aligned table for people and one
// JSON line for scripts, both from the same numbers.
//
// The issue that asked for group commit set two targets; the report prints
// each beside the measured ratio and says whether it was met. It never
// fails the run over them: a benchmark reports, it does not judge.
//
// Thread-safety: plain functions; call from one thread.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "bench/measurement.h"

namespace dsc::bench {

// The targets.
inline constexpr double kOneAppenderVsRawTarget = 0.9;  // 1 appender >= 0.9x raw
inline constexpr int kManyAppenders = 64;
inline constexpr double kManyVsOneAppenderTarget = 8.0;  // 64 appenders >= 8x 1

struct BenchSetup {
  std::string dir;
  std::string fs_type;
  bool memory_backed = false;
  size_t payload_bytes = 0;
  double seconds_per_row = 0;
};

struct Ratio {
  std::string name;              // "1 appender / raw"
  double value = 0;              // measured appends/s over appends/s
  std::optional<double> target;  // at least this, when the issue set one
  bool met() const { return target && value >= *target; }
};

// "1 appender / raw" and "N appenders / 1 appender" for every N measured.
// `rows` holds the raw row first, then the Log rows.
std::vector<Ratio> ComputeRatios(const std::vector<RowResult>& rows);

void PrintTable(std::ostream& out, const BenchSetup& setup, const std::vector<RowResult>& rows,
                const std::vector<Ratio>& ratios);
// One line, no newline inside, prefixed by nothing: `wal_bench | tail -1`.
void PrintJsonLine(std::ostream& out, const BenchSetup& setup, const std::vector<RowResult>& rows,
                   const std::vector<Ratio>& ratios);

}  // namespace dsc::bench
