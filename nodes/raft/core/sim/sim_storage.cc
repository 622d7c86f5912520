#include "nodes/raft/core/sim/sim_storage.h"

#include <cassert>

namespace dsc::raft::sim {

void SimStorage::DropThrough(Index index) {
  size_t drop = 0;
  while (drop < entries_.size() && entries_[drop].index <= index) ++drop;
  entries_.erase(entries_.begin(), entries_.begin() + static_cast<ptrdiff_t>(drop));
}

void SimStorage::Persist(const Ready& ready) {
  if (ready.snapshot) {
    snapshot_ = *ready.snapshot;
    DropThrough(snapshot_.index);
  }
  if (ready.truncate_after) {
    while (!entries_.empty() && entries_.back().index > *ready.truncate_after) entries_.pop_back();
  }
  for (const Entry& entry : ready.entries) {
    const Index expected = entries_.empty() ? snapshot_.index + 1 : entries_.back().index + 1;
    assert(entry.index == expected && "Ready entries must extend the stored log");
    (void)expected;
    entries_.push_back(entry);
  }
  if (ready.hard_state) hard_state_ = *ready.hard_state;
}

void SimStorage::SaveSnapshot(const Snapshot& snapshot) {
  snapshot_ = snapshot;
  DropThrough(snapshot.index);
}

RestoredState SimStorage::Restore() const {
  RestoredState state{hard_state_, snapshot_, entries_};
  if (forget_vote_on_restore) state.hard_state.vote.clear();
  return state;
}

bool SimStorage::Covers(Index index, Term term) const {
  if (index <= snapshot_.index) return true;
  if (entries_.empty() || index > entries_.back().index) return false;
  return entries_[index - snapshot_.index - 1].term == term;
}

}  // namespace dsc::raft::sim
