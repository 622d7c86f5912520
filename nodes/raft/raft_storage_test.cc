#include "nodes/raft/raft_storage.h"

#include <gtest/gtest.h>

#include "wal/mem_file_system.h"

namespace dsc::raft {
namespace {

Entry E(Index index, Term term, std::string data = "x") {
  return Entry{term, index, EntryType::kNormal, std::move(data)};
}

std::vector<Entry> Range(Index from, Index to, Term term) {
  std::vector<Entry> out;
  for (Index i = from; i <= to; ++i) out.push_back(E(i, term, "e" + std::to_string(i)));
  return out;
}

class RaftStorageTest : public ::testing::Test {
 protected:
  std::unique_ptr<RaftStorage> Open(const std::string& dir = "/n1") {
    RaftStorageOptions options;
    options.dir = dir;
    options.fs = &fs_;
    auto opened = RaftStorage::Open(options);
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    return opened.ok() ? std::move(opened).value() : nullptr;
  }
  // A kill -9 and a power loss: only synced bytes and names survive.
  std::unique_ptr<RaftStorage> CrashAndReopen(std::unique_ptr<RaftStorage> storage) {
    fs_.DropUnsyncedData();
    storage.reset();  // Close may sync more; drop again after it
    fs_.DropUnsyncedData();
    return Open();
  }

