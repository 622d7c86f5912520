// Tests for RaftLog, the in-memory log view.
#include "nodes/raft/core/raft_log.h"

#include <gtest/gtest.h>

#include "nodes/raft/core/raft_test_util.h"

namespace dsc::raft {
namespace {

using test_util::EntriesWithTerms;

Entry E(Index index, Term term) { return Entry{term, index, EntryType::kNormal, "x"}; }

TEST(RaftLog, TermAt_KnowsSnapshotPointAndEntries) {
  RaftLog log(3, 2, {E(4, 2), E(5, 3)});
  EXPECT_EQ(log.TermAt(3), 2u);
  EXPECT_EQ(log.TermAt(5), 3u);
  EXPECT_EQ(log.TermAt(2), std::nullopt);  // compacted
  EXPECT_EQ(log.TermAt(6), std::nullopt);  // not there yet
  EXPECT_EQ(log.LastIndex(), 5u);
  EXPECT_EQ(log.LastTerm(), 3u);
}

// §5.4.1: compare last terms first, then lengths.
TEST(RaftLog, IsUpToDate_ComparesLastTermThenLength) {
  RaftLog log(0, 0, EntriesWithTerms({1, 2, 2}));
  EXPECT_TRUE(log.IsUpToDate(1, 3));   // higher last term wins even if shorter
  EXPECT_FALSE(log.IsUpToDate(9, 1));  // lower last term loses even if longer
  EXPECT_TRUE(log.IsUpToDate(3, 2));   // same: at least as up to date
  EXPECT_FALSE(log.IsUpToDate(2, 2));  // same term, shorter
}

TEST(RaftLog, AppendFromLeader_SkipsEntriesItAlreadyHas) {
  RaftLog log(0, 0, EntriesWithTerms({1, 1, 2}));
  // A stale, shorter copy of what we have must not drop entry 3 (§5.3).
  EXPECT_EQ(log.AppendFromLeader(0, {E(1, 1), E(2, 1)}, 0), 2u);
  EXPECT_EQ(log.LastIndex(), 3u);
  EXPECT_FALSE(log.pending_truncate_after());
}

TEST(RaftLog, AppendFromLeader_TruncatesFromFirstConflict) {
  RaftLog log(0, 0, EntriesWithTerms({1, 1, 2, 2}));  // all stable
  EXPECT_EQ(log.AppendFromLeader(1, {E(2, 1), E(3, 3)}, 1), 3u);
  EXPECT_EQ(log.LastIndex(), 3u);
  EXPECT_EQ(log.TermAt(3), 3u);
  EXPECT_EQ(log.TermAt(2), 1u);
  // Storage must drop what it holds after index 2, then append entry 3.
  EXPECT_EQ(log.pending_truncate_after(), 2u);
  ASSERT_EQ(log.UnstableEntries().size(), 1u);
  EXPECT_EQ(log.UnstableEntries()[0].index, 3u);
  log.MarkAllStable();
  EXPECT_FALSE(log.pending_truncate_after());
  EXPECT_TRUE(log.UnstableEntries().empty());
}

TEST(RaftLog, FirstAndLastIndexOfTerm_FindTermRuns) {
  RaftLog log(0, 0, EntriesWithTerms({1, 2, 2, 2, 4}));
  EXPECT_EQ(log.FirstIndexOfTerm(4), 2u);
  EXPECT_EQ(log.FirstIndexOfTerm(5), 5u);
  EXPECT_EQ(log.LastIndexOfTerm(2, 5), 4u);
  EXPECT_EQ(log.LastIndexOfTerm(3, 5), std::nullopt);
  EXPECT_EQ(log.LastIndexOfTerm(2, 3), 3u);
}

TEST(RaftLog, CompactThrough_DropsThePrefix) {
  RaftLog log(0, 0, EntriesWithTerms({1, 1, 2}));
  log.CompactThrough(2);
  EXPECT_EQ(log.snapshot_index(), 2u);
  EXPECT_EQ(log.snapshot_term(), 1u);
  EXPECT_EQ(log.FirstIndex(), 3u);
  EXPECT_EQ(log.TermAt(3), 2u);
}

// §7: a snapshot that matches an entry keeps the entries after it.
TEST(RaftLog, InstallSnapshot_KeepsMatchingSuffix) {
  RaftLog log(0, 0, EntriesWithTerms({1, 1, 2, 2}));
  EXPECT_TRUE(log.InstallSnapshot(2, 1));
  EXPECT_EQ(log.LastIndex(), 4u);
  EXPECT_EQ(log.FirstIndex(), 3u);
  EXPECT_FALSE(log.pending_truncate_after());
}

TEST(RaftLog, InstallSnapshot_DiscardsConflictingLog) {
  RaftLog log(0, 0, EntriesWithTerms({1, 1, 2, 2}));
  EXPECT_FALSE(log.InstallSnapshot(3, 3));
  EXPECT_EQ(log.LastIndex(), 3u);
  EXPECT_EQ(log.LastTerm(), 3u);
  EXPECT_EQ(log.pending_truncate_after(), 3u);  // stored entry 4 must go too
}

}  // namespace
}  // namespace dsc::raft
