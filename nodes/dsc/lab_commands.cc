#include "nodes/dsc/lab_commands.h"

#include <httplib.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <optional>
#include <thread>
#include <utility>

#include "nodes/dsc/lab_http.h"
#include "nodes/dsc/lab_layout.h"
#include "nodes/dsc/lab_process.h"

namespace dsc::lab {

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

constexpr std::chrono::milliseconds kHealthPollInterval{100};
constexpr std::chrono::milliseconds kHealthRequestTimeout{500};
constexpr std::chrono::milliseconds kKillTimeout{5000};
// A client node counts as started once it has run this long: long enough
// to catch one that exits at once on a bad flag.
constexpr std::chrono::milliseconds kClientSettle{300};
constexpr int kLogLinesOnFailure = 15;

std::string Seconds(std::chrono::milliseconds ms) {
  return std::to_string((ms.count() + 999) / 1000) + "s";
}

}  // namespace

// One node a command acts on, with everything derived from the registry
// and the options.
struct Lab::Target {
  const LabSystem* system = nullptr;
  const LabNodeSpec* node = nullptr;
  NodeFiles files;
  NodeAddress address;  // meaningful for servers only

  std::string Name() const { return system->name + "/" + node->id; }
  bool serves_http() const { return node->serves_http(); }
  // What the lab prints as the node's URL: "-" for a client node.
  std::string Url() const { return serves_http() ? address.Url() : "-"; }
};

namespace {

// The lab remembers the port shift it was started with, so `status`,
// `kill` and `restart` find the nodes without repeating --base-port.
std::string BasePortFile(const std::string& lab_dir) { return lab_dir + "/base-port"; }

void RememberBasePort(const std::string& lab_dir, int base_port) {
  std::error_code ec;
  std::filesystem::create_directories(lab_dir, ec);
  std::ofstream(BasePortFile(lab_dir)) << base_port << "\n";
}

LabOptions WithRememberedBasePort(LabOptions options) {
  int remembered = 0;
  if (!options.base_port_given && std::ifstream(BasePortFile(options.lab_dir)) >> remembered &&
      remembered > 0 && remembered <= 65535) {
    options.base_port = remembered;
  }
  return options;
}

}  // namespace

Lab::Lab(const LabRegistry& registry, LabOptions options)
    : registry_(registry), options_(WithRememberedBasePort(std::move(options))) {}

int Lab::PortOf(const LabNodeSpec& node) const {
  return node.port + options_.base_port - kDefaultBasePort;
}

bool Lab::Select(const LabSelection& selection, std::vector<Target>* targets) const {
  std::vector<const LabSystem*> systems;
  if (selection.system.empty()) {
    for (const LabSystem& system : registry_.systems()) systems.push_back(&system);
  } else {
    const LabSystem* system = registry_.Find(selection.system);
    if (system == nullptr) {
      std::cerr << "dsc: error: unknown system '" << selection.system
                << "' (known: " << registry_.Names() << ")\n";
      return false;
    }
    systems.push_back(system);
  }

  for (const LabSystem* system : systems) {
    for (const LabNodeSpec& node : system->nodes) {
      if (!selection.node.empty() && node.id != selection.node) continue;
      int port = node.serves_http() ? PortOf(node) : 0;
      if (node.serves_http() && (port <= 0 || port > 65535)) {
        std::cerr << "dsc: error: --base-port " << options_.base_port << " puts " << system->name
                  << "/" << node.id << " on port " << port << ", outside 1-65535\n";
        return false;
      }
      targets->push_back({.system = system,
                          .node = &node,
                          .files = NodeFilesFor(options_.lab_dir, system->name, node.id),
                          .address = {.host = std::string(kLabHost), .port = port}});
    }
  }
  if (!selection.node.empty() && targets->empty()) {
    std::string nodes;
    for (const LabNodeSpec& node : systems.front()->nodes)
      nodes += (nodes.empty() ? "" : ", ") + node.id;
    std::cerr << "dsc: error: unknown node '" << selection.node << "' in system '"
              << selection.system << "' (nodes: " << nodes << ")\n";
    return false;
  }
  return true;
}

namespace {

// "log/log1   http://127.0.0.1:7500   started (pid 4242)"
void PrintNodeLine(const std::string& name, const std::string& url, const std::string& what) {
  std::cout << std::left << std::setw(16) << name << " " << std::setw(24) << url << " " << what
            << std::endl;
}

}  // namespace

