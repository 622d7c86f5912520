#include "bench/bench_report.h"

#include <cstdarg>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace dsc::bench {
namespace {

const RowResult* FindLogRow(const std::vector<RowResult>& rows, int threads) {
  for (size_t i = 1; i < rows.size(); ++i) {
    if (rows[i].threads == threads) return &rows[i];
  }
  return nullptr;
}

double Divide(double numerator, double denominator) {
  return denominator > 0 ? numerator / denominator : 0;
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

std::vector<Ratio> ComputeRatios(const std::vector<RowResult>& rows) {
  std::vector<Ratio> ratios;
  if (rows.empty()) return ratios;
  const RowResult& raw = rows.front();
  const RowResult* one = FindLogRow(rows, 1);
  if (one == nullptr) return ratios;

  ratios.push_back({"1 appender / raw", Divide(one->AppendsPerSecond(), raw.AppendsPerSecond()),
                    kOneAppenderVsRawTarget});
  for (size_t i = 1; i < rows.size(); ++i) {
    const RowResult& many = rows[i];
    if (many.threads == 1) continue;
    Ratio ratio;
    ratio.name = std::to_string(many.threads) + " appenders / 1 appender";
    ratio.value = Divide(many.AppendsPerSecond(), one->AppendsPerSecond());
    if (many.threads == kManyAppenders) ratio.target = kManyVsOneAppenderTarget;
    ratios.push_back(ratio);
  }
  return ratios;
}

void PrintTable(std::ostream& out, const BenchSetup& setup, const std::vector<RowResult>& rows,
                const std::vector<Ratio>& ratios) {
  out << "wal_bench: " << setup.dir << " (" << setup.fs_type << "), payload " << setup.payload_bytes
      << " B, " << setup.seconds_per_row << " s per row\n";
  if (setup.memory_backed) {
    out << "WARNING: " << setup.fs_type
        << " keeps files in memory; fdatasync costs nothing there and these numbers "
           "say nothing about a disk. Pass --dir on a disk-backed file system.\n";
  }
  out << "\n"
      << Format("%-22s %7s %12s %10s %10s %9s %12s\n", "row", "threads", "appends/s", "p50 us",
                "p99 us", "syncs", "appends/sync");
  for (const RowResult& row : rows) {
    out << Format("%-22s %7d %12.0f %10.1f %10.1f %9llu %12.2f\n", row.name.c_str(), row.threads,
                  row.AppendsPerSecond(), row.p50_us, row.p99_us,
                  static_cast<unsigned long long>(row.syncs), row.AppendsPerSync());
  }
  if (ratios.empty()) {
    out << "\n(no ratios: they need a row with 1 appender, as in --threads 1,64)\n\n";
    return;
  }
  out << "\n" << Format("%-30s %9s %9s %5s\n", "ratio (appends/s)", "measured", "target", "met");
  for (const Ratio& ratio : ratios) {
    const std::string target = ratio.target ? Format(">= %.1f", *ratio.target) : "-";
    const char* met = ratio.target ? (ratio.met() ? "yes" : "NO") : "-";
    out << Format("%-30s %9.2f %9s %5s\n", ratio.name.c_str(), ratio.value, target.c_str(), met);
  }
  out << "\n";
}

void PrintJsonLine(std::ostream& out, const BenchSetup& setup, const std::vector<RowResult>& rows,
                   const std::vector<Ratio>& ratios) {
  nlohmann::json json = {
      {"bench", "wal"},
      {"dir", setup.dir},
      {"fs", setup.fs_type},
      {"memory_backed", setup.memory_backed},
      {"payload_bytes", setup.payload_bytes},
      {"seconds_per_row", setup.seconds_per_row},
      {"rows", nlohmann::json::array()},
      {"ratios", nlohmann::json::array()},
  };
  for (const RowResult& row : rows) {
    json["rows"].push_back({
        {"name", row.name},
        {"threads", row.threads},
        {"seconds", row.seconds},
        {"appends", row.appends},
        {"appends_per_s", row.AppendsPerSecond()},
        {"p50_us", row.p50_us},
        {"p99_us", row.p99_us},
        {"syncs", row.syncs},
        {"appends_per_sync", row.AppendsPerSync()},
    });
  }
  for (const Ratio& ratio : ratios) {
    nlohmann::json entry = {{"name", ratio.name}, {"value", ratio.value}};
    if (ratio.target) {
      entry["target"] = *ratio.target;
      entry["met"] = ratio.met();
    }
    json["ratios"].push_back(entry);
  }
  out << json.dump() << "\n";
}

}  // namespace dsc::bench
