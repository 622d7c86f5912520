#include "engine/replay.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/test_ops.h"
#include "engine/test_util.h"
#include "wal/log.h"

namespace dsc::engine {
namespace {

using testing::DumpState;
using testing::Fold;
using testing::StateMap;
using testing::TablesOptions;
using testing::TempDir;
using testing::TestApplier;
using testing::TestOp;

const std::vector<std::string> kTables = {"tasks", "kv"};

std::unique_ptr<wal::Log> OpenLog(const std::string& dir, uint64_t segment_bytes = 16u << 20,
                                  uint64_t first_lsn = 1) {
  wal::LogOptions options;
  options.system = "test";
  options.durability = wal::DurabilityPolicy::Never();  // survives kill -9; enough here
  options.segment_bytes = segment_bytes;
  options.first_lsn = first_lsn;
  Result<std::unique_ptr<wal::Log>> log = wal::Log::Open(dir, options);
  EXPECT_TRUE(log.ok()) << log.status().ToString();
  return log.ok() ? std::move(log).value() : nullptr;
}

std::unique_ptr<Engine> OpenEngine(const std::string& dir, bool flush_on_close = true) {
  EngineOptions options = TablesOptions(kTables);
  options.flush_on_close = flush_on_close;  // false: closing is a kill -9
  Result<std::unique_ptr<Engine>> engine = Engine::Open(dir, options);
  EXPECT_TRUE(engine.ok()) << engine.status().ToString();
  return engine.ok() ? std::move(engine).value() : nullptr;
}

// A deterministic mix of every op type over a few keys, so later records
// overwrite, delete and extend earlier ones.
std::vector<TestOp> MakeOps(size_t n, size_t offset = 0) {
  std::vector<TestOp> ops;
  for (size_t j = 0; j < n; ++j) {
    const size_t i = j + offset;
    TestOp op;
    op.type = static_cast<uint8_t>(1 + (i * 7) % 4);
    op.table = kTables[i % 2];
    op.key = "k" + std::to_string(i % 5);
    op.arg = std::to_string(i) + ";";
    ops.push_back(op);
  }
  return ops;
}

void Append(wal::Log& log, const std::vector<TestOp>& ops) {
  for (const TestOp& op : ops) {
    Result<uint64_t> lsn = log.Append(op.type, testing::EncodeTestOp(op));
    ASSERT_TRUE(lsn.ok()) << lsn.status().ToString();
  }
}

std::vector<TestOp> Concat(std::vector<TestOp> a, const std::vector<TestOp>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

Result<ReplayReport> Replay(wal::Log& log, Engine& engine, size_t batch_records = 1024) {
  return ReplayLog(log, engine, TestApplier(engine), batch_records);
}

TEST(ReplayLog, EmptyLog_NothingToDo) {
  TempDir tmp;
  auto log = OpenLog(tmp.Sub("wal"));
  auto engine = OpenEngine(tmp.Sub("db"));
  Result<ReplayReport> report = Replay(*log, *engine);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->records, 0u);
  EXPECT_EQ(report->from_lsn, 1u);
  EXPECT_EQ(report->to_lsn, 0u);
  EXPECT_EQ(report->batches, 0u);
}

TEST(ReplayLog, AppliesEveryRecordInChunks) {
  TempDir tmp;
  auto log = OpenLog(tmp.Sub("wal"));
  auto engine = OpenEngine(tmp.Sub("db"));
  const std::vector<TestOp> ops = MakeOps(100);
  Append(*log, ops);

  Result<ReplayReport> report = Replay(*log, *engine, /*batch_records=*/7);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->records, 100u);
  EXPECT_EQ(report->from_lsn, 1u);
  EXPECT_EQ(report->to_lsn, 100u);
  EXPECT_EQ(report->batches, 15u);  // 14 chunks of 7, one of 2
  EXPECT_EQ(engine->applied_lsn(), 100u);
  EXPECT_EQ(DumpState(*engine), Fold(ops));
}

TEST(ReplayLog, Twice_SameAsOnce) {
  TempDir tmp;
  auto log = OpenLog(tmp.Sub("wal"));
  auto engine = OpenEngine(tmp.Sub("db"));
  const std::vector<TestOp> ops = MakeOps(50);
  Append(*log, ops);
  ASSERT_TRUE(Replay(*log, *engine, 8).ok());
  const StateMap once = DumpState(*engine);

  Result<ReplayReport> again = Replay(*log, *engine, 3);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->records, 0u);
  EXPECT_EQ(again->from_lsn, 51u);
  EXPECT_EQ(DumpState(*engine), once);
  EXPECT_EQ(once, Fold(ops));
}