  wal::MemFileSystem fs_;
};

TEST_F(RaftStorageTest, ANewNodeStartsEmpty) {
  auto storage = Open();
  RestoredState r = storage->Restored();
  EXPECT_EQ(r.hard_state, HardState{});
  EXPECT_EQ(r.snapshot.index, 0u);
  EXPECT_TRUE(r.entries.empty());
  EXPECT_EQ(storage->first_index(), 1u);
  EXPECT_EQ(storage->last_index(), 0u);
}

TEST_F(RaftStorageTest, TermVoteAndEntriesSurviveACrash) {
  auto storage = Open();
  ASSERT_TRUE(storage->SaveHardState({3, "n2", 7}).ok());
  std::vector<Entry> entries = Range(1, 3, 3);
  entries.push_back(Entry{3, 4, EntryType::kNoop, ""});
  ASSERT_TRUE(storage->Append(entries).ok());
  storage = CrashAndReopen(std::move(storage));
  RestoredState r = storage->Restored();
  EXPECT_EQ(r.hard_state, (HardState{3, "n2", 0}));  // commit is not stored
  EXPECT_EQ(r.entries, entries);
}

TEST_F(RaftStorageTest, UnchangedTermAndVoteCostNoSync) {
  auto storage = Open();
  ASSERT_TRUE(storage->SaveHardState({1, "n1", 0}).ok());
  const uint64_t syncs = fs_.sync_count();
  ASSERT_TRUE(storage->SaveHardState({1, "n1", 9}).ok());  // only commit moved
  EXPECT_EQ(fs_.sync_count(), syncs);
  ASSERT_TRUE(storage->SaveHardState({2, "", 9}).ok());
  EXPECT_GT(fs_.sync_count(), syncs);
}

TEST_F(RaftStorageTest, TruncatedSuffixStaysGoneAfterACrash) {
  auto storage = Open();
  ASSERT_TRUE(storage->Append(Range(1, 5, 1)).ok());
  ASSERT_TRUE(storage->TruncateAfter(2).ok());
  ASSERT_TRUE(storage->Append(Range(3, 4, 2)).ok());
  storage = CrashAndReopen(std::move(storage));
  std::vector<Entry> expected = Range(1, 2, 1);
  for (const Entry& e : Range(3, 4, 2)) expected.push_back(e);
  EXPECT_EQ(storage->Restored().entries, expected);
}

TEST_F(RaftStorageTest, AppendMustContinueTheLog) {
  auto storage = Open();
  ASSERT_TRUE(storage->Append(Range(1, 2, 1)).ok());
  EXPECT_TRUE(storage->Append(Range(4, 4, 1)).IsInvalidArgument());
}

TEST_F(RaftStorageTest, LocalSnapshotCompactsTheLog) {
  auto storage = Open();
  ASSERT_TRUE(storage->Append(Range(1, 10, 1)).ok());
  ASSERT_TRUE(storage->SaveLocalSnapshot({6, 1, "state-at-6"}).ok());
  storage = CrashAndReopen(std::move(storage));
  RestoredState r = storage->Restored();
  EXPECT_EQ(r.snapshot, (Snapshot{6, 1, "state-at-6"}));
  EXPECT_EQ(r.entries, Range(7, 10, 1));  // contiguous after the snapshot
  EXPECT_EQ(storage->first_index(), 7u);
  EXPECT_EQ(storage->last_index(), 10u);
}

TEST_F(RaftStorageTest, InstalledSnapshotKeepsAMatchingSuffix) {
  auto storage = Open();
  ASSERT_TRUE(storage->Append(Range(1, 8, 2)).ok());
  ASSERT_TRUE(storage->InstallSnapshot({5, 2, "s"}).ok());
  storage = CrashAndReopen(std::move(storage));
  EXPECT_EQ(storage->Restored().entries, Range(6, 8, 2));
}

TEST_F(RaftStorageTest, InstalledSnapshotReplacesAConflictingLog) {
  auto storage = Open();
  ASSERT_TRUE(storage->Append(Range(1, 8, 1)).ok());
  ASSERT_TRUE(storage->InstallSnapshot({5, 3, "s"}).ok());  // term differs at 5
  EXPECT_EQ(storage->last_index(), 5u);
  ASSERT_TRUE(storage->Append(Range(6, 7, 3)).ok());
  storage = CrashAndReopen(std::move(storage));
  RestoredState r = storage->Restored();
  EXPECT_EQ(r.snapshot.index, 5u);
  EXPECT_EQ(r.entries, Range(6, 7, 3));
}

TEST_F(RaftStorageTest, ACrashMidInstallIsFinishedOnOpen) {
  // The snapshot file reached the disk, the log was not reset yet: copy a
  // snapshot file written elsewhere next to an old, conflicting log.
  {
    auto other = Open("/other");
    ASSERT_TRUE(other->Append(Range(1, 9, 4)).ok());
    ASSERT_TRUE(other->SaveLocalSnapshot({9, 4, "s9"}).ok());
  }
  {
    auto storage = Open();
    ASSERT_TRUE(storage->Append(Range(1, 4, 1)).ok());
  }
  fs_.SetContents("/n1/snapshot", fs_.Contents("/other/snapshot"));
  auto storage = Open();
  RestoredState r = storage->Restored();
  EXPECT_EQ(r.snapshot.index, 9u);
  EXPECT_TRUE(r.entries.empty());
  EXPECT_EQ(storage->last_index(), 9u);
  ASSERT_TRUE(storage->Append(Range(10, 10, 4)).ok());  // the log continues at 10
}

TEST_F(RaftStorageTest, ADamagedTermFileRefusesToOpen) {
  {
    auto storage = Open();
    ASSERT_TRUE(storage->SaveHardState({5, "n3", 0}).ok());
  }
  std::string bytes = fs_.Contents("/n1/raft-state");
  bytes.back() ^= 1;
  fs_.SetContents("/n1/raft-state", bytes);
  RaftStorageOptions options;
  options.dir = "/n1";
  options.fs = &fs_;
  EXPECT_TRUE(RaftStorage::Open(options).status().IsCorruption());
}

TEST_F(RaftStorageTest, DescribesRecordsForWalDump) {
  Entry noop{7, 3, EntryType::kNoop, ""};
  auto described = DescribeRaftRecord(3, kRaftNoopRecord, EncodeEntryPayload(noop));
  ASSERT_TRUE(described.has_value());
  EXPECT_EQ((*described)["term"], 7);
  EXPECT_EQ((*described)["entry"], "noop");
  EXPECT_FALSE(DescribeRaftRecord(3, 99, "x").has_value());
  EXPECT_FALSE(DescribeRaftRecord(3, kRaftEntryRecord, "short").has_value());
}

}  // namespace
}  // namespace dsc::raft
