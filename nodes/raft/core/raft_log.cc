#include "nodes/raft/core/raft_log.h"

#include <algorithm>
#include <cassert>
#include <utility>

namespace dsc::raft {

RaftLog::RaftLog(Index snapshot_index, Term snapshot_term, std::vector<Entry> entries)
    : snapshot_index_(snapshot_index),
      snapshot_term_(snapshot_term),
      entries_(std::move(entries)),
      stable_index_(snapshot_index_ + entries_.size()) {
  for (size_t i = 0; i < entries_.size(); ++i) {
    assert(entries_[i].index == snapshot_index_ + 1 + i && "restored entries must be contiguous");
  }
}

std::optional<Term> RaftLog::TermAt(Index index) const {
  if (index == snapshot_index_) return snapshot_term_;
  if (index < snapshot_index_ || index > LastIndex()) return std::nullopt;
  return At(index).term;
}

const Entry& RaftLog::At(Index index) const {
  assert(index >= FirstIndex() && index <= LastIndex());
  return entries_[index - FirstIndex()];
}

std::vector<Entry> RaftLog::Slice(Index from, Index to, size_t max_count) const {
  std::vector<Entry> out;
  for (Index i = std::max(from, FirstIndex()); i <= std::min(to, LastIndex()); ++i) {
    if (out.size() >= max_count) break;
    out.push_back(At(i));
  }
  return out;
}

// ANCHOR: is_up_to_date
bool RaftLog::IsUpToDate(Index last_index, Term last_term) const {
  if (last_term != LastTerm()) return last_term > LastTerm();
  return last_index >= LastIndex();
}
// ANCHOR_END: is_up_to_date

Index RaftLog::FirstIndexOfTerm(Index index) const {
  const std::optional<Term> term = TermAt(index);
  if (!term || index <= FirstIndex()) return index;
  while (index > FirstIndex() && TermAt(index - 1) == term) --index;
  return index;
}

std::optional<Index> RaftLog::LastIndexOfTerm(Term term, Index at_most) const {
  for (Index i = std::min(at_most, LastIndex()); i >= snapshot_index_; --i) {
    const Term t = *TermAt(i);
    if (t == term) return i;
    if (t < term || i == 0) break;  // terms only grow along the log
  }
  return std::nullopt;
}

void RaftLog::Append(Entry entry) {
  assert(entry.index == LastIndex() + 1);
  assert(entry.term >= LastTerm());
  entries_.push_back(std::move(entry));
}

// ANCHOR: append_from_leader
Index RaftLog::AppendFromLeader(Index prev_index, const std::vector<Entry>& entries, Index commit) {
  for (const Entry& entry : entries) {
    const std::optional<Term> existing = TermAt(entry.index);
    if (existing == entry.term) continue;  // already have it: never truncate on a match
    if (existing) {
      // §5.3: "If an existing entry conflicts with a new one (same index
      // but different terms), delete the existing entry and all that
      // follow it." A committed entry can never conflict (§5.4).
      assert(entry.index > commit && "a committed entry would be truncated");
      (void)commit;
      TruncateFrom(entry.index);
    }
    Append(entry);
  }
  return prev_index + entries.size();
}
// ANCHOR_END: append_from_leader

void RaftLog::TruncateFrom(Index from) {
  assert(from > snapshot_index_);
  entries_.resize(from - FirstIndex());
  if (stable_index_ >= from) {
    stable_index_ = from - 1;
    pending_truncate_after_ =
        std::min(pending_truncate_after_.value_or(stable_index_), stable_index_);
  }
}

void RaftLog::CompactThrough(Index index) {
  assert(index > snapshot_index_ && index <= stable_index_);
  const Term term = *TermAt(index);
  entries_.erase(entries_.begin(),
                 entries_.begin() + static_cast<ptrdiff_t>(index - snapshot_index_));
  snapshot_index_ = index;
  snapshot_term_ = term;
}

bool RaftLog::InstallSnapshot(Index index, Term term) {
  const bool keep_suffix = index <= LastIndex() && index > snapshot_index_ && TermAt(index) == term;
  if (keep_suffix) {
    entries_.erase(entries_.begin(),
                   entries_.begin() + static_cast<ptrdiff_t>(index - snapshot_index_));
  } else {
    entries_.clear();
    // Whatever storage holds after the snapshot point contradicts it.
    pending_truncate_after_ = std::min(pending_truncate_after_.value_or(index), index);
  }
  snapshot_index_ = index;
  snapshot_term_ = term;
  stable_index_ = std::max(stable_index_, index);
  if (stable_index_ > LastIndex()) stable_index_ = LastIndex();
  return keep_suffix;
}

std::vector<Entry> RaftLog::UnstableEntries() const {
  return Slice(stable_index_ + 1, LastIndex(), entries_.size());
}

void RaftLog::MarkAllStable() {
  stable_index_ = LastIndex();
  pending_truncate_after_.reset();
}

}  // namespace dsc::raft
