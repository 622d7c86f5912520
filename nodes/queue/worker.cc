#include "nodes/queue/worker.h"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "nodes/common/shutdown_signal.h"
#include "nodes/queue/queue_client.h"

namespace dsc::queue {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// What all worker threads share.
class WorkerRun {
 public:
  WorkerRun(const WorkerOptions& options, node::ShutdownSignal* shutdown)
      : options_(options), shutdown_(shutdown) {}

  void Thread(int index);
  void Stop() { stop_ = true; }
  uint64_t done() const { return done_; }
  uint64_t failed() const { return failed_; }
  uint64_t lost() const { return lost_; }
  bool rejected() const { return rejected_; }

 private:
  // Takes one of the max_tasks slots; false when none is left.
  bool ClaimSlot();
  void ReleaseSlot() { --claimed_; }
  void FinishTask();
  void Handle(QueueClient& client, const nlohmann::json& task, std::mt19937_64& random);
  void Print(const std::string& line);
  // Sleeps up to `ms`, waking early when the worker stops.
  void Nap(int64_t ms);
  void Unreachable(const std::string& why);
  void Reachable() { unreachable_reported_ = false; }

  const WorkerOptions& options_;
  node::ShutdownSignal* const shutdown_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> claimed_{0};   // tasks taken or being leased
  std::atomic<uint64_t> finished_{0};  // tasks handled to the end
  std::atomic<uint64_t> done_{0}, failed_{0}, lost_{0};
  std::atomic<bool> rejected_{false};
  std::atomic<bool> unreachable_reported_{false};
  std::mutex print_mutex_;
};

bool WorkerRun::ClaimSlot() {
  if (options_.max_tasks == 0) return true;
  if (++claimed_ <= options_.max_tasks) return true;
  --claimed_;
  return false;
}

void WorkerRun::FinishTask() {
  if (options_.max_tasks != 0 && ++finished_ >= options_.max_tasks) {
    stop_ = true;
    shutdown_->Request();
  }
}

// ANCHOR: worker_loop
// ANCHOR: worker_thread
void WorkerRun::Thread(int index) {
  QueueClient client(options_.server);
  std::mt19937_64 random(options_.seed ? *options_.seed + static_cast<uint64_t>(index)
                                       : std::random_device{}());
  while (!stop_ && ClaimSlot()) {
    // Long poll: the node holds the request until a task is ready or
    // wait_ms passes, so an idle worker costs one request per wait_ms.
    QueueClient::Reply reply = client.Lease(options_.id, options_.lease_ms, options_.wait_ms);
    if (reply.status != 200) ReleaseSlot();
    if (reply.status == 0) {  // the node is down or restarting
      Unreachable(reply.error);
      Nap(500);
      continue;
    }
    Reachable();
    if (reply.status == 204) continue;  // nothing to do yet: ask again
    if (reply.status >= 400 && reply.status < 500) {
      // The node refuses our request itself (a bad lease_ms, say): asking
      // again will not help.
      Print(fmt::format("worker {}: lease refused ({}): {}", options_.id, reply.status,
                        reply.body.dump()));
      rejected_ = true;
      stop_ = true;
      shutdown_->Request();
      break;
    }
    if (reply.status != 200) {  // 503: shutting down or failed; retry later
      Nap(500);
      continue;
    }
    Handle(client, reply.body, random);
    FinishTask();
  }
}
// ANCHOR_END: worker_thread

void WorkerRun::Handle(QueueClient& client, const nlohmann::json& task, std::mt19937_64& random) {
  const std::string id = task.value("id", "");
  const std::string head =
      fmt::format("worker {}: leased {} attempt {}", options_.id, id, task.value("attempt", 0));
  const auto started = steady_clock::now();
  std::this_thread::sleep_for(milliseconds(options_.work_ms));  // the "work"
  const bool fail = std::uniform_real_distribution<double>(0, 1)(random) < options_.fail_rate;

  QueueClient::Reply reply =
      fail ? client.Fail(id, options_.id, "failed (simulated)") : client.Ack(id, options_.id);
  if (reply.status == 0) {
    ++lost_;
    Print(fmt::format("{} → {} not delivered ({}); the lease will run out and the task run again",
                      head, fail ? "fail" : "ack", reply.error));
  } else if (reply.status == 409) {
    ++lost_;
    Print(fmt::format("{} → lease lost (409): another worker may run it", head));
  } else if (reply.status != 200) {
    ++lost_;
    Print(fmt::format("{} → {} answered {}: {}", head, fail ? "fail" : "ack", reply.status,
                      reply.body.dump()));
  } else if (!fail) {
    ++done_;
    const auto elapsed = std::chrono::duration_cast<milliseconds>(steady_clock::now() - started);
    Print(fmt::format("{} → done in {} ms", head, elapsed.count()));
  } else {
    ++failed_;
    if (reply.body.value("status", "") == "failed") {
      Print(fmt::format("{} → failed (simulated), dead-lettered", head));
    } else {
      const int64_t retry_at = reply.body.value("retry_at_ms", int64_t{0});
      const int64_t now = std::chrono::duration_cast<milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
      Print(fmt::format("{} → failed (simulated), will retry in {} ms", head,
                        std::max<int64_t>(0, retry_at - now)));
    }
  }
}
// ANCHOR_END: worker_loop

void WorkerRun::Print(const std::string& line) {
  std::lock_guard lock(print_mutex_);
  fmt::print("{}\n", line);
  std::fflush(stdout);  // one line at a time, even into a pipe or a file
}

void WorkerRun::Nap(int64_t ms) {
  const auto until = steady_clock::now() + milliseconds(ms);
  while (!stop_ && steady_clock::now() < until) std::this_thread::sleep_for(milliseconds(20));
}

void WorkerRun::Unreachable(const std::string& why) {
  if (unreachable_reported_.exchange(true)) return;
  Print(
      fmt::format("worker {}: cannot reach {} ({}); retrying", options_.id, options_.server, why));
}

int Usage(const std::string& reason) {
  fmt::print(stderr, "dsc queue worker: {}\n", reason);
  return 2;
}

}  // namespace

int RunWorker(const WorkerOptions& options) {
  node::ShutdownSignal shutdown;  // before any thread starts
  if (options.id.empty()) return Usage("--id must not be empty");
  if (options.concurrency < 1 || options.concurrency > 256)
    return Usage("--concurrency must be 1..256");
  if (options.work_ms < 0) return Usage("--work-ms must be >= 0");
  if (!(options.fail_rate >= 0 && options.fail_rate <= 1)) return Usage("--fail-rate must be 0..1");
  if (options.lease_ms <= 0) return Usage("--lease-ms must be > 0");
  if (options.wait_ms < 0 || options.wait_ms > 30'000) return Usage("--wait-ms must be 0..30000");
  if (!QueueClient(options.server).valid()) return Usage("bad --server \"" + options.server + "\"");

  fmt::print("worker {}: {} thread(s) working for {}\n", options.id, options.concurrency,
             options.server);
  std::fflush(stdout);
  WorkerRun run(options, &shutdown);
  std::vector<std::thread> threads;
  for (int i = 0; i < options.concurrency; ++i) threads.emplace_back([&run, i] { run.Thread(i); });
  shutdown.Wait();  // SIGINT, SIGTERM, max_tasks reached or refused
  run.Stop();       // each thread finishes the task in hand
  for (std::thread& t : threads) t.join();
  fmt::print("worker {}: stopped: {} done, {} failed, {} not acknowledged\n", options.id,
             run.done(), run.failed(), run.lost());
  std::fflush(stdout);
  return run.rejected() ? 1 : 0;
}

}  // namespace dsc::queue