bool Lab::StartNode(const Target& target) {
  if (std::optional<pid_t> pid = FindNodeProcess(target.files)) {
    std::string what = "already running (pid " + std::to_string(*pid);
    if (target.serves_http()) {
      what += ", health " +
              CheckHealth(target.address, target.node->id, *pid, kHealthRequestTimeout).detail;
    }
    PrintNodeLine(target.Name(), target.Url(), what + ")");
    return true;
  }
  // Not running: any pid file left behind is stale (a kill -9, a reboot).
  RemovePidFile(target.files.pid_file);

  // A server keeps its data in data_dir; a client needs only its node
  // directory (log and pid files).
  const std::string& dir = target.serves_http() ? target.files.data_dir : target.files.dir;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    std::cerr << "dsc: cannot create " << dir << ": " << ec.message() << "\n";
    return false;
  }

  LaunchContext ctx{.dsc_binary = options_.dsc_binary,
                    .node_id = target.node->id,
                    .listen = "",
                    .data_dir = "",
                    .admin = true,
                    .peers = {}};
  if (target.serves_http()) {
    ctx.listen = target.address.host + ":" + std::to_string(target.address.port);
    ctx.data_dir = target.files.data_dir;
  }
  for (const LabNodeSpec& peer : target.system->nodes) {
    if (!peer.serves_http()) continue;
    ctx.peers.emplace_back(peer.id, std::string(kLabHost) + ":" + std::to_string(PortOf(peer)));
  }

  Result<pid_t> pid = SpawnDetached(target.system->command(ctx), target.files.log_file,
                                    {NodeMarker(target.files)});
  if (!pid.ok()) {
    std::cerr << "dsc: cannot start " << target.Name() << ": " << pid.status().message() << "\n";
    return false;
  }
  Status written = WritePidFile(target.files.pid_file, *pid);
  if (!written.ok()) std::cerr << "dsc: warning: " << written.message() << "\n";

  auto started = std::chrono::steady_clock::now();
  auto deadline = started + options_.start_timeout;
  while (true) {
    bool ready = target.serves_http()
                     ? CheckHealth(target.address, target.node->id, *pid, kHealthRequestTimeout).ok
                     : std::chrono::steady_clock::now() - started >= kClientSettle &&
                           FindNodeProcess(target.files).has_value();
    if (ready) {
      PrintNodeLine(target.Name(), target.Url(), "started (pid " + std::to_string(*pid) + ")");
      return true;
    }
    if (!FindNodeProcess(target.files)) {
      RemovePidFile(target.files.pid_file);
      std::cerr << "dsc: " << target.Name() << " exited while starting; last lines of "
                << target.files.log_file << ":\n"
                << TailOfFile(target.files.log_file, kLogLinesOnFailure);
      return false;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      std::cerr << "dsc: " << target.Name() << " (pid " << *pid << ") not healthy at "
                << target.address.Url() << "/health after " << Seconds(options_.start_timeout)
                << "; it keeps running, see " << target.files.log_file << "\n";
      return false;
    }
    std::this_thread::sleep_for(kHealthPollInterval);
  }
}

void Lab::StopNodes(const std::vector<Target>& targets) {
  std::vector<Target> clients;
  std::vector<Target> servers;
  for (const Target& target : targets) {
    (target.serves_http() ? servers : clients).push_back(target);
  }
  if (!clients.empty()) StopGroup(clients);
  if (!servers.empty()) StopGroup(servers);
}

void Lab::StopGroup(const std::vector<Target>& targets) {
  // Signal everyone first, then wait once: nodes shut down in parallel.
  std::vector<std::optional<pid_t>> pids;
  for (const Target& target : targets) {
    pids.push_back(FindNodeProcess(target.files));
    if (pids.back()) SignalNode(*pids.back(), SIGTERM);
  }
  auto deadline = std::chrono::steady_clock::now() + options_.stop_timeout;
  for (size_t i = 0; i < targets.size(); ++i) {
    const Target& target = targets[i];
    if (!pids[i]) {
      RemovePidFile(target.files.pid_file);  // none, or a stale one
      PrintNodeLine(target.Name(), target.Url(), "not running");
      continue;
    }
    std::string pid = std::to_string(*pids[i]);
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (WaitForExit(*pids[i], std::max(left, std::chrono::milliseconds(0)))) {
      PrintNodeLine(target.Name(), target.Url(), "stopped (pid " + pid + ")");
    } else {
      SignalNode(*pids[i], SIGKILL);
      bool gone = WaitForExit(*pids[i], kKillTimeout);
      PrintNodeLine(target.Name(), target.Url(),
                    std::string(gone ? "killed" : "still running after SIGKILL") + " (pid " + pid +
                        ", ignored SIGTERM for " + Seconds(options_.stop_timeout) + ")");
    }
    RemovePidFile(target.files.pid_file);
  }
}

int Lab::Up(const LabSelection& selection) {
  RememberBasePort(options_.lab_dir, options_.base_port);
  std::vector<Target> targets;
  if (!Select(selection, &targets)) return kExitUsage;
  bool all_up = true;
  for (const Target& target : targets) all_up = StartNode(target) && all_up;
  return all_up ? kExitOk : kExitFailed;
}

