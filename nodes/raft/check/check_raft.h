// `dsc check raft`: drive a Raft KV cluster (any implementation that
// speaks the contract of docs/DESIGN.md) with concurrent clients under a
// nemesis, record the history, and check that it is linearizable.
//
//   dsc check raft --nemesis isolate-leader --seconds 20 --history run.jsonl
//   dsc check raft --check-only run.jsonl      # check a saved history again
//
// Exit codes: 0 linearizable, 1 not linearizable, 2 unknown (the search hit
// its bound, or no operation completed) or bad usage.
//
// Thread-safety: RunCheckRaft starts and joins its own threads; call it
// from one thread.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>

namespace dsc::raft::check {

inline constexpr int kExitLinearizable = 0;
inline constexpr int kExitNotLinearizable = 1;
inline constexpr int kExitUnknown = 2;

// The lab's five Raft nodes (`dsc lab up raft`).
inline constexpr char kDefaultRaftNodes[] =
    "n1=http://127.0.0.1:7401,n2=http://127.0.0.1:7402,n3=http://127.0.0.1:7403,"
    "n4=http://127.0.0.1:7404,n5=http://127.0.0.1:7405";

struct CheckRaftOptions {
  std::string nodes = kDefaultRaftNodes;
  int clients = 5;
  int keys = 3;
  double seconds = 10;
  std::string nemesis = "none";
  double nemesis_interval_seconds = 2;
  std::string kill_cmd;
  std::string restart_cmd;
  int request_timeout_ms = 3000;
  uint64_t seed = 0;          // 0: pick one (printed, so a run can be repeated)
  std::string history_file;   // write the history here
  std::string check_only;     // check this saved history instead of running
  double check_seconds = 60;  // the checker's time budget
};

// Runs the whole command; returns its exit code. Progress and the verdict
// go to `out`, usage errors to `err`.
int RunCheckRaft(const CheckRaftOptions& options, std::ostream& out, std::ostream& err);

}  // namespace dsc::raft::check
