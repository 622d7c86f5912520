#include "nodes/raft/check/workload.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <mutex>
#include <random>
#include <thread>

namespace dsc::raft::check {

namespace {

using Clock = std::chrono::steady_clock;

// One client thread's loop.
class Client {
 public:
  Client(int index, const WorkloadOptions& options, Clock::time_point start)
      : index_(index),
        keys_(options.keys),
        key_prefix_(options.key_prefix.empty() ? "" : options.key_prefix + "-"),
        start_(start),
        random_(options.seed * 1000003 + static_cast<uint64_t>(index)),
        kv_(options.nodes, options.client, random_()) {}

  void Run(const StopSignal& stop) {
    while (!stop.stopped()) {
      Operation op = Next();
      op.invoke_ns = Now();
      kv_.Perform(op);
      op.complete_ns = Now();
      if (op.outcome == Outcome::kOk && op.has_seen) last_seen_[op.key] = op.seen;
      if (op.outcome == Outcome::kOk && (op.kind == OpKind::kPut || op.swapped)) {
        last_seen_[op.key] = op.value;
      }
      history_.push_back(std::move(op));
    }
  }

  History& history() { return history_; }

 private:
  int64_t Now() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start_).count();
  }

  Operation Next() {
    Operation op;
    op.client = index_;
    op.key = key_prefix_ + "k" + std::to_string(random_() % static_cast<uint64_t>(keys_));
    const uint64_t dice = random_() % 10;
    auto fresh_value = [this] {
      return "c" + std::to_string(index_) + "-" + std::to_string(++written_);
    };
    if (dice < 4) {
      op.kind = OpKind::kGet;
    } else if (dice < 7) {
      op.kind = OpKind::kPut;
      op.value = fresh_value();
    } else if (dice < 9) {
      op.kind = OpKind::kCas;
      op.value = fresh_value();
      // Always a string: what "expected": null means is not in the
      // contract. Never seen a value here yet: expect one that cannot be
      // there, a CAS bound to fail.
      auto seen = last_seen_.find(op.key);
      op.expected = seen != last_seen_.end() && seen->second ? *seen->second
                                                             : "c" + std::to_string(index_) + "-0";
    } else {
      op.kind = OpKind::kDelete;
    }
    return op;
  }

  const int index_;
  const int keys_;
  const std::string key_prefix_;
  const Clock::time_point start_;
  std::mt19937_64 random_;
  KvClient kv_;
  uint64_t written_ = 0;
  std::map<std::string, std::optional<std::string>> last_seen_;  // by key
  History history_;
};

}  // namespace

// ANCHOR: run_workload
History RunWorkload(const WorkloadOptions& options,
                    const std::function<void(const std::string&)>& log) {
  const Clock::time_point start = Clock::now();
  std::mutex log_mu;
  auto timed_log = [&](const std::string& line) {
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    char stamp[32];
    std::snprintf(stamp, sizeof(stamp), "%8.3fs ", seconds);
    std::lock_guard lock(log_mu);
    log(stamp + line);
  };

  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < options.clients; ++i) {
    clients.push_back(std::make_unique<Client>(i, options, start));
  }
  StopSignal stop_clients, stop_nemesis;
  std::vector<std::thread> threads;
  for (auto& client : clients) {
    threads.emplace_back([&client, &stop_clients] { client->Run(stop_clients); });
  }
  Nemesis nemesis(options.nodes, options.nemesis, options.seed, timed_log);
  std::thread nemesis_thread([&nemesis, &stop_nemesis] { nemesis.Run(stop_nemesis); });

  // The nemesis stops early so the run ends on a whole cluster.
  const auto quiet =
      std::min<std::chrono::milliseconds>(options.nemesis.interval, options.duration / 4);
  stop_nemesis.SleepFor(options.duration - quiet);
  stop_nemesis.Stop();
  nemesis_thread.join();  // repaired: healed, and killed nodes restarted
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  if (elapsed < options.duration) stop_clients.SleepFor(options.duration - elapsed);
  stop_clients.Stop();
  for (std::thread& thread : threads) thread.join();

  History history;
  for (auto& client : clients) {
    for (Operation& op : client->history()) history.push_back(std::move(op));
  }
  std::stable_sort(history.begin(), history.end(), [](const Operation& a, const Operation& b) {
    return a.invoke_ns < b.invoke_ns;
  });
  for (size_t i = 0; i < history.size(); ++i) history[i].id = i;
  return history;
}
// ANCHOR_END: run_workload

}  // namespace dsc::raft::check