int Lab::Down(const LabSelection& selection, bool wipe) {
  std::vector<Target> targets;
  if (!Select(selection, &targets)) return kExitUsage;
  StopNodes(targets);
  if (!wipe) return kExitOk;
  // A wiped lab starts from nothing: the data and the node's log file go
  // (an old log would mix earlier runs into what `grep` finds). Only what
  // existed is reported.
  int exit_code = kExitOk;
  for (const Target& target : targets) {
    for (const std::string& path : {target.files.data_dir, target.files.log_file}) {
      std::error_code ec;
      const std::uintmax_t removed = std::filesystem::remove_all(path, ec);
      if (ec) {
        std::cerr << "dsc: cannot delete " << path << ": " << ec.message() << "\n";
        exit_code = kExitFailed;
      } else if (removed > 0) {
        std::cout << "deleted " << path << std::endl;
      }
    }
  }
  return exit_code;
}

int Lab::PrintStatus(const LabSelection& selection) {
  std::vector<Target> targets;
  if (!Select(selection, &targets)) return kExitUsage;
  auto row = [](const std::string& system, const std::string& node, const std::string& pid,
                const std::string& alive, const std::string& health, const std::string& url) {
    std::cout << std::left << std::setw(8) << system << " " << std::setw(8) << node << " "
              << std::setw(8) << pid << " " << std::setw(6) << alive << " " << std::setw(12)
              << health << " " << url << "\n";
  };
  row("SYSTEM", "NODE", "PID", "ALIVE", "HEALTH", "URL");
  bool any_stale = false;
  for (const Target& target : targets) {
    std::optional<pid_t> running = FindNodeProcess(target.files);
    std::optional<pid_t> recorded = ReadPidFile(target.files.pid_file);
    std::string pid = running    ? std::to_string(*running)
                      : recorded ? std::to_string(*recorded) + "?"  // stale pid file
                                 : "-";
    any_stale = any_stale || (!running && recorded);
    std::string health =
        running && target.serves_http()
            ? CheckHealth(target.address, target.node->id, *running, kHealthRequestTimeout).detail
            : "-";
    row(target.system->name, target.node->id, pid, running ? "yes" : "no", health, target.Url());
  }
  if (any_stale)
    std::cout << "(PID? = the pid file names a process that is gone: killed or crashed)\n";
  std::cout << std::flush;
  return kExitOk;
}

int Lab::Kill(const LabSelection& selection) {
  std::vector<Target> targets;
  if (!Select(selection, &targets)) return kExitUsage;
  int exit_code = kExitOk;
  for (const Target& target : targets) {
    std::optional<pid_t> pid = FindNodeProcess(target.files);
    if (!pid) {
      PrintNodeLine(target.Name(), target.Url(), "not running");
      continue;
    }
    // No SIGTERM first: the point of the drill is a crash with no goodbye.
    // The pid file stays, so `status` shows the node as dead.
    SignalNode(*pid, SIGKILL);
    if (WaitForExit(*pid, kKillTimeout)) {
      PrintNodeLine(target.Name(), target.Url(),
                    "killed (pid " + std::to_string(*pid) +
                        (target.serves_http() ? "); its data stays for restart" : ")"));
    } else {
      std::cerr << "dsc: " << target.Name() << " (pid " << *pid << ") survived SIGKILL\n";
      exit_code = kExitFailed;
    }
  }
  return exit_code;
}

int Lab::Restart(const LabSelection& selection) {
  RememberBasePort(options_.lab_dir, options_.base_port);
  std::vector<Target> targets;
  if (!Select(selection, &targets)) return kExitUsage;
  std::vector<Target> running;
  for (const Target& target : targets) {
    if (FindNodeProcess(target.files)) running.push_back(target);
  }
  if (!running.empty()) StopNodes(running);
  bool all_up = true;
  for (const Target& target : targets) all_up = StartNode(target) && all_up;
  return all_up ? kExitOk : kExitFailed;
}

