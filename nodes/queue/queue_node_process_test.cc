// Process-level tests of the queue node: the real binary, real files, real
// signals, and worker processes. The crash test is docs/RELIABILITY.md's family
// 1: drive producers and workers, SIGKILL the node at random moments,
// restart it, and check that every task acknowledged with 201 is still
// there and that every task completes.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "nodes/common/test_expectations.h"
#include "nodes/common/test_util.h"
#include "nodes/queue/queue_client.h"

namespace dsc::queue {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;
namespace testing = node::testing;

// One run of queue_node_test_main (serve, worker or produce) as a child.
class Process : public node::testing::ChildProcess {
 public:
  Process(const std::vector<std::string>& args, const std::string& output_prefix)
      : ChildProcess(DSC_QUEUE_NODE_BINARY, args, output_prefix) {}
};

// One line a worker prints per task.
struct WorkerLine {
  std::string id;
  int attempt = 0;
  std::string outcome;  // the text after the arrow
};

std::vector<WorkerLine> ParseWorkerOutput(const std::string& text) {
  static const std::regex kLine(R"(worker \S+: leased (t-[0-9a-f]+) attempt (\d+) → (.*))");
  std::vector<WorkerLine> lines;
  std::istringstream in(text);
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_match(line, m, kLine)) lines.push_back({m[1], std::stoi(m[2]), m[3]});
  }
  return lines;
}

class QueueNodeProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("dsc_queue_node_");
    ASSERT_FALSE(dir_.empty());
    port_ = testing::PickFreePort();
    url_ = "http://127.0.0.1:" + std::to_string(port_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Prefix(const std::string& name) {
    return dir_ + "/" + name + std::to_string(launches_++);
  }

  std::unique_ptr<Process> LaunchServer(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"serve",  "--listen",     "127.0.0.1:" + std::to_string(port_),
                                     "--data", dir_ + "/data", "--fsync",
                                     "always"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto server = std::make_unique<Process>(args, Prefix("server"));
    EXPECT_TRUE(testing::PollUntil([&] { return Healthy(); }))
        << server->Stderr() << server->Stdout();
    return server;
  }

  std::unique_ptr<Process> LaunchWorker(const std::string& id, std::vector<std::string> extra) {
    std::vector<std::string> args = {"worker", "--server", url_, "--id", id, "--wait-ms", "1000"};
    args.insert(args.end(), extra.begin(), extra.end());
    return std::make_unique<Process>(args, Prefix("worker-" + id + "-"));
  }

  bool Healthy() {
    QueueClient client(url_, 5s);
    return client.Get("/health").status == 200;
  }

  nlohmann::json Stats() {
    QueueClient client(url_, 20s);
    QueueClient::Reply r = client.Get("/stats");
    return r.status == 200 ? r.body : nlohmann::json::object();
  }

  // Enqueues `count` tasks; returns their ids.
  std::vector<std::string> EnqueueTasks(int count, int max_retries) {
    QueueClient client(url_, 20s);
    std::vector<std::string> ids;
    for (int i = 0; i < count; ++i) {
      QueueClient::Reply r =
          client.Enqueue(R"({"n":)" + std::to_string(i) + "}", std::nullopt, max_retries);
      EXPECT_EQ(r.status, 201) << r.body.dump() << r.error;
      if (r.status == 201) ids.push_back(r.body["id"]);
    }
    return ids;
  }

  std::string dir_;
  std::string url_;
  int port_ = 0;
  int launches_ = 0;
};

