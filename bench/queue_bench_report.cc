#include "bench/queue_bench_report.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace dsc::bench {
namespace {

const QueueRow* FindRow(const std::vector<QueueRow>& rows, const std::string& system, int clients) {
  for (const QueueRow& row : rows) {
    if (row.system == system && row.clients == clients) return &row;
  }
  return nullptr;
}

}  // namespace

std::vector<QueueRatio> ComputeQueueRatios(const std::vector<QueueRow>& rows) {
  std::vector<QueueRatio> ratios;
  for (const QueueRow& dsc : rows) {
    if (dsc.system != "dsc") continue;
    const QueueRow* beanstalkd = FindRow(rows, "beanstalkd", dsc.clients);
    if (beanstalkd == nullptr) continue;
    QueueRatio ratio;
    ratio.clients = dsc.clients;
    const double base = beanstalkd->CyclesPerSecond();
    ratio.value = base > 0 ? dsc.CyclesPerSecond() / base : 0;
    if (dsc.clients == kTargetClients) ratio.target = kDscVsBeanstalkdTarget;
    ratios.push_back(ratio);
  }
  return ratios;
}

void PrintQueueTable(std::ostream& out, const QueueBenchSetup& setup,
                     const std::vector<QueueRow>& rows, const std::vector<QueueRatio>& ratios) {
  out << fmt::format(
      "queue_bench: enqueue + lease + ack cycles, payload {} B, warm-up {} s, {} s per row\n"
      "  data in {} ({})\n  dsc:        {} queue serve --fsync always\n"
      "  beanstalkd: {} -f 0 (fsync every binlog write)\n"
      "  disk:       one write + fdatasync takes {:.0f} us here (p50 of a 1 s loop)\n",
      setup.payload_bytes, setup.warmup_seconds, setup.seconds_per_row, setup.dir, setup.fs_type,
      setup.dsc_binary, setup.beanstalkd_binary, setup.fdatasync_p50_us);
  if (setup.memory_backed) {
    out << "WARNING: " << setup.fs_type
        << " keeps files in memory; fsync costs nothing there and these numbers say nothing "
           "about a disk. Pass --dir on a disk-backed file system.\n";
  }
  out << "\n"
      << fmt::format("{:<11} {:>7} {:>10} {:>8} {:>8} {:>14} {:>14}\n", "system", "clients",
                     "cycles/s", "p50 ms", "p99 ms", "server CPU us", "client CPU us");
  for (const QueueRow& row : rows) {
    out << fmt::format("{:<11} {:>7} {:>10.0f} {:>8.2f} {:>8.2f} {:>14.0f} {:>14.0f}\n", row.system,
                       row.clients, row.CyclesPerSecond(), row.p50_ms, row.p99_ms,
                       row.server_cpu_us, row.client_cpu_us);
  }
  out << "(CPU columns: CPU time per measured cycle, all threads.)\n";
  if (ratios.empty()) {
    out << "\n(no ratios: they need both systems at the same client count)\n\n";
    return;
  }
  out << "\n"
      << fmt::format("{:<32} {:>9} {:>9} {:>5}\n", "ratio (cycles/s)", "measured", "target", "met");
  for (const QueueRatio& ratio : ratios) {
    const std::string name =
        fmt::format("dsc / beanstalkd, {} client{}", ratio.clients, ratio.clients == 1 ? "" : "s");
    const std::string target = ratio.target ? fmt::format(">= {:.1f}", *ratio.target) : "-";
    const char* met = ratio.target ? (ratio.met() ? "yes" : "NO") : "-";
    out << fmt::format("{:<32} {:>9.2f} {:>9} {:>5}\n", name, ratio.value, target, met);
  }
  out << "\n";
}

void PrintQueueJsonLine(std::ostream& out, const QueueBenchSetup& setup,
                        const std::vector<QueueRow>& rows, const std::vector<QueueRatio>& ratios) {
  nlohmann::json json = {
      {"bench", "queue"},
      {"dir", setup.dir},
      {"fs", setup.fs_type},
      {"memory_backed", setup.memory_backed},
      {"dsc", setup.dsc_binary},
      {"beanstalkd", setup.beanstalkd_binary},
      {"payload_bytes", setup.payload_bytes},
      {"warmup_seconds", setup.warmup_seconds},
      {"seconds_per_row", setup.seconds_per_row},
      {"fdatasync_p50_us", setup.fdatasync_p50_us},
      {"rows", nlohmann::json::array()},
      {"ratios", nlohmann::json::array()},
  };
  for (const QueueRow& row : rows) {
    json["rows"].push_back({
        {"system", row.system},
        {"clients", row.clients},
        {"seconds", row.seconds},
        {"cycles", row.cycles},
        {"all_cycles", row.all_cycles},
        {"cycles_per_s", row.CyclesPerSecond()},
        {"p50_ms", row.p50_ms},
        {"p99_ms", row.p99_ms},
        {"server_cpu_us_per_cycle", row.server_cpu_us},
        {"client_cpu_us_per_cycle", row.client_cpu_us},
    });
  }
  for (const QueueRatio& ratio : ratios) {
    nlohmann::json entry = {{"clients", ratio.clients}, {"dsc_over_beanstalkd", ratio.value}};
    if (ratio.target) {
      entry["target"] = *ratio.target;
      entry["met"] = ratio.met();
    }
    json["ratios"].push_back(entry);
  }
  out << json.dump() << "\n";
}

}  // namespace dsc::bench
