// A minimal launcher for the queue node, worker and producer, for process
// tests only (the real commands are `dsc queue serve|worker|produce`, in
// nodes/dsc). Flags are parsed by hand to keep CLI11 out of this
// quick-to-build binary:
//
//   queue_node_test_main serve   --data DIR [--id ID] [--listen HOST:PORT]
//                                [--fsync POLICY] [--admin] [--max-body-bytes N]
//                                [--durable-leases] [--retention-ms N]
//   queue_node_test_main worker  --server URL [--id W] [--concurrency N]
//                                [--work-ms N] [--fail-rate X] [--lease-ms N]
//                                [--wait-ms N] [--max-tasks N] [--seed N]
//   queue_node_test_main produce --server URL [--count N] [--rate X]
//                                [--payload JSON] [--concurrency N]
//                                [--idempotency-prefix P] [--max-retries N]
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include "nodes/queue/producer.h"
#include "nodes/queue/queue_node.h"
#include "nodes/queue/worker.h"

namespace {

// --flag value pairs (and bare --admin, --durable-leases) after the subcommand.
bool ParseFlags(int argc, char** argv, std::map<std::string, std::string>& flags) {
  for (int i = 2; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--admin" || flag == "--durable-leases") {
      flags[flag] = "1";
      continue;
    }
    if (flag.rfind("--", 0) != 0 || i + 1 >= argc) {
      std::fprintf(stderr, "queue_node_test_main: bad flag %s\n", argv[i]);
      return false;
    }
    flags[flag] = argv[++i];
  }
  return true;
}

// Takes the flags it knows; the rest are reported as unknown.
struct Flags {
  std::map<std::string, std::string> values;
  bool Take(const std::string& name, std::string& out) {
    auto it = values.find(name);
    if (it == values.end()) return false;
    out = it->second;
    values.erase(it);
    return true;
  }
  template <typename T>
  void Take(const std::string& name, T& out, T (*parse)(const std::string&)) {
    std::string text;
    if (Take(name, text)) out = parse(text);
  }
  bool Done() const {
    for (const auto& [name, value] : values) {
      std::fprintf(stderr, "queue_node_test_main: unknown flag %s\n", name.c_str());
    }
    return values.empty();
  }
};

int64_t ToInt(const std::string& s) { return std::strtoll(s.c_str(), nullptr, 10); }
uint64_t ToUint(const std::string& s) { return std::strtoull(s.c_str(), nullptr, 10); }
double ToDouble(const std::string& s) { return std::strtod(s.c_str(), nullptr); }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: queue_node_test_main serve|worker|produce --flags...\n");
    return 2;
  }
  const std::string_view command = argv[1];
  Flags flags;
  if (!ParseFlags(argc, argv, flags.values)) return 2;
  std::string text;

  if (command == "serve") {
    dsc::queue::ServeOptions o;
    flags.Take("--id", o.id);
    flags.Take("--listen", o.listen);
    flags.Take("--data", o.data_dir);
    flags.Take("--fsync", o.fsync);
    o.admin = flags.Take("--admin", text);
    o.durable_leases = flags.Take("--durable-leases", text);
    flags.Take("--retention-ms", o.retention_ms, ToInt);
    if (flags.Take("--max-body-bytes", text)) o.max_body_bytes = ToUint(text);
    return flags.Done() ? dsc::queue::Serve(o) : 2;
  }
  if (command == "worker") {
    dsc::queue::WorkerOptions o;
    flags.Take("--server", o.server);
    flags.Take("--id", o.id);
    if (flags.Take("--concurrency", text)) o.concurrency = static_cast<int>(ToInt(text));
    flags.Take("--work-ms", o.work_ms, ToInt);
    flags.Take("--fail-rate", o.fail_rate, ToDouble);
    flags.Take("--lease-ms", o.lease_ms, ToInt);
    flags.Take("--wait-ms", o.wait_ms, ToInt);
    flags.Take("--max-tasks", o.max_tasks, ToUint);
    if (flags.Take("--seed", text)) o.seed = ToUint(text);
    return flags.Done() ? dsc::queue::RunWorker(o) : 2;
  }
  if (command == "produce") {
    dsc::queue::ProducerOptions o;
    flags.Take("--server", o.server);
    flags.Take("--count", o.count, ToUint);
    flags.Take("--rate", o.rate, ToDouble);
    flags.Take("--payload", o.payload);
    if (flags.Take("--concurrency", text)) o.concurrency = static_cast<int>(ToInt(text));
    flags.Take("--idempotency-prefix", o.idempotency_prefix);
    if (flags.Take("--max-retries", text)) o.max_retries = static_cast<int>(ToInt(text));
    return flags.Done() ? dsc::queue::RunProducer(o) : 2;
  }
  std::fprintf(stderr, "queue_node_test_main: unknown command %s\n", argv[1]);
  return 2;
}
