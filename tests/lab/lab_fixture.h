// A scratch lab for one test: its own working directory (so .lab/ is
// private) and its own ports (so it never meets a learner's lab or a test
// running in parallel). TearDown stops whatever the test left running.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <unistd.h>

#include <random>
#include <string>
#include <vector>

#include "tests/lab/dsc_runner.h"

namespace dsc::testing {

class LabFixture : public ::testing::Test {
 protected:
  // log1 listens on base port + 500 (7500 with the default base 7000),
  // queue1 on the base port itself (7000), raft n1..n5 on +401..+405.
  static constexpr int kLogPortOffset = 500;
  static constexpr int kQueuePortOffset = 0;
  static constexpr int kRaftPortOffsets[] = {401, 402, 403, 404, 405};

  void SetUp() override {
    dir_ = MakeTempDir();
    // A base whose every lab port was free a moment ago, drawn below the
    // kernel's ephemeral range (32768-60999 by default): the suite's
    // clients leave thousands of TIME_WAIT sockets on ephemeral ports, and
    // a node cannot bind a port that one of those holds.
    std::minstd_rand random(static_cast<unsigned>(::getpid()) ^
                            static_cast<unsigned>(std::random_device{}()));
    std::uniform_int_distribution<int> pick(10'000, 32'000 - kLogPortOffset);
    for (int attempt = 0; attempt < 200 && base_port_ == 0; ++attempt) {
      const int base = pick(random);
      bool free = PortIsFree(base + kQueuePortOffset) && PortIsFree(base + kLogPortOffset);
      for (int offset : kRaftPortOffsets) free = free && PortIsFree(base + offset);
      if (free) base_port_ = base;
    }
    ASSERT_GT(base_port_, 0) << "no free ports";
  }

  void TearDown() override {
    RunDsc(dir_, {"lab", "down"}, Env());
    RemoveTree(dir_);
  }

  // Runs `dsc args...` inside this test's lab.
  DscRun Dsc(const std::vector<std::string>& args) const { return RunDsc(dir_, args, Env()); }

  std::vector<std::string> Env() const {
    return {"DSC_LAB_BASE_PORT=" + std::to_string(base_port_)};
  }

  int log_port() const { return base_port_ + kLogPortOffset; }
  httplib::Client LogClient() const {
    httplib::Client client("127.0.0.1", log_port());
    client.set_connection_timeout(std::chrono::seconds(2));
    client.set_read_timeout(std::chrono::seconds(5));
    return client;
  }
  std::string log_node_dir() const { return dir_ + "/.lab/log/log1"; }

  int queue_port() const { return base_port_ + kQueuePortOffset; }
  httplib::Client QueueClient() const {
    httplib::Client client("127.0.0.1", queue_port());
    client.set_connection_timeout(std::chrono::seconds(2));
    client.set_read_timeout(std::chrono::seconds(5));
    return client;
  }
  // .lab/queue/<node> (queue1, worker1..worker3).
  std::string queue_node_dir(const std::string& node) const {
    return dir_ + "/.lab/queue/" + node;
  }

  // The directory holding the log node's *.wal segments ("" if none yet).
  std::string FindWalDir() const;

  std::string dir_;
  int base_port_ = 0;
};

}  // namespace dsc::testing
