// Process tests for the queue in the lab: the real `dsc` starting a real
// queue node and three workers (client nodes: no port, no /health), tasks
// flowing through them, and the kill/restart drills on both kinds of node.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/lab/dsc_runner.h"
#include "tests/lab/lab_fixture.h"

namespace dsc::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

const char* const kWorkers[] = {"worker1", "worker2", "worker3"};

// A status row split into its columns: SYSTEM NODE PID ALIVE HEALTH URL.
struct StatusRow {
  std::string pid, alive, health, url;
};

// The queue's rows of `dsc lab status queue`, by node id.
std::map<std::string, StatusRow> QueueStatus(const DscRun& status) {
  std::map<std::string, StatusRow> rows;
  for (const std::string& line : Lines(status.out)) {
    std::istringstream in(line);
    std::string system, node;
    StatusRow row;
    if (in >> system >> node >> row.pid >> row.alive >> row.health >> row.url &&
        system == "queue") {
      rows[node] = row;
    }
  }
  return rows;
}

pid_t PidFromFile(const std::string& path) {
  std::ifstream in(path);
  pid_t pid = 0;
  in >> pid;
  return pid;
}

// Polls `done` every 100 ms until it holds or `timeout` passes.
bool Eventually(const std::function<bool()>& done,
                std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return done();
}

class QueueLab : public LabFixture {
 protected:
  // POSTs one task; returns its id ("" and a test failure if not 201).
  std::string Enqueue(int n) {
    httplib::Client client = QueueClient();
    httplib::Result posted =
        client.Post("/tasks", nlohmann::json{{"payload", {{"n", n}}}}.dump(), "application/json");
    EXPECT_TRUE(posted) << "POST /tasks: " << httplib::to_string(posted.error());
    if (!posted) return "";
    EXPECT_EQ(posted->status, 201) << posted->body;
    return nlohmann::json::parse(posted->body).value("id", "");
  }

  // GET /stats "completed", or -1 when the node does not answer.
  int64_t Completed() {
    httplib::Client client = QueueClient();
    httplib::Result stats = client.Get("/stats");
    if (!stats || stats->status != 200) return -1;
    return nlohmann::json::parse(stats->body).value("completed", int64_t{-1});
  }

  std::map<std::string, StatusRow> Status() {
    DscRun status = Dsc({"lab", "status", "queue"});
    EXPECT_EQ(status.exit_code, 0) << status.err;
    last_status_ = status.out;
    return QueueStatus(status);
  }

  std::string last_status_;
};

