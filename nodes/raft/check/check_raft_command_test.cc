// `dsc check raft` end to end, without Raft: against FakeKvServer, with a
// saved history checked again by --check-only, and the exit codes a
// script relies on (0 linearizable, 1 not, 2 unknown or bad usage).
#include "nodes/raft/check/check_raft_command.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "nodes/raft/check/check_raft.h"
#include "nodes/raft/check/check_test_util.h"
#include "nodes/raft/check/fake_kv_server.h"

namespace dsc::raft::check {
namespace {

using namespace std::chrono_literals;
using testing::FakeKvServer;

// Parses `args` as `dsc check raft ARGS...`; returns the action's exit code.
int ParseAndRun(std::vector<std::string> args) {
  CLI::App app("dsc");
  CLI::App* check = app.add_subcommand("check");
  std::function<int()> action;
  AddCheckRaftCommand(*check, &action);
  args.insert(args.begin(), {"check", "raft"});
  std::reverse(args.begin(), args.end());  // CLI11 takes the vector form back to front
  app.parse(args);
  EXPECT_TRUE(action) << "the raft subcommand did not set an action";
  return action ? action() : -1;
}

std::string Save(const History& history, const std::string& name) {
  const std::string path = ::testing::TempDir() + "/" + name;
  EXPECT_TRUE(SaveHistoryFile(history, path).ok());
  return path;
}

TEST(CheckRaftCommandTest, CheckOnly_ExitCodeFollowsTheVerdict) {
  testing::HistoryBuilder good;
  good.Put("k", "a", 0, 1);
  good.Get("k", "a", 2, 3);
  EXPECT_EQ(ParseAndRun({"--check-only", Save(good.history(), "good.jsonl")}), 0);

  testing::HistoryBuilder stale;
  stale.Put("k", "a", 0, 1);
  stale.Put("k", "b", 2, 3);
  stale.Get("k", "a", 4, 5);
  EXPECT_EQ(ParseAndRun({"--check-only", Save(stale.history(), "stale.jsonl")}), 1);

  testing::HistoryBuilder hard;  // too much to search in the time given
  for (int i = 0; i < 24; ++i) hard.Put("k", "v" + std::to_string(i), 0, 100);
  hard.Get("k", "ghost", 101, 102);
  EXPECT_EQ(
      ParseAndRun({"--check-only", Save(hard.history(), "hard.jsonl"), "--check-seconds", "0.05"}),
      2);
}

TEST(CheckRaftCommandTest, BadFlags_AreParseErrors) {
  EXPECT_THROW(ParseAndRun({"--nemesis", "chaos"}), CLI::ValidationError);
  EXPECT_THROW(ParseAndRun({"--clients", "0"}), CLI::ValidationError);
  EXPECT_THROW(ParseAndRun({"--check-only", "/no/such/file"}), CLI::ValidationError);
}

TEST(CheckRaftCommandTest, BadUsage_ExitsTwoWithOneLine) {
  CheckRaftOptions options;
  options.nodes = "n1";
  std::stringstream out, err;
  EXPECT_EQ(RunCheckRaft(options, out, err), kExitUnknown);
  EXPECT_EQ(err.str(), "dsc: error: --nodes: expected ID=URL, got \"n1\" (see --help)\n");

  options = {};
  options.nemesis = "kill-leader";
  err.str("");
  EXPECT_EQ(RunCheckRaft(options, out, err), kExitUnknown);
  EXPECT_NE(err.str().find("kill-leader needs --kill-cmd and --restart-cmd"), std::string::npos)
      << err.str();
}

TEST(CheckRaftCommandTest, Run_AgainstACorrectStore_SavesAHistoryThatChecksAgain) {
  FakeKvServer server({});
  CheckRaftOptions options;
  options.nodes = "n1=" + server.url();
  options.seconds = 0.5;
  options.seed = 11;
  options.history_file = ::testing::TempDir() + "/run.jsonl";
  std::stringstream out, err;
  ASSERT_EQ(RunCheckRaft(options, out, err), kExitLinearizable) << out.str() << err.str();
  EXPECT_NE(out.str().find("verdict: linearizable"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("seed 11"), std::string::npos) << out.str();

  Result<History> saved = LoadHistoryFile(options.history_file);
  ASSERT_TRUE(saved.ok()) << saved.status().ToString();
  EXPECT_FALSE(saved->empty());
  EXPECT_EQ(ParseAndRun({"--check-only", options.history_file}), 0);
}

TEST(CheckRaftCommandTest, Run_AgainstStaleReads_ExitsOne) {
  FakeKvServer server({.mode = FakeKvServer::Mode::kStaleReads, .lag = 150ms});
  CheckRaftOptions options;
  options.nodes = "n1=" + server.url();
  options.seconds = 0.6;
  std::stringstream out, err;
  EXPECT_EQ(RunCheckRaft(options, out, err), kExitNotLinearizable) << out.str();
  EXPECT_NE(out.str().find("verdict: not linearizable"), std::string::npos) << out.str();
}

TEST(CheckRaftCommandTest, Run_NothingAnswers_ExitsTwo) {
  int port = 0;
  {
    FakeKvServer gone({});
    port = std::stoi(gone.url().substr(gone.url().rfind(':') + 1));
  }
  CheckRaftOptions options;
  options.nodes = "n1=127.0.0.1:" + std::to_string(port);
  options.seconds = 0.2;
  options.clients = 1;
  options.request_timeout_ms = 100;
  std::stringstream out, err;
  EXPECT_EQ(RunCheckRaft(options, out, err), kExitUnknown) << out.str();
  EXPECT_NE(out.str().find("no operation completed"), std::string::npos) << out.str();
}

}  // namespace
}  // namespace dsc::raft::check
