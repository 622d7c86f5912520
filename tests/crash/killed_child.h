// Runs a program, reads its stdout for a while, then kills it with SIGKILL:
// the crash a test cannot fake in-process, because the kernel, not the
// program, decides what of its last writes reached the file.
//
// Thread-safety: plain function; call from one thread at a time.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "base/status.h"

namespace dsc::crash {

struct KilledChild {
  std::string output;         // everything the child wrote to stdout
  int wait_status = 0;        // from waitpid(2): WIFSIGNALED, WTERMSIG...
  bool killed_by_us() const;  // true when SIGKILL ended it, not an exit
};

// Starts argv[0] with `argv` (stderr shared with ours, stdout on a pipe),
// collects its output for `run_for`, SIGKILLs it, and returns the output
// up to the moment it died.
Result<KilledChild> RunThenKill(const std::vector<std::string>& argv,
                                std::chrono::milliseconds run_for);

}  // namespace dsc::crash
