// Ready: one batch of work the core hands to the application.
//
// ANCHOR: ready_contract
// The application drives a RaftNode in a loop (as etcd-io/raft does):
//
//   while (node.HasReady()) {
//     Ready ready = node.GetReady();
//     // 1. Persist, in this order, and make it durable (fsync):
//     //    a. `snapshot`: install it in the state machine and storage; drop
//     //       stored entries at or below snapshot->index;
//     //    b. `truncate_after`: drop stored entries after that index;
//     //    c. `entries`: append them;
//     //    d. `hard_state`: save term, vote and commit.
//     // 2. Only then send `messages`. A vote or an acknowledgement promises
//     //    that the vote or the entries survive a crash (Figure 2: "respond
//     //    to RPCs" comes after "updated on stable storage"); sending first
//     //    could let a node vote twice in one term after a restart, or let a
//     //    leader count a replica that a crash then loses.
//     // 3. Apply `committed_entries` to the state machine, in order.
//     // 4. Serve `read_states` (their index is applied by now).
//     node.Advance(ready);
//   }
//
// Call Advance(ready) with the Ready just taken, before the next Step,
// Tick, Propose, ReadIndex or Compact: the core counts everything in it as
// persisted and applied. A crash at any point simply loses the Ready.
// ANCHOR_END: ready_contract
//
// Thread-safety: plain values.
#pragma once

#include <optional>
#include <vector>

#include "nodes/raft/core/message.h"
#include "nodes/raft/core/types.h"

namespace dsc::raft {

struct Ready {
  std::optional<HardState> hard_state;   // set when term, vote or commit changed
  std::optional<Snapshot> snapshot;      // a snapshot received from the leader
  std::optional<Index> truncate_after;   // a stored suffix conflicts: delete after this
  std::vector<Entry> entries;            // to append to stable storage
  std::vector<Message> messages;         // to send after persisting
  std::vector<Entry> committed_entries;  // to apply, in order
  std::vector<ReadState> read_states;    // linearizable reads that may be served now

  bool empty() const {
    return !hard_state && !snapshot && !truncate_after && entries.empty() && messages.empty() &&
           committed_entries.empty() && read_states.empty();
  }
};

}  // namespace dsc::raft
