// Process tests for `dsc lab`: the real binary starting, killing and
// restarting a real log node, each test in its own directory and ports.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/lab/dsc_runner.h"
#include "tests/lab/lab_fixture.h"

namespace dsc::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

using LabTest = LabFixture;

// The status row of log1, e.g. "log  log1  4242  yes  ok  http://...".
std::string LogStatusRow(const DscRun& status) {
  for (const std::string& line : Lines(status.out)) {
    if (line.rfind("log ", 0) == 0 && line.find(" log1 ") != std::string::npos) return line;
  }
  return "";
}

pid_t PidFromFile(const std::string& path) {
  std::ifstream in(path);
  pid_t pid = 0;
  in >> pid;
  return pid;
}

TEST_F(LabTest, UpStartsAHealthyNodeAndStatusShowsIt) {
  DscRun up = Dsc({"lab", "up", "log"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  std::string url = "http://127.0.0.1:" + std::to_string(log_port());
  EXPECT_THAT(up.out, HasSubstr(url));

  httplib::Client client = LogClient();
  httplib::Result health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);

  DscRun status = Dsc({"lab", "status"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  std::string row = LogStatusRow(status);
  EXPECT_THAT(row, HasSubstr(" yes ")) << status.out;
  EXPECT_THAT(row, HasSubstr(" ok ")) << status.out;
  EXPECT_THAT(row, HasSubstr(url));
  EXPECT_TRUE(std::filesystem::exists(log_node_dir() + "/pid"));
  EXPECT_TRUE(std::filesystem::exists(log_node_dir() + "/node.log"));
}

// A second lab in another directory on the same ports: its log1 cannot
// bind, and the log1 of the first lab answering /health (same name, same
// port) must not pass for it.
TEST_F(LabTest, UpFailsWhenAnotherLabsNodeOfTheSameNameHoldsThePort) {
  ASSERT_EQ(Dsc({"lab", "up", "log"}).exit_code, 0);
  const std::string other_dir = MakeTempDir();
  DscRun other = RunDsc(other_dir, {"lab", "up", "log"}, Env());
  EXPECT_NE(other.exit_code, 0) << other.out;
  EXPECT_THAT(other.err, HasSubstr("log/log1")) << other.err;
  DscRun status = RunDsc(other_dir, {"lab", "status", "log"}, Env());
  EXPECT_THAT(LogStatusRow(status), Not(HasSubstr(" ok "))) << status.out;
  RunDsc(other_dir, {"lab", "down"}, Env());
  RemoveTree(other_dir);
}

TEST_F(LabTest, UpLeavesARunningNodeAlone) {
  ASSERT_EQ(Dsc({"lab", "up"}).exit_code, 0);
  pid_t first = PidFromFile(log_node_dir() + "/pid");
  DscRun again = Dsc({"lab", "up"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("already running"));
  EXPECT_EQ(PidFromFile(log_node_dir() + "/pid"), first);
}

TEST_F(LabTest, KilledNodeKeepsItsRecordsAcrossRestart) {
  ASSERT_EQ(Dsc({"lab", "up", "log"}).exit_code, 0);
  httplib::Client client = LogClient();
  httplib::Result posted = client.Post("/records", "survives-kill-9", "text/plain");
  ASSERT_TRUE(posted);
  ASSERT_EQ(posted->status, 201) << posted->body;

  DscRun kill = Dsc({"lab", "kill", "log", "log1"});
  ASSERT_EQ(kill.exit_code, 0) << kill.err;
  DscRun status = Dsc({"lab", "status", "log"});
  EXPECT_THAT(LogStatusRow(status), HasSubstr(" no ")) << status.out;
  EXPECT_FALSE(LogClient().Get("/health"));

  DscRun restart = Dsc({"lab", "restart", "log", "log1"});
  ASSERT_EQ(restart.exit_code, 0) << restart.out << restart.err;
  httplib::Result records = LogClient().Get("/records?from=1");
  ASSERT_TRUE(records);
  EXPECT_EQ(records->status, 200);
  EXPECT_THAT(records->body, HasSubstr("survives-kill-9"));
}

TEST_F(LabTest, LaterCommandsUseThePortShiftTheLabWasStartedWith) {
  // Only `up` names the base port; kill, restart and status must find the
  // node there without it (no DSC_LAB_BASE_PORT in their environment).
  const std::string base = "--base-port=" + std::to_string(base_port_);
  ASSERT_EQ(RunDsc(dir_, {"lab", base, "up", "log"}, {}).exit_code, 0);
  ASSERT_EQ(RunDsc(dir_, {"lab", "kill", "log", "log1"}, {}).exit_code, 0);
  EXPECT_FALSE(LogClient().Get("/health"));
  DscRun restart = RunDsc(dir_, {"lab", "restart", "log", "log1"}, {});
  ASSERT_EQ(restart.exit_code, 0) << restart.out << restart.err;
  EXPECT_THAT(restart.out, HasSubstr(std::to_string(log_port())));
  httplib::Result health = LogClient().Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  DscRun status = RunDsc(dir_, {"lab", "status", "log"}, {});
  EXPECT_THAT(LogStatusRow(status), HasSubstr("ok")) << status.out;
}

TEST_F(LabTest, DownStopsEveryProcessAndKeepsData) {
  ASSERT_EQ(Dsc({"lab", "up"}).exit_code, 0);
  pid_t pid = PidFromFile(log_node_dir() + "/pid");
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(ProcessAlive(pid));

  DscRun down = Dsc({"lab", "down"});
  ASSERT_EQ(down.exit_code, 0) << down.err;
  EXPECT_THAT(down.out, HasSubstr("stopped"));
  EXPECT_FALSE(ProcessAlive(pid));
  EXPECT_FALSE(std::filesystem::exists(log_node_dir() + "/pid"));
  EXPECT_TRUE(std::filesystem::exists(log_node_dir() + "/data"));

  DscRun wipe = Dsc({"lab", "down", "--wipe"});
  ASSERT_EQ(wipe.exit_code, 0) << wipe.err;
  EXPECT_FALSE(std::filesystem::exists(log_node_dir() + "/data"));
  EXPECT_FALSE(std::filesystem::exists(log_node_dir() + "/node.log"));
  EXPECT_THAT(wipe.out, HasSubstr("deleted .lab/log/log1/node.log"));
  // Nothing left: a second wipe reports no deletions.
  DscRun again = Dsc({"lab", "down", "--wipe"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, Not(HasSubstr("deleted")));
}

TEST_F(LabTest, StalePidFileOfAnotherProcessIsIgnored) {
  // The pid file names a live process that is not a dsc node (this test):
  // what a reboot or pid reuse leaves behind. It must not count as running,
  // and must never be signalled.
  std::filesystem::create_directories(log_node_dir());
  std::ofstream(log_node_dir() + "/pid") << getpid() << "\n";

  DscRun status = Dsc({"lab", "status", "log"});
  EXPECT_THAT(LogStatusRow(status), HasSubstr(" no ")) << status.out;
  DscRun up = Dsc({"lab", "up", "log"});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_THAT(up.out, HasSubstr("started"));
  EXPECT_NE(PidFromFile(log_node_dir() + "/pid"), getpid());
}

TEST_F(LabTest, PartitionAndHealReachTheAdminEndpoint) {
  ASSERT_EQ(Dsc({"lab", "up", "log"}).exit_code, 0);
  DscRun partition = Dsc({"lab", "partition", "log", "log1"});
  EXPECT_EQ(partition.exit_code, 0) << partition.out << partition.err;
  DscRun heal = Dsc({"lab", "heal", "log"});
  EXPECT_EQ(heal.exit_code, 0) << heal.out << heal.err;
  EXPECT_THAT(heal.out, HasSubstr("healed"));
}

TEST_F(LabTest, RunStopsTheLabOnSigint) {
  std::string output = dir_ + "/run.out";
  pid_t run = StartDsc(dir_, {"lab", "run", "log"}, Env(), output);
  // Wait until it says the lab is up.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (ReadFile(output).find("lab is up") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_THAT(ReadFile(output), HasSubstr("lab is up"));
  pid_t node = PidFromFile(log_node_dir() + "/pid");
  ASSERT_TRUE(ProcessAlive(node));

  kill(run, SIGINT);
  EXPECT_EQ(WaitDsc(run, std::chrono::seconds(30)), 0) << ReadFile(output);
  EXPECT_FALSE(ProcessAlive(node));
  EXPECT_THAT(ReadFile(output), HasSubstr("stopped"));
}

TEST_F(LabTest, RunServesTheBookBesideTheLab) {
  std::string site = dir_ + "/site";
  std::filesystem::create_directories(site + "/part");
  std::ofstream(site + "/index.html") << "<h1>the dsc book</h1>\n";
  std::ofstream(site + "/part/page.html") << "a chapter\n";
  int book_port = FreePort();
  std::string output = dir_ + "/run.out";
  pid_t run = StartDsc(
      dir_, {"lab", "run", "log", "--book", site, "--book-port", std::to_string(book_port)}, Env(),
      output);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (ReadFile(output).find("lab is up") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_THAT(ReadFile(output), HasSubstr("lab is up"));
  std::string url = "http://127.0.0.1:" + std::to_string(book_port) + "/";
  // One line per URL: "book   http://127.0.0.1:PORT/   the course book (DIR)".
  bool book_line = false;
  for (const std::string& line : Lines(ReadFile(output))) {
    book_line = book_line ||
                (line.rfind("book ", 0) == 0 && line.find(" " + url + " ") != std::string::npos);
  }
  EXPECT_TRUE(book_line) << ReadFile(output);

  httplib::Client client("127.0.0.1", book_port);
  client.set_connection_timeout(std::chrono::seconds(2));
  httplib::Result index = client.Get("/");
  ASSERT_TRUE(index) << "book server unreachable";
  EXPECT_EQ(index->status, 200);
  EXPECT_THAT(index->body, HasSubstr("the dsc book"));
  httplib::Result page = client.Get("/part/page.html");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->body, "a chapter\n");
  httplib::Result missing = client.Get("/no-such-page.html");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);

  kill(run, SIGINT);
  EXPECT_EQ(WaitDsc(run, std::chrono::seconds(30)), 0) << ReadFile(output);
  EXPECT_FALSE(client.Get("/")) << "the book server outlived Ctrl-C";
}

TEST_F(LabTest, RunRefusesAMissingBookDirectory) {
  DscRun run = Dsc({"lab", "run", "log", "--book", dir_ + "/no-such-dir"});
  EXPECT_NE(run.exit_code, 0);
  EXPECT_THAT(Lines(run.err), SizeIs(1)) << run.err;
  EXPECT_THAT(run.err, HasSubstr("--book"));
  EXPECT_THAT(run.out, Not(HasSubstr("started")));
}

TEST_F(LabTest, UnknownSystemOrNodeIsAOneLineErrorWithExitCode2) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"lab", "up", "nosuchsystem"},
        std::vector<std::string>{"lab", "kill", "log", "nosuchnode"}}) {
    DscRun run = Dsc(args);
    EXPECT_EQ(run.exit_code, 2) << args.back();
    EXPECT_THAT(Lines(run.err), SizeIs(1)) << run.err;
    EXPECT_THAT(run.err, HasSubstr(args.back()));
  }
}

