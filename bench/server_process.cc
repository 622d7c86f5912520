#include "bench/server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace dsc::bench {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

sockaddr_in Loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

bool CanConnect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const sockaddr_in address = Loopback(port);
  const bool connected =
      connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  close(fd);
  return connected;
}

bool IsExecutableFile(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec) && access(path.c_str(), X_OK) == 0;
}

}  // namespace

Result<std::unique_ptr<ServerProcess>> ServerProcess::Start(const std::vector<std::string>& argv,
                                                            const std::string& log_path) {
  if (argv.empty()) return Status::InvalidArgument("no program to start");
  // Everything the child needs is prepared before fork: between fork and
  // exec only async-signal-safe calls are allowed.
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) return Status::IOError("open " + log_path + ": " + std::strerror(errno));
  const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  // The child reports a failed exec through this pipe; a successful exec
  // closes it (O_CLOEXEC), so the parent reads EOF.
  int exec_error_pipe[2];
  if (null_fd < 0 || pipe2(exec_error_pipe, O_CLOEXEC) != 0) {
    const std::string error = std::strerror(errno);
    close(log_fd);
    if (null_fd >= 0) close(null_fd);
    return Status::IOError("prepare to start " + argv[0] + ": " + error);
  }
  const pid_t parent = getpid();

  const pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the bench died before prctl
    dup2(null_fd, STDIN_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    execv(args[0], args.data());
    const int error = errno;
    (void)!write(exec_error_pipe[1], &error, sizeof error);
    _exit(127);
  }
  const int fork_errno = errno;
  close(log_fd);
  close(null_fd);
  close(exec_error_pipe[1]);
  if (pid < 0) {
    close(exec_error_pipe[0]);
    return Status::IOError("fork: " + std::string(std::strerror(fork_errno)));
  }
  int exec_errno = 0;
  const ssize_t got = read(exec_error_pipe[0], &exec_errno, sizeof exec_errno);
  close(exec_error_pipe[0]);
  if (got == static_cast<ssize_t>(sizeof exec_errno)) {
    waitpid(pid, nullptr, 0);
    return Status::IOError("cannot run " + argv[0] + ": " + std::strerror(exec_errno));
  }
  const std::string name = std::filesystem::path(argv[0]).filename().string();
  return std::unique_ptr<ServerProcess>(new ServerProcess(pid, name, log_path));
}

ServerProcess::~ServerProcess() {
  if (!Exited()) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

bool ServerProcess::Exited() {
  if (reaped_) return true;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) != pid_) return false;
  reaped_ = true;
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return true;
}

Status ServerProcess::WaitForPort(int port, milliseconds timeout) {
  const auto deadline = steady_clock::now() + timeout;
  while (steady_clock::now() < deadline) {
    if (Exited()) {
      return Status::Unavailable(name_ + " exited with code " + std::to_string(exit_code_) +
                                 " before it listened on port " + std::to_string(port) + ":\n" +
                                 LogTail());
    }
    if (CanConnect(port)) return Status::Ok();
    std::this_thread::sleep_for(milliseconds(10));
  }
  return Status::Unavailable(name_ + " did not listen on port " + std::to_string(port) +
                             " within " + std::to_string(timeout.count()) + " ms:\n" + LogTail());
}

Status ServerProcess::Stop(milliseconds grace) {
  if (!Exited()) {
    kill(pid_, SIGTERM);
    const auto deadline = steady_clock::now() + grace;
    while (!Exited() && steady_clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(10));
    }
    if (!Exited()) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      reaped_ = true;
      return Status::Unavailable(name_ + " ignored SIGTERM for " + std::to_string(grace.count()) +
                                 " ms and was killed:\n" + LogTail());
    }
  }
  // beanstalkd has no SIGTERM handler: being ended by it is its clean exit.
  if (exit_code_ != 0 && exit_code_ != 128 + SIGTERM) {
    return Status::Unavailable(name_ + " exited with code " + std::to_string(exit_code_) + ":\n" +
                               LogTail());
  }
  return Status::Ok();
}

Result<double> ServerProcess::CpuSeconds() const {
  const std::string path = "/proc/" + std::to_string(pid_) + "/stat";
  std::ifstream file(path);
  std::string line;
  if (!std::getline(file, line)) return Status::IOError("cannot read " + path);
  // The command name (field 2) is in parentheses and may hold spaces, so
  // count fields from the last ')': state is field 3, utime 14, stime 15.
  const size_t paren = line.rfind(')');
  if (paren == std::string::npos) return Status::Corruption("unexpected " + path);
  std::istringstream fields(line.substr(paren + 1));
  std::string field;
  uint64_t utime = 0, stime = 0;
  for (int number = 3; number <= 15 && fields >> field; ++number) {
    if (number == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
    if (number == 15) stime = std::strtoull(field.c_str(), nullptr, 10);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

Result<uint64_t> ServerProcess::RssBytes() const {
  const std::string path = "/proc/" + std::to_string(pid_) + "/status";
  std::ifstream file(path);
  // "VmRSS:     12345 kB"
  for (std::string line; std::getline(file, line);) {
    if (line.rfind("VmRSS:", 0) != 0) continue;
    std::istringstream fields(line.substr(6));
    uint64_t kib = 0;
    std::string unit;
    if (!(fields >> kib >> unit) || unit != "kB") return Status::Corruption(path + ": " + line);
    return kib * 1024;
  }
  return Status::IOError("no VmRSS in " + path + " (has the server exited?)");
}

std::string ServerProcess::LogTail() const {
  std::ifstream file(log_path_);
  std::vector<std::string> lines;
  for (std::string line; std::getline(file, line);) lines.push_back(line);
  constexpr size_t kLines = 10;
  std::string tail;
  for (size_t i = lines.size() > kLines ? lines.size() - kLines : 0; i < lines.size(); ++i) {
    tail += "  | " + lines[i] + "\n";
  }
  return tail.empty() ? "  (" + log_path_ + " is empty)\n" : tail;
}

Result<int> PickFreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::IOError("socket: " + std::string(std::strerror(errno)));
  sockaddr_in address = Loopback(0);
  socklen_t length = sizeof address;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const std::string error = std::strerror(errno);
    close(fd);
    return Status::IOError("pick a free port: " + error);
  }
  close(fd);
  return static_cast<int>(ntohs(address.sin_port));
}

std::string FindExecutable(const std::string& name_or_path) {
  if (name_or_path.find('/') != std::string::npos) {
    return IsExecutableFile(name_or_path) ? name_or_path : "";
  }
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name_or_path;
    if (IsExecutableFile(candidate)) return candidate;
  }
  return "";
}

std::string ThisExecutableDir() {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "" : self.parent_path().string();
}

std::string FindDscBinary() {
  std::vector<std::string> candidates = {DSC_BENCH_DSC_BINARY};
  if (const std::string dir = ThisExecutableDir(); !dir.empty()) {
    candidates.push_back(dir + "/dsc");
    candidates.push_back(dir + "/../nodes/dsc/dsc");
  }
  for (const std::string& candidate : candidates) {
    if (IsExecutableFile(candidate)) return candidate;
  }
  return "";
}

}  // namespace dsc::bench