TEST_F(QueueNodeProcessTest, ThreeWorkers_DrainTasks_EachCompletedOnceOrRetriedAsRecorded) {
  auto server = LaunchServer();
  const std::vector<std::string> ids = EnqueueTasks(200, /*max_retries=*/10);
  ASSERT_EQ(ids.size(), 200u);
  std::vector<std::unique_ptr<Process>> workers;
  for (int w = 1; w <= 3; ++w) {
    workers.push_back(LaunchWorker("w" + std::to_string(w),
                                   {"--concurrency", "2", "--work-ms", "2", "--fail-rate", "0.1",
                                    "--seed", std::to_string(w), "--lease-ms", "10000"}));
  }
  ASSERT_TRUE(testing::PollUntil([&] { return Stats().value("completed", 0) == 200; }, 60s))
      << Stats().dump();
  std::vector<WorkerLine> lines;
  for (auto& worker : workers) {
    worker->Signal(SIGTERM);
    EXPECT_EQ(worker->WaitExit(20s), 0) << worker->Stderr();
    std::vector<WorkerLine> more = ParseWorkerOutput(worker->Stdout());
    lines.insert(lines.end(), more.begin(), more.end());
  }

  // Every attempt the node counted was printed by exactly one worker, and
  // each task was done exactly once, by its last attempt.
  std::map<std::string, std::vector<WorkerLine>> by_task;
  for (const WorkerLine& line : lines) by_task[line.id].push_back(line);
  QueueClient client(url_);
  for (const std::string& id : ids) {
    QueueClient::Reply task = client.GetTask(id);
    ASSERT_EQ(task.status, 200);
    EXPECT_EQ(task.body["status"], "completed");
    const std::vector<WorkerLine>& attempts = by_task[id];
    ASSERT_EQ(attempts.size(), task.body["attempt"].get<size_t>()) << id;
    std::set<int> numbers;
    int done = 0;
    for (const WorkerLine& line : attempts) {
      numbers.insert(line.attempt);
      if (line.outcome.starts_with("done"))
        ++done;
      else
        EXPECT_THAT(line.outcome, HasSubstr("will retry")) << id;
    }
    EXPECT_EQ(done, 1) << id;
    EXPECT_EQ(numbers.size(), attempts.size()) << id;  // attempts 1..n, each once
  }
  const nlohmann::json stats = Stats();
  EXPECT_EQ(stats["counters"]["acked"], 200);
  EXPECT_EQ(stats["counters"]["leased"].get<int>(), 200 + stats["counters"]["retried"].get<int>());
}

TEST_F(QueueNodeProcessTest, FailRateOne_RetriesWithBackoffThenDeadLetters) {
  auto server = LaunchServer();
  const std::vector<std::string> ids = EnqueueTasks(3, /*max_retries=*/1);
  auto worker = LaunchWorker("w1", {"--concurrency", "3", "--work-ms", "1", "--fail-rate", "1"});
  ASSERT_TRUE(testing::PollUntil([&] { return Stats().value("failed", 0) == 3; }, 30s))
      << Stats().dump();
  worker->Signal(SIGINT);
  EXPECT_EQ(worker->WaitExit(20s), 0);
  QueueClient client(url_);
  for (const std::string& id : ids) {
    QueueClient::Reply task = client.GetTask(id);
    EXPECT_EQ(task.body["status"], "failed");
    EXPECT_EQ(task.body["attempt"], 2);
    EXPECT_EQ(task.body["last_error"], "failed (simulated)");
  }
  const std::string out = worker->Stdout();
  EXPECT_THAT(out, HasSubstr("→ failed (simulated), will retry in"));
  EXPECT_THAT(out, HasSubstr("→ failed (simulated), dead-lettered"));
  EXPECT_EQ(Stats()["counters"]["dead_lettered"], 3);
}

