// Raft's basic vocabulary: terms, log indexes, node ids, log entries and
// the small records the core asks the application to persist.
//
// Section numbers (§5.2, Figure 2, ...) refer to Ongaro & Ousterhout,
// "In Search of an Understandable Consensus Algorithm" (extended version);
// "thesis §9.6" refers to Ongaro's PhD thesis, "Consensus: Bridging
// Theory and Practice".
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dsc::raft {

// A term is a logical clock: each election starts a new one (§5.1).
using Term = uint64_t;
// Log positions start at 1; index 0 is "before the first entry" (term 0).
using Index = uint64_t;
// Nodes are named by short strings such as "n1".
using NodeId = std::string;

enum class EntryType : uint8_t {
  kNormal,  // a client command for the state machine
  kNoop,    // appended by every new leader (§8); the state machine skips it
};

// ANCHOR: entry
struct Entry {
  Term term = 0;
  Index index = 0;
  EntryType type = EntryType::kNormal;
  std::string data;  // opaque to Raft: the state machine decodes it

  bool operator==(const Entry&) const = default;
};
// ANCHOR_END: entry

// What must survive a crash besides the log (Figure 2, "persistent state
// on all servers"). `commit` is not required for safety, but persisting it
// saves re-applying after a restart.
// ANCHOR: hard_state
struct HardState {
  Term term = 0;
  NodeId vote;  // the candidate voted for in `term`; empty for none
  Index commit = 0;

  bool operator==(const HardState&) const = default;
};
// ANCHOR_END: hard_state

// The state machine's image of every entry up to and including `index`
// (§7). `data` is opaque to Raft; a leader ships it to a follower that
// lags behind the compacted log.
struct Snapshot {
  Index index = 0;
  Term term = 0;  // the term of the entry at `index`
  std::string data;

  bool operator==(const Snapshot&) const = default;
};

// A linearizable read that may now be served: the application answers
// request `request_id` from its state machine once it has applied `index`
// (the core only hands out read states for which that already holds).
struct ReadState {
  std::string request_id;
  Index index = 0;

  bool operator==(const ReadState&) const = default;
};

// ANCHOR: roles
enum class Role : uint8_t { kFollower, kPreCandidate, kCandidate, kLeader };
// ANCHOR_END: roles

// "follower", "pre-candidate", "candidate", "leader".
std::string_view RoleName(Role role);

}  // namespace dsc::raft
