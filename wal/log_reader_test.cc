#include "wal/log_reader.h"

#include <gtest/gtest.h>

#include "wal/mem_file_system.h"

namespace dsc::wal {
namespace {

// Encodes records first_lsn .. first_lsn+count-1 with payload "r<lsn>".
std::string Segment(uint64_t first_lsn, int count) {
  std::string out;
  for (int i = 0; i < count; ++i) {
    const uint64_t lsn = first_lsn + static_cast<uint64_t>(i);
    EncodeRecord(lsn, 1, "r" + std::to_string(lsn), &out);
  }
  return out;
}

std::string Path(uint64_t first_lsn) { return "log/" + SegmentFileName(first_lsn); }

TEST(ScanLog, EmptyDirectory_HasNoRecords) {
  MemFileSystem fs;
  fs.SetContents("log/LOCK", "");
  ScanResult r = ScanLog(&fs, "log");
  EXPECT_TRUE(r.status.ok());
  EXPECT_TRUE(r.segments.empty());
  EXPECT_EQ(r.last_lsn, 0u);
}

TEST(ScanLog, VisitsRecordsAcrossSegmentsInOrder) {
  MemFileSystem fs;
  fs.SetContents(Path(4), Segment(4, 2));
  fs.SetContents(Path(1), Segment(1, 3));
  std::vector<uint64_t> seen;
  ScanResult r = ScanLog(&fs, "log", [&](const Record& rec, const std::string&, uint64_t) {
    seen.push_back(rec.lsn);
    return true;
  });
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(seen, (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(r.first_lsn, 1u);
  EXPECT_EQ(r.last_lsn, 5u);
  EXPECT_FALSE(r.torn_tail);
  ASSERT_EQ(r.segments.size(), 2u);
  EXPECT_EQ(r.segments[0].offsets.size(), 3u);
}

TEST(ScanLog, PartialLastRecord_IsATornTail) {
  MemFileSystem fs;
  std::string bytes = Segment(1, 3);
  const size_t whole = Segment(1, 2).size();
  fs.SetContents(Path(1), bytes.substr(0, whole + 5));
  ScanResult r = ScanLog(&fs, "log");
  ASSERT_TRUE(r.status.ok());
  ASSERT_TRUE(r.torn_tail);
  EXPECT_EQ(r.torn_tail->offset, whole);
  EXPECT_EQ(r.torn_tail->bytes, 5u);
  EXPECT_EQ(r.last_lsn, 2u);
}

TEST(ScanLog, ZeroFilledEnd_IsATornTail) {
  MemFileSystem fs;
  fs.SetContents(Path(1), Segment(1, 2) + std::string(100, '\0'));
  ScanResult r = ScanLog(&fs, "log");
  ASSERT_TRUE(r.status.ok());
  ASSERT_TRUE(r.torn_tail);
  EXPECT_EQ(r.torn_tail->bytes, 100u);
}

TEST(ScanLog, GarbledLastRecord_IsATornTail) {
  MemFileSystem fs;
  std::string bytes = Segment(1, 3);
  bytes[bytes.size() - 1] ^= 0x55;  // the payload of the last record
  fs.SetContents(Path(1), bytes);
  ScanResult r = ScanLog(&fs, "log");
  ASSERT_TRUE(r.status.ok());
  ASSERT_TRUE(r.torn_tail);
  EXPECT_EQ(r.last_lsn, 2u);
}

TEST(ScanLog, BadRecordFollowedByData_IsCorruptionNamingSegmentAndOffset) {
  MemFileSystem fs;
  std::string bytes = Segment(1, 3);
  const size_t second = Segment(1, 1).size();
  bytes[second + kHeaderSize] ^= 0x01;  // payload of record 2 of 3
  fs.SetContents(Path(1), bytes);
  ScanResult r = ScanLog(&fs, "log");
  ASSERT_TRUE(r.status.IsCorruption());
  // What was read before the damage is reported consistently.
  ASSERT_EQ(r.segments.size(), 1u);
  EXPECT_EQ(r.segments[0].record_count, 1u);
  EXPECT_EQ(r.segments[0].valid_bytes, second);
  EXPECT_NE(r.status.message().find(SegmentFileName(1)), std::string::npos) << r.status.message();
  EXPECT_NE(r.status.message().find("offset " + std::to_string(second)), std::string::npos)
      << r.status.message();
}

TEST(ScanLog, DamageInAClosedSegment_IsCorruptionEvenAtItsEnd) {
  MemFileSystem fs;
  std::string first = Segment(1, 3);
  fs.SetContents(Path(1), first.substr(0, first.size() - 1));  // short, but not the last segment
  fs.SetContents(Path(4), Segment(4, 1));
  ScanResult r = ScanLog(&fs, "log");
  EXPECT_TRUE(r.status.IsCorruption());
  EXPECT_NE(r.status.message().find("closed segment"), std::string::npos) << r.status.message();
}

TEST(ScanLog, GapBetweenSegments_IsCorruption) {
  MemFileSystem fs;
  fs.SetContents(Path(1), Segment(1, 3));
  fs.SetContents(Path(5), Segment(5, 1));
  ScanResult r = ScanLog(&fs, "log");
  EXPECT_TRUE(r.status.IsCorruption());
  EXPECT_NE(r.status.message().find("previous segment ends at LSN 3"), std::string::npos)
      << r.status.message();
}

TEST(ScanLog, LsnOutOfSequence_IsCorruption) {
  MemFileSystem fs;
  fs.SetContents(Path(1), Segment(1, 2) + Segment(7, 1));
  ScanResult r = ScanLog(&fs, "log");
  EXPECT_TRUE(r.status.IsCorruption());
  EXPECT_NE(r.status.message().find("expected 3"), std::string::npos) << r.status.message();
}

TEST(ScanLog, MissingDirectory_IsNotFound) {
  MemFileSystem fs;
  EXPECT_TRUE(ScanLog(&fs, "nowhere").status.ok());  // MemFileSystem dirs always exist, empty
  ScanResult r = ScanLog(FileSystem::Default(), "/nonexistent/dsc/wal/dir");
  EXPECT_TRUE(r.status.IsNotFound());
}

}  // namespace
}  // namespace dsc::wal
