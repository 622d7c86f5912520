#include "bench/queue_bench_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <nlohmann/json.hpp>

namespace dsc::bench {
namespace {

using nlohmann::json;

constexpr double kMiB = 1024.0 * 1024.0;

double Divide(double numerator, double denominator) {
  return denominator > 0 ? numerator / denominator : 0;
}

std::string ClientsText(int clients) {
  return fmt::format("{} client{}", clients, clients == 1 ? "" : "s");
}

// One system at one client count, over its runs.
struct Cell {
  std::string system;
  int clients = 0;
  std::vector<const QueueRow*> runs;  // in run order
  double median_cycles_per_s = 0;
  double median_p50_ms = 0;
  double median_p99_ms = 0;
  double median_server_cpu_us = 0;
  double median_client_cpu_us = 0;
  // dsc rows: over the beanstalkd row of the same run and client count.
  std::vector<double> vs_beanstalkd;
  std::optional<double> median_vs_beanstalkd;
};

// The raw group-commit loop at one writer count, over its runs.
struct CeilingCell {
  int clients = 0;
  std::vector<const CeilingRun*> runs;
  double median_appends_per_s = 0;
  double median_syncs_per_s = 0;
  double median_appends_per_sync = 0;
  double median_p50_us = 0;
};

// A dsc system against the ceiling at one client count.
struct CeilingFraction {
  std::string system;
  int clients = 0;
  int waits = 0;                // durable waits per cycle
  double ceiling_cycles = 0;    // median appends/s over waits
  double median_cycles = 0;     // the system's median cycles/s
  std::vector<double> per_run;  // cycles/s over that run's appends/s / waits
  double median_fraction = 0;
  std::optional<double> target;
};

struct Target {
  std::string name;
  double measured = 0;
  double target = 0;
  std::string unit;  // "x" for a ratio to another system, "" for a fraction
  bool met() const { return measured >= target; }
};

struct IdleSummary {
  std::vector<double> without, with, ratio, rss_before, rss_idle, per_connection_kib;
  std::vector<double> rss_after_without, rss_after_with;
  double median_ratio = 0;
};

struct Summary {
  std::vector<Cell> cells;
  std::vector<CeilingCell> ceilings;
  std::vector<CeilingFraction> fractions;
  std::optional<IdleSummary> idle;
  std::vector<Target> targets;
};

const QueueRow* FindRow(const std::vector<QueueRow>& rows, const std::string& system, int clients,
                        int run) {
  for (const QueueRow& row : rows) {
    if (row.system == system && row.clients == clients && row.run == run) return &row;
  }
  return nullptr;
}

const CeilingRun* FindCeilingRun(const std::vector<CeilingRun>& runs, int clients, int run) {
  for (const CeilingRun& ceiling : runs) {
    if (ceiling.clients == clients && ceiling.run == run) return &ceiling;
  }
  return nullptr;
}

Summary Summarize(const QueueBenchResults& results) {
  Summary summary;
  for (const QueueRow& first : results.rows) {
    const bool seen = std::any_of(summary.cells.begin(), summary.cells.end(), [&](const Cell& c) {
      return c.system == first.system && c.clients == first.clients;
    });
    if (seen) continue;
    Cell cell;
    cell.system = first.system;
    cell.clients = first.clients;
    std::vector<double> cycles, p50, p99, server_cpu, client_cpu;
    for (const QueueRow& row : results.rows) {
      if (row.system != cell.system || row.clients != cell.clients) continue;
      cell.runs.push_back(&row);
      cycles.push_back(row.CyclesPerSecond());
      p50.push_back(row.p50_ms);
      p99.push_back(row.p99_ms);
      server_cpu.push_back(row.server_cpu_us);
      client_cpu.push_back(row.client_cpu_us);
      if (cell.system != kBeanstalkd) {
        const QueueRow* peer = FindRow(results.rows, kBeanstalkd, row.clients, row.run);
        if (peer != nullptr && peer->CyclesPerSecond() > 0) {
          cell.vs_beanstalkd.push_back(row.CyclesPerSecond() / peer->CyclesPerSecond());
        }
      }
    }
    cell.median_cycles_per_s = Median(cycles);
    cell.median_p50_ms = Median(p50);
    cell.median_p99_ms = Median(p99);
    cell.median_server_cpu_us = Median(server_cpu);
    cell.median_client_cpu_us = Median(client_cpu);
    if (!cell.vs_beanstalkd.empty()) cell.median_vs_beanstalkd = Median(cell.vs_beanstalkd);
    summary.cells.push_back(std::move(cell));
  }

  for (const CeilingRun& first : results.ceiling) {
    const bool seen = std::any_of(summary.ceilings.begin(), summary.ceilings.end(),
                                  [&](const CeilingCell& c) { return c.clients == first.clients; });
    if (seen) continue;
    CeilingCell cell;
    cell.clients = first.clients;
    std::vector<double> appends, syncs, per_sync, p50;
    for (const CeilingRun& run : results.ceiling) {
      if (run.clients != cell.clients) continue;
      cell.runs.push_back(&run);
      appends.push_back(run.raw.AppendsPerSecond());
      syncs.push_back(Divide(static_cast<double>(run.raw.syncs), run.raw.seconds));
      per_sync.push_back(run.raw.AppendsPerSync());
      p50.push_back(run.raw.p50_us);
    }
    cell.median_appends_per_s = Median(appends);
    cell.median_syncs_per_s = Median(syncs);
    cell.median_appends_per_sync = Median(per_sync);
    cell.median_p50_us = Median(p50);
    summary.ceilings.push_back(std::move(cell));
  }

  for (const Cell& cell : summary.cells) {
    const int waits = DurableWaitsPerCycle(cell.system);
    if (waits == 0) continue;
    const auto ceiling =
        std::find_if(summary.ceilings.begin(), summary.ceilings.end(),
                     [&](const CeilingCell& c) { return c.clients == cell.clients; });
    if (ceiling == summary.ceilings.end()) continue;
    CeilingFraction fraction;
    fraction.system = cell.system;
    fraction.clients = cell.clients;
    fraction.waits = waits;
    fraction.ceiling_cycles = ceiling->median_appends_per_s / waits;
    fraction.median_cycles = cell.median_cycles_per_s;
    for (const QueueRow* row : cell.runs) {
      const CeilingRun* run = FindCeilingRun(results.ceiling, row->clients, row->run);
      if (run == nullptr) continue;
      fraction.per_run.push_back(
          Divide(row->CyclesPerSecond(), run->raw.AppendsPerSecond() / waits));
    }
    fraction.median_fraction = Median(fraction.per_run);
    if (cell.system == kDsc) fraction.target = kCeilingFractionTarget;
    summary.fractions.push_back(std::move(fraction));
  }

  if (results.idle && !results.idle->runs.empty()) {
    IdleSummary idle;
    for (const IdleRun& run : results.idle->runs) {
      idle.without.push_back(run.without.CyclesPerSecond());
      idle.with.push_back(run.with.CyclesPerSecond());
      idle.ratio.push_back(Divide(run.with.CyclesPerSecond(), run.without.CyclesPerSecond()));
      idle.rss_before.push_back(static_cast<double>(run.rss_before_idle) / kMiB);
      idle.rss_idle.push_back(static_cast<double>(run.rss_idle) / kMiB);
      idle.rss_after_without.push_back(static_cast<double>(run.rss_after_load_without) / kMiB);
      idle.rss_after_with.push_back(static_cast<double>(run.rss_after_load_with) / kMiB);
      idle.per_connection_kib.push_back(Divide(
          (static_cast<double>(run.rss_idle) - static_cast<double>(run.rss_before_idle)) / 1024.0,
          static_cast<double>(results.idle->connections)));
    }
    idle.median_ratio = Median(idle.ratio);
    summary.idle = std::move(idle);
  }

  // The targets, in the order the issue gave them.
  for (const Cell& cell : summary.cells) {
    if (cell.system != kDsc || !cell.median_vs_beanstalkd) continue;
    if (cell.clients == kTargetClientsLow || cell.clients == kTargetClientsHigh) {
      summary.targets.push_back(
          {fmt::format("dsc / beanstalkd, {}", ClientsText(cell.clients)),
           *cell.median_vs_beanstalkd,
           cell.clients == kTargetClientsLow ? kVsBeanstalkdTargetLow : kVsBeanstalkdTargetHigh,
           "x"});
    }
  }
  for (const CeilingFraction& fraction : summary.fractions) {
    if (!fraction.target) continue;
    summary.targets.push_back({fmt::format("dsc / ceiling, {}", ClientsText(fraction.clients)),
                               fraction.median_fraction, *fraction.target, ""});
  }
  if (summary.idle) {
    summary.targets.push_back(
        {fmt::format("{} with / without {} idle", ClientsText(results.idle->clients),
                     results.idle->connections),
         summary.idle->median_ratio, kIdleRatioTarget, ""});
  }
  return summary;
}

// "  1234   1300   1250" for the values, each right-aligned in `width`.
std::string Columns(const std::vector<double>& values, int runs, int width, int decimals) {
  std::string text;
  for (int i = 0; i < runs; ++i) {
    if (static_cast<size_t>(i) < values.size()) {
      text += fmt::format(" {:>{}.{}f}", values[static_cast<size_t>(i)], width, decimals);
    } else {
      text += fmt::format(" {:>{}}", "-", width);
    }
  }
  return text;
}

std::string RunHeaders(int runs, int width) {
  std::string text;
  for (int i = 1; i <= runs; ++i) text += fmt::format(" {:>{}}", fmt::format("run {}", i), width);
  return text;
}

std::string RateSuffix(const Target& target) {
  return target.unit == "x" ? fmt::format("{:.2f}x", target.measured)
                            : fmt::format("{:.2f}", target.measured);
}

struct SteadySummary {
  double first_mib = 0, middle_mib = 0, last_mib = 0, peak_mib = 0, slope_kib_per_min = 0;
  double second_half_min_mib = 0, second_half_max_mib = 0;
};

SteadySummary SummarizeSteady(const SteadyMemoryResult& steady) {
  SteadySummary summary;
  if (steady.samples.empty()) return summary;
  summary.first_mib = static_cast<double>(steady.samples.front().rss_bytes) / kMiB;
  summary.middle_mib =
      static_cast<double>(steady.samples[steady.samples.size() / 2].rss_bytes) / kMiB;
  summary.last_mib = static_cast<double>(steady.samples.back().rss_bytes) / kMiB;
  const double half = steady.samples.back().seconds / 2;
  bool first_in_half = true;
  for (const RssSample& sample : steady.samples) {
    const double mib = static_cast<double>(sample.rss_bytes) / kMiB;
    summary.peak_mib = std::max(summary.peak_mib, mib);
    if (sample.seconds < half) continue;
    summary.second_half_min_mib = first_in_half ? mib : std::min(summary.second_half_min_mib, mib);
    summary.second_half_max_mib = std::max(summary.second_half_max_mib, mib);
    first_in_half = false;
  }
  summary.slope_kib_per_min = RssSlopeKibPerMinute(steady.samples);
  return summary;
}

struct PendingSummary {
  double before_mib = 0, after_mib = 0, mib_per_million = 0, bytes_per_task = 0;
};

PendingSummary SummarizePending(const PendingMemoryResult& pending) {
  PendingSummary summary;
  summary.before_mib = static_cast<double>(pending.rss_before) / kMiB;
  summary.after_mib = static_cast<double>(pending.rss_after) / kMiB;
  const double grown =
      static_cast<double>(pending.rss_after) - static_cast<double>(pending.rss_before);
  summary.bytes_per_task = Divide(grown, static_cast<double>(pending.tasks));
  summary.mib_per_million = summary.bytes_per_task * 1e6 / kMiB;
  return summary;
}

}  // namespace

int DurableWaitsPerCycle(const std::string& system) {
  // The floors are set against dsc's ceiling (enqueue and ack durable) to
  // show the most any server could reach of it with these clients.
  if (system == kDsc || system == kFloor || system == kFloorDurable) return 2;
  if (system == kDscDurableLeases) return 3;
  return 0;
}

double RssSlopeKibPerMinute(const std::vector<RssSample>& samples) {
  if (samples.size() < 2) return 0;
  const double half = samples.back().seconds / 2;
  double n = 0, sum_t = 0, sum_r = 0, sum_tt = 0, sum_tr = 0;
  for (const RssSample& sample : samples) {
    if (sample.seconds < half) continue;
    const double t = sample.seconds;
    const double r = static_cast<double>(sample.rss_bytes) / 1024.0;
    n += 1;
    sum_t += t;
    sum_r += r;
    sum_tt += t * t;
    sum_tr += t * r;
  }
  const double denominator = n * sum_tt - sum_t * sum_t;
  if (n < 2 || denominator <= 0) return 0;
  return (n * sum_tr - sum_t * sum_r) / denominator * 60.0;  // KiB/s -> KiB/min
}

double MedianDscCyclesPerSecond(const std::vector<QueueRow>& rows, int clients, int* used_clients) {
  int nearest = 0;
  for (const QueueRow& row : rows) {
    if (row.system != kDsc) continue;
    if (nearest == 0 || std::abs(row.clients - clients) < std::abs(nearest - clients)) {
      nearest = row.clients;
    }
  }
  if (used_clients != nullptr) *used_clients = nearest;
  std::vector<double> cycles;
  for (const QueueRow& row : rows) {
    if (row.system == kDsc && row.clients == nearest) cycles.push_back(row.CyclesPerSecond());
  }
  return Median(cycles);
}

void PrintQueueTable(std::ostream& out, const QueueBenchResults& results) {
  const QueueBenchSetup& setup = results.setup;
  const Summary summary = Summarize(results);
  const int runs = setup.runs;
  out << fmt::format(
      "queue_bench: enqueue + lease + ack cycles, payload {} B, warm-up {} s, {} s per row, "
      "{} run{} (interleaved; medians)\n"
      "  data in {} ({})\n"
      "  dsc:                  {} queue serve --fsync always (a lease is logged, answered "
      "at once)\n"
      "  dsc --durable-leases: the same with --durable-leases (a lease waits for its sync)\n"
      "  beanstalkd:           {} -f 0 (fsync every binlog write)\n"
      "  floor (no work):      {} (answers, no log, no fsync, one thread: the most any\n"
      "                        queue server can reach with these clients on these cores)\n"
      "  floor + fdatasync:    the same with --journal: enqueues and acks wait for a group\n"
      "                        write + fdatasync on a sync thread (the least durability costs)\n"
      "  disk:                 one write + fdatasync takes {:.0f} us here (p50 of a 1 s loop)\n"
      "  load average before:  {}; after: {}\n",
      setup.payload_bytes, setup.warmup_seconds, setup.seconds_per_row, runs, runs == 1 ? "" : "s",
      setup.dir, setup.fs_type, setup.dsc_binary, setup.beanstalkd_binary, setup.floor_binary,
      setup.fdatasync_p50_us, setup.load_before, setup.load_after);
  if (setup.memory_backed) {
    out << "WARNING: " << setup.fs_type
        << " keeps files in memory; fsync costs nothing there and these numbers say nothing "
           "about a disk. Pass --dir on a disk-backed file system.\n";
  }

  out << "\ncycles/s: every run and the median; x beanstalkd is the median of the per-run "
         "ratios\n"
      << fmt::format("{:<20} {:>7}{} {:>8} {:>12} {:>7} {:>7} {:>10} {:>10}\n", "system", "clients",
                     RunHeaders(runs, 7), "median", "x beanstalkd", "p50 ms", "p99 ms",
                     "server CPU", "client CPU");
  for (const Cell& cell : summary.cells) {
    std::vector<double> cycles;
    for (const QueueRow* row : cell.runs) cycles.push_back(row->CyclesPerSecond());
    const std::string ratio =
        cell.median_vs_beanstalkd ? fmt::format("{:.2f}", *cell.median_vs_beanstalkd) : "-";
    out << fmt::format("{:<20} {:>7}{} {:>8.0f} {:>12} {:>7.2f} {:>7.2f} {:>10.0f} {:>10.0f}\n",
                       cell.system, cell.clients, Columns(cycles, runs, 7, 0),
                       cell.median_cycles_per_s, ratio, cell.median_p50_ms, cell.median_p99_ms,
                       cell.median_server_cpu_us, cell.median_client_cpu_us);
  }
  out << "(p50, p99: of one whole cycle; CPU: microseconds of CPU time per measured cycle, all "
         "threads; medians over the runs.)\n";
  for (const Cell& cell : summary.cells) {
    if (cell.vs_beanstalkd.size() < 2) continue;
    std::string per_run;
    for (double ratio : cell.vs_beanstalkd) per_run += fmt::format(" {:.2f}", ratio);
    out << fmt::format("  {} / beanstalkd, {}, per run:{}\n", cell.system,
                       ClientsText(cell.clients), per_run);
  }

  out << fmt::format(
             "\ndisk around each row: p50 of one write + fdatasync, us, in {} s just before / just "
             "after it\n",
             setup.disk_probe_seconds)
      << fmt::format("{:<20} {:>7}{}\n", "row", "clients", RunHeaders(runs, 11));
  auto disk_line = [&](const std::string& name, int clients,
                       const std::vector<std::string>& runs_text) {
    std::string text;
    for (int i = 0; i < runs; ++i) {
      const auto index = static_cast<size_t>(i);
      text += fmt::format(" {:>11}", index < runs_text.size() ? runs_text[index] : "-");
    }
    out << fmt::format("{:<20} {:>7}{}\n", name, clients, text);
  };
  for (const Cell& cell : summary.cells) {
    std::vector<std::string> text;
    for (const QueueRow* row : cell.runs) {
      text.push_back(fmt::format("{:.0f}/{:.0f}", row->disk_before_us, row->disk_after_us));
    }
    disk_line(cell.system, cell.clients, text);
  }
  for (const CeilingCell& cell : summary.ceilings) {
    std::vector<std::string> text;
    for (const CeilingRun* run : cell.runs) {
      text.push_back(fmt::format("{:.0f}/{:.0f}", run->disk_before_us, run->disk_after_us));
    }
    disk_line("ceiling", cell.clients, text);
  }

  if (!summary.ceilings.empty()) {
    out << fmt::format(
               "\ngroup-commit ceiling: N writers, each write({} B) and wait for the fdatasync "
               "that covers it;\n"
               "one sync thread writes all waiting records with one write() and syncs once "
               "({} s per run)\n",
               setup.ceiling_record_bytes, setup.ceiling_seconds)
        << fmt::format("{:<8}{} {:>9} {:>8} {:>9} {:>7}\n", "writers", RunHeaders(runs, 8),
                       "median/s", "syncs/s", "per sync", "p50 us");
    for (const CeilingCell& cell : summary.ceilings) {
      std::vector<double> appends;
      for (const CeilingRun* run : cell.runs) appends.push_back(run->raw.AppendsPerSecond());
      out << fmt::format("{:<8}{} {:>9.0f} {:>8.0f} {:>9.1f} {:>7.0f}\n", cell.clients,
                         Columns(appends, runs, 8, 0), cell.median_appends_per_s,
                         cell.median_syncs_per_s, cell.median_appends_per_sync, cell.median_p50_us);
    }
    out << "(durable appends/s; the columns after the median are medians too.)\n";
  }
  if (!summary.fractions.empty()) {
    out << "\nagainst the ceiling: ceiling cycles/s = the median durable appends/s above / the "
           "durable waits of one cycle\n"
           "(dsc: enqueue, ack; --durable-leases: and the lease; the floor is set against dsc's "
           "two);\nfraction = median of the per-run fractions\n"
        << fmt::format("{:<20} {:>7} {:>6} {:>9} {:>9}{} {:>8}\n", "system", "clients", "waits",
                       "ceiling", "cycles/s", RunHeaders(runs, 7), "fraction");
    for (const CeilingFraction& fraction : summary.fractions) {
      out << fmt::format("{:<20} {:>7} {:>6} {:>9.0f} {:>9.0f}{} {:>8.2f}\n", fraction.system,
                         fraction.clients, fraction.waits, fraction.ceiling_cycles,
                         fraction.median_cycles, Columns(fraction.per_run, runs, 7, 2),
                         fraction.median_fraction);
    }
  }

  if (results.idle && summary.idle) {
    const IdleResult& idle = *results.idle;
    const IdleSummary& s = *summary.idle;
    out << fmt::format(
               "\nidle connections: dsc, {}, each row on a fresh node; one of them first holds "
               "{} idle\n"
               "keep-alive connections (each answered one GET /health, then silent)\n",
               ClientsText(idle.clients), idle.connections)
        << fmt::format("{:<34}{} {:>8}\n", "", RunHeaders(runs, 8), "median");
    auto line = [&](const std::string& name, const std::vector<double>& values, int decimals) {
      out << fmt::format("{:<34}{} {:>8.{}f}\n", name,
                         Columns(values, static_cast<int>(idle.runs.size()), 8, decimals),
                         Median(values), decimals);
    };
    line("cycles/s without", s.without, 0);
    line(fmt::format("cycles/s with {} idle", idle.connections), s.with, 0);
    line("with / without", s.ratio, 2);
    line("node RSS before they open, MiB", s.rss_before, 1);
    line("node RSS with them open, MiB", s.rss_idle, 1);
    line("RSS per idle connection, KiB", s.per_connection_kib, 2);
    line("RSS after the load without, MiB", s.rss_after_without, 1);
    line("RSS after the load with, MiB", s.rss_after_with, 1);
    std::string order, opened, dropped;
    for (const IdleRun& run : idle.runs) {
      order += fmt::format(" {}", run.idle_first ? "with" : "without");
      opened += fmt::format(" {:.2f}", run.open_seconds);
      dropped += fmt::format(" {}", run.no_longer_idle);
    }
    out << fmt::format(
        "(first measured, per run:{}; opening them took{} s; idle connections the node had "
        "closed by the end of its load:{})\n",
        order, opened, dropped);
  }

  if (results.steady) {
    const SteadyMemoryResult& steady = *results.steady;
    const SteadySummary s = SummarizeSteady(steady);
    out << fmt::format(
        "\nmemory at a steady rate: dsc --retention-ms {}, {} paced to {:.0f} cycles/s ({}), "
        "{} s\n"
        "  achieved {:.0f} cycles/s; node RSS first {:.1f} MiB, middle {:.1f} MiB, last "
        "{:.1f} MiB (peak {:.1f});\n"
        "  second half: {:.1f} to {:.1f} MiB, slope {:+.0f} KiB/min ({} samples, one a second)\n",
        steady.retention_ms, ClientsText(steady.row.clients), steady.target_rate,
        steady.rate_source, steady.row.seconds, steady.row.CyclesPerSecond(), s.first_mib,
        s.middle_mib, s.last_mib, s.peak_mib, s.second_half_min_mib, s.second_half_max_mib,
        s.slope_kib_per_min, steady.samples.size());
  }
  if (results.pending) {
    const PendingMemoryResult& pending = *results.pending;
    const PendingSummary s = SummarizePending(pending);
    out << fmt::format(
        "\nmemory per pending task: {} tasks enqueued by {} and never leased (in {:.1f} s)\n"
        "  node RSS {:.1f} -> {:.1f} MiB: {:.1f} MiB per million pending tasks, {:.0f} bytes "
        "per task\n",
        pending.tasks, ClientsText(pending.clients), pending.enqueue_seconds, s.before_mib,
        s.after_mib, s.mib_per_million, s.bytes_per_task);
  }

  if (!summary.targets.empty()) {
    out << "\n" << fmt::format("{:<40} {:>9} {:>8} {:>6}\n", "target", "measured", "target", "");
    for (const Target& target : summary.targets) {
      out << fmt::format("{:<40} {:>9} {:>8} {:>6}\n", target.name, RateSuffix(target),
                         fmt::format(">= {:.2g}{}", target.target, target.unit),
                         target.met() ? "PASS" : "MISS");
    }
  }
  out << "\n";
}

void PrintQueueJsonLine(std::ostream& out, const QueueBenchResults& results) {
  const QueueBenchSetup& setup = results.setup;
  const Summary summary = Summarize(results);
  json j = {
      {"bench", "queue"},
      {"dir", setup.dir},
      {"fs", setup.fs_type},
      {"memory_backed", setup.memory_backed},
      {"dsc", setup.dsc_binary},
      {"beanstalkd", setup.beanstalkd_binary},
      {"floor", setup.floor_binary},
      {"payload_bytes", setup.payload_bytes},
      {"warmup_seconds", setup.warmup_seconds},
      {"seconds_per_row", setup.seconds_per_row},
      {"runs", setup.runs},
      {"fdatasync_p50_us", setup.fdatasync_p50_us},
      {"disk_probe_seconds", setup.disk_probe_seconds},
      {"load_before", setup.load_before},
      {"load_after", setup.load_after},
      {"rows", json::array()},
      {"cells", json::array()},
      {"ceiling", json::array()},
      {"ceiling_fractions", json::array()},
      {"targets", json::array()},
  };
  for (const QueueRow& row : results.rows) {
    j["rows"].push_back({
        {"run", row.run},
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
        {"disk_before_us", row.disk_before_us},
        {"disk_after_us", row.disk_after_us},
    });
  }
  for (const Cell& cell : summary.cells) {
    json entry = {{"system", cell.system},
                  {"clients", cell.clients},
                  {"median_cycles_per_s", cell.median_cycles_per_s},
                  {"median_p50_ms", cell.median_p50_ms},
                  {"median_p99_ms", cell.median_p99_ms},
                  {"median_server_cpu_us_per_cycle", cell.median_server_cpu_us},
                  {"median_client_cpu_us_per_cycle", cell.median_client_cpu_us}};
    if (cell.median_vs_beanstalkd) {
      entry["over_beanstalkd_per_run"] = cell.vs_beanstalkd;
      entry["over_beanstalkd"] = *cell.median_vs_beanstalkd;
    }
    j["cells"].push_back(entry);
  }
  for (const CeilingCell& cell : summary.ceilings) {
    json runs = json::array();
    for (const CeilingRun* run : cell.runs) {
      runs.push_back({{"run", run->run},
                      {"seconds", run->raw.seconds},
                      {"appends", run->raw.appends},
                      {"syncs", run->raw.syncs},
                      {"appends_per_s", run->raw.AppendsPerSecond()},
                      {"p50_us", run->raw.p50_us},
                      {"p99_us", run->raw.p99_us},
                      {"disk_before_us", run->disk_before_us},
                      {"disk_after_us", run->disk_after_us}});
    }
    j["ceiling"].push_back({{"writers", cell.clients},
                            {"record_bytes", setup.ceiling_record_bytes},
                            {"runs", runs},
                            {"median_appends_per_s", cell.median_appends_per_s},
                            {"median_syncs_per_s", cell.median_syncs_per_s},
                            {"median_appends_per_sync", cell.median_appends_per_sync},
                            {"median_p50_us", cell.median_p50_us}});
  }
  for (const CeilingFraction& fraction : summary.fractions) {
    json entry = {{"system", fraction.system},
                  {"clients", fraction.clients},
                  {"durable_waits_per_cycle", fraction.waits},
                  {"ceiling_cycles_per_s", fraction.ceiling_cycles},
                  {"median_cycles_per_s", fraction.median_cycles},
                  {"fraction_per_run", fraction.per_run},
                  {"fraction", fraction.median_fraction}};
    if (fraction.target) entry["target"] = *fraction.target;
    j["ceiling_fractions"].push_back(entry);
  }
  for (const Target& target : summary.targets) {
    j["targets"].push_back({{"name", target.name},
                            {"measured", target.measured},
                            {"target", target.target},
                            {"met", target.met()}});
  }
  if (results.idle && summary.idle) {
    const IdleSummary& s = *summary.idle;
    json runs = json::array();
    for (const IdleRun& run : results.idle->runs) {
      runs.push_back({{"run", run.run},
                      {"idle_first", run.idle_first},
                      {"cycles_per_s_without", run.without.CyclesPerSecond()},
                      {"cycles_per_s_with", run.with.CyclesPerSecond()},
                      {"p99_ms_without", run.without.p99_ms},
                      {"p99_ms_with", run.with.p99_ms},
                      {"rss_before_idle_bytes", run.rss_before_idle},
                      {"rss_idle_bytes", run.rss_idle},
                      {"rss_after_load_without_bytes", run.rss_after_load_without},
                      {"rss_after_load_with_bytes", run.rss_after_load_with},
                      {"open_seconds", run.open_seconds},
                      {"no_longer_idle", run.no_longer_idle}});
    }
    j["idle"] = {{"clients", results.idle->clients},
                 {"connections", results.idle->connections},
                 {"runs", runs},
                 {"median_cycles_per_s_without", Median(s.without)},
                 {"median_cycles_per_s_with", Median(s.with)},
                 {"with_over_without", s.median_ratio},
                 {"median_rss_before_idle_mib", Median(s.rss_before)},
                 {"median_rss_idle_mib", Median(s.rss_idle)},
                 {"median_rss_per_idle_connection_kib", Median(s.per_connection_kib)}};
  }
  if (results.steady) {
    const SteadyMemoryResult& steady = *results.steady;
    const SteadySummary s = SummarizeSteady(steady);
    json samples = json::array();
    for (const RssSample& sample : steady.samples) {
      samples.push_back({sample.seconds, sample.rss_bytes});
    }
    j["steady_memory"] = {{"retention_ms", steady.retention_ms},
                          {"clients", steady.row.clients},
                          {"target_cycles_per_s", steady.target_rate},
                          {"rate_source", steady.rate_source},
                          {"seconds", steady.row.seconds},
                          {"cycles_per_s", steady.row.CyclesPerSecond()},
                          {"rss_first_mib", s.first_mib},
                          {"rss_middle_mib", s.middle_mib},
                          {"rss_last_mib", s.last_mib},
                          {"rss_peak_mib", s.peak_mib},
                          {"rss_second_half_min_mib", s.second_half_min_mib},
                          {"rss_second_half_max_mib", s.second_half_max_mib},
                          {"slope_kib_per_min_second_half", s.slope_kib_per_min},
                          {"samples_seconds_rss_bytes", samples}};
  }
  if (results.pending) {
    const PendingMemoryResult& pending = *results.pending;
    const PendingSummary s = SummarizePending(pending);
    j["pending_memory"] = {{"tasks", pending.tasks},
                           {"clients", pending.clients},
                           {"enqueue_seconds", pending.enqueue_seconds},
                           {"rss_before_bytes", pending.rss_before},
                           {"rss_after_bytes", pending.rss_after},
                           {"mib_per_million_tasks", s.mib_per_million},
                           {"bytes_per_task", s.bytes_per_task}};
  }
  out << j.dump() << "\n";
}

}  // namespace dsc::bench
