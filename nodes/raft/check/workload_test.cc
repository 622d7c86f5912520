// The workload driver and nemesis against FakeKvServer (no Raft): a
// correct store passes, one that serves stale reads is caught, clients
// follow 421 hints, 503-after-apply is recorded as unknown (and must be),
// and the nemesis sends symmetric isolation, heals, finds the leader and
// runs kill/restart commands with the node's id.
#include "nodes/raft/check/workload.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "nodes/common/test_util.h"
#include "nodes/raft/check/fake_kv_server.h"
#include "nodes/raft/check/linearizability.h"

namespace dsc::raft::check {
namespace {

using namespace std::chrono_literals;
using testing::FakeKvServer;

WorkloadOptions Options(std::vector<NodeEndpoint> nodes) {
  WorkloadOptions options;
  options.nodes = std::move(nodes);
  options.clients = 4;
  options.keys = 2;
  options.duration = 800ms;
  options.seed = 7;
  options.client.request_timeout = 2s;
  options.client.retry_budget = 2s;
  return options;
}

History RunQuietly(const WorkloadOptions& options) {
  return RunWorkload(options, [](const std::string&) {});
}

size_t Count(const History& history, const std::function<bool(const Operation&)>& pred) {
  return static_cast<size_t>(std::count_if(history.begin(), history.end(), pred));
}

TEST(WorkloadTest, CorrectStore_HistoryIsLinearizableAndCoversEveryOperation) {
  FakeKvServer server({});
  const History history = RunQuietly(Options({{"n1", server.url()}}));
  const CheckResult result = CheckHistory(history);
  EXPECT_EQ(result.verdict, Verdict::kLinearizable) << FormatCheckResult(result);
  EXPECT_GT(result.ok, 50u);
  EXPECT_EQ(result.failed + result.unknown, 0u);
  for (OpKind kind : {OpKind::kGet, OpKind::kPut, OpKind::kDelete, OpKind::kCas}) {
    EXPECT_GT(Count(history, [kind](const Operation& op) { return op.kind == kind; }), 0u)
        << OpKindName(kind);
  }
  // CAS ops both swap and fail, so both branches of the model are used.
  EXPECT_GT(
      Count(history, [](const Operation& op) { return op.kind == OpKind::kCas && op.swapped; }),
      0u);
  EXPECT_GT(
      Count(history, [](const Operation& op) { return op.kind == OpKind::kCas && !op.swapped; }),
      0u);
  // Ids follow invoke order.
  for (size_t i = 1; i < history.size(); ++i) {
    EXPECT_EQ(history[i].id, i);
    EXPECT_LE(history[i - 1].invoke_ns, history[i].invoke_ns);
  }
}

TEST(WorkloadTest, StaleReads_AreCaught) {
  FakeKvServer server({.mode = FakeKvServer::Mode::kStaleReads, .lag = 150ms});
  const History history = RunQuietly(Options({{"n1", server.url()}}));
  const CheckResult result = CheckHistory(history);
  ASSERT_EQ(result.verdict, Verdict::kNotLinearizable) << FormatCheckResult(result);
  const std::string report = FormatCheckResult(result);
  EXPECT_NE(report.find(" get \"k"), std::string::npos) << report;
}

TEST(WorkloadTest, Followers_ClientsFollowLeaderHints) {
  FakeKvServer leader({});
  FakeKvServer by_url(
      {.mode = FakeKvServer::Mode::kRedirect, .leader_id = "n2", .leader_url = leader.url()});
  FakeKvServer by_id({.mode = FakeKvServer::Mode::kRedirect, .leader_id = "n2"});
  const History history =
      RunQuietly(Options({{"n1", by_url.url()}, {"n2", leader.url()}, {"n3", by_id.url()}}));
  const CheckResult result = CheckHistory(history);
  EXPECT_EQ(result.verdict, Verdict::kLinearizable) << FormatCheckResult(result);
  EXPECT_GT(result.ok, 50u);
  EXPECT_EQ(result.failed + result.unknown, 0u);
  for (const Operation& op : history) EXPECT_EQ(op.node, "n2") << DescribeOperation(op);
}

TEST(WorkloadTest, Flaky503_RecordedUnknownAndStillLinearizable) {
  FakeKvServer server({.mode = FakeKvServer::Mode::kFlaky503});
  History history = RunQuietly(Options({{"n1", server.url()}}));
  const CheckResult result = CheckHistory(history);
  EXPECT_EQ(result.verdict, Verdict::kLinearizable) << FormatCheckResult(result);
  EXPECT_GT(result.unknown, 10u);
  EXPECT_EQ(result.failed, 0u);

  // Treating a 503 as "did not happen" would be wrong: some of those
  // writes were applied and read back, and the checker sees that.
  for (Operation& op : history) {
    if (op.outcome == Outcome::kUnknown) op.outcome = Outcome::kFailed;
  }
  EXPECT_EQ(CheckHistory(history).verdict, Verdict::kNotLinearizable);
}

TEST(WorkloadTest, Unreachable_OperationsFailAfterTheRetryBudget) {
  // A port nothing listens on: every connection is refused, so nothing
  // can have happened, and every operation is failed, none unknown.
  int port = 0;
  {
    FakeKvServer gone({});
    port = std::stoi(gone.url().substr(gone.url().rfind(':') + 1));
  }
  WorkloadOptions options = Options({{"n1", "http://127.0.0.1:" + std::to_string(port)}});
  options.clients = 2;
  options.duration = 200ms;
  options.client.retry_budget = 100ms;
  const History history = RunQuietly(options);
  ASSERT_FALSE(history.empty());
  for (const Operation& op : history) {
    EXPECT_EQ(op.outcome, Outcome::kFailed) << DescribeOperation(op);
  }
}

// The nemesis on its own, against fake nodes that record fault requests.
class NemesisTest : public ::testing::Test {
 protected:
  NemesisTest()
      : n1_({.role = "follower", .term = 3}),
        n2_({.role = "leader", .term = 3}),
        n3_({.role = "leader", .term = 2}) {}  // a deposed leader that has not heard yet

