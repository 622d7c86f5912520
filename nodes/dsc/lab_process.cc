#include "nodes/dsc/lab_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>
#include <thread>

namespace dsc::lab {

namespace {

// The grandchild reports an exec failure through this pipe; a successful
// exec closes it (O_CLOEXEC), so the parent reading EOF means "running".
struct SpawnReport {
  pid_t pid = -1;  // the grandchild's pid, or -1 when the second fork failed
  int error = 0;   // errno of the failed fork or exec
};

bool WriteAll(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// Reads exactly `size` bytes; false on EOF or error.
bool ReadAll(int fd, void* data, size_t size) {
  char* p = static_cast<char*>(data);
  while (size > 0) {
    ssize_t n = read(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// Runs in the grandchild, between fork and exec: only async-signal-safe
// calls from here on. Never returns.
[[noreturn]] void ExecNode(char* const* argv, char* const* envp, int log_fd, int report_fd) {
  setsid();  // own session and process group: no terminal signals, one group to signal
  int null_fd = open("/dev/null", O_RDONLY);
  if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
  dup2(log_fd, STDOUT_FILENO);
  dup2(log_fd, STDERR_FILENO);
  // Every other inherited descriptor closes on exec (the report pipe too).
  for (int fd = 3; fd < 1024; ++fd) {
    if (fd != report_fd) fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  // `dsc lab run` blocks SIGINT/SIGTERM to wait for them; a signal mask
  // and ignored dispositions survive exec, so undo both.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  signal(SIGPIPE, SIG_DFL);

  execve(argv[0], argv, envp);
  SpawnReport report{.pid = getpid(), .error = errno};
  WriteAll(report_fd, &report, sizeof(report));
  _exit(127);
}

bool IsZombie(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;  // gone while we looked
  // "PID (COMM) STATE ...": COMM may hold spaces and parentheses.
  size_t close = line.rfind(')');
  return close == std::string::npos || close + 2 >= line.size() || line[close + 2] == 'Z';
}

// The arguments of a running process, split at the NULs of /proc/PID/cmdline.
// The NUL-separated entries of /proc/PID/<file> (environ, cmdline).
std::vector<std::string> ProcEntries(pid_t pid, const char* file) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/" + file, std::ios::binary);
  std::vector<std::string> entries;
  std::string entry;
  while (std::getline(in, entry, '\0')) entries.push_back(entry);
  return entries;
}

}  // namespace

std::string NodeMarker(const NodeFiles& files) {
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::absolute(files.dir, ec);
  if (ec) dir = files.dir;
  return "DSC_LAB_NODE=" + dir.lexically_normal().string();
}

Result<pid_t> SpawnDetached(const std::vector<std::string>& argv, const std::string& log_file,
                            const std::vector<std::string>& extra_env) {
  if (argv.empty()) return Status::InvalidArgument("empty command line");

  // Everything the children need is prepared before fork: after it, the
  // child may only make async-signal-safe calls.
  std::vector<char*> c_argv;
  c_argv.reserve(argv.size() + 1);
  for (const std::string& arg : argv) c_argv.push_back(const_cast<char*>(arg.c_str()));
  c_argv.push_back(nullptr);

  // Our environment, minus entries `extra_env` overrides, plus `extra_env`.
  std::vector<char*> c_envp;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string_view current(*entry);
    std::string_view name = current.substr(0, current.find('='));
    bool overridden = false;
    for (const std::string& extra : extra_env) {
      overridden = overridden || std::string_view(extra).substr(0, extra.find('=')) == name;
    }
    if (!overridden) c_envp.push_back(*entry);
  }
  for (const std::string& extra : extra_env) c_envp.push_back(const_cast<char*>(extra.c_str()));
  c_envp.push_back(nullptr);

  int log_fd = open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return Status::IOError("open " + log_file + ": " + std::strerror(errno));
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) {
    close(log_fd);
    return Status::IOError(std::string("pipe: ") + std::strerror(errno));
  }

  pid_t child = fork();
  if (child == 0) {
    // The middle process: fork the node and exit at once, so the node is
    // re-parented to init and never becomes our child.
    close(report[0]);
    pid_t node = fork();
    if (node == 0) ExecNode(c_argv.data(), c_envp.data(), log_fd, report[1]);
    SpawnReport spawned{.pid = node, .error = node < 0 ? errno : 0};
    WriteAll(report[1], &spawned, sizeof(spawned));
    _exit(0);
  }
  close(log_fd);
  close(report[1]);
  if (child < 0) {
    close(report[0]);
    return Status::IOError(std::string("fork: ") + std::strerror(errno));
  }
  while (waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
  }

  SpawnReport spawned;
  bool got_pid = ReadAll(report[0], &spawned, sizeof(spawned));
  SpawnReport exec_failure;
  bool exec_failed =
      got_pid && spawned.pid > 0 && ReadAll(report[0], &exec_failure, sizeof(exec_failure));
  close(report[0]);

  if (!got_pid || spawned.pid <= 0) {
    return Status::IOError(std::string("fork: ") + std::strerror(spawned.error));
  }
  if (exec_failed) {
    return Status::IOError("cannot run " + argv[0] + ": " + std::strerror(exec_failure.error));
  }
  return spawned.pid;
}

std::optional<pid_t> ReadPidFile(const std::string& pid_file) {
  std::ifstream in(pid_file);
  int64_t pid = 0;
  if (!(in >> pid) || pid <= 0) return std::nullopt;
  return static_cast<pid_t>(pid);
}

Status WritePidFile(const std::string& pid_file, pid_t pid) {
  // Written beside and renamed into place, so a reader never sees half a pid.
  std::string temp = pid_file + ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << pid << "\n";
    if (!out) return Status::IOError("cannot write " + temp);
  }
  std::error_code ec;
  std::filesystem::rename(temp, pid_file, ec);
  if (ec) return Status::IOError("rename " + temp + ": " + ec.message());
  return Status::Ok();
}

void RemovePidFile(const std::string& pid_file) {
  std::error_code ignored;
  std::filesystem::remove(pid_file, ignored);
}

std::optional<pid_t> FindNodeProcess(const NodeFiles& files) {
  std::optional<pid_t> pid = ReadPidFile(files.pid_file);
  if (!pid) return std::nullopt;
  if (kill(*pid, 0) != 0 && errno == ESRCH) return std::nullopt;
  if (IsZombie(*pid)) return std::nullopt;
  const std::string marker = NodeMarker(files);
  for (const std::string& entry : ProcEntries(*pid, "environ")) {
    if (entry == marker) return pid;
  }
  return std::nullopt;  // the pid now belongs to some other process
}

void SignalNode(pid_t pid, int signal) {
  // The node leads its own process group (setsid in ExecNode).
  if (kill(-pid, signal) != 0) kill(pid, signal);
}

bool WaitForExit(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if ((kill(pid, 0) != 0 && errno == ESRCH) || IsZombie(pid)) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string TailOfFile(const std::string& path, int lines) {
  std::ifstream in(path);
  std::deque<std::string> last;
  std::string line;
  while (std::getline(in, line)) {
    last.push_back(line);
    if (static_cast<int>(last.size()) > lines) last.pop_front();
  }
  std::ostringstream out;
  for (const std::string& l : last) out << "  | " << l << "\n";
  return out.str();
}

}  // namespace dsc::lab
