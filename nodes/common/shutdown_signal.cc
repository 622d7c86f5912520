#include "nodes/common/shutdown_signal.h"

#include <pthread.h>

#include <cerrno>
#include <ctime>

namespace dsc::node {

ShutdownSignal::ShutdownSignal() {
  sigemptyset(&signals_);
  sigaddset(&signals_, SIGTERM);
  sigaddset(&signals_, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals_, &previous_mask_);
}

ShutdownSignal::~ShutdownSignal() { pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr); }

int ShutdownSignal::Wait() {
  // Waking every 100 ms lets Request() work without a signal of its own.
  const timespec slice{0, 100'000'000};
  while (!requested_) {
    int signal_number = sigtimedwait(&signals_, nullptr, &slice);
    if (signal_number > 0) return signal_number;
    // EAGAIN: the slice passed; EINTR: another signal interrupted us.
  }
  return 0;
}

}  // namespace dsc::node
