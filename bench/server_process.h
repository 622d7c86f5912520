// ServerProcess: a server queue_bench starts itself, waits for, measures
// (CPU time, resident memory) and stops. Plus the small process helpers
// that go with it.
//
// The child gets PR_SET_PDEATHSIG=SIGKILL, so a bench that crashes or is
// killed does not leave servers behind holding ports and data directories.
//
// Thread-safety: one ServerProcess is driven by one thread; CpuSeconds()
// and RssBytes() may be called from any thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"

namespace dsc::bench {

class ServerProcess {
 public:
  // Starts argv (argv[0] is a path) with stdin from /dev/null and stdout
  // and stderr in `log_path`. Fails if fork or exec failed.
  static Result<std::unique_ptr<ServerProcess>> Start(const std::vector<std::string>& argv,
                                                      const std::string& log_path);
  ~ServerProcess();  // SIGKILLs the server if Stop() was not called
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Waits until 127.0.0.1:port accepts connections. Fails, quoting the
  // server's log, if it exits first or `timeout` passes.
  Status WaitForPort(int port, std::chrono::milliseconds timeout);

  // SIGTERM, then SIGKILL after `grace`. Fails if the server had to be
  // killed or exited with a non-zero code (a clean shutdown is part of a
  // correct run).
  Status Stop(std::chrono::milliseconds grace = std::chrono::seconds(10));

  // User plus system CPU time the server has used so far, all threads.
  Result<double> CpuSeconds() const;
  // The server's resident set size now (VmRSS in /proc/PID/status), bytes.
  Result<uint64_t> RssBytes() const;

  pid_t pid() const { return pid_; }
  // The last lines of the server's log, for error messages.
  std::string LogTail() const;

 private:
  ServerProcess(pid_t pid, std::string name, std::string log_path)
      : pid_(pid), name_(std::move(name)), log_path_(std::move(log_path)) {}
  // Reaps the child if it has exited; returns whether it has.
  bool Exited();

  pid_t pid_;
  std::string name_;  // argv[0]'s file name, for messages
  std::string log_path_;
  bool reaped_ = false;
  int exit_code_ = 0;  // 128 + N when killed by signal N
};

// A port that was free a moment ago on 127.0.0.1 (a server started right
// after binds it; a rare clash shows as a failed start).
Result<int> PickFreeLoopbackPort();

// `name_or_path` if it contains a '/', else its first match in $PATH;
// "" when there is no executable file of that name.
std::string FindExecutable(const std::string& name_or_path);

// The directory of the running executable; "" if /proc does not say.
std::string ThisExecutableDir();

// The dsc binary to benchmark: the one CMake built (its path is compiled
// in), else `dsc` next to this executable or in ../nodes/dsc/ from it.
// "" when none exists.
std::string FindDscBinary();

}  // namespace dsc::bench