TEST_F(LabTest, BadFlagsAreAOneLineErrorWithNonZeroExit) {
  struct Case {
    std::vector<std::string> args;
    std::string expected;
  };
  const Case cases[] = {
      {{"log", "serve", "--data", "d", "--fsync", "sometimes"},
       "--fsync: expected always|never|interval:MS"},
      {{"lab", "up", "--no-such-flag"}, "--no-such-flag"},
      {{"lab", "--base-port", "0", "status"}, "--base-port"},
      {{"wal", "dump"}, "DIR"},
      {{"lab", "partition", "log"}, "NODE"},
      {{}, "subcommand"},
  };
  for (const Case& c : cases) {
    DscRun run = Dsc(c.args);
    EXPECT_NE(run.exit_code, 0) << c.expected;
    std::vector<std::string> lines = Lines(run.err);
    ASSERT_THAT(lines, SizeIs(1)) << run.err;
    EXPECT_THAT(lines[0], HasSubstr("dsc: error: "));
    EXPECT_THAT(lines[0], HasSubstr(c.expected));
    EXPECT_THAT(run.out, Not(HasSubstr("Usage")));
  }
}

TEST_F(LabTest, HelpWorksEverywhere) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--help"}, std::vector<std::string>{"lab", "--help"},
        std::vector<std::string>{"lab", "up", "--help"},
        std::vector<std::string>{"wal", "dump", "--help"},
        std::vector<std::string>{"log", "serve", "--help"}}) {
    DscRun run = Dsc(args);
    EXPECT_EQ(run.exit_code, 0);
    EXPECT_THAT(run.out, HasSubstr("Usage"));
  }
}

}  // namespace
}  // namespace dsc::testing
