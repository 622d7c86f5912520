// Helpers for tests of nodes: waiting with a deadline instead of sleeping,
// free ports, temporary directories, and raw TCP connections that send
// exactly the bytes a test wants (garbage, half a header, nothing at all).
//
// Thread-safety: free functions are thread-safe; a RawConnection is used by
// one thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dsc::node::testing {

using namespace std::chrono_literals;

// Calls `condition` every few milliseconds until it returns true or
// `timeout` passes; returns whether it became true.
bool PollUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 20s);

// A port that was free a moment ago on 127.0.0.1 (for child processes,
// which cannot report a port-0 binding back easily).
int PickFreePort();

// Creates a fresh directory under $TMPDIR (or /tmp); the caller removes it.
std::string MakeTempDir(std::string_view prefix);

// A child process (a node under test) with its stdout and stderr in files
// OUTPUT_PREFIX.out / .err. Destroying it SIGKILLs and reaps the child if
// it has not exited yet.
class ChildProcess {
 public:
  ChildProcess(const std::string& binary, const std::vector<std::string>& args,
               const std::string& output_prefix);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  void Signal(int signal_number) const;
  // The exit code (128 + N when killed by signal N), or nullopt on timeout.
  std::optional<int> WaitExit(std::chrono::milliseconds timeout);
  std::string Stdout() const;
  std::string Stderr() const;
  pid_t pid() const { return pid_; }

 private:
  std::string stdout_path_;
  std::string stderr_path_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

struct RawResponse {
  int status = 0;
  std::string headers;  // the raw header block
  std::string body;
};

class RawConnection {
 public:
  // Connects to 127.0.0.1:port; nullptr if the connection failed.
  static std::unique_ptr<RawConnection> Connect(int port);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  // False when the bytes could not be sent (e.g. the server closed).
  bool Send(std::string_view bytes);
  // Reads one HTTP response (headers plus Content-Length bytes); nullopt
  // if the connection closed or `timeout` passed first.
  std::optional<RawResponse> ReadResponse(std::chrono::milliseconds timeout = 20s);
  // True once the server has closed the connection (EOF or reset) within
  // `timeout`; bytes read meanwhile are discarded.
  bool WaitClosed(std::chrono::milliseconds timeout = 20s);

 private:
  explicit RawConnection(int fd) : fd_(fd) {}
  // Reads whatever arrives within `timeout`; false on EOF/error/timeout.
  bool ReadSome(std::chrono::milliseconds timeout);

  int fd_;
  std::string pending_;
};

}  // namespace dsc::node::testing
