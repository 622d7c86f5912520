// dsc: one command for everything a learner does with the course's
// systems. This file only wires command-line arguments to the functions
// that do the work (wal_commands.h, lab_commands.h, each node's Serve);
// it is also the only file that includes CLI11, which is slow to compile.
//
//   dsc wal dump|verify DIR ...
//   dsc log serve --id ID --listen HOST:PORT --data DIR [--fsync POLICY] [--admin]
//   dsc queue serve|worker|produce ...
//   dsc raft serve --id ID --listen HOST:PORT --peers ID=HOST:PORT,... --data DIR
//   dsc check raft [--nodes ...] [--nemesis ...]
//   dsc lab up|down|status|kill|restart|partition|heal|run [SYSTEM] [NODE]
#include <algorithm>
#include <filesystem>
#include <functional>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "nodes/dsc/lab_commands.h"
#include "nodes/dsc/lab_systems.h"
#include "nodes/dsc/wal_commands.h"
#include "nodes/log/log_node.h"
#include "nodes/queue/producer.h"
#include "nodes/queue/queue_node.h"
#include "nodes/queue/worker.h"
#include "nodes/raft/check/check_raft_command.h"
#include "nodes/raft/raft_kv_node.h"
#include "wal/log.h"

namespace {

constexpr int kExitUsage = 2;

// What the chosen subcommand will do once parsing succeeded.
using Action = std::function<int()>;

// Every value the command line can set: CLI11 writes into these while it
// parses, and the chosen Action reads them afterwards.
struct Flags {
  dsc::cli::WalDumpOptions dump;
  uint64_t dump_limit = 0;
  std::string verify_dir;
  dsc::lognode::ServeOptions serve;
  dsc::queue::ServeOptions queue_serve;
  dsc::queue::WorkerOptions worker;
  uint64_t worker_seed = 0;
  dsc::queue::ProducerOptions produce;
  dsc::raft::ServeOptions raft_serve;
  int produce_max_retries = 0;
  dsc::lab::LabOptions lab;
  int lab_timeout_seconds = 15;
  dsc::lab::LabSelection selection;
  bool wipe = false;
};

// The path of this very binary: lab nodes are started with it.
std::string ThisBinary() {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "dsc" : self.string();
}

CLI::Validator FsyncPolicy() {
  auto check = [](std::string& text) -> std::string {
    return dsc::wal::DurabilityPolicy::Parse(text).ok() ? "" : "expected always|never|interval:MS";
  };
  return {check, "always|never|interval:MS"};
}

// CLI11 reports errors over several lines; learners get exactly one:
//   dsc: error: --fsync: expected always|never|interval:MS
int ReportParseError(const CLI::App& app, const CLI::ParseError& error) {
  if (error.get_exit_code() == 0) return app.exit(error);  // --help
  std::string message = error.what();
  for (char& c : message) {
    if (c == '\n') c = ' ';
  }
  while (!message.empty() && message.back() == ' ') message.pop_back();
  std::cerr << "dsc: error: " << message << " (see --help)\n";
  return kExitUsage;
}

void AddWalCommands(CLI::App& app, Flags& flags, Action* action) {
  CLI::App* wal = app.add_subcommand("wal", "Inspect a write-ahead log directory (read-only)");
  wal->require_subcommand(1);

  CLI::App* dump = wal->add_subcommand("dump", "Print every record as one JSON line");
  dump->add_option("DIR", flags.dump.dir, "The log directory (holds *.wal segments)")->required();
  dump->add_option("--from", flags.dump.from_lsn, "Start at this LSN");
  CLI::Option* limit = dump->add_option("--limit", flags.dump_limit, "Print at most N records");
  dump->callback([&flags, action, limit] {
    if (limit->count() > 0) flags.dump.limit = flags.dump_limit;
    *action = [&flags] { return dsc::cli::WalDump(flags.dump, std::cout, std::cerr); };
  });

  CLI::App* verify = wal->add_subcommand(
      "verify", "Check every record; exit 1 on corruption (a torn tail is only a warning)");
  verify->add_option("DIR", flags.verify_dir, "The log directory")->required();
  verify->callback([&flags, action] {
    *action = [&flags] { return dsc::cli::WalVerify(flags.verify_dir, std::cout, std::cerr); };
  });
}

// The flags every `dsc <system> serve` takes; each system's ServeOptions
// has these fields.
template <typename ServeOptions>
void AddServeFlags(CLI::App* serve_cmd, ServeOptions& serve) {
  serve_cmd->add_option("--id", serve.id, "Node id")->capture_default_str();
  serve_cmd->add_option("--listen", serve.listen, "HOST:PORT to serve on")->capture_default_str();
  serve_cmd->add_option("--data", serve.data_dir, "Data directory")->required();
  serve_cmd->add_option("--fsync", serve.fsync, "Durability: always|never|interval:MS")
      ->check(FsyncPolicy())
      ->capture_default_str();
  serve_cmd->add_flag("--admin", serve.admin, "Enable /admin/faults (fault injection)");
  serve_cmd->add_option("--max-body-bytes", serve.max_body_bytes, "Largest request body")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  serve_cmd
      ->add_option("--threads", serve.threads,
                   "Threads serving connections (0: one per core but one, at least one)")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
}

void AddLogCommands(CLI::App& app, Flags& flags, Action* action) {
  CLI::App* log = app.add_subcommand("log", "The log node: a durable write-ahead log over HTTP");
  log->require_subcommand(1);

  dsc::lognode::ServeOptions& serve = flags.serve;
  CLI::App* serve_cmd = log->add_subcommand("serve", "Run a log node until SIGTERM or Ctrl-C");
  AddServeFlags(serve_cmd, serve);
  serve_cmd->callback(
      [&flags, action] { *action = [&flags] { return dsc::lognode::Serve(flags.serve); }; });
}

void AddQueueCommands(CLI::App& app, Flags& flags, Action* action) {
  CLI::App* queue = app.add_subcommand(
      "queue", "The queue node: a durable work queue over HTTP, its workers and producers");
  queue->require_subcommand(1);

  dsc::queue::ServeOptions& serve = flags.queue_serve;
  CLI::App* serve_cmd = queue->add_subcommand("serve", "Run a queue node until SIGTERM or Ctrl-C");
  AddServeFlags(serve_cmd, serve);
  serve_cmd->add_flag("--durable-leases", serve.durable_leases,
                      "Answer a lease only once it is durable (default: a crash may forget a "
                      "lease, and the task is delivered again)");
  serve_cmd
      ->add_option("--retention-ms", serve.retention_ms,
                   "How long finished tasks stay queryable (then GET answers 410)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  serve_cmd->callback(
      [&flags, action] { *action = [&flags] { return dsc::queue::Serve(flags.queue_serve); }; });

  dsc::queue::WorkerOptions& worker = flags.worker;
  CLI::App* worker_cmd = queue->add_subcommand(
      "worker", "Lease tasks, work on them, ack or fail them; until Ctrl-C or --max-tasks");
  worker_cmd->add_option("--server", worker.server, "The queue node's URL")->capture_default_str();
  worker_cmd->add_option("--id", worker.id, "Worker name the leases carry")->capture_default_str();
  worker_cmd->add_option("--concurrency", worker.concurrency, "Threads, one task each")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  worker_cmd->add_option("--work-ms", worker.work_ms, "Simulated work per task (ms)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  worker_cmd->add_option("--fail-rate", worker.fail_rate, "Share of attempts that fail (0..1)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  worker_cmd->add_option("--lease-ms", worker.lease_ms, "How long a lease lasts (ms)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  worker_cmd->add_option("--wait-ms", worker.wait_ms, "Long-poll wait per lease request (ms)")
      ->check(CLI::Range(int64_t{0}, int64_t{30'000}))
      ->capture_default_str();
  worker_cmd->add_option("--max-tasks", worker.max_tasks, "Stop after N tasks (0: never)")
      ->capture_default_str();
  CLI::Option* seed =
      worker_cmd->add_option("--seed", flags.worker_seed, "Seed for --fail-rate (default: random)");
  worker_cmd->callback([&flags, action, seed] {
    if (seed->count() > 0) flags.worker.seed = flags.worker_seed;
    *action = [&flags] { return dsc::queue::RunWorker(flags.worker); };
  });

  dsc::queue::ProducerOptions& produce = flags.produce;
  CLI::App* produce_cmd =
      queue->add_subcommand("produce", "Enqueue tasks (POST /tasks) and print a summary");
  produce_cmd->add_option("--server", produce.server, "The queue node's URL")
      ->capture_default_str();
  produce_cmd->add_option("--count", produce.count, "How many tasks")->capture_default_str();
  produce_cmd->add_option("--rate", produce.rate, "Tasks per second overall (0: no limit)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  produce_cmd
      ->add_option("--payload", produce.payload,
                   "JSON payload; every {n} becomes the task's number")
      ->capture_default_str();
  produce_cmd->add_option("--concurrency", produce.concurrency, "Threads sending")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  produce_cmd->add_option("--idempotency-prefix", produce.idempotency_prefix,
                          "Give task n the key PREFIXn and retry unanswered requests");
  CLI::Option* max_retries = produce_cmd->add_option("--max-retries", flags.produce_max_retries,
                                                     "Retries per task (default: the node's)");
  max_retries->check(CLI::NonNegativeNumber);
  produce_cmd->callback([&flags, action, max_retries] {
    if (max_retries->count() > 0) flags.produce.max_retries = flags.produce_max_retries;
    *action = [&flags] { return dsc::queue::RunProducer(flags.produce); };
  });
}

void AddRaftCommands(CLI::App& app, Flags& flags, Action* action) {
  CLI::App* raft = app.add_subcommand(
      "raft", "The Raft KV node: a key-value store replicated by Raft consensus");
  raft->require_subcommand(1);

  dsc::raft::ServeOptions& serve = flags.raft_serve;
  CLI::App* serve_cmd = raft->add_subcommand("serve", "Run a Raft node until SIGTERM or Ctrl-C");
  AddServeFlags(serve_cmd, serve);
  serve_cmd
      ->add_option("--peers", serve.peers,
                   "Every member, this node included: n1=127.0.0.1:7401,n2=...")
      ->required();
  serve_cmd->add_option("--tick-ms", serve.tick_ms, "Milliseconds per Raft tick")
      ->check(CLI::Range(1, 10'000))
      ->capture_default_str();
  serve_cmd
      ->add_option("--election-ticks", serve.election_ticks,
                   "Election timeout in ticks (randomised up to twice this)")
      ->check(CLI::Range(3, 1000))
      ->capture_default_str();
  serve_cmd
      ->add_option("--snapshot-every", serve.snapshot_every,
                   "Snapshot the state and compact the log after this many entries")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  serve_cmd
      ->add_option("--break", serve.break_rule,
                   "Break a rule on purpose, for dsc check raft to catch: stale-reads")
      ->check(CLI::IsMember({"stale-reads"}));
  serve_cmd->callback(
      [&flags, action] { *action = [&flags] { return dsc::raft::Serve(flags.raft_serve); }; });
}

void AddLabCommands(CLI::App& app, const dsc::lab::LabRegistry& registry, Flags& flags,
                    Action* action) {
  CLI::App* lab = app.add_subcommand(
      "lab", "Run the systems as local processes on 127.0.0.1 (files under ./.lab/)");
  lab->require_subcommand(1);
  std::string systems = "\nSystems (without SYSTEM a command applies to all of them):\n";
  for (const dsc::lab::LabSystem& system : registry.systems()) {
    systems += "  " + system.name +
               std::string(12 - std::min<size_t>(system.name.size(), 11), ' ') + system.summary +
               "\n";
  }
  lab->footer(systems);

  lab->add_option("--dir", flags.lab.lab_dir, "Where the lab keeps data, logs and pid files")
      ->capture_default_str();
  CLI::Option* base_port =
      lab->add_option("--base-port", flags.lab.base_port,
                      "Shift every node's port by BASE-7000 (e.g. to run a second lab)")
          ->envname("DSC_LAB_BASE_PORT")
          ->check(CLI::Range(1, 65535))
          ->capture_default_str();
  lab->add_option("--timeout", flags.lab_timeout_seconds, "Seconds to wait for a node's /health")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();

  // Each lab command: its name, help, and the Lab method it runs.
  struct LabCommand {
    const char* name;
    const char* help;
    std::function<int(dsc::lab::Lab&, const Flags&)> run;
    bool needs_node = false;
  };
  const LabCommand commands[] = {
      {"up", "Start nodes that are not running; wait for /health; print URLs",
       [](dsc::lab::Lab& l, const Flags& f) { return l.Up(f.selection); }},
      {"down", "Stop nodes (SIGTERM, then SIGKILL); data stays unless --wipe",
       [](dsc::lab::Lab& l, const Flags& f) { return l.Down(f.selection, f.wipe); }},
      {"status", "Show system, node, pid, alive, health and URL of each node",
       [](dsc::lab::Lab& l, const Flags& f) { return l.PrintStatus(f.selection); }},
      {"kill", "SIGKILL nodes: the crash drill (data stays)",
       [](dsc::lab::Lab& l, const Flags& f) { return l.Kill(f.selection); }},
      {"restart", "Stop if running, start again on the same data, wait for /health",
       [](dsc::lab::Lab& l, const Flags& f) { return l.Restart(f.selection); }},
      {"partition", "Cut NODE off from its peers (POST /admin/faults on both sides)",
       [](dsc::lab::Lab& l, const Flags& f) { return l.Partition(f.selection); }, true},
      {"heal", "Clear injected faults (DELETE /admin/faults)",
       [](dsc::lab::Lab& l, const Flags& f) { return l.Heal(f.selection); }},
      {"run", "up, then wait for Ctrl-C, then down",
       [](dsc::lab::Lab& l, const Flags& f) { return l.Run(f.selection); }},
  };
  for (const LabCommand& command : commands) {
    CLI::App* sub = lab->add_subcommand(command.name, command.help);
    sub->fallthrough();  // `dsc lab up log --base-port 9000` works too
    CLI::Option* system =
        sub->add_option("SYSTEM", flags.selection.system, "System (default: all)");
    if (std::string(command.name) == "run") {
      // run manages whole systems; a single node has no use here.
      sub->add_option("--book", flags.lab.book_dir,
                      "Also serve this directory (the built book) on 127.0.0.1 (make run does)")
          ->check(CLI::ExistingDirectory);
      sub->add_option("--book-port", flags.lab.book_port, "Port of the book server")
          ->check(CLI::Range(1, 65535))
          ->capture_default_str();
    } else {
      CLI::Option* node = sub->add_option("NODE", flags.selection.node, "Node (default: all)");
      if (command.needs_node) {
        system->required();
        node->required();
      }
    }
    if (std::string(command.name) == "down") {
      sub->add_flag("--wipe", flags.wipe, "Also delete the nodes' data directories and log files");
    }
    sub->callback([&registry, &flags, action, base_port, run = command.run] {
      flags.lab.base_port_given = base_port->count() > 0;
      flags.lab.start_timeout = std::chrono::seconds(flags.lab_timeout_seconds);
      flags.lab.dsc_binary = ThisBinary();
      *action = [&registry, &flags, run] {
        dsc::lab::Lab runner(registry, flags.lab);
        return run(runner, flags);
      };
    });
  }
}

int Main(int argc, char** argv) {
  CLI::App app("dsc: run, break and inspect the course's distributed systems", "dsc");
  app.require_subcommand(1);

  const dsc::lab::LabRegistry registry = dsc::lab::BuiltInLabSystems();
  Flags flags;
  Action action;
  AddWalCommands(app, flags, &action);
  AddLogCommands(app, flags, &action);
  AddQueueCommands(app, flags, &action);
  AddRaftCommands(app, flags, &action);
  CLI::App* check = app.add_subcommand(
      "check", "Black-box checkers: drive a cluster through faults and check its history");
  check->require_subcommand(1);
  dsc::raft::check::AddCheckRaftCommand(*check, &action);
  AddLabCommands(app, registry, flags, &action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return ReportParseError(app, error);
  }
  return action ? action() : 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Nothing in Main is expected to throw (failures are exit codes); this
  // is the last line of defence, so even a bug ends in one line.
  try {
    return Main(argc, argv);
  } catch (const std::exception& error) {
    std::cerr << "dsc: internal error: " << error.what() << "\n";
    return 1;
  }
}
