#include "bench/bench_report.h"

#include <algorithm>
#include <cassert>
#include <cstdarg>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace dsc::bench {
namespace {

const RowResult* FindRow(const RunRows& rows, const char* name, int threads) {
  for (const RowResult& row : rows) {
    if (row.name == name && row.threads == threads) return &row;
  }
  return nullptr;
}

const RowResult* FindRow(const RunRows& rows, const char* name) {
  for (const RowResult& row : rows) {
    if (row.name == name) return &row;
  }
  return nullptr;
}

double Divide(double numerator, double denominator) {
  return denominator > 0 ? numerator / denominator : 0;
}

std::string Appenders(int threads) {
  return std::to_string(threads) + (threads == 1 ? " appender" : " appenders");
}

// The ratios one run's rows give, each with that run's value only.
std::vector<Ratio> RatiosOfRun(const RunRows& rows) {
  std::vector<Ratio> ratios;
  const RowResult* raw = FindRow(rows, kRawRow);
  const RowResult* one = FindRow(rows, kLogRow, 1);
  if (raw != nullptr && one != nullptr) {
    ratios.push_back({"1 appender / raw",
                      {Divide(one->AppendsPerSecond(), raw->AppendsPerSecond())},
                      kOneAppenderVsRawTarget});
  }
  for (const RowResult& many : rows) {
    if (one == nullptr || many.name != kLogRow || many.threads == 1) continue;
    Ratio ratio;
    ratio.name = Appenders(many.threads) + " / 1 appender";
    ratio.runs = {Divide(many.AppendsPerSecond(), one->AppendsPerSecond())};
    if (many.threads == kManyAppenders) ratio.target = kManyVsOneAppenderTarget;
    ratios.push_back(ratio);
  }
  const RowResult* many = FindRow(rows, kLogRow, kManyAppenders);
  const RowResult* rocksdb = FindRow(rows, kRocksDbRow);
  if (many != nullptr && rocksdb != nullptr) {
    ratios.push_back(
        {Appenders(kManyAppenders) + " / RocksDB " + std::to_string(rocksdb->threads) + " threads",
         {Divide(many->AppendsPerSecond(), rocksdb->AppendsPerSecond())},
         kManyAppendersVsRocksDbTarget});
  }
  return ratios;
}

// printf into a std::string, for fixed-width columns. The attribute lets
// the compiler check every call's arguments against its format.
__attribute__((format(printf, 1, 2))) std::string Format(const char* format, ...) {
  char line[256];
  va_list args;
  va_start(args, format);
  std::vsnprintf(line, sizeof line, format, args);
  va_end(args);
  return line;
}

}  // namespace

Spread SpreadOf(const std::vector<double>& values) {
  if (values.empty()) return {};
  const auto [min, max] = std::minmax_element(values.begin(), values.end());
  return {Median(values), *min, *max};
}

std::vector<WalRowSummary> SummarizeRows(const std::vector<RunRows>& runs) {
  std::vector<WalRowSummary> summaries;
  if (runs.empty()) return summaries;
  for (size_t i = 0; i < runs.front().size(); ++i) {
    WalRowSummary summary;
    summary.name = runs.front()[i].name;
    summary.threads = runs.front()[i].threads;
    std::vector<double> p50, p99, per_sync;
    for (const RunRows& run : runs) {
      assert(run.size() == runs.front().size());
      const RowResult& row = run[i];
      assert(row.name == summary.name && row.threads == summary.threads);
      summary.appends_per_s.push_back(row.AppendsPerSecond());
      p50.push_back(row.p50_us);
      p99.push_back(row.p99_us);
      per_sync.push_back(row.AppendsPerSync());
    }
    summary.appends_per_s_spread = SpreadOf(summary.appends_per_s);
    summary.p50_us = Median(p50);
    summary.p99_us = Median(p99);
    summary.appends_per_sync = Median(per_sync);
    summaries.push_back(std::move(summary));
  }
  return summaries;
}

