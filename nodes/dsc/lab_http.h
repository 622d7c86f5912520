// The lab's HTTP conversations with its nodes: health checks and fault
// injection. Every node serves GET /health and, started with --admin,
// POST/DELETE /admin/faults (docs/DESIGN.md, "Nodes").
//
// Thread-safety: plain functions; each call uses its own connection.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace dsc::lab {

struct NodeAddress {
  std::string host;
  int port = 0;

  std::string Url() const { return "http://" + host + ":" + std::to_string(port); }
};

// "ok" when GET /health answers 200 {"status":"ok","node":node_id,"pid":pid}
// (pid: the process we started), else why not ("http 503", "unreachable",
// "port held by node n2", "port held by pid 4242"). Checking the id and the
// pid means a stranger on the port, even another lab's node of the same
// name, is never mistaken for the node we started. Gives up after `timeout`.
struct Health {
  bool ok = false;
  std::string detail;
};
Health CheckHealth(const NodeAddress& node, const std::string& node_id, pid_t pid,
                   std::chrono::milliseconds timeout);

// POST /admin/faults with `faults` as the JSON body.
Status PostFaults(const NodeAddress& node, const nlohmann::json& faults);
// DELETE /admin/faults.
Status ClearFaults(const NodeAddress& node);

}  // namespace dsc::lab
