// Nemesis: the fault schedule `dsc check raft` runs while its clients
// work, after Jepsen's nemesis. Each cycle waits `interval`, injects one
// fault, holds it for `interval`, and repairs it:
//
//   isolate-leader   cut the current leader off from every peer
//   isolate-random   cut a random node off
//   minority         split the cluster: a random minority on one side
//   kill-leader      run --kill-cmd on the leader, later --restart-cmd
//   kill-random      the same on a random node
//   mixed            each cycle picks one of the above at random (the kill
//                    faults only when kill and restart commands are given)
//
// Isolation uses the nodes' fault endpoints (docs/DESIGN.md, "Nodes"; nodes
// must run with --admin): POST /admin/faults {"isolate":[...]} on both
// sides, since isolation applies to peer traffic in both directions, and
// DELETE /admin/faults to heal. The leader is the node whose GET /status
// says "state":"leader" with the highest "term". Kill and restart are
// shell commands with {node} replaced by the node id, e.g.
// --kill-cmd 'dsc lab kill raft {node}' --restart-cmd 'dsc lab restart raft {node}'.
//
// Thread-safety: Run is called by one thread; Stop may be called from any.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "base/status.h"
#include "nodes/raft/check/kv_client.h"

namespace dsc::raft::check {

enum class NemesisKind {
  kNone,
  kIsolateLeader,
  kIsolateRandom,
  kMinority,
  kKillLeader,
  kKillRandom,
  kMixed
};

// "none", "isolate-leader", ... as on the command line.
Result<NemesisKind> ParseNemesisKind(const std::string& text);
std::string_view NemesisKindName(NemesisKind kind);

struct NemesisOptions {
  NemesisKind kind = NemesisKind::kNone;
  std::chrono::milliseconds interval{std::chrono::seconds(2)};
  // Designated initialisers may leave these out (hence the braces).
  std::string kill_cmd{};     // with "{node}"; needed by the kill faults
  std::string restart_cmd{};  // with "{node}"; needed by the kill faults
};

// Refuses option combinations that cannot work (a kill fault without its
// commands, an interval that is not positive).
Status ValidateNemesisOptions(const NemesisOptions& options);

// A flag that wakes sleepers at once when set.
class StopSignal {
 public:
  void Stop();
  bool stopped() const;
  // Sleeps up to `duration`; false if stopped meanwhile (or before).
  bool SleepFor(std::chrono::milliseconds duration);

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;  // guarded by mu_
};

class Nemesis {
 public:
  // `log` receives one line per action ("isolate n3 (leader)"); it is
  // called from Run's thread.
  Nemesis(std::vector<NodeEndpoint> nodes, NemesisOptions options, uint64_t seed,
          std::function<void(const std::string&)> log);

  // Runs cycles until `stop` is set, then repairs everything it broke
  // (heals every node, restarts every node it killed) and returns.
  void Run(StopSignal& stop);

 private:
  // One cycle's fault; returns the repair to run after it.
  std::function<void()> Inject(NemesisKind kind);
  std::function<void()> Isolate(const std::set<std::string>& side, const std::string& why);
  std::function<void()> Kill(const NodeEndpoint& node, const std::string& why);
  void HealAll();
  // The current leader, or a random node (said in `why`) when none answers.
  const NodeEndpoint& LeaderOrRandom(std::string* why);
  const NodeEndpoint& RandomNode();
  void PostFaults(const NodeEndpoint& node, const std::vector<std::string>& isolate);
  void RunCommand(const std::string& command_template, const NodeEndpoint& node);

  const std::vector<NodeEndpoint> nodes_;
  const NemesisOptions options_;
  std::mt19937_64 random_;
  std::function<void(const std::string&)> log_;
  std::set<std::string> warned_;  // nodes whose fault endpoint failed once already
};

}  // namespace dsc::raft::check
