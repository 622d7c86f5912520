// History: what concurrent clients did to a key-value store, as the
// linearizability checker sees it.
//
// Each Operation is one client call: what it asked (get, put, delete or
// compare-and-set on one key), when it was invoked, when it completed, and
// how it ended:
//
//   ok       the store answered; the result is known (a get's value, a
//            CAS that swapped or did not: a 412 is an ok "not swapped")
//   failed   it definitely did not happen (a 421 from a node that did not
//            take it, a connection that was never made, a 400)
//   unknown  it may or may not have happened, at any moment after its
//            invoke, even long after the client gave up (a 503, a timeout,
//            a connection reset)
//
// ANCHOR: history_format
// A history is saved as JSON Lines, one operation per line, so a learner
// can record a run, keep it, edit it and check it again:
//
//   {"id":7,"client":2,"op":"put","key":"k1","value":"c2-5",
//    "invoke_ns":1200300,"complete_ns":1900000,"outcome":"ok","node":"n1"}
//   {"id":8,"client":0,"op":"get","key":"k1","invoke_ns":1250000,
//    "complete_ns":1800000,"outcome":"ok","seen":"c2-5"}
//   {"id":9,"client":1,"op":"cas","key":"k1","expected":"c0-1","value":"c1-3",
//    "invoke_ns":1300000,"complete_ns":2000000,"outcome":"ok","swapped":false}
//   {"id":10,"client":3,"op":"delete","key":"k0","invoke_ns":1400000,
//    "complete_ns":3400000,"outcome":"unknown","note":"http 503"}
//
// Times are nanoseconds from the start of the run (one clock for every
// client). "seen" is the value the operation observed: a get always has
// it (null: the key was absent), a CAS that did not swap has it when the
// server reported the current value. "expected" null means "the key is
// absent". "node" and "note" are for people and are not checked.
// ANCHOR_END: history_format
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace dsc::raft::check {

enum class OpKind { kGet, kPut, kDelete, kCas };
enum class Outcome { kOk, kFailed, kUnknown };

std::string_view OpKindName(OpKind kind);       // "get", "put", "delete", "cas"
std::string_view OutcomeName(Outcome outcome);  // "ok", "failed", "unknown"

struct Operation {
  uint64_t id = 0;  // unique within the history
  int client = 0;   // the client that issued it
  OpKind kind = OpKind::kGet;
  std::string key;
  // put: the value written; cas: the value to swap in.
  std::string value;
  // cas only: the value the key must hold for the swap (nullopt: absent).
  std::optional<std::string> expected;

  int64_t invoke_ns = 0;
  // When the answer arrived (ok, failed) or the client gave up (unknown;
  // an unknown operation may still take effect later than this).
  int64_t complete_ns = 0;
  Outcome outcome = Outcome::kUnknown;

  // ok only: what the operation observed of the key's value. A get always
  // has one; a CAS that did not swap has one if the server said.
  bool has_seen = false;
  std::optional<std::string> seen;  // nullopt: the key was absent
  bool swapped = false;             // cas: 200 (true) or 412 (false)

  std::string node;  // the node that answered last (informational)
  std::string note;  // e.g. "http 503", "timeout" (informational)

  bool operator==(const Operation&) const = default;
};

using History = std::vector<Operation>;

// One line of the format above, fields in that order.
nlohmann::ordered_json OperationToJson(const Operation& op);
// Validates one decoded line: required fields, known names, types, and a
// completion no earlier than the invoke for ok and failed operations.
Result<Operation> OperationFromJson(const nlohmann::json& line);

// One line per operation, in the order given.
void WriteHistory(const History& history, std::ostream& out);
// Reads JSON Lines; blank lines are skipped. An error names the line.
Result<History> ReadHistory(std::istream& in);

Status SaveHistoryFile(const History& history, const std::string& path);
Result<History> LoadHistoryFile(const std::string& path);

// "#7 client 2 put k1 \"c2-5\" -> ok [1.200ms, 1.900ms]": one readable line.
std::string DescribeOperation(const Operation& op);

}  // namespace dsc::raft::check
