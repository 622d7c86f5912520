#include "bench/cycle_run.h"

#include <fmt/format.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_set>
#include <vector>

#include "base/first_error.h"
#include "bench/load_window.h"
#include "bench/measurement.h"

namespace dsc::bench {
namespace {

using Clock = std::chrono::steady_clock;

// The tasks enqueued and not yet leased, by payload. Each payload is
// unique, so a lease of an unknown payload means a task the run never
// enqueued, or one delivered twice.
class TaskLedger {
 public:
  // Called before the enqueue is sent: another client may lease the task
  // before the enqueue's answer is back.
  void Expect(const std::string& payload) {
    std::lock_guard lock(mutex_);
    outstanding_.insert(payload);
  }
  bool Claim(const std::string& payload) {
    std::lock_guard lock(mutex_);
    return outstanding_.erase(payload) == 1;
  }
  size_t OutstandingCount() const {
    std::lock_guard lock(mutex_);
    return outstanding_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::unordered_set<std::string> outstanding_;
};

// A unique, recognisable payload of exactly `bytes` bytes (>= 40):
// "qb-<run>-c<client>-<seq>-" padded with dots.
std::string MakePayload(const std::string& run_tag, int client, uint64_t seq, size_t bytes) {
  std::string payload = fmt::format("qb-{}-c{}-{}-", run_tag, client, seq);
  payload.resize(bytes, '.');
  return payload;
}

struct ClientResult {
  LatencySamples latencies;  // of the cycles that ended inside the window
  uint64_t cycles = 0;       // all completed cycles
};

// One client: cycles until the window has passed or any client failed.
// `period`: zero for a closed loop, else the time between the starts of
// this client's cycles, the first at `first_start`.
void RunClient(QueueConnection& connection, int client, const std::string& run_tag,
               size_t payload_bytes, const LoadWindow& window, Clock::duration period,
               Clock::time_point first_start, TaskLedger& ledger, FirstError& failure,
               ClientResult& result) {
  auto fail = [&](const Status& status) {
    failure.Set(status.WithContext("client " + std::to_string(client)));
  };
  Clock::time_point next_start = first_start;
  for (uint64_t seq = 0; !failure.failed(); ++seq) {
    const std::string payload = MakePayload(run_tag, client, seq, payload_bytes);
    if (period > Clock::duration::zero()) {
      std::this_thread::sleep_until(next_start);
      next_start += period;
      const Clock::time_point now = Clock::now();
      if (next_start < now - std::chrono::seconds(1)) next_start = now;
      if (now >= window.end) return;
    }
    ledger.Expect(payload);

    const Clock::time_point start = Clock::now();
    if (Status s = connection.Enqueue(payload); !s.ok()) return fail(s);
    Result<LeasedJob> leased = connection.Lease();
    if (!leased.ok()) return fail(leased.status());
    if (!ledger.Claim(leased->payload)) {
      return fail(Status::Corruption("leased task " + leased->id + " with payload \"" +
                                     leased->payload +
                                     "\", which no client enqueued or which was leased before"));
    }
    if (Status s = connection.Ack(leased->id); !s.ok()) return fail(s);
    const Clock::time_point end = Clock::now();

    ++result.cycles;
    if (window.Contains(end)) result.latencies.Add(end - start);
    if (end >= window.end) return;
  }
}

}  // namespace

Result<QueueRow> RunCycles(QueueSystem& system, const CycleRunOptions& options) {
  std::vector<std::unique_ptr<QueueConnection>> connections;
  for (int i = 0; i < options.clients; ++i) {
    Result<std::unique_ptr<QueueConnection>> connection = system.Connect();
    if (!connection.ok()) return connection.status();
    connections.push_back(std::move(connection).value());
  }

  // Payloads name the run, so a task left over from anything else is caught.
  const std::string run_tag = fmt::format("{:08x}", std::random_device{}());
  TaskLedger ledger;
  FirstError failure;
  std::vector<ClientResult> results(static_cast<size_t>(options.clients));
  const Clock::time_point begin = Clock::now();
  const LoadWindow window = LoadWindow::AfterWarmup(options.warmup, options.window);
  // Paced clients start a cycle every `period`, staggered evenly.
  Clock::duration period = Clock::duration::zero();
  if (options.target_cycles_per_second > 0) {
    period = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
        static_cast<double>(options.clients) / options.target_cycles_per_second));
  }

  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(options.clients));
  for (int i = 0; i < options.clients; ++i) {
    const Clock::time_point first_start = begin + period * i / options.clients;
    threads.emplace_back([&, i, first_start] {
      RunClient(*connections[static_cast<size_t>(i)], i, run_tag, options.payload_bytes, window,
                period, first_start, ledger, failure, results[static_cast<size_t>(i)]);
    });
  }
  // CPU time is read at the window's edges, so warm-up work is left out.
  std::this_thread::sleep_until(window.start);
  const Result<double> server_cpu_start = system.ServerCpuSeconds();
  const double client_cpu_start = ProcessCpuSeconds();
  if (options.on_tick) {
    const auto tick = std::chrono::duration_cast<Clock::duration>(options.tick);
    for (Clock::time_point t = window.start; t <= window.end && !failure.failed(); t += tick) {
      std::this_thread::sleep_until(t);
      options.on_tick(t - window.start);
      if (tick <= Clock::duration::zero()) break;
    }
  }
  std::this_thread::sleep_until(window.end);
  const Result<double> server_cpu_end = system.ServerCpuSeconds();
  const double client_cpu_end = ProcessCpuSeconds();
  for (std::thread& thread : threads) thread.join();

  if (failure.failed()) return failure.Get().WithContext(system.name());
  if (!server_cpu_start.ok()) return server_cpu_start.status();
  if (!server_cpu_end.ok()) return server_cpu_end.status();

  QueueRow row;
  row.system = system.name();
  row.clients = options.clients;
  row.seconds = options.window.count();
  LatencySamples latencies;
  for (const ClientResult& result : results) {
    latencies.Merge(result.latencies);
    row.all_cycles += result.cycles;
  }
  row.cycles = latencies.size();
  if (ledger.OutstandingCount() != 0) {
    return Status::Corruption(fmt::format("{}: {} enqueued tasks were never leased", system.name(),
                                          ledger.OutstandingCount()));
  }
  DSC_RETURN_IF_ERROR(system.CheckDrained(row.all_cycles).WithContext(system.name()));

  row.p50_ms = latencies.PercentileMicros(0.50) / 1000.0;
  row.p99_ms = latencies.PercentileMicros(0.99) / 1000.0;
  if (row.cycles > 0) {
    const auto cycles = static_cast<double>(row.cycles);
    row.server_cpu_us = (*server_cpu_end - *server_cpu_start) * 1e6 / cycles;
    row.client_cpu_us = (client_cpu_end - client_cpu_start) * 1e6 / cycles;
  }
  return row;
}

}  // namespace dsc::bench
