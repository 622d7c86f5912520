// `dsc lab ...`: run the course's systems as local processes on 127.0.0.1.
//
//   up [SYSTEM] [NODE]         start what is not running, wait for /health, print URLs
//   down [SYSTEM] [NODE]       SIGTERM, then SIGKILL stragglers (--wipe: delete data too)
//   status [SYSTEM] [NODE]     table: system, node, pid, alive, health, url
//   kill [SYSTEM] [NODE]       SIGKILL: the crash drill (data and pid file stay)
//   restart [SYSTEM] [NODE]    stop if running, start on the same data, wait for /health
//   partition SYSTEM NODE      isolate NODE from its peers (POST /admin/faults both ways)
//   heal [SYSTEM] [NODE]       DELETE /admin/faults
//   run [SYSTEM]               up, wait for Ctrl-C (SIGINT) or SIGTERM, down; with
//                              LabOptions::book_dir also serves that directory (the
//                              built book) on 127.0.0.1:book_port meanwhile
//
// Without SYSTEM a command applies to every registered system. A client
// node (LabNodeKind::kClient, e.g. a queue worker) has no /health: up and
// restart count it started once its process runs, status shows "-" for
// its health and URL, heal skips it and partition refuses it. Files live
// under the lab directory (lab_layout.h). Each function returns the
// process exit code: 0 done, 1 something failed (said on stderr), 2 an
// unknown system or node.
//
// Thread-safety: one command at a time per lab directory; two `dsc lab`
// commands racing on the same node may both start it (one then fails on
// the busy port or data-directory lock).
#pragma once

#include <chrono>
#include <string>

#include "nodes/dsc/lab_registry.h"

namespace dsc::lab {

inline constexpr int kDefaultBookPort = 8000;

struct LabOptions {
  std::string lab_dir = ".lab";
  int base_port = kDefaultBasePort;
  // False when base_port is just the default: the lab then uses the shift
  // it was last started with (remembered in LAB_DIR/base-port).
  bool base_port_given = false;
  std::string dsc_binary;  // what nodes are started with; normally this very binary
  // How long `up`/`restart` wait for a node's /health, and `down` for a
  // node to exit after SIGTERM before it is SIGKILLed.
  std::chrono::milliseconds start_timeout{15000};
  std::chrono::milliseconds stop_timeout{10000};
  // `run` only: a static directory (the built book) to serve on
  // 127.0.0.1:book_port while the lab runs. Empty: no book server.
  std::string book_dir;
  int book_port = kDefaultBookPort;
};

// Which nodes a command is about: empty strings mean "all".
struct LabSelection {
  std::string system;
  std::string node;
};

// Runs the lab commands against one registry and one lab directory.
class Lab {
 public:
  Lab(const LabRegistry& registry, LabOptions options);

  int Up(const LabSelection& selection);
  int Down(const LabSelection& selection, bool wipe);
  int PrintStatus(const LabSelection& selection);
  int Kill(const LabSelection& selection);
  int Restart(const LabSelection& selection);
  int Partition(const LabSelection& selection);
  int Heal(const LabSelection& selection);
  int Run(const LabSelection& selection);

 private:
  struct Target;

  // The nodes `selection` names, or a one-line error (exit code 2).
  bool Select(const LabSelection& selection, std::vector<Target>* targets) const;
  // Starts one node unless it runs; waits for /health. Prints its line.
  bool StartNode(const Target& target);
  // SIGTERMs every running target, waits, SIGKILLs the rest. Client nodes
  // go first, so a worker never outlives the server it talks to.
  void StopNodes(const std::vector<Target>& targets);
  // StopNodes for one group, in parallel.
  void StopGroup(const std::vector<Target>& targets);
  // The node's port moved by --base-port (may fall outside 1-65535).
  int PortOf(const LabNodeSpec& node) const;

  const LabRegistry& registry_;
  const LabOptions options_;
};

}  // namespace dsc::lab
