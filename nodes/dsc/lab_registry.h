// The lab registry: which systems `dsc lab` can run, and how to start them.
//
// Each system describes itself once, as plain data (LabSystem): its nodes,
// their ports, and how to turn "start node X on this port with this data
// directory" into a `dsc <system> serve ...` command line. A node is a
// server (an HTTP port, a data directory, /health) or a client process
// such as a queue worker (neither): LabNodeKind. Nodes start in the
// order listed, each server healthy before the next node starts, so list
// a system's servers before the clients that need them. The lab commands
// (lab_commands.h) never mention a system by name, so adding a system to
// the lab is adding one description to BuiltInLabSystems() (lab_systems.cc).
//
// Thread-safety: a LabRegistry is filled once at start-up and then only
// read; concurrent reads are safe.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace dsc::lab {

// Every lab node listens on loopback: the lab is one machine's playground.
inline constexpr std::string_view kLabHost = "127.0.0.1";

// Ports in a LabSystem are written for this base port. `dsc lab --base-port
// B` (or DSC_LAB_BASE_PORT=B) moves every node by B - kDefaultBasePort, so
// a second lab (a test, say) can run beside the learner's own.
inline constexpr int kDefaultBasePort = 7000;

// What a node is to the lab.
enum class LabNodeKind {
  // Serves HTTP on its port: started means GET /health answers for it;
  // `status` shows its health and URL; partition/heal reach its /admin.
  kServer,
  // A client process (a queue worker, say) that talks to its system's
  // servers but serves nothing: no port, no URL, no /health. Started
  // means its process is alive; `status` shows "-" for health and URL.
  kClient,
};

struct LabNodeSpec {
  std::string id;  // unique within its system ("log1", "n1"); also its directory name
  int port = 0;    // with the default base port; 0 (and only 0) for a kClient
  LabNodeKind kind = LabNodeKind::kServer;

  bool serves_http() const { return kind == LabNodeKind::kServer; }
};

// What a system's CommandBuilder gets to build one node's command line.
struct LaunchContext {
  std::string dsc_binary;  // absolute path of the running `dsc`
  std::string node_id;     // the node being started
  // "127.0.0.1:PORT", already shifted by --base-port; "" for a client node.
  std::string listen;
  // .lab/<system>/<node>/data; exists and is kept across restarts. "" for
  // a client node (it keeps no state of its own).
  std::string data_dir;
  bool admin = true;  // lab nodes enable /admin/faults so partition/heal work
  // Every server node of the system (this one included) as {id,
  // "host:port"}, in registry order, ports shifted: what a replicated
  // system passes to --peers, and where a client node finds its servers.
  std::vector<std::pair<std::string, std::string>> peers;

  // "n1=127.0.0.1:7101,n2=127.0.0.1:7102,..." from `peers`.
  std::string PeersFlag() const;
  // "http://127.0.0.1:7000" for the server node `id` in `peers`; "" if absent.
  std::string UrlOf(std::string_view id) const;
};

// Returns the node's argv; argv[0] is ctx.dsc_binary.
using CommandBuilder = std::function<std::vector<std::string>(const LaunchContext& ctx)>;

struct LabSystem {
  std::string name;     // `dsc lab up NAME`; also its directory under .lab/
  std::string summary;  // one line, shown by `dsc lab --help`
  std::vector<LabNodeSpec> nodes;
  CommandBuilder command;
};

class LabRegistry {
 public:
  // Adds a system. InvalidArgument for an empty or duplicate name, no
  // nodes, a duplicate node id, a server without a port or a client with
  // one, a port used twice in the lab, or no command builder: mistakes a new system's author should hear about at
  // once rather than as a port clash at run time.
  Status Add(LabSystem system);

  // The system called `name`, or nullptr.
  const LabSystem* Find(std::string_view name) const;

  // In the order they were added (the order `dsc lab up` starts them).
  const std::vector<LabSystem>& systems() const { return systems_; }

  // "log, queue, kv": for help texts and error messages.
  std::string Names() const;

 private:
  std::vector<LabSystem> systems_;
};

// A LabNodeSpec's node inside the system it belongs to.
const LabNodeSpec* FindNode(const LabSystem& system, std::string_view node_id);

}  // namespace dsc::lab