TEST(ReplayLog, ChunkSizeDoesNotChangeTheResult) {
  TempDir tmp;
  auto log = OpenLog(tmp.Sub("wal"));
  const std::vector<TestOp> ops = MakeOps(60);
  Append(*log, ops);
  for (size_t batch_records : {1, 2, 5, 60, 1000}) {
    auto engine = OpenEngine(tmp.Sub("db" + std::to_string(batch_records)));
    ASSERT_TRUE(Replay(*log, *engine, batch_records).ok());
    EXPECT_EQ(DumpState(*engine), Fold(ops)) << "batch_records " << batch_records;
  }
}

TEST(ReplayLog, ResumesAfterLiveApplies) {
  TempDir tmp;
  auto log = OpenLog(tmp.Sub("wal"));
  auto engine = OpenEngine(tmp.Sub("db"));
  const std::vector<TestOp> first = MakeOps(20);
  Append(*log, first);
  ASSERT_TRUE(Replay(*log, *engine).ok());
  const std::vector<TestOp> second = MakeOps(15, 20);
  Append(*log, second);

  Result<ReplayReport> report = Replay(*log, *engine);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->from_lsn, 21u);
  EXPECT_EQ(report->records, 15u);
  EXPECT_EQ(DumpState(*engine), Fold(Concat(first, second)));
}

// The default options' crash: RocksDB's WAL is off, so a kill -9 loses the
// memtable; the engine comes back at its last flush and replay redoes the
// rest, reaching exactly the state a crash-free run has.
TEST(ReplayLog, AfterCrashWithoutFlush_RebuildsIdenticalState) {
  TempDir tmp;
  auto log = OpenLog(tmp.Sub("wal"));
  const std::vector<TestOp> before_flush = MakeOps(40);
  const std::vector<TestOp> after_flush = MakeOps(60, 40);
  {
    auto engine = OpenEngine(tmp.Sub("db"), /*flush_on_close=*/false);
    Append(*log, before_flush);
    ASSERT_TRUE(Replay(*log, *engine, 16).ok());
    ASSERT_EQ(engine->Flush().value(), 40u);
    Append(*log, after_flush);
    ASSERT_TRUE(Replay(*log, *engine, 16).ok());
    ASSERT_EQ(engine->applied_lsn(), 100u);
  }  // crash: records 41..100 were only in the memtable

  auto engine = OpenEngine(tmp.Sub("db"), /*flush_on_close=*/false);
  EXPECT_EQ(engine->applied_lsn(), 40u);
  EXPECT_EQ(DumpState(*engine), Fold(before_flush));
  Result<ReplayReport> report = Replay(*log, *engine, 16);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->from_lsn, 41u);
  EXPECT_EQ(report->records, 60u);
  EXPECT_EQ(DumpState(*engine), Fold(Concat(before_flush, after_flush)));
}

TEST(ReplayLog, FreshEngineDirectory_RebuildsFromScratch) {
  TempDir tmp;
  auto log = OpenLog(tmp.Sub("wal"));
  const std::vector<TestOp> ops = MakeOps(30);
  Append(*log, ops);
  StateMap first;
  {
    auto engine = OpenEngine(tmp.Sub("db1"));
    ASSERT_TRUE(Replay(*log, *engine).ok());
    first = DumpState(*engine);
  }
  auto engine = OpenEngine(tmp.Sub("db2"));
  ASSERT_TRUE(Replay(*log, *engine, 4).ok());
  EXPECT_EQ(DumpState(*engine), first);
}