  std::vector<NodeEndpoint> Nodes() const {
    return {{"n1", n1_.url()}, {"n2", n2_.url()}, {"n3", n3_.url()}};
  }

  // Runs the nemesis until it has repaired `cycles` faults; returns its log.
  std::vector<std::string> RunNemesis(NemesisOptions options, int cycles) {
    std::mutex mu;
    std::vector<std::string> lines;
    int repairs = 0;
    Nemesis nemesis(Nodes(), options, 3, [&](const std::string& line) {
      std::lock_guard lock(mu);
      lines.push_back(line);
      if (line == "nemesis: heal" || line.rfind("nemesis: restart", 0) == 0) ++repairs;
    });
    StopSignal stop;
    std::thread thread([&] { nemesis.Run(stop); });
    EXPECT_TRUE(node::testing::PollUntil([&] {
      std::lock_guard lock(mu);
      return repairs >= cycles;
    }));
    stop.Stop();
    thread.join();
    return lines;
  }

  static std::vector<std::string> IsolatedBy(const std::string& request) {
    nlohmann::json body = nlohmann::json::parse(request.substr(5));
    return body["isolate"].get<std::vector<std::string>>();
  }

  FakeKvServer n1_, n2_, n3_;
};

TEST_F(NemesisTest, IsolateLeader_CutsOffTheLeaderWithTheHighestTermBothWaysThenHeals) {
  const std::vector<std::string> log =
      RunNemesis({.kind = NemesisKind::kIsolateLeader, .interval = 40ms}, 2);
  ASSERT_FALSE(log.empty());
  EXPECT_EQ(log.front(), "nemesis: isolate n2 (leader, term 3)");
  const auto r1 = n1_.admin_requests(), r2 = n2_.admin_requests(), r3 = n3_.admin_requests();
  ASSERT_GE(r2.size(), 2u);
  EXPECT_EQ(IsolatedBy(r2[0]), (std::vector<std::string>{"n1", "n3"}));
  EXPECT_EQ(IsolatedBy(r1[0]), (std::vector<std::string>{"n2"}));
  EXPECT_EQ(IsolatedBy(r3[0]), (std::vector<std::string>{"n2"}));
  // Every fault is followed by a heal, and the run ends healed.
  for (const auto& requests : {r1, r2, r3}) {
    ASSERT_FALSE(requests.empty());
    EXPECT_EQ(requests.back(), "DELETE");
    for (size_t i = 0; i + 1 < requests.size(); ++i) {
      if (requests[i] != "DELETE") {
        EXPECT_EQ(requests[i + 1], "DELETE");
      }
    }
  }
}

TEST_F(NemesisTest, Minority_OneNodeOfThreeOnTheOtherSide) {
  RunNemesis({.kind = NemesisKind::kMinority, .interval = 40ms}, 1);
  int cut_off = 0;
  for (const FakeKvServer* node : {&n1_, &n2_, &n3_}) {
    const auto requests = node->admin_requests();
    ASSERT_GE(requests.size(), 2u);
    const size_t isolated = IsolatedBy(requests[0]).size();
    EXPECT_TRUE(isolated == 1 || isolated == 2);
    if (isolated == 2) ++cut_off;  // the minority side drops both others
  }
  EXPECT_EQ(cut_off, 1);
}

TEST_F(NemesisTest, KillRandom_RunsKillThenRestartWithTheNodeId) {
  const std::string file = ::testing::TempDir() + "/nemesis_kill_test.txt";
  std::remove(file.c_str());
  const std::vector<std::string> log = RunNemesis({.kind = NemesisKind::kKillRandom,
                                                   .interval = 40ms,
                                                   .kill_cmd = "echo kill {node} >> " + file,
                                                   .restart_cmd = "echo restart {node} >> " + file},
                                                  2);
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_GE(lines.size(), 2u);
  ASSERT_EQ(lines.size() % 2, 0u) << "every kill is followed by its restart";
  for (size_t i = 0; i < lines.size(); i += 2) {
    ASSERT_EQ(lines[i].rfind("kill n", 0), 0u) << lines[i];
    EXPECT_EQ(lines[i + 1], "restart " + lines[i].substr(5));
  }
}

TEST_F(NemesisTest, FailingCommand_IsReportedWithItsOutput) {
  const std::vector<std::string> log = RunNemesis({.kind = NemesisKind::kKillRandom,
                                                   .interval = 40ms,
                                                   .kill_cmd = "echo no such node {node}; exit 3",
                                                   .restart_cmd = "true"},
                                                  1);
  bool reported = false;
  for (const std::string& line : log) {
    reported |= line.find("exited 3: no such node n") != std::string::npos;
  }
  EXPECT_TRUE(reported);
}

TEST(NemesisOptionsTest, Validate_RefusesKillWithoutCommands) {
  EXPECT_TRUE(ValidateNemesisOptions({.kind = NemesisKind::kIsolateLeader}).ok());
  EXPECT_FALSE(ValidateNemesisOptions({.kind = NemesisKind::kKillLeader}).ok());
  EXPECT_FALSE(ValidateNemesisOptions({.kind = NemesisKind::kMixed, .kill_cmd = "x"}).ok());
  EXPECT_FALSE(ValidateNemesisOptions({.interval = 0ms}).ok());
  EXPECT_TRUE(ParseNemesisKind("minority").ok());
  EXPECT_FALSE(ParseNemesisKind("chaos").ok());
}

TEST(ParseNodeListTest, IdsAndUrls) {
  Result<std::vector<NodeEndpoint>> nodes =
      ParseNodeList("n1=http://127.0.0.1:7401, n2=127.0.0.1:7402/");
  ASSERT_TRUE(nodes.ok()) << nodes.status().ToString();
  EXPECT_EQ(*nodes, (std::vector<NodeEndpoint>{{"n1", "http://127.0.0.1:7401"},
                                               {"n2", "http://127.0.0.1:7402"}}));
  EXPECT_FALSE(ParseNodeList("").ok());
  EXPECT_FALSE(ParseNodeList("n1").ok());
  EXPECT_FALSE(ParseNodeList("n1=a:1,n1=b:2").ok());
}

}  // namespace
}  // namespace dsc::raft::check
