// To add a system to the lab: write a FooLabSystem() below (ids, ports in
// the 7000-7999 plan of DESIGN.md, and its `dsc foo serve` command line),
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

LabRegistry BuiltInLabSystems() {
  LabRegistry registry;
  for (LabSystem system : {LogLabSystem(), QueueLabSystem()}) {
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
