// Property tests: whatever was appended, whatever a crash leaves behind,
// the recovered log is exactly an acknowledged prefix.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <spdlog/spdlog.h>

#include <random>

#include "wal/log.h"
#include "wal/mem_file_system.h"

namespace dsc::wal {
namespace {

constexpr char kDir[] = "wal";

// Thousands of recoveries below would each log a line; keep the output readable.
const bool kQuietLogs = [] {
  spdlog::set_level(spdlog::level::critical);
  return true;
}();

LogOptions MemOptions(MemFileSystem* fs, uint64_t segment_bytes) {
  LogOptions options;
  options.system = "test";
  options.fs = fs;
  options.segment_bytes = segment_bytes;
  return options;
}

std::vector<std::string> ReadAll(const Log& log) {
  std::vector<std::string> out;
  auto records = log.Read(log.first_lsn());
  RC_ASSERT(records.ok());
  for (const Record& r : *records) out.push_back(r.payload);
  return out;
}

// Appends random records (all acknowledged under `always`), then tears the
// last segment at EVERY byte offset after its header, both ways a crash can
// leave it: the rest of the preallocated segment zeros, or the file cut
// there (a file system that could not preallocate). Recovery must keep
// exactly the whole records before the tear, in every case.
RC_GTEST_PROP(LogProperty, TearAtEveryOffsetKeepsExactlyTheWholeRecordsBeforeIt, ()) {
  const auto payloads = *rc::gen::container<std::vector<std::string>>(
      rc::gen::resize(40, rc::gen::arbitrary<std::string>()));
  const uint64_t segment_bytes = *rc::gen::inRange<uint64_t>(32, 512);
  MemFileSystem fs;
  {
    auto log = Log::Open(kDir, MemOptions(&fs, segment_bytes));
    RC_ASSERT(log.ok());
    for (const std::string& p : payloads) RC_ASSERT((*log)->Append(1, p).ok());
  }
  ScanResult scan = ScanLog(&fs, kDir);
  RC_ASSERT(scan.status.ok());
  RC_ASSERT(!scan.segments.empty());
  const SegmentInfo& last = scan.segments.back();
  const std::string last_path = std::string(kDir) + "/" + last.name;
  const std::string original = fs.Contents(last_path);
  const uint64_t earlier_records = payloads.size() - last.record_count;

  for (uint64_t keep = kSegmentHeaderSize; keep <= last.valid_bytes; ++keep) {
    for (const bool cut : {false, true}) {
      std::string torn = original.substr(0, keep);
      if (!cut) torn.resize(original.size(), '\0');
      // The whole records of the last segment: those the tear left as they
      // were (when the bytes a zero-fill replaced were zeros already, the
      // record is still whole).
      uint64_t whole = 0;
      uint64_t whole_end = kSegmentHeaderSize;
      for (size_t i = 0; i < last.offsets.size(); ++i) {
        const uint64_t end = i + 1 < last.offsets.size() ? last.offsets[i + 1] : last.valid_bytes;
        if (end > torn.size() || torn.compare(0, end, original, 0, end) != 0) break;
        whole = i + 1;
        whole_end = end;
      }
      // What is left of the torn record, up to its last non-zero byte: zeros
      // alone look like preallocated space, not like a tear.
      uint64_t torn_end = torn.size();
      while (torn_end > whole_end && torn[torn_end - 1] == 0) --torn_end;

      fs.SetContents(last_path, torn);
      auto log = Log::Open(kDir, MemOptions(&fs, segment_bytes));
      RC_ASSERT(log.ok());
      const std::vector<std::string> got = ReadAll(**log);
      RC_ASSERT(got.size() == earlier_records + whole);
      RC_ASSERT(std::equal(got.begin(), got.end(), payloads.begin()));
      RC_ASSERT((*log)->recovery().truncated.has_value() == (torn_end > whole_end));
      if (torn_end > whole_end) {
        RC_ASSERT((*log)->recovery().truncated->bytes == torn_end - whole_end);
      }
    }
  }
}

// Appends records, some synced and some not, then a power cut that keeps
// every unsynced byte except one sector-aligned run (the disk wrote later
// blocks of the unsynced writes but not earlier ones). The log must open,
// keep every acknowledged record, and invent nothing.
RC_GTEST_PROP(LogProperty, AHoleInUnsyncedWritesNeverLosesAcknowledgedRecords, ()) {
  const int synced = *rc::gen::inRange(0, 20);
  const int unsynced = *rc::gen::inRange(1, 20);
  const uint64_t hole_sectors = *rc::gen::inRange<uint64_t>(1, 4);
  const uint64_t hole_skip = *rc::gen::inRange<uint64_t>(0, 6);  // sectors into the unsynced bytes
  MemFileSystem fs;
  std::vector<std::string> written;
  {
    auto log = Log::Open(kDir, MemOptions(&fs, 1u << 20));
    RC_ASSERT(log.ok());
    for (int i = 0; i < synced + unsynced; ++i) {
      written.push_back("record-" + std::to_string(i) +
                        std::string(static_cast<size_t>(i * 53 % 400), 'p'));
      if (i < synced) {
        RC_ASSERT((*log)->Append(1, written.back()).ok());
      } else {
        RC_ASSERT((*log)->AppendAsync(1, written.back()).ok());
      }
    }
    fs.CrashWithHole([&](const std::string&, uint64_t begin, uint64_t end) {
      const uint64_t first_sector = (begin + 511) / 512 + hole_skip;
      const uint64_t hole_begin = std::max(begin, first_sector * 512 - (hole_skip == 0 ? 512 : 0));
      return std::pair<uint64_t, uint64_t>{hole_begin,
                                           std::min(end, (first_sector + hole_sectors) * 512)};
    });
  }
  auto reopened = Log::Open(kDir, MemOptions(&fs, 1u << 20));
  RC_ASSERT(reopened.ok());
  const std::vector<std::string> got = ReadAll(**reopened);
  RC_ASSERT(got.size() >= static_cast<size_t>(synced));
  RC_ASSERT(got.size() <= written.size());
  RC_ASSERT(std::equal(got.begin(), got.end(), written.begin()));
  RC_ASSERT((*reopened)->Append(1, "after").ok());
  reopened->reset();
  ScanResult scan = ScanLog(&fs, kDir);
  RC_ASSERT(scan.status.ok());
  RC_ASSERT(!scan.torn_tail.has_value());
}

enum class Op { kAppend, kAppendAsync, kSync, kTruncate, kFailNextSync };

// Random operations, then a crash that keeps the synced bytes plus a random
// part of the unsynced ones (a torn last write anywhere). The recovered
// log must be a prefix of what was written that contains every
// acknowledged record.
RC_GTEST_PROP(LogProperty, CrashKeepsEveryAcknowledgedRecordAndNothingInvented, ()) {
  const auto ops = *rc::gen::container<std::vector<Op>>(rc::gen::weightedElement<Op>({
      {10, Op::kAppend},
      {6, Op::kAppendAsync},
      {2, Op::kSync},
      {1, Op::kTruncate},
      {1, Op::kFailNextSync},
  }));
  const uint64_t segment_bytes = *rc::gen::inRange<uint64_t>(64, 1024);
  const uint32_t seed = *rc::gen::arbitrary<uint32_t>();
  std::mt19937 rng(seed);

  MemFileSystem fs;
  std::vector<std::string> written;  // what may be on disk, in LSN order
  size_t acknowledged = 0;           // records promised durable
  bool poisoned = false;
  {
    auto opened = Log::Open(kDir, MemOptions(&fs, segment_bytes));
    RC_ASSERT(opened.ok());
    Log& log = **opened;
    for (size_t i = 0; i < ops.size(); ++i) {
      const std::string payload = "op" + std::to_string(i) + std::string(i * 37 % 150, 'x');
      switch (ops[i]) {
        case Op::kAppend:
        case Op::kAppendAsync: {
          const bool async = ops[i] == Op::kAppendAsync;
          auto lsn = async ? log.AppendAsync(1, payload) : log.Append(1, payload);
          if (!poisoned) written.push_back(payload);  // its bytes may have reached the file
          if (lsn.ok()) {
            RC_ASSERT(*lsn == written.size());
            if (!async) acknowledged = written.size();
          } else {
            poisoned = true;
          }
          break;
        }
        case Op::kSync:
          if (log.Sync().ok()) {
            acknowledged = written.size();
          } else {
            poisoned = true;
          }
          break;
        case Op::kTruncate: {
          const uint64_t keep = written.empty() ? 0 : rng() % (written.size() + 1);
          if (log.TruncateSuffix(keep).ok()) {
            if (keep < written.size()) {
              written.resize(keep);
              acknowledged = keep;  // truncation syncs what it keeps
            }
          } else {
            poisoned = true;
          }
          break;
        }
        case Op::kFailNextSync:
          fs.FailSyncs(true);
          if (log.Append(1, payload).ok()) RC_FAIL("append succeeded although fsync failed");
          if (!poisoned) written.push_back(payload);
          poisoned = true;
          fs.FailSyncs(false);
          break;
      }
    }
    RC_ASSERT(log.health().ok() == !poisoned);
    // Power loss now: unsynced bytes survive only in part.
    fs.CrashKeeping([&](const std::string&, uint64_t synced, uint64_t size) {
      return synced + (size > synced ? rng() % (size - synced + 1) : 0);
    });
  }

  auto reopened = Log::Open(kDir, MemOptions(&fs, segment_bytes));
  RC_ASSERT(reopened.ok());
  const std::vector<std::string> got = ReadAll(**reopened);
  RC_ASSERT(got.size() >= acknowledged);
  RC_ASSERT(got.size() <= written.size());
  RC_ASSERT(std::equal(got.begin(), got.end(), written.begin()));
  // The recovered log is healthy: it takes appends and reopens cleanly.
  RC_ASSERT((*reopened)->Append(1, "after").ok());
  reopened->reset();
  ScanResult scan = ScanLog(&fs, kDir);
  RC_ASSERT(scan.status.ok());
  RC_ASSERT(!scan.torn_tail.has_value());
  RC_ASSERT(scan.last_lsn == got.size() + 1);
}

}  // namespace
}  // namespace dsc::wal
