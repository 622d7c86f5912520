// RaftLog: the in-memory view of one node's log that the core works on.
//
// It holds the entries after the latest snapshot point (index and term of
// the last compacted entry) and remembers which of them are not yet on
// stable storage: those are handed to the application in the next Ready
// (ready.h), together with a "truncate after" index when a conflicting
// suffix that was already stored had to go (§5.3).
//
//   snapshot_index | stable entries ... stable_index | unstable ... last
//
// The log never decides anything about Raft itself (who commits, who
// votes); RaftNode does, and says why.
//
// Thread-safety: not thread-safe; owned by one RaftNode.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "nodes/raft/core/types.h"

namespace dsc::raft {

class RaftLog {
 public:
  // A log restored from storage: everything in it is stable.
  // `entries` must follow snapshot_index contiguously.
  RaftLog(Index snapshot_index, Term snapshot_term, std::vector<Entry> entries);

  Index snapshot_index() const { return snapshot_index_; }
  Term snapshot_term() const { return snapshot_term_; }
  Index FirstIndex() const { return snapshot_index_ + 1; }
  Index LastIndex() const { return snapshot_index_ + entries_.size(); }
  Term LastTerm() const { return entries_.empty() ? snapshot_term_ : entries_.back().term; }

  // The term of the entry at `index`: known for the snapshot point and
  // every entry after it, nullopt for a compacted or missing index.
  std::optional<Term> TermAt(Index index) const;
  // The entry at `index`, which must be in [FirstIndex(), LastIndex()].
  const Entry& At(Index index) const;
  // Up to `max_count` entries from `from` through `to` (both inclusive).
  std::vector<Entry> Slice(Index from, Index to, size_t max_count) const;
  const std::vector<Entry>& entries() const { return entries_; }

  // §5.4.1: is a log ending at (last_index, last_term) at least as up to
  // date as this one? Compare last terms; if equal, the longer log wins.
  bool IsUpToDate(Index last_index, Term last_term) const;

  // For the fast backtracking hint: the first index of the run of entries
  // that share the term of the entry at `index` (not below FirstIndex()).
  Index FirstIndexOfTerm(Index index) const;
  // The last index whose entry has `term`, searching down from `at_most`.
  std::optional<Index> LastIndexOfTerm(Term term, Index at_most) const;

  // Leader: append a new entry at LastIndex() + 1.
  void Append(Entry entry);

  // Follower: `entries` follow prev_index, whose term already matched the
  // leader's. Entries already present with the same term are skipped: a
  // stale or duplicated AppendEntries must never erase anything (§5.3). At
  // the first index whose term differs, the suffix from there is dropped
  // and the rest appended. `commit` guards the rule that a committed entry
  // is never truncated. Returns prev_index + entries.size().
  Index AppendFromLeader(Index prev_index, const std::vector<Entry>& entries, Index commit);

  // The application compacted everything through `index` into a snapshot
  // (§7). `index` must be stable.
  void CompactThrough(Index index);

  // A snapshot from the leader (§7): if this log has the entry
  // (index, term), keep what follows it; otherwise discard the whole log.
  // Returns true when the suffix was kept.
  bool InstallSnapshot(Index index, Term term);

  // --- stable storage bookkeeping (see ready.h) ---
  Index stable_index() const { return stable_index_; }
  // Entries after this index must be deleted from storage before the
  // unstable entries are appended; nullopt when nothing stored conflicts.
  std::optional<Index> pending_truncate_after() const { return pending_truncate_after_; }
  std::vector<Entry> UnstableEntries() const;
  // The application stored everything handed out: all of it is stable now.
  void MarkAllStable();

 private:
  // Drops every entry with index >= `from`.
  void TruncateFrom(Index from);

  Index snapshot_index_;
  Term snapshot_term_;
  std::vector<Entry> entries_;  // entries_[i].index == snapshot_index_ + 1 + i
  Index stable_index_;          // entries up to here are on stable storage
  std::optional<Index> pending_truncate_after_;
};

}  // namespace dsc::raft
