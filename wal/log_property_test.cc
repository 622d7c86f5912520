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
// last segment at EVERY byte offset: recovery must keep exactly the whole
// records before the tear, in every case.
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

  for (uint64_t keep = 0; keep <= original.size(); ++keep) {
    fs.SetContents(last_path, original.substr(0, keep));
    // Whole records of the last segment that end at or before `keep`.
    uint64_t whole = 0;
    uint64_t whole_end = 0;
    for (size_t i = 0; i < last.offsets.size(); ++i) {
      const uint64_t end = i + 1 < last.offsets.size() ? last.offsets[i + 1] : last.valid_bytes;
      if (end <= keep) {
        whole = i + 1;
        whole_end = end;
      }
    }
    auto log = Log::Open(kDir, MemOptions(&fs, segment_bytes));
    RC_ASSERT(log.ok());
    const std::vector<std::string> got = ReadAll(**log);
    RC_ASSERT(got.size() == earlier_records + whole);
    RC_ASSERT(std::equal(got.begin(), got.end(), payloads.begin()));
    // A tear between record boundaries is reported and cut; one exactly on
    // a boundary leaves nothing to cut.
    const bool torn = keep != whole_end;
    RC_ASSERT((*log)->recovery().truncated.has_value() == torn);
    if (torn) RC_ASSERT((*log)->recovery().truncated->bytes == keep - whole_end);
  }
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