// The rule that makes rocksdb_wal=off safe, end to end: drop the log only
// below what Flush() returned, and a later crash still recovers.
TEST(ReplayLog, DropPrefixBelowFlushedLsn_StillRecovers) {
  TempDir tmp;
  auto log = OpenLog(tmp.Sub("wal"), /*segment_bytes=*/256);
  const std::vector<TestOp> first = MakeOps(50);
  const std::vector<TestOp> second = MakeOps(20, 50);
  {
    auto engine = OpenEngine(tmp.Sub("db"), /*flush_on_close=*/false);
    Append(*log, first);
    ASSERT_TRUE(Replay(*log, *engine).ok());
    Result<uint64_t> covered = engine->Flush();
    ASSERT_TRUE(covered.ok());
    ASSERT_TRUE(log->DropPrefix(*covered + 1).ok());
    EXPECT_GT(log->first_lsn(), 1u);  // segments really went away
    Append(*log, second);
    ASSERT_TRUE(Replay(*log, *engine).ok());
  }  // crash
  auto engine = OpenEngine(tmp.Sub("db"));
  Result<ReplayReport> report = Replay(*log, *engine);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(DumpState(*engine), Fold(Concat(first, second)));
}

TEST(ReplayLog, LogCompactedPastAppliedLsn_Corruption) {
  TempDir tmp;
  auto log = OpenLog(tmp.Sub("wal"), /*segment_bytes=*/256);
  Append(*log, MakeOps(50));
  ASSERT_TRUE(log->DropPrefix(40).ok());
  ASSERT_GT(log->first_lsn(), 1u);
  auto engine = OpenEngine(tmp.Sub("db"));  // applied nothing yet
  Result<ReplayReport> report = Replay(*log, *engine);
  ASSERT_TRUE(report.status().IsCorruption()) << report.status().ToString();
  EXPECT_NE(report.status().message().find("dropped from the log"), std::string::npos)
      << report.status().message();
  EXPECT_EQ(engine->applied_lsn(), 0u);
}

TEST(ReplayLog, LogStartsAboveAppliedLsn_Corruption) {
  TempDir tmp;
  auto log = OpenLog(tmp.Sub("wal"), 16u << 20, /*first_lsn=*/10);
  Append(*log, MakeOps(5));
  auto engine = OpenEngine(tmp.Sub("db"));
  EXPECT_TRUE(Replay(*log, *engine).status().IsCorruption());
}

TEST(ReplayLog, LogShorterThanState_Corruption) {
  TempDir tmp;
  auto log = OpenLog(tmp.Sub("wal"));
  Append(*log, MakeOps(3));
  auto engine = OpenEngine(tmp.Sub("db"));
  ASSERT_TRUE(engine->Apply(Batch(), 10).ok());
  Result<ReplayReport> report = Replay(*log, *engine);
  ASSERT_TRUE(report.status().IsCorruption()) << report.status().ToString();
  EXPECT_NE(report.status().message().find("lost records"), std::string::npos);
}

TEST(ReplayLog, ApplierError_StopsAfterLastGoodChunk) {
  TempDir tmp;
  auto log = OpenLog(tmp.Sub("wal"));
  std::vector<TestOp> ops = MakeOps(8);
  ops[4].type = 9;  // LSN 5: a type the applier does not know
  Append(*log, ops);
  auto engine = OpenEngine(tmp.Sub("db"));
  Result<ReplayReport> report = Replay(*log, *engine, /*batch_records=*/2);
  ASSERT_TRUE(report.status().IsCorruption()) << report.status().ToString();
  EXPECT_NE(report.status().message().find("LSN 5"), std::string::npos)
      << report.status().message();
  EXPECT_EQ(engine->applied_lsn(), 4u);  // chunks 1-2 and 3-4 stay applied
}

TEST(ReplayLog, ApplierNamesUnknownColumnFamily_InvalidArgument) {
  TempDir tmp;
  auto log = OpenLog(tmp.Sub("wal"));
  TestOp op{TestOp::kPut, "nope", "k", "v"};
  Append(*log, {op});
  auto engine = OpenEngine(tmp.Sub("db"));
  EXPECT_TRUE(Replay(*log, *engine).status().IsInvalidArgument());
  EXPECT_EQ(engine->applied_lsn(), 0u);
}

TEST(ReplayLog, ZeroBatchRecords_InvalidArgument) {
  TempDir tmp;
  auto log = OpenLog(tmp.Sub("wal"));
  auto engine = OpenEngine(tmp.Sub("db"));
  EXPECT_TRUE(Replay(*log, *engine, 0).status().IsInvalidArgument());
}

}  // namespace
}  // namespace dsc::engine
