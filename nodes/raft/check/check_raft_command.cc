#include "nodes/raft/check/check_raft_command.h"

#include <cstdlib>
#include <iostream>
#include <memory>

#include "nodes/raft/check/check_raft.h"

namespace dsc::raft::check {

void AddCheckRaftCommand(CLI::App& check, std::function<int()>* action) {
  // Shared with the callback; CLI11 writes the flags into it while parsing.
  auto options = std::make_shared<CheckRaftOptions>();
  CLI::App* raft = check.add_subcommand(
      "raft",
      "Drive a Raft KV cluster with concurrent clients under faults, then check that the "
      "history is linearizable (exit 0 yes, 1 no, 2 unknown or bad usage)");
  raft->footer(
      "\nExamples:\n"
      "  dsc check raft --nemesis isolate-leader --seconds 20 --history run.jsonl\n"
      "  dsc check raft --nemesis kill-random --kill-cmd 'dsc lab kill raft {node}'\n"
      "                 --restart-cmd 'dsc lab restart raft {node}'\n"
      "  dsc check raft --check-only run.jsonl\n"
      "Isolating nodes needs them started with --admin (the lab does).");
  raft->add_option("--nodes", options->nodes,
                   "The cluster: ID=URL,ID=URL,... (default: the lab's five Raft nodes)")
      ->capture_default_str();
  raft->add_option("--clients", options->clients, "Concurrent client threads")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  raft->add_option("--keys", options->keys, "Keys the clients share (k0, k1, ...)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  raft->add_option("--seconds", options->seconds, "How long the clients run")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  raft->add_option("--nemesis", options->nemesis,
                   "Faults: none|isolate-leader|isolate-random|minority|kill-leader|"
                   "kill-random|mixed")
      ->check(CLI::IsMember({"none", "isolate-leader", "isolate-random", "minority", "kill-leader",
                             "kill-random", "mixed"}))
      ->capture_default_str();
  raft->add_option("--nemesis-interval", options->nemesis_interval_seconds,
                   "Seconds between faults, and how long each lasts")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  raft->add_option("--kill-cmd", options->kill_cmd,
                   "Shell command that kills node {node} (for kill-* and mixed)");
  raft->add_option("--restart-cmd", options->restart_cmd,
                   "Shell command that restarts node {node}");
  raft->add_option("--request-timeout-ms", options->request_timeout_ms,
                   "No answer by then: the operation's outcome is unknown")
      ->check(CLI::Range(1, 600'000))
      ->capture_default_str();
  raft->add_option("--seed", options->seed, "Seed for the clients and the nemesis (0: random)")
      ->capture_default_str();
  raft->add_option("--history", options->history_file,
                   "Write the recorded history here (JSON Lines)");
  raft->add_option("--check-only", options->check_only,
                   "Do not run clients: check this saved history")
      ->check(CLI::ExistingFile);
  raft->add_option("--check-seconds", options->check_seconds,
                   "Time budget of the checker; past it the verdict is unknown")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();

  raft->callback([options, action] {
    auto run = [options] { return RunCheckRaft(*options, std::cout, std::cerr); };
    if (action != nullptr) {
      *action = run;
      return;
    }
    const int code = run();
    std::cout.flush();
    std::exit(code);
  });
}

}  // namespace dsc::raft::check