TEST_F(QueueLab, UpStartsAHealthyServerAndThreeWorkersThatDrainTasks) {
  DscRun up = Dsc({"lab", "up", "queue"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  std::string url = "http://127.0.0.1:" + std::to_string(queue_port());
  EXPECT_THAT(up.out, HasSubstr(url));

  std::map<std::string, StatusRow> rows = Status();
  ASSERT_EQ(rows.size(), 4u) << last_status_;
  EXPECT_EQ(rows["queue1"].alive, "yes") << last_status_;
  EXPECT_EQ(rows["queue1"].health, "ok") << last_status_;
  EXPECT_EQ(rows["queue1"].url, url) << last_status_;
  for (const char* worker : kWorkers) {
    EXPECT_EQ(rows[worker].alive, "yes") << worker << "\n" << last_status_;
    EXPECT_EQ(rows[worker].health, "-") << worker << "\n" << last_status_;
    EXPECT_EQ(rows[worker].url, "-") << worker << "\n" << last_status_;
    EXPECT_TRUE(std::filesystem::exists(queue_node_dir(worker) + "/node.log"));
    EXPECT_FALSE(std::filesystem::exists(queue_node_dir(worker) + "/data"));
  }

  for (int n = 0; n < 20; ++n) ASSERT_FALSE(Enqueue(n).empty());
  EXPECT_TRUE(Eventually([&] { return Completed() == 20; })) << "completed: " << Completed();

  // Every worker took part (20 tasks of 500 ms over three long-polling
  // workers): each logs one line per task.
  for (const char* worker : kWorkers) {
    EXPECT_THAT(ReadFile(queue_node_dir(worker) + "/node.log"), HasSubstr("leased"))
        << worker << " did no work";
  }
}

TEST_F(QueueLab, KilledWorkerIsDeadWhileOthersWorkAndRestartBringsItBack) {
  ASSERT_EQ(Dsc({"lab", "up", "queue"}).exit_code, 0);
  pid_t first = PidFromFile(queue_node_dir("worker1") + "/pid");

  DscRun kill = Dsc({"lab", "kill", "queue", "worker1"});
  ASSERT_EQ(kill.exit_code, 0) << kill.out << kill.err;
  EXPECT_FALSE(ProcessAlive(first));
  std::map<std::string, StatusRow> rows = Status();
  EXPECT_EQ(rows["worker1"].alive, "no") << last_status_;
  EXPECT_EQ(rows["worker2"].alive, "yes") << last_status_;
  EXPECT_EQ(rows["worker3"].alive, "yes") << last_status_;
  EXPECT_EQ(rows["queue1"].health, "ok") << last_status_;

  // The other two still drain the queue. (A task that worker1's dead
  // long-poll was handed comes back when its lease runs out.)
  for (int n = 0; n < 10; ++n) ASSERT_FALSE(Enqueue(n).empty());
  EXPECT_TRUE(Eventually([&] { return Completed() == 10; })) << "completed: " << Completed();

  DscRun restart = Dsc({"lab", "restart", "queue", "worker1"});
  ASSERT_EQ(restart.exit_code, 0) << restart.out << restart.err;
  EXPECT_THAT(restart.out, HasSubstr("started"));
  rows = Status();
  EXPECT_EQ(rows["worker1"].alive, "yes") << last_status_;
  pid_t second = PidFromFile(queue_node_dir("worker1") + "/pid");
  EXPECT_NE(second, first);
  EXPECT_TRUE(ProcessAlive(second));
}

TEST_F(QueueLab, AcknowledgedTaskSurvivesKillingTheServerAndWorkersRideThrough) {
  ASSERT_EQ(Dsc({"lab", "up", "queue"}).exit_code, 0);
  std::string id = Enqueue(1);
  ASSERT_FALSE(id.empty());

  DscRun kill = Dsc({"lab", "kill", "queue", "queue1"});
  ASSERT_EQ(kill.exit_code, 0) << kill.out << kill.err;
  std::map<std::string, StatusRow> rows = Status();
  EXPECT_EQ(rows["queue1"].alive, "no") << last_status_;
  EXPECT_FALSE(QueueClient().Get("/health"));

  DscRun restart = Dsc({"lab", "restart", "queue", "queue1"});
  ASSERT_EQ(restart.exit_code, 0) << restart.out << restart.err;
  httplib::Result task = QueueClient().Get("/tasks/" + id);
  ASSERT_TRUE(task);
  EXPECT_EQ(task->status, 200) << task->body;
  EXPECT_EQ(nlohmann::json::parse(task->body).value("id", ""), id) << task->body;

  // The workers kept running through the server's crash and serve the
  // restarted node.
  rows = Status();
  for (const char* worker : kWorkers) EXPECT_EQ(rows[worker].alive, "yes") << last_status_;
  std::string after = Enqueue(2);
  ASSERT_FALSE(after.empty());
  EXPECT_TRUE(Eventually([&] {
    httplib::Result got = QueueClient().Get("/tasks/" + after);
    return got && got->status == 200 &&
           nlohmann::json::parse(got->body).value("status", "") == "completed";
  }));
}

TEST_F(QueueLab, DownStopsTheServerAndEveryWorker) {
  ASSERT_EQ(Dsc({"lab", "up", "queue"}).exit_code, 0);
  std::vector<pid_t> pids = {PidFromFile(queue_node_dir("queue1") + "/pid")};
  for (const char* worker : kWorkers) pids.push_back(PidFromFile(queue_node_dir(worker) + "/pid"));
  for (pid_t pid : pids) {
    ASSERT_GT(pid, 0);
    ASSERT_TRUE(ProcessAlive(pid));
  }

  DscRun down = Dsc({"lab", "down"});
  ASSERT_EQ(down.exit_code, 0) << down.out << down.err;
  EXPECT_THAT(down.out, Not(HasSubstr("killed"))) << "a node ignored SIGTERM:\n" << down.out;
  for (pid_t pid : pids) EXPECT_FALSE(ProcessAlive(pid)) << pid;
  for (const char* node : {"queue1", "worker1", "worker2", "worker3"}) {
    EXPECT_FALSE(std::filesystem::exists(queue_node_dir(node) + "/pid")) << node;
  }
  EXPECT_TRUE(std::filesystem::exists(queue_node_dir("queue1") + "/data"));
}

TEST_F(QueueLab, WorkersCannotBePartitioned) {
  DscRun partition = Dsc({"lab", "partition", "queue", "worker1"});
  EXPECT_EQ(partition.exit_code, 2);
  EXPECT_THAT(Lines(partition.err), SizeIs(1)) << partition.err;
  EXPECT_THAT(partition.err, HasSubstr("client node"));
}

TEST_F(QueueLab, QueueCommandsRejectBadFlagsInOneLine) {
  struct Case {
    std::vector<std::string> args;
    std::string expected;
  };
  const Case cases[] = {
      {{"queue", "serve", "--data", "d", "--fsync", "bogus"},
       "--fsync: expected always|never|interval:MS"},
      {{"queue", "serve"}, "--data"},
      {{"queue", "serve", "--data", "d", "--threads", "300"}, "--threads"},
      {{"queue", "worker", "--fail-rate", "1.5"}, "--fail-rate"},
      {{"queue", "worker", "--concurrency", "0"}, "--concurrency"},
      {{"queue", "worker", "--wait-ms", "60000"}, "--wait-ms"},
      {{"queue", "produce", "--rate", "-1"}, "--rate"},
      {{"queue"}, "subcommand"},
  };
  for (const Case& c : cases) {
    DscRun run = Dsc(c.args);
    EXPECT_NE(run.exit_code, 0) << c.expected;
    std::vector<std::string> lines = Lines(run.err);
    ASSERT_THAT(lines, SizeIs(1)) << run.err;
    EXPECT_THAT(lines[0], HasSubstr("dsc: error: "));
    EXPECT_THAT(lines[0], HasSubstr(c.expected));
  }
}

TEST_F(QueueLab, QueueCommandsHaveHelp) {
  for (const char* command : {"serve", "worker", "produce"}) {
    DscRun run = Dsc({"queue", command, "--help"});
    EXPECT_EQ(run.exit_code, 0) << command;
    EXPECT_THAT(run.out, HasSubstr("Usage")) << command;
  }
  DscRun worker = Dsc({"queue", "worker", "--help"});
  for (const char* flag : {"--server", "--id", "--concurrency", "--work-ms", "--fail-rate",
                           "--lease-ms", "--wait-ms", "--max-tasks", "--seed"}) {
    EXPECT_THAT(worker.out, HasSubstr(flag));
  }
}

}  // namespace
}  // namespace dsc::testing