TEST_F(QueueNodeProcessTest, WorkerKilledHoldingLeases_TasksCompleteElsewhereAfterExpiry) {
  auto server = LaunchServer();
  const std::vector<std::string> ids = EnqueueTasks(3, /*max_retries=*/3);
  auto stuck =
      LaunchWorker("slow", {"--concurrency", "3", "--work-ms", "600000", "--lease-ms", "1000"});
  ASSERT_TRUE(testing::PollUntil([&] { return Stats().value("processing", 0) == 3; }));
  stuck->Signal(SIGKILL);
  ASSERT_EQ(stuck->WaitExit(20s), 128 + SIGKILL);

  auto rescuer = LaunchWorker("fast", {"--concurrency", "3", "--work-ms", "1"});
  ASSERT_TRUE(testing::PollUntil([&] { return Stats().value("completed", 0) == 3; }))
      << Stats().dump();
  QueueClient client(url_);
  for (const std::string& id : ids) {
    QueueClient::Reply task = client.GetTask(id);
    EXPECT_EQ(task.body["attempt"], 2);  // the dead worker's attempt counts
    EXPECT_EQ(task.body["worker"], "fast");
  }
  EXPECT_EQ(Stats()["counters"]["expired"], 3);
  rescuer->Signal(SIGTERM);
  EXPECT_EQ(rescuer->WaitExit(20s), 0);
}

TEST_F(QueueNodeProcessTest, ServerKilledUnderLoad_LosesNoAcknowledgedTaskAndNoneStuck) {
  constexpr int kCycles = 10;
  constexpr int kProducers = 3;
  // DSC_TEST_SEED=N replays a failing run's kill moments.
  const char* seed_env = std::getenv("DSC_TEST_SEED");
  const uint64_t seed = seed_env ? std::strtoull(seed_env, nullptr, 10) : std::random_device{}();
  std::cout << "seed " << seed << " (kill moments; rerun with DSC_TEST_SEED=" << seed << ")\n";
  std::mt19937_64 random(seed);

  std::mutex mutex;
  std::set<std::string> acknowledged;  // every id answered with 201
  std::atomic<bool> stop{false};
  std::vector<std::thread> producers;
  auto server = LaunchServer();
  std::vector<std::unique_ptr<Process>> workers;
  for (int w = 1; w <= 2; ++w) {
    workers.push_back(LaunchWorker("w" + std::to_string(w),
                                   {"--concurrency", "2", "--work-ms", "2", "--lease-ms", "1000"}));
  }
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      QueueClient client(url_, 10s);
      for (int i = 0; !stop; ++i) {
        // Many retries: every kill may expire a lease, and an expiry counts
        // as a failed attempt; the test wants completion, not dead letters.
        QueueClient::Reply r =
            client.Enqueue(R"({"p":)" + std::to_string(p) + R"(,"i":)" + std::to_string(i) + "}",
                           std::nullopt, 50);
        if (r.status == 201) {
          std::lock_guard lock(mutex);
          acknowledged.insert(r.body["id"].get<std::string>());
        } else if (r.status == 0) {
          std::this_thread::sleep_for(20ms);  // the node is down: try again soon
        }
      }
    });
  }

  for (int cycle = 0; cycle < kCycles; ++cycle) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100 + random() % 300));
    server->Signal(SIGKILL);
    ASSERT_EQ(server->WaitExit(20s), 128 + SIGKILL);
    server = LaunchServer();
  }
  stop = true;
  for (std::thread& t : producers) t.join();

  // With the workers still running, everything drains.
  ASSERT_TRUE(testing::PollUntil(
      [&] {
        nlohmann::json s = Stats();
        return s.value("pending", -1) == 0 && s.value("processing", -1) == 0;
      },
      60s))
      << Stats().dump();
  QueueClient client(url_);
  std::cout << acknowledged.size() << " tasks acknowledged over " << kCycles << " kills\n";
  ASSERT_GT(acknowledged.size(), 0u);
  for (const std::string& id : acknowledged) {
    QueueClient::Reply task = client.GetTask(id);
    ASSERT_EQ(task.status, 200) << "acknowledged task " << id << " lost (seed " << seed << ")";
    EXPECT_EQ(task.body["status"], "completed") << id << " (seed " << seed << ")";
  }
  EXPECT_EQ(Stats()["failed"], 0);
  for (auto& worker : workers) {
    worker->Signal(SIGTERM);
    EXPECT_EQ(worker->WaitExit(20s), 0);
  }
  server->Signal(SIGTERM);
  EXPECT_EQ(server->WaitExit(20s), 0) << server->Stderr();
}

