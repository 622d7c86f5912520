#include "wal/mem_file_system.h"

#include <gtest/gtest.h>

namespace dsc::wal {
namespace {

TEST(MemFileSystem, DropUnsyncedData_KeepsOnlySyncedBytes) {
  MemFileSystem fs;
  auto f = fs.OpenWritable("d/a");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append("synced").ok());
  ASSERT_TRUE((*f)->Sync().ok());
  ASSERT_TRUE(fs.SyncDir("d").ok());
  ASSERT_TRUE((*f)->Append("-lost").ok());
  EXPECT_EQ(fs.Contents("d/a"), "synced-lost");
  fs.DropUnsyncedData();
  EXPECT_EQ(fs.Contents("d/a"), "synced");
}

TEST(MemFileSystem, DropUnsyncedData_ForgetsNamesNotSyncedInTheDirectory) {
  MemFileSystem fs;
  auto f = fs.OpenWritable("d/new");
  ASSERT_TRUE((*f)->Append("data").ok());
  ASSERT_TRUE((*f)->Sync().ok());  // data synced, but the name is not
  fs.DropUnsyncedData();
  auto names = fs.ListDir("d");
  ASSERT_TRUE(names.ok());
  EXPECT_TRUE(names->empty());
}

TEST(MemFileSystem, DropUnsyncedData_BringsBackUnsyncedRemovals) {
  MemFileSystem fs;
  fs.SetContents("d/old", "kept");
  ASSERT_TRUE(fs.Remove("d/old").ok());
  fs.DropUnsyncedData();
  EXPECT_EQ(fs.Contents("d/old"), "kept");

  ASSERT_TRUE(fs.Remove("d/old").ok());
  ASSERT_TRUE(fs.SyncDir("d").ok());
  fs.DropUnsyncedData();
  EXPECT_EQ(fs.Contents("d/old"), "");
}

TEST(MemFileSystem, OldHandlesFailAfterCrash) {
  MemFileSystem fs;
  auto f = fs.OpenWritable("d/a");
  ASSERT_TRUE(fs.SyncDir("d").ok());
  fs.DropUnsyncedData();
  EXPECT_TRUE((*f)->Append("x").IsIOError());
  EXPECT_EQ(fs.Contents("d/a"), "");
}

TEST(MemFileSystem, CrashKeeping_TearsUnsyncedBytesAnywhere) {
  MemFileSystem fs;
  auto f = fs.OpenWritable("d/a");
  ASSERT_TRUE(fs.SyncDir("d").ok());
  ASSERT_TRUE((*f)->Append("abc").ok());
  ASSERT_TRUE((*f)->Sync().ok());
  ASSERT_TRUE((*f)->Append("defgh").ok());
  fs.CrashKeeping([](const std::string&, uint64_t synced, uint64_t) { return synced + 2; });
  EXPECT_EQ(fs.Contents("d/a"), "abcde");
}

TEST(MemFileSystem, Preallocate_GrowsWithZerosAndKeepsTheWriteOffset) {
  MemFileSystem fs;
  auto f = fs.OpenWritable("d/a");
  ASSERT_TRUE((*f)->Append("ab").ok());
  ASSERT_TRUE((*f)->Preallocate(6).ok());
  EXPECT_EQ((*f)->WriteOffset(), 2u);
  ASSERT_TRUE((*f)->Append("c").ok());
  EXPECT_EQ(fs.Contents("d/a"), std::string("abc\0\0\0", 6));
  EXPECT_EQ(*fs.FileSize("d/a"), 6u);
  ASSERT_TRUE((*f)->Preallocate(4).ok());  // never shrinks
  EXPECT_EQ(*fs.FileSize("d/a"), 6u);
}

TEST(MemFileSystem, Rewind_ZeroesTheRangeAndWritesFromItsStart) {
  MemFileSystem fs;
  auto f = fs.OpenWritable("d/a");
  ASSERT_TRUE((*f)->Preallocate(8).ok());
  ASSERT_TRUE((*f)->Append("abcdef").ok());
  ASSERT_TRUE((*f)->Rewind(2, 6).ok());
  EXPECT_EQ(fs.Contents("d/a"), std::string("ab\0\0\0\0\0\0", 8));
  ASSERT_TRUE((*f)->Append("X").ok());
  EXPECT_EQ(fs.Contents("d/a"), std::string("abX\0\0\0\0\0", 8));
}

TEST(MemFileSystem, RewindIsUndoneByACrashBeforeTheSync) {
  MemFileSystem fs;
  auto f = fs.OpenWritable("d/a");
  ASSERT_TRUE(fs.SyncDir("d").ok());
  ASSERT_TRUE((*f)->Append("abcdef").ok());
  ASSERT_TRUE((*f)->Sync().ok());
  ASSERT_TRUE((*f)->Rewind(2, 6).ok());
  fs.DropUnsyncedData();
  EXPECT_EQ(fs.Contents("d/a"), "abcdef");
}

TEST(MemFileSystem, CrashWithHole_KeepsLaterWritesButNotTheHole) {
  MemFileSystem fs;
  auto f = fs.OpenWritable("d/a");
  ASSERT_TRUE(fs.SyncDir("d").ok());
  ASSERT_TRUE((*f)->Preallocate(12).ok());
  ASSERT_TRUE((*f)->Append("ab").ok());
  ASSERT_TRUE((*f)->Sync().ok());
  ASSERT_TRUE((*f)->Append("cdefgh").ok());  // unsynced: bytes 2..8
  fs.CrashWithHole([](const std::string&, uint64_t begin, uint64_t end) {
    EXPECT_EQ(begin, 2u);
    EXPECT_EQ(end, 8u);
    return std::pair<uint64_t, uint64_t>{3, 5};  // "de" never reached the disk
  });
  EXPECT_EQ(fs.Contents("d/a"), std::string("abc\0\0fgh\0\0\0\0", 12));
}

TEST(MemFileSystem, FailSyncs_ReturnsIOError) {
  MemFileSystem fs;
  auto f = fs.OpenWritable("d/a");
  fs.FailSyncs(true);
  EXPECT_TRUE((*f)->Sync().IsIOError());
  EXPECT_TRUE(fs.SyncDir("d").IsIOError());
  fs.FailSyncs(false);
  EXPECT_TRUE((*f)->Sync().ok());
}

TEST(MemFileSystem, FailWritesAfter_WritesAPartialRecord) {
  MemFileSystem fs;
  auto f = fs.OpenWritable("d/a");
  fs.FailWritesAfter(3);
  EXPECT_TRUE((*f)->Append("abcdef").IsIOError());
  EXPECT_EQ(fs.Contents("d/a"), "abc");
}

TEST(MemFileSystem, LockDir_IsExclusive) {
  MemFileSystem fs;
  auto first = fs.LockDir("d");
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(fs.LockDir("d").status().IsBusy());
  first->reset();
  EXPECT_TRUE(fs.LockDir("d").ok());
}

}  // namespace
}  // namespace dsc::wal
