#include "wal/log.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "base/scratch_dir.h"
#include "wal/mem_file_system.h"

namespace dsc::wal {
namespace {

constexpr char kDir[] = "wal";

class LogTest : public ::testing::Test {
 protected:
  std::unique_ptr<Log> OpenLog(DurabilityPolicy policy = DurabilityPolicy::Always(),
                               uint64_t segment_bytes = 1u << 20) {
    LogOptions options;
    options.system = "test";
    options.fs = &fs_;
    options.durability = policy;
    options.segment_bytes = segment_bytes;
    auto log = Log::Open(kDir, options);
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    return log.ok() ? std::move(*log) : nullptr;
  }

  static std::vector<std::string> Payloads(const Log& log, uint64_t from = 1) {
    auto records = log.Read(from);
    EXPECT_TRUE(records.ok()) << records.status().ToString();
    std::vector<std::string> out;
    if (records.ok()) {
      for (const Record& r : *records) out.push_back(r.payload);
    }
    return out;
  }

  size_t SegmentCount() {
    size_t n = 0;
    auto names = fs_.ListDir(kDir);
    for (const auto& name : *names) n += ParseSegmentFileName(name).has_value();
    return n;
  }

  MemFileSystem fs_;
};

TEST_F(LogTest, Append_AssignsConsecutiveLsnsAndReadsBack) {
  auto log = OpenLog();
  EXPECT_EQ(*log->Append(1, "a"), 1u);
  EXPECT_EQ(*log->Append(2, "b"), 2u);
  const Entry batch[] = {{3, "c"}, {4, "d"}};
  EXPECT_EQ(*log->AppendBatch(batch), 4u);
  EXPECT_EQ(log->first_lsn(), 1u);
  EXPECT_EQ(log->last_lsn(), 4u);
  EXPECT_EQ(log->durable_lsn(), 4u);
  auto records = log->Read(2, 2);
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[0], (Record{2, 2, "b"}));
  EXPECT_EQ((*records)[1], (Record{3, 3, "c"}));
  EXPECT_TRUE(log->Read(5)->empty());
}

TEST_F(LogTest, Append_RejectsBadRecords) {
  auto log = OpenLog();
  EXPECT_TRUE(log->Append(kInvalidType, "x").status().IsInvalidArgument());
  EXPECT_TRUE(log->Append(1, std::string(kMaxPayloadBytes + 1, 'x')).status().IsInvalidArgument());
  EXPECT_TRUE(log->AppendBatch({}).status().IsInvalidArgument());
  EXPECT_EQ(*log->Append(1, "still fine"), 1u);
}

TEST_F(LogTest, Reopen_RecoversEveryRecord) {
  {
    auto log = OpenLog();
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(log->Append(1, "r" + std::to_string(i)).ok());
  }
  auto log = OpenLog();
  EXPECT_EQ(log->last_lsn(), 100u);
  EXPECT_EQ(log->recovery().records, 100u);
  EXPECT_EQ(*log->Append(1, "next"), 101u);
  EXPECT_EQ(Payloads(*log, 100), (std::vector<std::string>{"r99", "next"}));
}

TEST_F(LogTest, Open_IsExclusive) {
  auto log = OpenLog();
  LogOptions options;
  options.system = "test";
  options.fs = &fs_;
  EXPECT_TRUE(Log::Open(kDir, options).status().IsBusy());
}

TEST_F(LogTest, Segments_RollAndReadAcrossThem) {
  auto log = OpenLog(DurabilityPolicy::Always(), /*segment_bytes=*/200);
  for (int i = 1; i <= 50; ++i) ASSERT_TRUE(log->Append(1, "payload-" + std::to_string(i)).ok());
  EXPECT_GT(SegmentCount(), 5u);
  auto all = Payloads(*log);
  ASSERT_EQ(all.size(), 50u);
  EXPECT_EQ(all.front(), "payload-1");
  EXPECT_EQ(all.back(), "payload-50");
  log.reset();
  log = OpenLog(DurabilityPolicy::Always(), 200);
  EXPECT_EQ(Payloads(*log).size(), 50u);
}

TEST_F(LogTest, Read_StopsAtMaxBytesButReturnsAtLeastOne) {
  auto log = OpenLog();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(log->Append(1, std::string(100, 'x')).ok());
  EXPECT_EQ(log->Read(1, SIZE_MAX, 250)->size(), 3u);
  EXPECT_EQ(log->Read(1, SIZE_MAX, 1)->size(), 1u);
}

TEST_F(LogTest, PowerLoss_UnderAlways_KeepsEveryAcknowledgedRecord) {
  auto log = OpenLog(DurabilityPolicy::Always(), 300);
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(log->Append(1, "r" + std::to_string(i)).ok());
  fs_.DropUnsyncedData();  // the machine loses power; the log object is gone with it
  log.reset();
  log = OpenLog(DurabilityPolicy::Always(), 300);
  EXPECT_EQ(log->last_lsn(), 40u);
}

TEST_F(LogTest, PowerLoss_UnderNever_LosesUnsyncedRecordsButStaysValid) {
  auto log = OpenLog(DurabilityPolicy::Never());
  ASSERT_TRUE(log->Append(1, "a").ok());
  ASSERT_TRUE(log->Sync().ok());
  ASSERT_TRUE(log->Append(1, "b").ok());
  EXPECT_EQ(log->durable_lsn(), 1u);
  fs_.DropUnsyncedData();
  log.reset();
  log = OpenLog(DurabilityPolicy::Never());
  EXPECT_EQ(Payloads(*log), (std::vector<std::string>{"a"}));
}

TEST_F(LogTest, AppendAsync_IsDurableOnlyAfterWaitDurable) {
  auto log = OpenLog();
  auto lsn = log->AppendAsync(1, "async");
  ASSERT_TRUE(lsn.ok());
  EXPECT_EQ(log->durable_lsn(), 0u);
  EXPECT_EQ(Payloads(*log), (std::vector<std::string>{"async"}));  // readable at once
  ASSERT_TRUE(log->WaitDurable(*lsn).ok());
  EXPECT_EQ(log->durable_lsn(), *lsn);
  EXPECT_TRUE(log->WaitDurable(99).IsInvalidArgument());
}

TEST_F(LogTest, Segments_StartWithAHeaderAndArePreallocated) {
  {
    auto log = OpenLog();
    ASSERT_TRUE(log->Append(1, "r0").ok());
  }
  const std::string seg = std::string(kDir) + "/" + SegmentFileName(1);
  const std::string bytes = fs_.Contents(seg);
  EXPECT_EQ(bytes.size(), 1u << 20);  // OpenLog's segment_bytes, from the start
  const DecodedHeader header = DecodeSegmentHeader(bytes);
  ASSERT_EQ(header.result, HeaderResult::kOk);
  EXPECT_EQ(header.header, (SegmentHeader{kFormatVersion, "test", 1}));
  const Decoded first = DecodeRecord(std::string_view(bytes).substr(kSegmentHeaderSize));
  ASSERT_EQ(first.result, DecodeResult::kOk);
  EXPECT_EQ(first.record.payload, "r0");
}

TEST_F(LogTest, ALogOfAnotherSystem_IsRefused) {
  { auto log = OpenLog(); }
  LogOptions options = LogOptions::For("queue");
  options.fs = &fs_;
  auto log = Log::Open(kDir, options);
  EXPECT_TRUE(log.status().IsInvalidArgument());
  EXPECT_NE(log.status().message().find("belongs to system 'test', not 'queue'"), std::string::npos)
      << log.status().message();
}

TEST_F(LogTest, NoSystemTag_IsRefused) {
  LogOptions options;
  options.fs = &fs_;
  EXPECT_TRUE(Log::Open(kDir, options).status().IsInvalidArgument());
  options.system = "Has Spaces";
  EXPECT_TRUE(Log::Open(kDir, options).status().IsInvalidArgument());
}

TEST_F(LogTest, AFormatV1Log_IsRefusedWithAClearMessage) {
  std::string v1;
  EncodeRecord(1, 1, "old", &v1);
  fs_.SetContents(std::string(kDir) + "/" + SegmentFileName(1), v1);
  LogOptions options = LogOptions::For("test");
  options.fs = &fs_;
  auto log = Log::Open(kDir, options);
  ASSERT_TRUE(log.status().IsInvalidArgument());
  EXPECT_NE(log.status().message().find("log format v1"), std::string::npos)
      << log.status().message();
}

TEST_F(LogTest, LeftoverTemporarySegment_IsRemovedOnOpen) {
  { auto log = OpenLog(); }
  const std::string tmp = std::string(kDir) + "/" + SegmentFileName(7) + ".tmp";
  fs_.SetContents(tmp, "half-made");
  auto log = OpenLog();
  EXPECT_EQ(fs_.Contents(tmp), "");
  EXPECT_FALSE(fs_.FileSize(tmp).ok());
}

TEST_F(LogTest, TornTail_IsZeroedAndAppendsContinue) {
  {
    auto log = OpenLog();
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(log->Append(1, "r" + std::to_string(i)).ok());
  }
  const std::string seg = std::string(kDir) + "/" + SegmentFileName(1);
  const ScanResult before = ScanLog(&fs_, kDir);
  const uint64_t third = before.segments[0].offsets[2];
  const uint64_t end = before.segments[0].valid_bytes;
  std::string bytes = fs_.Contents(seg);
  bytes[end - 1] = 0;  // the last byte of the last record never reached the disk
  fs_.SetContents(seg, bytes);

  auto log = OpenLog();
  ASSERT_TRUE(log->recovery().truncated);
  EXPECT_EQ(log->recovery().truncated->offset, third);
  EXPECT_EQ(log->last_lsn(), 2u);
  EXPECT_EQ(fs_.Contents(seg).substr(third, end - third), std::string(end - third, '\0'));
  EXPECT_EQ(*log->Append(1, "after"), 3u);
  log.reset();
  log = OpenLog();
  EXPECT_FALSE(log->recovery().truncated);
  EXPECT_EQ(Payloads(*log), (std::vector<std::string>{"r0", "r1", "after"}));
}

// The remains of a longer lost record must not follow a shorter new one:
// recovery zeroes them, so the next recovery does not find garbage there.
TEST_F(LogTest, TornTailLongerThanTheNextRecord_LeavesNoGarbageBehindIt) {
  {
    auto log = OpenLog();
    ASSERT_TRUE(log->Append(1, "r0").ok());
    ASSERT_TRUE(log->Append(1, std::string(300, 'x')).ok());
  }
  const std::string seg = std::string(kDir) + "/" + SegmentFileName(1);
  const uint64_t second = ScanLog(&fs_, kDir).segments[0].offsets[1];
  std::string bytes = fs_.Contents(seg);
  bytes[second + 100] ^= 0x01;  // record 2 fails its checksum; nothing but zeros after it
  fs_.SetContents(seg, bytes);
  {
    auto log = OpenLog();
    EXPECT_EQ(log->last_lsn(), 1u);
    ASSERT_TRUE(log->Append(1, "short").ok());
  }
  auto log = OpenLog();
  EXPECT_FALSE(log->recovery().truncated);
  EXPECT_EQ(Payloads(*log), (std::vector<std::string>{"r0", "short"}));
}

TEST_F(LogTest, MidLogCorruption_RefusesToOpenNamingSegmentAndOffset) {
  {
    auto log = OpenLog();
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(log->Append(1, "r" + std::to_string(i)).ok());
  }
  const std::string seg = std::string(kDir) + "/" + SegmentFileName(1);
  std::string bytes = fs_.Contents(seg);
  bytes[kSegmentHeaderSize + kHeaderSize] ^= 0x20;  // first record's payload
  fs_.SetContents(seg, bytes);
  LogOptions options;
  options.system = "test";
  options.fs = &fs_;
  auto log = Log::Open(kDir, options);
  ASSERT_TRUE(log.status().IsCorruption());
  EXPECT_NE(log.status().message().find(SegmentFileName(1) + " offset " +
                                        std::to_string(kSegmentHeaderSize)),
            std::string::npos)
      << log.status().message();
}

TEST_F(LogTest, ARollTrimsTheClosedSegmentToItsLastRecord) {
  auto log = OpenLog(DurabilityPolicy::Always(), /*segment_bytes=*/256);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(log->Append(1, std::string(40, 'a' + i % 26)).ok());
  const ScanResult scan = ScanLog(&fs_, kDir);
  ASSERT_TRUE(scan.status.ok()) << scan.status.ToString();
  ASSERT_GE(scan.segments.size(), 3u);
  for (size_t i = 0; i + 1 < scan.segments.size(); ++i) {
    EXPECT_EQ(scan.segments[i].file_bytes, scan.segments[i].valid_bytes) << scan.segments[i].name;
  }
  EXPECT_EQ(scan.segments.back().file_bytes, 256u);  // the open one stays preallocated
}

TEST_F(LogTest, TruncateSuffix_ZeroesTheDroppedRecords) {
  auto log = OpenLog();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(log->Append(1, "record-" + std::to_string(i)).ok());
  const ScanResult before = ScanLog(&fs_, kDir);
  const uint64_t cut = before.segments[0].offsets[3];
  const uint64_t end = before.segments[0].valid_bytes;
  ASSERT_TRUE(log->TruncateSuffix(3).ok());
  const std::string seg = std::string(kDir) + "/" + SegmentFileName(1);
  EXPECT_EQ(fs_.Contents(seg).substr(cut, end - cut), std::string(end - cut, '\0'));
  // Durably: a power loss right now does not bring the records back.
  fs_.DropUnsyncedData();
  log.reset();
  log = OpenLog();
  EXPECT_EQ(log->last_lsn(), 3u);
  EXPECT_FALSE(log->recovery().truncated);
}

TEST_F(LogTest, TruncateSuffix_WithinOneSegment) {
  auto log = OpenLog();
  for (int i = 1; i <= 5; ++i) ASSERT_TRUE(log->Append(1, "r" + std::to_string(i)).ok());
  ASSERT_TRUE(log->TruncateSuffix(3).ok());
  EXPECT_EQ(log->last_lsn(), 3u);
  EXPECT_EQ(*log->Append(1, "new4"), 4u);
  log.reset();
  fs_.DropUnsyncedData();  // truncation and the append after it are durable
  log = OpenLog();
  EXPECT_EQ(Payloads(*log), (std::vector<std::string>{"r1", "r2", "r3", "new4"}));
}

TEST_F(LogTest, TruncateSuffix_AcrossSegments) {
  auto log = OpenLog(DurabilityPolicy::Always(), 100);
  for (int i = 1; i <= 30; ++i) ASSERT_TRUE(log->Append(1, "r" + std::to_string(i)).ok());
  const size_t before = SegmentCount();
  ASSERT_TRUE(log->TruncateSuffix(4).ok());
  EXPECT_LT(SegmentCount(), before);
  EXPECT_EQ(*log->Append(1, "x"), 5u);
  log.reset();
  fs_.DropUnsyncedData();
  log = OpenLog(DurabilityPolicy::Always(), 100);
  EXPECT_EQ(Payloads(*log), (std::vector<std::string>{"r1", "r2", "r3", "r4", "x"}));
}

TEST_F(LogTest, TruncateSuffix_ToEmpty) {
  auto log = OpenLog(DurabilityPolicy::Always(), 100);
  for (int i = 1; i <= 10; ++i) ASSERT_TRUE(log->Append(1, "r").ok());
  ASSERT_TRUE(log->TruncateSuffix(0).ok());
  EXPECT_EQ(log->last_lsn(), 0u);
  EXPECT_EQ(*log->Append(1, "first again"), 1u);
}

TEST_F(LogTest, DropPrefix_DeletesOnlyWholeOldSegments) {
  auto log = OpenLog(DurabilityPolicy::Always(), 100);
  for (int i = 1; i <= 30; ++i) ASSERT_TRUE(log->Append(1, "r" + std::to_string(i)).ok());
  ASSERT_TRUE(log->DropPrefix(20).ok());
  const uint64_t first = log->first_lsn();
  EXPECT_GT(first, 1u);
  EXPECT_LE(first, 20u);
  EXPECT_TRUE(log->Read(1).status().IsNotFound());
  EXPECT_EQ(log->Read(first)->front().lsn, first);
  // Cannot cut into the dropped prefix.
  EXPECT_TRUE(log->TruncateSuffix(first - 2).IsInvalidArgument());
  log.reset();
  fs_.DropUnsyncedData();
  log = OpenLog(DurabilityPolicy::Always(), 100);
  EXPECT_EQ(log->first_lsn(), first);
  EXPECT_EQ(log->last_lsn(), 30u);
}

TEST_F(LogTest, DropPrefix_NeverDeletesTheActiveSegment) {
  auto log = OpenLog();
  for (int i = 1; i <= 5; ++i) ASSERT_TRUE(log->Append(1, "r").ok());
  ASSERT_TRUE(log->DropPrefix(100).ok());
  EXPECT_EQ(log->first_lsn(), 1u);
  EXPECT_EQ(*log->Append(1, "r"), 6u);
}

TEST_F(LogTest, FsyncFailure_PoisonsTheLog) {
  auto log = OpenLog();
  ASSERT_TRUE(log->Append(1, "kept").ok());
  fs_.FailSyncs(true);
  EXPECT_FALSE(log->Append(1, "unknown").ok());
  fs_.FailSyncs(false);  // even if the disk "recovers", the log must not carry on
  auto later = log->Append(1, "refused");
  EXPECT_TRUE(later.status().IsPoisoned()) << later.status().ToString();
  EXPECT_TRUE(log->health().IsPoisoned());
  EXPECT_TRUE(log->Sync().IsPoisoned());

  fs_.DropUnsyncedData();  // the process restarts and recovers by replay
  log.reset();
  log = OpenLog();
  EXPECT_EQ(Payloads(*log), (std::vector<std::string>{"kept"}));
}

TEST_F(LogTest, PartialWrite_PoisonsAndRecoveryCutsTheTornRecord) {
  auto log = OpenLog();
  ASSERT_TRUE(log->Append(1, "kept").ok());
  fs_.FailWritesAfter(5);  // disk full in the middle of the next record
  EXPECT_FALSE(log->Append(1, "half-written").ok());
  EXPECT_TRUE(log->Append(1, "x").status().IsPoisoned());
  fs_.FailWritesAfter(UINT64_MAX);
  log.reset();
  log = OpenLog();
  ASSERT_TRUE(log->recovery().truncated);
  EXPECT_EQ(log->recovery().truncated->bytes, 5u);
  EXPECT_EQ(Payloads(*log), (std::vector<std::string>{"kept"}));
}

TEST_F(LogTest, Close_RejectsLaterCalls) {
  auto log = OpenLog();
  ASSERT_TRUE(log->Append(1, "a").ok());
  ASSERT_TRUE(log->Close().ok());
  EXPECT_TRUE(log->Append(1, "b").status().IsUnavailable());
  EXPECT_TRUE(log->Close().ok());
}

TEST_F(LogTest, IntervalPolicy_SyncsInTheBackground) {
  auto log = OpenLog(DurabilityPolicy::Interval(std::chrono::milliseconds(5)));
  ASSERT_TRUE(log->Append(1, "a").ok());
  // Wait (bounded) for the background thread; no fixed sleep decides the test.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (log->durable_lsn() < 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(log->durable_lsn(), 1u);
}

TEST(DurabilityPolicy, ParsesAndPrints) {
  EXPECT_EQ(DurabilityPolicy::Parse("always")->kind, DurabilityPolicy::Kind::kAlways);
  EXPECT_EQ(DurabilityPolicy::Parse("never")->kind, DurabilityPolicy::Kind::kNever);
  auto interval = DurabilityPolicy::Parse("interval:25");
  ASSERT_TRUE(interval.ok());
  EXPECT_EQ(interval->interval.count(), 25);
  EXPECT_EQ(interval->ToString(), "interval:25");
  for (const char* bad :
       {"", "sometimes", "interval:", "interval:0", "interval:-5", "interval:5x"}) {
    EXPECT_TRUE(DurabilityPolicy::Parse(bad).status().IsInvalidArgument()) << bad;
  }
}

TEST(LogOnDisk, ReopenAfterCloseOnARealFileSystem) {
  const ScratchDir scratch("dsc-wal-test");
  const std::filesystem::path dir = scratch.Sub("log");
  {
    auto log = Log::Open(dir.string(), LogOptions::For("test"));
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    for (int i = 0; i < 10; ++i) ASSERT_TRUE((*log)->Append(1, "disk" + std::to_string(i)).ok());
    EXPECT_TRUE(Log::Open(dir.string(), LogOptions::For("test")).status().IsBusy());
  }
  auto log = Log::Open(dir.string(), LogOptions::For("test"));
  ASSERT_TRUE(log.ok());
  EXPECT_EQ((*log)->last_lsn(), 10u);
  EXPECT_EQ((*log)->Read(10)->front().payload, "disk9");
}

std::string ReadWholeFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The POSIX file's preallocation, rolling trim and zeroing, on a real disk.
TEST(LogOnDisk, SegmentsArePreallocatedTrimmedAndZeroedOnARealFileSystem) {
  const ScratchDir scratch("dsc-wal-test");
  const std::filesystem::path dir = scratch.Sub("log");
  LogOptions options = LogOptions::For("test");
  options.segment_bytes = 64 * 1024;
  auto log = Log::Open(dir.string(), options);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  const std::filesystem::path first = dir / SegmentFileName(1);
  EXPECT_EQ(std::filesystem::file_size(first), 64u * 1024);

  for (int i = 0; i < 10; ++i) ASSERT_TRUE((*log)->Append(1, "disk" + std::to_string(i)).ok());
  const ScanResult scan = ScanLog(FileSystem::Default(), dir.string());
  ASSERT_TRUE(scan.status.ok()) << scan.status.ToString();
  const uint64_t cut = scan.segments[0].offsets[5];
  const uint64_t end = scan.segments[0].valid_bytes;
  ASSERT_TRUE((*log)->TruncateSuffix(5).ok());
  std::string bytes = ReadWholeFile(first);
  EXPECT_EQ(bytes.size(), 64u * 1024);
  EXPECT_EQ(bytes.substr(cut, end - cut), std::string(end - cut, '\0'));

  // Fill past the segment: it is trimmed to its last record when the log rolls.
  const std::string big(20 * 1024, 'b');
  for (int i = 0; i < 4; ++i) ASSERT_TRUE((*log)->Append(1, big).ok());
  const ScanResult rolled = ScanLog(FileSystem::Default(), dir.string());
  ASSERT_TRUE(rolled.status.ok()) << rolled.status.ToString();
  ASSERT_EQ(rolled.segments.size(), 2u);
  EXPECT_EQ(std::filesystem::file_size(first), rolled.segments[0].valid_bytes);
  EXPECT_EQ(rolled.segments[1].file_bytes, 64u * 1024);
  EXPECT_EQ(rolled.last_lsn, 9u);
}

}  // namespace
}  // namespace dsc::wal
