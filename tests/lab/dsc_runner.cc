#include "tests/lab/dsc_runner.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "base/scratch_dir.h"

namespace dsc::testing {

namespace {

// Output goes to files, not pipes: `dsc lab up` leaves nodes running, and a
// pipe they inherited would never reach end-of-file.
pid_t Spawn(const std::string& cwd, const std::vector<std::string>& args,
            const std::vector<std::string>& env, const std::string& out_file,
            const std::string& err_file) {
  std::vector<std::string> argv = {kDscBinary};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> c_argv;
  c_argv.reserve(argv.size() + 1);
  for (std::string& arg : argv) c_argv.push_back(arg.data());
  c_argv.push_back(nullptr);
  // The child gets our environment plus `env`, prepared before fork.
  std::vector<std::string> environment(env.begin(), env.end());
  for (char** entry = environ; *entry != nullptr; ++entry) environment.emplace_back(*entry);
  std::vector<char*> c_env;
  c_env.reserve(environment.size() + 1);
  for (std::string& entry : environment) c_env.push_back(entry.data());
  c_env.push_back(nullptr);

  pid_t pid = fork();
  if (pid == 0) {
    if (chdir(cwd.c_str()) != 0) _exit(126);
    int out = open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err =
        err_file == out_file ? out : open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || err < 0) _exit(126);
    dup2(out, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    execve(c_argv[0], c_argv.data(), c_env.data());
    _exit(127);
  }
  return pid;
}

int ExitCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

DscRun RunDsc(const std::string& cwd, const std::vector<std::string>& args,
              const std::vector<std::string>& env) {
  std::string scratch = MakeTempDir();
  std::string out_file = scratch + "/out";
  std::string err_file = scratch + "/err";
  pid_t pid = Spawn(cwd, args, env, out_file, err_file);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  DscRun run{.exit_code = ExitCode(status), .out = ReadFile(out_file), .err = ReadFile(err_file)};
  RemoveTree(scratch);
  return run;
}

pid_t StartDsc(const std::string& cwd, const std::vector<std::string>& args,
               const std::vector<std::string>& env, const std::string& output_file) {
  return Spawn(cwd, args, env, output_file, output_file);
}

int WaitDsc(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) return ExitCode(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

bool ProcessAlive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  size_t close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t length = sizeof(addr);
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

bool PortIsFree(int port) {
  if (port <= 0 || port > 65535) return false;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  // As the nodes bind (SO_REUSEADDR): a port whose old connections linger
  // in TIME_WAIT (tests that open thousands leave many) is free for them.
  int yes = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool free = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return free;
}

std::string MakeTempDir() {
  Result<std::string> made = MakeScratchDir("dsc-test");
  if (!made.ok()) std::abort();
  return *made;
}

void RemoveTree(const std::string& dir) { RemoveScratchDir(dir); }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

}  // namespace dsc::testing