std::vector<Ratio> ComputeRatios(const std::vector<RunRows>& runs) {
  std::vector<Ratio> ratios;
  for (const RunRows& run : runs) {
    // Every run holds the same rows, so it gives the same ratios in the
    // same order.
    std::vector<Ratio> of_run = RatiosOfRun(run);
    if (ratios.empty()) {
      ratios = std::move(of_run);
      continue;
    }
    assert(of_run.size() == ratios.size());
    for (size_t i = 0; i < ratios.size(); ++i) ratios[i].runs.push_back(of_run[i].runs.front());
  }
  return ratios;
}

void PrintTable(std::ostream& out, const BenchSetup& setup, const std::vector<WalRowSummary>& rows,
                const std::vector<Ratio>& ratios) {
  out << "wal_bench: " << setup.dir << " (" << setup.fs_type << "), payload " << setup.payload_bytes
      << " B, " << setup.seconds_per_row << " s per row, " << setup.runs
      << (setup.runs == 1 ? " run" : " runs interleaved") << "; medians, spread min..max\n";
  if (setup.memory_backed) {
    out << "WARNING: " << setup.fs_type
        << " keeps files in memory; fdatasync costs nothing there and these numbers "
           "say nothing about a disk. Pass --dir on a disk-backed file system.\n";
  }
  out << "\n"
      << Format("%-20s %7s %10s %17s %9s %9s %12s\n", "row", "threads", "appends/s", "min..max",
                "p50 us", "p99 us", "appends/sync");
  for (const WalRowSummary& row : rows) {
    const Spread& spread = row.appends_per_s_spread;
    const std::string range = Format("%.0f..%.0f", spread.min, spread.max);
    out << Format("%-20s %7d %10.0f %17s %9.1f %9.1f %12.2f\n", row.name.c_str(), row.threads,
                  spread.median, range.c_str(), row.p50_us, row.p99_us, row.appends_per_sync);
  }
  if (ratios.empty()) {
    out << "\n(no ratios: they need a row with 1 appender, as in --threads 1,64)\n\n";
    return;
  }
  out << "\n"
      << Format("%-36s %7s %14s %8s %6s\n", "ratio (appends/s)", "median", "min..max", "target",
                "result");
  for (const Ratio& ratio : ratios) {
    const Spread spread = ratio.spread();
    const std::string range = Format("%.2f..%.2f", spread.min, spread.max);
    const std::string target = ratio.target ? Format(">= %.1f", *ratio.target) : "-";
    const char* verdict = ratio.target ? (ratio.met() ? "PASS" : "MISS") : "";
    out << Format("%-36s %7.2f %14s %8s %6s\n", ratio.name.c_str(), spread.median, range.c_str(),
                  target.c_str(), verdict);
  }
  out << "\n";
}

void PrintJsonLine(std::ostream& out, const BenchSetup& setup,
                   const std::vector<WalRowSummary>& rows, const std::vector<Ratio>& ratios) {
  nlohmann::json json = {
      {"bench", "wal"},
      {"dir", setup.dir},
      {"fs", setup.fs_type},
      {"memory_backed", setup.memory_backed},
      {"payload_bytes", setup.payload_bytes},
      {"seconds_per_row", setup.seconds_per_row},
      {"runs", setup.runs},
      {"rows", nlohmann::json::array()},
      {"ratios", nlohmann::json::array()},
  };
  for (const WalRowSummary& row : rows) {
    json["rows"].push_back({
        {"name", row.name},
        {"threads", row.threads},
        {"appends_per_s", row.appends_per_s_spread.median},
        {"appends_per_s_min", row.appends_per_s_spread.min},
        {"appends_per_s_max", row.appends_per_s_spread.max},
        {"appends_per_s_runs", row.appends_per_s},
        {"p50_us", row.p50_us},
        {"p99_us", row.p99_us},
        {"appends_per_sync", row.appends_per_sync},
    });
  }
  for (const Ratio& ratio : ratios) {
    const Spread spread = ratio.spread();
    nlohmann::json entry = {{"name", ratio.name},
                            {"value", spread.median},
                            {"min", spread.min},
                            {"max", spread.max},
                            {"runs", ratio.runs}};
    if (ratio.target) {
      entry["target"] = *ratio.target;
      entry["met"] = ratio.met();
    }
    json["ratios"].push_back(entry);
  }
  out << json.dump() << "\n";
}

}  // namespace dsc::bench
