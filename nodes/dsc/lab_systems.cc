// To add a system to the lab: write a FooLabSystem() below (ids, ports in
// the 7000-7999 plan of docs/DESIGN.md, and its `dsc foo serve` command line),
// declare it in lab_systems.h and add it to BuiltInLabSystems().
#include "nodes/dsc/lab_systems.h"

#include <cstdlib>
#include <iostream>

namespace dsc::lab {

LabSystem LogLabSystem() {
  LabSystem system;
  system.name = "log";
  system.summary = "one durable write-ahead log node (dsc log serve)";
  system.nodes = {{.id = "log1", .port = 7500}};
  system.command = [](const LaunchContext& ctx) {
    std::vector<std::string> argv = {ctx.dsc_binary, "log", "serve"};
    argv.insert(argv.end(), {"--id", ctx.node_id});
    argv.insert(argv.end(), {"--listen", ctx.listen});
    argv.insert(argv.end(), {"--data", ctx.data_dir});
    if (ctx.admin) argv.emplace_back("--admin");
    return argv;
  };
  return system;
}

LabSystem QueueLabSystem() {
  LabSystem system;
  system.name = "queue";
  system.summary = "a durable work queue node and three workers (dsc queue serve|worker)";
  system.nodes = {{.id = "queue1", .port = 7000}};
  for (const char* worker : {"worker1", "worker2", "worker3"}) {
    system.nodes.push_back({.id = worker, .port = 0, .kind = LabNodeKind::kClient});
  }
  system.command = [](const LaunchContext& ctx) {
    std::vector<std::string> argv = {ctx.dsc_binary, "queue"};
    if (ctx.node_id == "queue1") {
      argv.insert(argv.end(), {"serve", "--id", ctx.node_id});
      argv.insert(argv.end(), {"--listen", ctx.listen});
      argv.insert(argv.end(), {"--data", ctx.data_dir});
      if (ctx.admin) argv.emplace_back("--admin");
      return argv;
    }
    // A worker: slow enough to watch tasks move (node.log shows one line
    // per task), with leases short enough that a killed worker's task is
    // back within seconds rather than the default 30, and short polls so
    // it stops promptly.
    argv.insert(argv.end(), {"worker", "--server", ctx.UrlOf("queue1"), "--id", ctx.node_id});
    argv.insert(argv.end(), {"--work-ms", std::to_string(kQueueLabWorkMs)});
    argv.insert(argv.end(), {"--lease-ms", std::to_string(kQueueLabLeaseMs)});
    argv.insert(argv.end(), {"--wait-ms", std::to_string(kQueueLabWaitMs)});
    return argv;
  };
  return system;
}

LabSystem RaftLabSystem() {
  LabSystem system;
  system.name = "raft";
  system.summary = "five Raft KV nodes n1..n5 (dsc raft serve)";
  for (int i = 1; i <= 5; ++i) {
    system.nodes.push_back({.id = "n" + std::to_string(i), .port = 7400 + i});
  }
  system.command = [](const LaunchContext& ctx) {
    std::vector<std::string> argv = {ctx.dsc_binary, "raft", "serve"};
    argv.insert(argv.end(), {"--id", ctx.node_id});
    argv.insert(argv.end(), {"--listen", ctx.listen});
    argv.insert(argv.end(), {"--peers", ctx.PeersFlag()});
    argv.insert(argv.end(), {"--data", ctx.data_dir});
    if (ctx.admin) argv.emplace_back("--admin");
    // The exercise of session 10: DSC_RAFT_BREAK=stale-reads dsc lab up raft
    // starts every node with a rule broken on purpose.
    if (const char* rule = std::getenv("DSC_RAFT_BREAK"); rule != nullptr && *rule != '\0') {
      argv.insert(argv.end(), {"--break", rule});
    }
    return argv;
  };
  return system;
}

LabRegistry BuiltInLabSystems() {
  LabRegistry registry;
  for (LabSystem system : {LogLabSystem(), QueueLabSystem(), RaftLabSystem()}) {
    Status status = registry.Add(std::move(system));
    if (!status.ok()) {
      // A broken description is a bug in this file, not a user error.
      std::cerr << "dsc: internal error: " << status.ToString() << "\n";
      std::abort();
    }
  }
  return registry;
}

}  // namespace dsc::lab
