#include "wal/log_reader.h"

#include <gtest/gtest.h>

#include "wal/mem_file_system.h"

namespace dsc::wal {
namespace {

// Encodes records first_lsn .. first_lsn+count-1 with payload "r<lsn>".
std::string Records(uint64_t first_lsn, int count) {
  std::string out;
  for (int i = 0; i < count; ++i) {
    const uint64_t lsn = first_lsn + static_cast<uint64_t>(i);
    EncodeRecord(lsn, 1, "r" + std::to_string(lsn), &out);
  }
  return out;
}

// A whole segment file: its header, then the records.
std::string Segment(uint64_t first_lsn, int count, std::string_view system = "test") {
  return EncodeSegmentHeader(system, first_lsn) + Records(first_lsn, count);
}

std::string Path(uint64_t first_lsn) { return "log/" + SegmentFileName(first_lsn); }

bool Mentions(const Status& status, const std::string& text) {
  return status.message().find(text) != std::string::npos;
}

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
  EXPECT_EQ(r.system, "test");
  EXPECT_EQ(seen, (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(r.first_lsn, 1u);
  EXPECT_EQ(r.last_lsn, 5u);
  EXPECT_FALSE(r.torn_tail);
  ASSERT_EQ(r.segments.size(), 2u);
  EXPECT_EQ(r.segments[0].offsets.size(), 3u);
  EXPECT_EQ(r.segments[0].offsets[0], kSegmentHeaderSize);
}

TEST(ScanLog, PartialLastRecord_IsATornTail) {
  MemFileSystem fs;
  std::string bytes = Segment(1, 3);
  const size_t whole = Segment(1, 2).size();
  fs.SetContents(Path(1), bytes.substr(0, whole + 5));
  ASSERT_NE(bytes.substr(whole, 5), std::string(5, '\0'));
  ScanResult r = ScanLog(&fs, "log");
  ASSERT_TRUE(r.status.ok());
  ASSERT_TRUE(r.torn_tail);
  EXPECT_EQ(r.torn_tail->offset, whole);
  EXPECT_EQ(r.torn_tail->bytes, 5u);
  EXPECT_EQ(r.last_lsn, 2u);
}

TEST(ScanLog, ZeroFilledEnd_IsPreallocatedSpaceNotATornTail) {
  MemFileSystem fs;
  fs.SetContents(Path(1), Segment(1, 2) + std::string(4096, '\0'));
  ScanResult r = ScanLog(&fs, "log");
  ASSERT_TRUE(r.status.ok());
  EXPECT_FALSE(r.torn_tail);
  EXPECT_EQ(r.last_lsn, 2u);
  EXPECT_EQ(r.segments[0].valid_bytes, Segment(1, 2).size());
  EXPECT_EQ(r.segments[0].file_bytes, Segment(1, 2).size() + 4096);
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

TEST(ScanLog, GarbledLastRecordBeforePreallocatedZeros_IsATornTail) {
  MemFileSystem fs;
  std::string bytes = Segment(1, 3);
  bytes[bytes.size() - 1] ^= 0x55;
  fs.SetContents(Path(1), bytes + std::string(1000, '\0'));
  ScanResult r = ScanLog(&fs, "log");
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_TRUE(r.torn_tail);
  EXPECT_EQ(r.torn_tail->offset, Segment(1, 2).size());
  EXPECT_EQ(r.torn_tail->bytes, bytes.size() - Segment(1, 2).size());
  EXPECT_EQ(r.last_lsn, 2u);
}

// A power cut after the disk wrote the later sectors of an unsynced group
// but not an earlier one: the lost sector reads as zeros, the records after
// it look whole. None of them was acknowledged, so all of them go.
TEST(ScanLog, LostSectorInTheOpenSegment_IsATornTailAndDropsWhatFollows) {
  MemFileSystem fs;
  // Records big enough that record 3 spans whole sectors.
  std::string bytes = EncodeSegmentHeader("test", 1);
  std::vector<uint64_t> offsets;
  for (uint64_t lsn = 1; lsn <= 6; ++lsn) {
    offsets.push_back(bytes.size());
    EncodeRecord(lsn, 1, std::string(700, static_cast<char>('a' + lsn)), &bytes);
  }
  const uint64_t hole = (offsets[2] / 512 + 1) * 512;  // the first whole sector of record 3
  std::fill(bytes.begin() + static_cast<ptrdiff_t>(hole),
            bytes.begin() + static_cast<ptrdiff_t>(hole + 512), '\0');
  fs.SetContents(Path(1), bytes + std::string(2048, '\0'));
  ScanResult r = ScanLog(&fs, "log");
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_TRUE(r.torn_tail);
  EXPECT_EQ(r.torn_tail->offset, offsets[2]);
  EXPECT_EQ(r.torn_tail->bytes, bytes.size() - offsets[2]);  // records 3..6 go
  EXPECT_NE(r.torn_tail->reason.find("lost write"), std::string::npos) << r.torn_tail->reason;
  EXPECT_EQ(r.last_lsn, 2u);
}

TEST(ScanLog, ZerosInAClosedSegment_AreCorruption) {
  MemFileSystem fs;
  fs.SetContents(Path(1), Segment(1, 3) + std::string(600, '\0'));  // closed but not trimmed
  fs.SetContents(Path(4), Segment(4, 1));
  ScanResult r = ScanLog(&fs, "log");
  EXPECT_TRUE(r.status.IsCorruption());
  EXPECT_TRUE(Mentions(r.status, "zeros in a closed segment")) << r.status.message();
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
  fs.SetContents(Path(1), Segment(1, 2) + Records(7, 1));
  ScanResult r = ScanLog(&fs, "log");
  EXPECT_TRUE(r.status.IsCorruption());
  EXPECT_NE(r.status.message().find("expected 3"), std::string::npos) << r.status.message();
}

TEST(ScanLog, AFormatV1Segment_IsRefusedSayingSo) {
  MemFileSystem fs;
  fs.SetContents(Path(1), Records(1, 3));  // v1: records from byte 0, no header
  ScanResult r = ScanLog(&fs, "log");
  EXPECT_TRUE(r.status.IsInvalidArgument()) << r.status.ToString();
  EXPECT_TRUE(Mentions(r.status, "log format v1")) << r.status.message();
  EXPECT_TRUE(Mentions(r.status, SegmentFileName(1))) << r.status.message();
}

TEST(ScanLog, AnEmptySegment_IsRefusedAsFormatV1) {
  MemFileSystem fs;
  fs.SetContents(Path(1), "");  // a fresh v1 log; a v2 segment is never empty
  ScanResult r = ScanLog(&fs, "log");
  EXPECT_TRUE(r.status.IsInvalidArgument()) << r.status.ToString();
  EXPECT_TRUE(Mentions(r.status, "log format v1")) << r.status.message();
}

TEST(ScanLog, ALaterFormatVersion_IsRefusedNamingIt) {
  MemFileSystem fs;
  std::string bytes = Segment(1, 1);
  bytes[kSegmentMagic.size()] = 3;  // version 3
  fs.SetContents(Path(1), bytes);
  ScanResult r = ScanLog(&fs, "log");
  EXPECT_TRUE(r.status.IsInvalidArgument()) << r.status.ToString();
  EXPECT_TRUE(Mentions(r.status, "format version 3")) << r.status.message();
}

TEST(ScanLog, DamagedSegmentHeader_IsCorruptionAtOffsetZero) {
  MemFileSystem fs;
  std::string bytes = Segment(1, 2);
  bytes[20] ^= 0x01;  // inside the system tag
  fs.SetContents(Path(1), bytes);
  ScanResult r = ScanLog(&fs, "log");
  EXPECT_TRUE(r.status.IsCorruption());
  EXPECT_TRUE(Mentions(r.status, SegmentFileName(1) + " offset 0: segment header checksum"))
      << r.status.message();
}

TEST(ScanLog, HeaderDisagreeingWithTheFileName_IsCorruption) {
  MemFileSystem fs;
  fs.SetContents(Path(1), EncodeSegmentHeader("test", 9) + Records(1, 1));
  ScanResult r = ScanLog(&fs, "log");
  EXPECT_TRUE(r.status.IsCorruption());
  EXPECT_TRUE(Mentions(r.status, "header says first LSN 9")) << r.status.message();
}

TEST(ScanLog, SegmentsOfTwoSystems_AreCorruption) {
  MemFileSystem fs;
  fs.SetContents(Path(1), Segment(1, 3, "queue"));
  fs.SetContents(Path(4), Segment(4, 1, "raft"));
  ScanResult r = ScanLog(&fs, "log");
  EXPECT_TRUE(r.status.IsCorruption());
  EXPECT_TRUE(Mentions(r.status, "belongs to system 'raft'")) << r.status.message();
}

TEST(ScanLog, MissingDirectory_IsNotFound) {
  MemFileSystem fs;
  EXPECT_TRUE(ScanLog(&fs, "nowhere").status.ok());  // MemFileSystem dirs always exist, empty
  ScanResult r = ScanLog(FileSystem::Default(), "/nonexistent/dsc/wal/dir");
  EXPECT_TRUE(r.status.IsNotFound());
}

}  // namespace
}  // namespace dsc::wal
