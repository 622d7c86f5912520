#include "bench/dsc_node_runs.h"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <system_error>
#include <thread>
#include <vector>

#include "base/first_error.h"
#include "bench/dsc_queue_system.h"
#include "bench/idle_connections.h"
#include "bench/server_process.h"

namespace dsc::bench {
namespace {

using Clock = std::chrono::steady_clock;

DscQueueOptions NodeOptions(const DscNodeRunOptions& options) {
  DscQueueOptions node_options;
  node_options.threads = options.threads;
  return node_options;
}

Status StartFresh(DscQueueSystem& node, const std::string& data_dir) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) return Status::IOError("create " + data_dir + ": " + ec.message());
  return node.Start(data_dir).WithContext("start " + node.name());
}

Result<uint64_t> Rss(const DscQueueSystem& node) {
  if (node.server() == nullptr) return Status::Unavailable("the dsc node is not running");
  return node.server()->RssBytes();
}

// `tasks` enqueues, split among `clients` connections, each waiting for
// its answer (durable) before the next.
Status EnqueueTasks(DscQueueSystem& node, uint64_t tasks, int clients, size_t payload_bytes) {
  std::vector<std::unique_ptr<QueueConnection>> connections;
  for (int i = 0; i < clients; ++i) {
    Result<std::unique_ptr<QueueConnection>> connection = node.Connect();
    if (!connection.ok()) return connection.status();
    connections.push_back(std::move(connection).value());
  }
  FirstError failure;
  std::vector<std::thread> threads;
  const auto count = static_cast<uint64_t>(clients);
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t share = tasks / count + (i < tasks % count ? 1 : 0);
    threads.emplace_back([&, i, share] {
      for (uint64_t seq = 0; seq < share && !failure.failed(); ++seq) {
        std::string payload = fmt::format("qb-pending-c{}-{}-", i, seq);
        payload.resize(payload_bytes, '.');
        if (Status s = connections[i]->Enqueue(payload); !s.ok()) {
          failure.Set(s.WithContext(fmt::format("client {}", i)));
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  return failure.Get();
}

}  // namespace

Result<IdleRun> MeasureIdleRun(const DscNodeRunOptions& options, const CycleRunOptions& load,
                               size_t idle_connections, int run, bool idle_first) {
  IdleRun result;
  result.run = run;
  result.idle_first = idle_first;

  auto without = [&]() -> Status {
    DscQueueSystem node(options.dsc_binary, NodeOptions(options));
    DSC_RETURN_IF_ERROR(
        StartFresh(node, fmt::format("{}/idle_run{}_without", options.data_dir, run)));
    Result<QueueRow> row = RunCycles(node, load);
    if (!row.ok()) return row.status().WithContext("the load without idle connections");
    Result<uint64_t> rss = Rss(node);
    if (!rss.ok()) return rss.status();
    result.without = *row;
    result.without.run = run;
    result.rss_after_load_without = *rss;
    return node.Stop().WithContext("stop dsc");
  };

  auto with = [&]() -> Status {
    DscQueueSystem node(options.dsc_binary, NodeOptions(options));
    DSC_RETURN_IF_ERROR(StartFresh(node, fmt::format("{}/idle_run{}_with", options.data_dir, run)));
    Result<uint64_t> before = Rss(node);
    if (!before.ok()) return before.status();
    const Clock::time_point start = Clock::now();
    Result<std::unique_ptr<IdleConnections>> idle =
        IdleConnections::Open(node.port(), idle_connections);
    if (!idle.ok()) return idle.status().WithContext("open the idle connections");
    result.open_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    Result<uint64_t> opened = Rss(node);
    if (!opened.ok()) return opened.status();
    Result<QueueRow> row = RunCycles(node, load);
    if (!row.ok()) {
      return row.status().WithContext(
          fmt::format("the load beside {} idle connections", idle_connections));
    }
    Result<size_t> no_longer_idle = (*idle)->NoLongerIdle();
    if (!no_longer_idle.ok()) return no_longer_idle.status();
    Result<uint64_t> after = Rss(node);
    if (!after.ok()) return after.status();
    idle->reset();  // closes them, before the node stops
    result.with = *row;
    result.with.run = run;
    result.rss_before_idle = *before;
    result.rss_idle = *opened;
    result.rss_after_load_with = *after;
    result.no_longer_idle = *no_longer_idle;
    return node.Stop().WithContext("stop dsc");
  };

  if (idle_first) {
    DSC_RETURN_IF_ERROR(with());
    DSC_RETURN_IF_ERROR(without());
  } else {
    DSC_RETURN_IF_ERROR(without());
    DSC_RETURN_IF_ERROR(with());
  }
  return result;
}

Result<SteadyMemoryResult> MeasureSteadyMemory(const DscNodeRunOptions& options,
                                               CycleRunOptions load, int64_t retention_ms) {
  DscQueueOptions node_options = NodeOptions(options);
  node_options.retention_ms = retention_ms;
  DscQueueSystem node(options.dsc_binary, node_options);
  DSC_RETURN_IF_ERROR(StartFresh(node, options.data_dir + "/steady_memory"));

  SteadyMemoryResult result;
  result.target_rate = load.target_cycles_per_second;
  result.retention_ms = retention_ms;
  Status sample_error;
  load.tick = std::chrono::seconds(1);
  load.on_tick = [&](std::chrono::duration<double> since_start) {
    Result<uint64_t> rss = Rss(node);
    if (!rss.ok()) {
      if (sample_error.ok()) sample_error = rss.status();
      return;
    }
    result.samples.push_back({since_start.count(), *rss});
  };
  Result<QueueRow> row = RunCycles(node, load);
  if (!row.ok()) return row.status().WithContext("the steady-rate load");
  if (!sample_error.ok()) return sample_error.WithContext("sample the node's RSS");
  result.row = *row;
  DSC_RETURN_IF_ERROR(node.Stop().WithContext("stop dsc"));
  return result;
}

Result<PendingMemoryResult> MeasurePendingMemory(const DscNodeRunOptions& options, uint64_t tasks,
                                                 int clients, const CycleRunOptions& warmup) {
  DscQueueSystem node(options.dsc_binary, NodeOptions(options));
  DSC_RETURN_IF_ERROR(StartFresh(node, options.data_dir + "/pending_memory"));
  Result<QueueRow> warm = RunCycles(node, warmup);
  if (!warm.ok()) return warm.status().WithContext("the warm-up before the pending tasks");

  PendingMemoryResult result;
  result.tasks = tasks;
  result.clients = clients;
  Result<uint64_t> before = Rss(node);
  if (!before.ok()) return before.status();
  const Clock::time_point start = Clock::now();
  DSC_RETURN_IF_ERROR(EnqueueTasks(node, tasks, clients, options.payload_bytes)
                          .WithContext(fmt::format("enqueue {} pending tasks", tasks)));
  result.enqueue_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  Result<uint64_t> after = Rss(node);
  if (!after.ok()) return after.status();
  result.rss_before = *before;
  result.rss_after = *after;

  Result<uint64_t> pending = node.PendingTasks();
  if (!pending.ok()) return pending.status();
  if (*pending != tasks) {
    return Status::Corruption(
        fmt::format("enqueued {} tasks, but the node holds {} pending", tasks, *pending));
  }
  DSC_RETURN_IF_ERROR(node.Stop().WithContext("stop dsc"));
  return result;
}

}  // namespace dsc::bench
