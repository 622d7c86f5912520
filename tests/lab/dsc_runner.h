// Helpers for process tests that drive the real `dsc` binary: run it in a
// scratch directory, capture what it prints, find free ports.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace dsc::testing {

// The dsc executable under test (set by CMake: $<TARGET_FILE:dsc>).
inline constexpr const char* kDscBinary = DSC_BINARY;

struct DscRun {
  int exit_code = -1;  // 128 + N when killed by signal N
  std::string out;     // stdout
  std::string err;     // stderr
};

// Runs `dsc args...` in `cwd` with extra environment entries ("K=V") and
// waits for it.
DscRun RunDsc(const std::string& cwd, const std::vector<std::string>& args,
              const std::vector<std::string>& env = {});

// Starts `dsc args...` in `cwd` without waiting; stdout and stderr go to
// `output_file`. Returns its pid.
pid_t StartDsc(const std::string& cwd, const std::vector<std::string>& args,
               const std::vector<std::string>& env, const std::string& output_file);

// Waits up to `timeout` for a process started by StartDsc; returns its exit
// code, or -1 on timeout.
int WaitDsc(pid_t pid, std::chrono::milliseconds timeout);

// True while `pid` is a live process (not gone, not a zombie).
bool ProcessAlive(pid_t pid);

// A TCP port on 127.0.0.1 that was free a moment ago (the kernel's choice).
int FreePort();
// True if `port` on 127.0.0.1 could be bound a moment ago.
bool PortIsFree(int port);

// A fresh directory under the system temp dir; RemoveTree deletes it.
std::string MakeTempDir();
void RemoveTree(const std::string& dir);

std::string ReadFile(const std::string& path);
// Lines of `text` without their '\n'.
std::vector<std::string> Lines(const std::string& text);

}  // namespace dsc::testing
