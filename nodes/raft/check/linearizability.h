// The linearizability checker behind `dsc check raft`.
//
// A history is linearizable when every operation can be given one instant,
// between its invoke and its completion, at which it takes effect, so that
// the operations in that order are a legal run of the sequential model
// (kv_model.h) and return what the clients saw. An unknown operation may
// take effect at any instant after its invoke, or never; a failed one
// never does.
//
// The search is Wing & Gong's, with Lowe's memoisation, as Porcupine does
// it (Athalye, "Porcupine: A fast linearizability checker in Go"):
//
//  * Linearizability is local (Herlihy & Wing, "Linearizability: A
//    Correctness Condition for Concurrent Objects", the locality theorem):
//    the history is linearizable iff the operations on each key are, so
//    each key is checked alone.
//  * The operations of a key become a list of call and return events in
//    time order. Walking it, the search tries to linearize the earliest
//    pending call whose effect the model accepts; reaching a return whose
//    call is still pending means the order so far cannot be extended, so
//    it backtracks to the last choice.
//  * (set of linearized operations, model state) pairs already explored
//    are remembered: reaching the same pair by another order cannot lead
//    anywhere new, which turns an exponential search into one that is fast
//    on the histories real systems produce.
//
// The search is bounded (CheckOptions); a key that exhausts the bound is
// reported as unknown rather than hanging the command.
//
// Thread-safety: CheckHistory is a pure function; call it from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "nodes/raft/check/history.h"

namespace dsc::raft::check {

enum class Verdict { kLinearizable, kNotLinearizable, kUnknown };
std::string_view VerdictName(Verdict verdict);  // "linearizable", ...

struct CheckOptions {
  // Search steps per key (one step tries one operation at one point).
  uint64_t max_steps_per_key = 5'000'000;
  // Wall-clock budget for the whole history; keys not finished in time
  // are unknown.
  std::chrono::milliseconds time_limit{std::chrono::seconds(60)};
};

struct KeyResult {
  std::string key;
  Verdict verdict = Verdict::kLinearizable;
  size_t operations = 0;  // the key's ok and unknown operations
  uint64_t steps = 0;
  // Not linearizable: the furthest any order got and the operations that
  // could not go next, one per line. Unknown: why the search stopped.
  std::string explanation;
};

struct CheckResult {
  // Not linearizable if any key is; else unknown if any key is; else
  // linearizable.
  Verdict verdict = Verdict::kLinearizable;
  std::vector<KeyResult> keys;             // sorted by key
  size_t ok = 0, failed = 0, unknown = 0;  // operations by outcome
};

CheckResult CheckHistory(const History& history, const CheckOptions& options = {});

// The verdict and, for each key that is not linearizable or unknown, its
// explanation: what `dsc check raft` prints.
std::string FormatCheckResult(const CheckResult& result);

}  // namespace dsc::raft::check
