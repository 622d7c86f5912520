#include "tests/crash/killed_child.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace dsc::crash {
namespace {

using Clock = std::chrono::steady_clock;

Status ErrnoStatus(const char* what) {
  return Status::IOError(std::string(what) + ": " + std::strerror(errno));
}

// Appends what is readable now to `out`; false at end of file.
bool ReadAvailable(int fd, std::string* out) {
  char buffer[64 * 1024];
  ssize_t n;
  do {
    n = ::read(fd, buffer, sizeof buffer);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return false;
  out->append(buffer, static_cast<size_t>(n));
  return true;
}

}  // namespace

bool KilledChild::killed_by_us() const {
  return WIFSIGNALED(wait_status) && WTERMSIG(wait_status) == SIGKILL;
}

Result<KilledChild> RunThenKill(const std::vector<std::string>& argv,
                                std::chrono::milliseconds run_for) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return ErrnoStatus("pipe2");
  const int read_end = pipe_fds[0];
  const int write_end = pipe_fds[1];

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // dup2 clears close-on-exec, so only stdout survives into the child.
  posix_spawn_file_actions_adddup2(&actions, write_end, STDOUT_FILENO);
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int spawn_error = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(write_end);  // so read() sees end of file once the child is gone
  if (spawn_error != 0) {
    ::close(read_end);
    return Status::IOError(std::string("posix_spawn ") + argv[0] + ": " +
                           std::strerror(spawn_error));
  }

  // Keep reading while the child runs: a full pipe (64 KiB) would block
  // its appenders and hide how far the log really got.
  KilledChild result;
  const Clock::time_point deadline = Clock::now() + run_for;
  bool open = true;
  for (Clock::time_point now = Clock::now(); open && now < deadline; now = Clock::now()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    pollfd readable{read_end, POLLIN, 0};
    const int ready = ::poll(&readable, 1, static_cast<int>(left.count()) + 1);
    if (ready > 0) open = ReadAvailable(read_end, &result.output);
  }
  ::kill(pid, SIGKILL);
  // What the child wrote before it died is still in the pipe.
  while (ReadAvailable(read_end, &result.output)) {
  }
  ::close(read_end);
  while (::waitpid(pid, &result.wait_status, 0) < 0) {
    if (errno != EINTR) return ErrnoStatus("waitpid");
  }
  return result;
}

}  // namespace dsc::crash
