#include "bench/raft/put_run.h"

#include <fmt/format.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "base/first_error.h"
#include "bench/load_window.h"
#include "bench/measurement.h"

namespace dsc::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct ClientResult {
  LatencySamples latencies;        // of the puts acknowledged inside the window
  uint64_t puts = 0;               // every acknowledged put
  std::vector<WrittenKey> sample;  // the first and the last acknowledged put
};

// One client: puts until the window has passed or any client failed.
void RunClient(KvConnection& connection, int client, const std::string& key_prefix,
               size_t value_bytes, const LoadWindow& window, FirstError& failure,
               ClientResult& result) {
  std::string key;
  std::string value;
  for (uint64_t seq = 0; !failure.failed(); ++seq) {
    key = fmt::format("{}c{}-{}", key_prefix, client, seq);
    value = key;
    value.resize(value_bytes, '.');

    const Clock::time_point start = Clock::now();
    if (Status s = connection.Put(key, value); !s.ok()) {
      return failure.Set(s.WithContext("client " + std::to_string(client)));
    }
    const Clock::time_point end = Clock::now();

    ++result.puts;
    if (result.sample.size() < 2) {
      result.sample.push_back({key, value});
    } else {
      result.sample.back() = {key, value};
    }
    if (window.Contains(end)) result.latencies.Add(end - start);
    if (end >= window.end) return;
  }
}

}  // namespace

Result<PutRow> RunPuts(KvSystem& system, const PutRunOptions& options) {
  std::vector<std::unique_ptr<KvConnection>> connections;
  for (int i = 0; i < options.clients; ++i) {
    Result<std::unique_ptr<KvConnection>> connection = system.Connect();
    if (!connection.ok()) return connection.status().WithContext(system.name() + ": connect");
    connections.push_back(std::move(connection).value());
  }

  // Keys name the run, so the count afterwards sees only this run's keys.
  const std::string key_prefix = fmt::format("rb-{:08x}-", std::random_device{}());
  FirstError failure;
  std::vector<ClientResult> results(static_cast<size_t>(options.clients));
  const LoadWindow window = LoadWindow::AfterWarmup(options.warmup, options.window);

  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(options.clients));
  for (int i = 0; i < options.clients; ++i) {
    threads.emplace_back([&, i] {
      const auto index = static_cast<size_t>(i);
      RunClient(*connections[index], i, key_prefix, options.value_bytes, window, failure,
                results[index]);
    });
  }
  // CPU time is read at the window's edges, so warm-up work is left out.
  std::this_thread::sleep_until(window.start);
  const Result<ClusterCpu> server_cpu_start = system.CpuSeconds();
  const double client_cpu_start = ProcessCpuSeconds();
  std::this_thread::sleep_until(window.end);
  const Result<ClusterCpu> server_cpu_end = system.CpuSeconds();
  const double client_cpu_end = ProcessCpuSeconds();
  for (std::thread& thread : threads) thread.join();
  uint64_t resent = 0;
  for (const auto& connection : connections) resent += connection->resent();
  // Idle keep-alive connections would each hold one of the leader's
  // server threads; let them go before the checks.
  connections.clear();

  if (failure.failed()) return failure.Get().WithContext(system.name());
  if (!server_cpu_start.ok()) return server_cpu_start.status();
  if (!server_cpu_end.ok()) return server_cpu_end.status();

  PutRow row;
  row.system = system.name();
  row.clients = options.clients;
  row.leader = system.leader();
  row.seconds = options.window.count();
  row.resent = resent;
  LatencySamples latencies;
  std::vector<WrittenKey> sample;
  for (ClientResult& result : results) {
    latencies.Merge(result.latencies);
    row.all_puts += result.puts;
    for (WrittenKey& written : result.sample) sample.push_back(std::move(written));
  }
  row.puts = latencies.size();
  DSC_RETURN_IF_ERROR(
      system.CheckWritten(key_prefix, row.all_puts, sample).WithContext(system.name()));

  row.p50_ms = latencies.PercentileMicros(0.50) / 1000.0;
  row.p99_ms = latencies.PercentileMicros(0.99) / 1000.0;
  if (row.puts > 0) {
    const auto puts = static_cast<double>(row.puts);
    row.leader_cpu_us =
        (server_cpu_end->leader_seconds - server_cpu_start->leader_seconds) * 1e6 / puts;
    row.cluster_cpu_us = (server_cpu_end->all_seconds - server_cpu_start->all_seconds) * 1e6 / puts;
    row.client_cpu_us = (client_cpu_end - client_cpu_start) * 1e6 / puts;
  }
  return row;
}

}  // namespace dsc::bench
