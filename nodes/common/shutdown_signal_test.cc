#include "nodes/common/shutdown_signal.h"

#include <gtest/gtest.h>
#include <pthread.h>

#include <thread>

namespace dsc::node {
namespace {

TEST(ShutdownSignal, WaitReturnsTheSignal) {
  ShutdownSignal shutdown;
  // Thread-directed, so only this thread (which blocks it) can receive it.
  ASSERT_EQ(pthread_kill(pthread_self(), SIGTERM), 0);
  EXPECT_EQ(shutdown.Wait(), SIGTERM);
}

TEST(ShutdownSignal, RequestWakesWait) {
  ShutdownSignal shutdown;
  std::thread requester([&shutdown] { shutdown.Request(); });
  EXPECT_EQ(shutdown.Wait(), 0);
  requester.join();
}

}  // namespace
}  // namespace dsc::node
