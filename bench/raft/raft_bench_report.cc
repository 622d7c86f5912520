#include "bench/raft/raft_bench_report.h"

#include <fmt/format.h>

#include <algorithm>

#include <nlohmann/json.hpp>

namespace dsc::bench {
namespace {

const RowSummary* FindSummary(const std::vector<RowSummary>& summaries, const std::string& system,
                              int clients) {
  for (const RowSummary& summary : summaries) {
    if (summary.system == system && summary.clients == clients) return &summary;
  }
  return nullptr;
}

double Divide(double numerator, double denominator) {
  return denominator > 0 ? numerator / denominator : 0;
}

std::string ClientsText(int clients) {
  return fmt::format("{} client{}", clients, clients == 1 ? "" : "s");
}

}  // namespace

std::vector<RowSummary> Summarize(const std::vector<PutRow>& rows) {
  std::vector<RowSummary> summaries;
  for (const PutRow& first : rows) {
    if (FindSummary(summaries, first.system, first.clients) != nullptr) continue;
    std::vector<double> puts_per_s, p50, p99, leader_cpu, cluster_cpu, client_cpu;
    for (const PutRow& row : rows) {
      if (row.system != first.system || row.clients != first.clients) continue;
      puts_per_s.push_back(row.PutsPerSecond());
      p50.push_back(row.p50_ms);
      p99.push_back(row.p99_ms);
      leader_cpu.push_back(row.leader_cpu_us);
      cluster_cpu.push_back(row.cluster_cpu_us);
      client_cpu.push_back(row.client_cpu_us);
    }
    RowSummary summary;
    summary.system = first.system;
    summary.clients = first.clients;
    summary.runs = static_cast<int>(puts_per_s.size());
    summary.min_puts_per_s = *std::min_element(puts_per_s.begin(), puts_per_s.end());
    summary.max_puts_per_s = *std::max_element(puts_per_s.begin(), puts_per_s.end());
    summary.median_puts_per_s = Median(puts_per_s);
    summary.median_p50_ms = Median(p50);
    summary.median_p99_ms = Median(p99);
    summary.max_p99_ms = *std::max_element(p99.begin(), p99.end());
    summary.median_leader_cpu_us = Median(leader_cpu);
    summary.median_cluster_cpu_us = Median(cluster_cpu);
    summary.median_client_cpu_us = Median(client_cpu);
    summaries.push_back(summary);
  }
  return summaries;
}

std::vector<RaftRatio> ComputeRaftRatios(const std::vector<RowSummary>& summaries) {
  std::vector<RaftRatio> ratios;
  for (const RowSummary& dsc : summaries) {
    if (dsc.system != "dsc") continue;
    const RowSummary* etcd = FindSummary(summaries, "etcd", dsc.clients);
    if (etcd == nullptr) continue;
    RaftRatio ratio;
    ratio.clients = dsc.clients;
    ratio.throughput = Divide(dsc.median_puts_per_s, etcd->median_puts_per_s);
    ratio.p99 = Divide(dsc.median_p99_ms, etcd->median_p99_ms);
    if (dsc.clients == kTargetClients) ratio.target = kDscVsEtcdTarget;
    ratios.push_back(ratio);
  }
  return ratios;
}

void PrintRaftTable(std::ostream& out, const RaftBenchSetup& setup, const std::vector<PutRow>& rows,
                    const std::vector<RowSummary>& summaries, const std::vector<RaftRatio>& ratios,
                    const std::vector<std::string>& failures) {
  out << fmt::format(
      "raft_bench: durable PUTs of distinct keys, value {} B, three members on loopback,\n"
      "  clients on keep-alive connections to the leader; warm-up {} s, {} s per row, {} run{}\n"
      "  data in {} ({})\n"
      "  dsc:  {} raft serve {}\n"
      "  etcd: {} (defaults; PUT = POST /v3/kv/put on its HTTP/JSON gateway)\n"
      "  load average before: {}; after: {}\n",
      setup.value_bytes, setup.warmup_seconds, setup.seconds_per_row, setup.runs,
      setup.runs == 1 ? "" : "s", setup.dir, setup.fs_type, setup.dsc_binary,
      setup.dsc_extra_args.empty() ? "(default flags: --fsync always)"
                                   : "(NOT the defaults: extra flags" + setup.dsc_extra_args + ")",
      setup.etcd_binary, setup.load_before, setup.load_after);
  if (setup.memory_backed) {
    out << "WARNING: " << setup.fs_type
        << " keeps files in memory; fsync costs nothing there and these numbers say nothing "
           "about a disk. Pass --dir on a disk-backed file system.\n";
  }
  out << "\nevery run\n"
      << fmt::format("{:<5} {:<6} {:>7} {:>7} {:>9} {:>8} {:>8} {:>11} {:>12} {:>11}\n", "run",
                     "system", "leader", "clients", "puts/s", "p50 ms", "p99 ms", "leader CPU",
                     "cluster CPU", "client CPU");
  for (const PutRow& row : rows) {
    out << fmt::format(
        "{:<5} {:<6} {:>7} {:>7} {:>9.0f} {:>8.2f} {:>8.2f} {:>11.0f} {:>12.0f} {:>11.0f}\n",
        row.run, row.system, row.leader, row.clients, row.PutsPerSecond(), row.p50_ms, row.p99_ms,
        row.leader_cpu_us, row.cluster_cpu_us, row.client_cpu_us);
  }
  out << "(CPU columns: microseconds of CPU time per measured put, all threads.)\n";
  for (const PutRow& row : rows) {
    if (row.resent == 0) continue;
    out << fmt::format(
        "run {} {} {}: {} put(s) sent again after the server closed an idle "
        "keep-alive connection\n",
        row.run, row.system, ClientsText(row.clients), row.resent);
  }
  for (const std::string& failure : failures) out << "FAILED: " << failure << "\n";

  out << "\nover the runs\n"
      << fmt::format("{:<6} {:>7} {:>4} {:>9} {:>9} {:>9} {:>8} {:>8} {:>8} {:>12}\n", "system",
                     "clients", "runs", "min/s", "median/s", "max/s", "p50 ms", "p99 ms", "max p99",
                     "cluster CPU");
  for (const RowSummary& s : summaries) {
    out << fmt::format(
        "{:<6} {:>7} {:>4} {:>9.0f} {:>9.0f} {:>9.0f} {:>8.2f} {:>8.2f} {:>8.2f} {:>12.0f}\n",
        s.system, s.clients, s.runs, s.min_puts_per_s, s.median_puts_per_s, s.max_puts_per_s,
        s.median_p50_ms, s.median_p99_ms, s.max_p99_ms, s.median_cluster_cpu_us);
  }
  out << "(p50, p99 and CPU: medians over the runs; CPU in us per put.)\n";
  if (ratios.empty()) {
    out << "\n(no ratios: they need both systems at the same client count)\n\n";
    return;
  }
  out << "\n"
      << fmt::format("{:<22} {:>10} {:>10} {:>24} {:>5}\n", "dsc / etcd (medians)", "puts/s", "p99",
                     "target", "met");
  for (const RaftRatio& ratio : ratios) {
    const std::string target =
        ratio.target ? fmt::format("puts/s >= {:.1f}, p99 <= 1", *ratio.target) : "-";
    const char* met = ratio.target ? (ratio.met() ? "yes" : "NO") : "-";
    out << fmt::format("{:<22} {:>10.2f} {:>10.2f} {:>24} {:>5}\n", ClientsText(ratio.clients),
                       ratio.throughput, ratio.p99, target, met);
  }
  out << "\n";
}

void PrintRaftJsonLine(std::ostream& out, const RaftBenchSetup& setup,
                       const std::vector<PutRow>& rows, const std::vector<RowSummary>& summaries,
                       const std::vector<RaftRatio>& ratios,
                       const std::vector<std::string>& failures) {
  nlohmann::json json = {
      {"bench", "raft"},
      {"dir", setup.dir},
      {"fs", setup.fs_type},
      {"memory_backed", setup.memory_backed},
      {"dsc", setup.dsc_binary},
      {"dsc_extra_args", setup.dsc_extra_args},
      {"etcd", setup.etcd_binary},
      {"value_bytes", setup.value_bytes},
      {"warmup_seconds", setup.warmup_seconds},
      {"seconds_per_row", setup.seconds_per_row},
      {"runs", setup.runs},
      {"load_before", setup.load_before},
      {"load_after", setup.load_after},
      {"rows", nlohmann::json::array()},
      {"summaries", nlohmann::json::array()},
      {"ratios", nlohmann::json::array()},
      {"failures", failures},
  };
  for (const PutRow& row : rows) {
    json["rows"].push_back({
        {"run", row.run},
        {"system", row.system},
        {"leader", row.leader},
        {"clients", row.clients},
        {"seconds", row.seconds},
        {"puts", row.puts},
        {"all_puts", row.all_puts},
        {"puts_per_s", row.PutsPerSecond()},
        {"p50_ms", row.p50_ms},
        {"p99_ms", row.p99_ms},
        {"leader_cpu_us_per_put", row.leader_cpu_us},
        {"cluster_cpu_us_per_put", row.cluster_cpu_us},
        {"client_cpu_us_per_put", row.client_cpu_us},
        {"resent", row.resent},
    });
  }
  for (const RowSummary& s : summaries) {
    json["summaries"].push_back({
        {"system", s.system},
        {"clients", s.clients},
        {"runs", s.runs},
        {"min_puts_per_s", s.min_puts_per_s},
        {"median_puts_per_s", s.median_puts_per_s},
        {"max_puts_per_s", s.max_puts_per_s},
        {"median_p50_ms", s.median_p50_ms},
        {"median_p99_ms", s.median_p99_ms},
        {"max_p99_ms", s.max_p99_ms},
        {"median_leader_cpu_us_per_put", s.median_leader_cpu_us},
        {"median_cluster_cpu_us_per_put", s.median_cluster_cpu_us},
        {"median_client_cpu_us_per_put", s.median_client_cpu_us},
    });
  }
  for (const RaftRatio& ratio : ratios) {
    nlohmann::json entry = {{"clients", ratio.clients},
                            {"dsc_over_etcd_puts_per_s", ratio.throughput},
                            {"dsc_over_etcd_p99", ratio.p99}};
    if (ratio.target) {
      entry["target"] = *ratio.target;
      entry["met"] = ratio.met();
    }
    json["ratios"].push_back(entry);
  }
  out << json.dump() << "\n";
}

}  // namespace dsc::bench