int Lab::Partition(const LabSelection& selection) {
  if (selection.system.empty() || selection.node.empty()) {
    std::cerr << "dsc: error: partition needs SYSTEM and NODE\n";
    return kExitUsage;
  }
  std::vector<Target> all;
  if (!Select({.system = selection.system, .node = ""}, &all)) return kExitUsage;
  std::vector<Target> isolated;
  if (!Select(selection, &isolated)) return kExitUsage;
  if (!isolated.front().serves_http()) {
    std::cerr << "dsc: error: " << isolated.front().Name()
              << " is a client node (no HTTP port): partition a server instead\n";
    return kExitUsage;
  }
  // Client nodes serve no /admin/faults: only servers take part.
  std::erase_if(all, [](const Target& target) { return !target.serves_http(); });

  // Isolation is symmetric: the node drops its peers' traffic and each
  // peer drops the node's, so neither side hears the other.
  nlohmann::json peers = nlohmann::json::array();
  for (const Target& peer : all) {
    if (peer.node->id != selection.node) peers.push_back(peer.node->id);
  }
  if (peers.empty()) {
    std::cout << selection.system << " has one node: there is nothing to cut it off from"
              << std::endl;
  }
  int exit_code = kExitOk;
  auto post = [&](const Target& target, const nlohmann::json& isolate) {
    Status status = PostFaults(target.address, {{"isolate", isolate}});
    if (status.ok()) {
      PrintNodeLine(target.Name(), target.address.Url(), "isolates " + isolate.dump());
    } else {
      std::cerr << "dsc: " << target.Name() << ": " << status.message() << "\n";
      exit_code = kExitFailed;
    }
  };
  post(isolated.front(), peers);
  for (const Target& peer : all) {
    if (peer.node->id != selection.node) post(peer, nlohmann::json::array({selection.node}));
  }
  return exit_code;
}

int Lab::Heal(const LabSelection& selection) {
  std::vector<Target> targets;
  if (!Select(selection, &targets)) return kExitUsage;
  int exit_code = kExitOk;
  for (const Target& target : targets) {
    if (!target.serves_http()) continue;  // a client node has no faults to clear
    if (!FindNodeProcess(target.files)) {
      PrintNodeLine(target.Name(), target.address.Url(), "not running (nothing to heal)");
      continue;
    }
    Status status = ClearFaults(target.address);
    if (status.ok()) {
      PrintNodeLine(target.Name(), target.address.Url(), "healed (faults cleared)");
    } else {
      std::cerr << "dsc: " << target.Name() << ": " << status.message() << "\n";
      exit_code = kExitFailed;
    }
  }
  return exit_code;
}

namespace {

// Serves a static directory (the built book) on 127.0.0.1 from a thread of
// its own while `run` waits for Ctrl-C. Missing files answer 404.
class StaticSiteServer {
 public:
  StaticSiteServer() = default;
  StaticSiteServer(const StaticSiteServer&) = delete;
  StaticSiteServer& operator=(const StaticSiteServer&) = delete;
  ~StaticSiteServer() { Stop(); }

  // Mounts `dir` at / and binds the port, so a busy port fails before any
  // node starts. False (and why, on stderr) when either is unusable.
  bool Bind(const std::string& dir, int port) {
    if (!server_.set_mount_point("/", dir)) {
      std::cerr << "dsc: --book " << dir << ": not a directory (build the book first: make run)\n";
      return false;
    }
    if (!server_.bind_to_port(std::string(kLabHost), port)) {
      std::cerr << "dsc: cannot serve the book on " << kLabHost << ":" << port
                << " (port busy? choose another with --book-port)\n";
      return false;
    }
    return true;
  }

  // Serves on a thread; returns once the server accepts connections.
  void Start() {
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // cpp-httplib 0.11 has no wait_until_ready(): poll (briefly).
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!server_.is_running() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  void Stop() {
    if (!thread_.joinable()) return;
    server_.stop();
    thread_.join();
  }

 private:
  httplib::Server server_;
  std::thread thread_;
};

}  // namespace

int Lab::Run(const LabSelection& selection) {
  // Block the stop signals before starting anything, so a Ctrl-C during
  // start-up is not lost: it waits for sigwait below. (Nodes unblock them
  // again before exec, see lab_process.cc.)
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::vector<Target> targets;
  if (!Select(selection, &targets)) return kExitUsage;
  // The book server thread starts after the signals are blocked, so it
  // inherits the mask and Ctrl-C reaches sigwait below.
  StaticSiteServer book;
  const bool serve_book = !options_.book_dir.empty();
  if (serve_book && !book.Bind(options_.book_dir, options_.book_port)) return kExitFailed;
  bool all_up = true;
  for (const Target& target : targets) all_up = StartNode(target) && all_up;
  if (!all_up) {
    std::cerr << "dsc: the lab did not come up; stopping what started\n";
    StopNodes(targets);
    return kExitFailed;
  }
  if (serve_book) {
    book.Start();
    PrintNodeLine(
        "book", "http://" + std::string(kLabHost) + ":" + std::to_string(options_.book_port) + "/",
        "the course book (" + options_.book_dir + ")");
  }
  std::cout << "lab is up; press Ctrl-C to stop it (data stays in " << options_.lab_dir << "/)"
            << std::endl;

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  std::cout << "\n"
            << (signal_number == SIGINT ? "Ctrl-C" : "SIGTERM") << ": stopping the lab"
            << std::endl;
  book.Stop();
  StopNodes(targets);
  return kExitOk;
}

}  // namespace dsc::lab
