// ShutdownSignal: turns SIGTERM and SIGINT into an orderly shutdown.
//
//   int main() {
//     ShutdownSignal shutdown;  // first, before any thread starts
//     ... open the log, build the server ...
//     server.Start();
//     shutdown.Wait();          // until SIGTERM/SIGINT (or Request())
//     server.Stop();            // no handler runs after this
//     log.Close();              // then durable state is closed cleanly
//   }
//
// The constructor blocks both signals in the calling thread; threads
// created afterwards inherit the mask, so no worker is ever interrupted
// and the signal waits until Wait() takes it (synchronously, with
// sigtimedwait: no async-signal-safety puzzles). SIGKILL, the crash drill,
// cannot be caught; recovery is the log's job.
//
// Thread-safety: Wait() from one thread; Request() from any thread.
#pragma once

#include <signal.h>

#include <atomic>

namespace dsc::node {

class ShutdownSignal {
 public:
  ShutdownSignal();
  ~ShutdownSignal();  // restores the calling thread's previous signal mask
  ShutdownSignal(const ShutdownSignal&) = delete;
  ShutdownSignal& operator=(const ShutdownSignal&) = delete;

  // Returns the signal received (SIGTERM or SIGINT), or 0 after Request().
  int Wait();
  // Wakes Wait() without a signal, e.g. when the node hits a fatal error.
  void Request() { requested_ = true; }

 private:
  sigset_t signals_;
  sigset_t previous_mask_;
  std::atomic<bool> requested_{false};
};

}  // namespace dsc::node