TEST_F(QueueNodeProcessTest, BadInput_Gets4xxJsonAndHealthStays200) {
  auto server = LaunchServer({"--max-body-bytes", "65536"});
  httplib::Client client("127.0.0.1", port_);
  client.set_read_timeout(20s);
  const auto expect_error = testing::ExpectJsonError;
  const char* json = "application/json";
  expect_error(client.Post("/tasks", "{\"payload\":", json), 400, "bad_request");
  expect_error(client.Post("/tasks", "\xff\xfe garbage", json), 400, "bad_request");
  expect_error(client.Post("/tasks", R"({"payload":1,"max_retries":true})", json), 400,
               "bad_request");
  expect_error(client.Post("/tasks", R"({"payload":")" + std::string(100'000, 'x') + R"("})", json),
               413, "too_large");
  expect_error(client.Post("/tasks/lease", R"({"worker":"w","lease_ms":-1})", json), 400,
               "bad_request");
  expect_error(client.Post("/tasks/t-0000/ack", R"({"worker":"w"})", json), 404, "not_found");
  expect_error(client.Get("/tasks/t-0000"), 404, "not_found");
  expect_error(client.Delete("/tasks"), 405, "method_not_allowed");

  testing::ExpectGarbageGets4xxJson(port_, "/tasks");
  EXPECT_TRUE(Healthy());
  EXPECT_EQ(Stats()["wal"]["last_lsn"], 0);  // nothing bad reached the log
}

TEST_F(QueueNodeProcessTest, Sigterm_ExitsZeroAndKeepsTasks) {
  std::vector<std::string> ids;
  {
    auto server = LaunchServer();
    ids = EnqueueTasks(3, 3);
    server->Signal(SIGTERM);
    EXPECT_EQ(server->WaitExit(20s), 0) << server->Stderr();
    EXPECT_THAT(server->Stdout(), HasSubstr("stopped cleanly"));
  }
  auto server = LaunchServer({"--fsync", "never", "--durable-leases"});
  QueueClient client(url_);
  for (const std::string& id : ids) EXPECT_EQ(client.GetTask(id).body["status"], "pending");
  QueueClient::Reply status = client.Get("/status");
  EXPECT_EQ(status.body["wal"]["fsync"], "never");
  EXPECT_EQ(status.body["tasks"]["pending"], 3);
  EXPECT_THAT(server->Stdout(), HasSubstr("queue: recovered 3 tasks"));
}

TEST_F(QueueNodeProcessTest, StartupFailures_ExitNonZeroWithOneLine) {
  auto first = LaunchServer();
  const std::string file = dir_ + "/a-file";
  std::ofstream(file) << "not a directory";
  const std::vector<std::vector<std::string>> cases = {
      {"serve", "--listen", "127.0.0.1:" + std::to_string(port_), "--data",
       dir_ + "/other"},  // busy port
      {"serve", "--listen", "127.0.0.1:" + std::to_string(testing::PickFreePort()), "--data",
       dir_ + "/data"},           // dir in use
      {"serve", "--data", file},  // not a dir
      {"serve", "--data", dir_ + "/d", "--fsync", "sometimes"},
      {"serve", "--data", dir_ + "/d", "--retention-ms", "0"},
      {"serve", "--data", dir_ + "/d", "--listen", "nowhere"},
      {"serve", "--listen", "127.0.0.1:1"},  // no --data
      {"worker", "--fail-rate", "2"},
      {"produce", "--payload", "{n"},
  };
  for (const auto& args : cases) {
    Process process(args, Prefix("bad"));
    std::optional<int> code = process.WaitExit(20s);
    ASSERT_TRUE(code.has_value());
    EXPECT_NE(*code, 0) << args[2];
    const std::string err = process.Stderr();
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  }
  EXPECT_TRUE(Healthy());  // the first node is unharmed
}

}  // namespace
}  // namespace dsc::queue
