#include "engine/engine.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "engine/test_util.h"

namespace dsc::engine {
namespace {

using testing::DumpState;
using testing::StateMap;
using testing::TablesOptions;
using testing::TempDir;

std::unique_ptr<Engine> OpenOrDie(const std::string& dir, const EngineOptions& options) {
  Result<std::unique_ptr<Engine>> engine = Engine::Open(dir, options);
  EXPECT_TRUE(engine.ok()) << engine.status().ToString();
  return engine.ok() ? std::move(engine).value() : nullptr;
}

Batch PutBatch(const std::string& cf, const std::string& key, const std::string& value) {
  Batch batch;
  batch.Put(cf, key, value);
  return batch;
}

// Applies LSNs from..to, each putting "k<lsn>" = "v<lsn>" into "kv".
void ApplyRange(Engine& engine, uint64_t from, uint64_t to) {
  for (uint64_t lsn = from; lsn <= to; ++lsn) {
    Status s =
        engine.Apply(PutBatch("kv", "k" + std::to_string(lsn), "v" + std::to_string(lsn)), lsn);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
}

TEST(EngineOpen, FreshDirectory_EmptyTablesAtLsnZero) {
  TempDir tmp;
  auto engine = OpenOrDie(tmp.Sub("db"), TablesOptions({"tasks", "kv"}));
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(engine->applied_lsn(), 0u);
  EXPECT_EQ(engine->durable_applied_lsn(), 0u);
  EXPECT_EQ(engine->column_families(), (std::vector<std::string>{"tasks", "kv"}));
  EXPECT_TRUE(engine->Get("tasks", "x").status().IsNotFound());
  EXPECT_TRUE(engine->health().ok());
}

TEST(EngineOpen, BadColumnFamilyNames_InvalidArgument) {
  TempDir tmp;
  for (const auto& tables :
       std::vector<std::vector<std::string>>{{""}, {"meta"}, {"default"}, {"kv", "kv"}}) {
    Result<std::unique_ptr<Engine>> engine = Engine::Open(tmp.Sub("db"), TablesOptions(tables));
    EXPECT_TRUE(engine.status().IsInvalidArgument()) << engine.status().ToString();
  }
}

TEST(EngineOpen, MissingDatabaseWithoutCreate_NotFound) {
  TempDir tmp;
  EngineOptions options = TablesOptions({"kv"});
  options.create_if_missing = false;
  EXPECT_TRUE(Engine::Open(tmp.Sub("db"), options).status().IsNotFound());
}

TEST(EngineOpen, SecondOpenOfSameDirectory_Fails) {
  TempDir tmp;
  auto first = OpenOrDie(tmp.Sub("db"), TablesOptions({"kv"}));
  EXPECT_FALSE(Engine::Open(tmp.Sub("db"), TablesOptions({"kv"})).ok());
}

TEST(EngineOpen, UnlistedColumnFamilies_KeptButUnreachable) {
  TempDir tmp;
  {
    auto engine = OpenOrDie(tmp.Sub("db"), TablesOptions({"kv", "old"}));
    ASSERT_TRUE(engine->Apply(PutBatch("old", "a", "1"), 1).ok());
  }
  {
    auto engine = OpenOrDie(tmp.Sub("db"), TablesOptions({"kv"}));
    ASSERT_NE(engine, nullptr);
    EXPECT_TRUE(engine->Get("old", "a").status().IsInvalidArgument());
  }
  auto engine = OpenOrDie(tmp.Sub("db"), TablesOptions({"old", "kv"}));
  EXPECT_EQ(engine->Get("old", "a").value(), "1");
}

TEST(EngineGet, UnknownOrInternalColumnFamily_InvalidArgument) {
  TempDir tmp;
  auto engine = OpenOrDie(tmp.Sub("db"), TablesOptions({"kv"}));
  EXPECT_TRUE(engine->Get("nope", "a").status().IsInvalidArgument());
  EXPECT_TRUE(engine->Get("meta", "applied_lsn").status().IsInvalidArgument());
  Status s = engine->Scan("nope", KeyRange::All(), [](auto, auto) { return true; });
  EXPECT_TRUE(s.IsInvalidArgument());
}

TEST(EngineApply, PutGetPerColumnFamily) {
  TempDir tmp;
  auto engine = OpenOrDie(tmp.Sub("db"), TablesOptions({"tasks", "kv"}));
  Batch batch;
  batch.Put("tasks", "k", "a task");
  batch.Put("kv", "k", "a value");
  ASSERT_TRUE(engine->Apply(batch, 1).ok());
  EXPECT_EQ(engine->Get("tasks", "k").value(), "a task");
  EXPECT_EQ(engine->Get("kv", "k").value(), "a value");
  EXPECT_EQ(engine->applied_lsn(), 1u);
}

TEST(EngineApply, DeleteRemovesKey) {
  TempDir tmp;
  auto engine = OpenOrDie(tmp.Sub("db"), TablesOptions({"kv"}));
  ASSERT_TRUE(engine->Apply(PutBatch("kv", "k", "v"), 1).ok());
  Batch batch;
  batch.Delete("kv", "k");
  ASSERT_TRUE(engine->Apply(batch, 2).ok());
  EXPECT_TRUE(engine->Get("kv", "k").status().IsNotFound());
}

TEST(EngineApply, LastOperationOnAKeyWins) {
  TempDir tmp;
  auto engine = OpenOrDie(tmp.Sub("db"), TablesOptions({"kv"}));
  Batch batch;
  batch.Put("kv", "k", "1");
  batch.Delete("kv", "k");
  batch.Put("kv", "k", "3");
  ASSERT_TRUE(engine->Apply(batch, 1).ok());
  EXPECT_EQ(engine->Get("kv", "k").value(), "3");
}

TEST(EngineApply, UnknownColumnFamily_WritesNothing) {
  TempDir tmp;
  auto engine = OpenOrDie(tmp.Sub("db"), TablesOptions({"kv"}));
  Batch batch;
  batch.Put("kv", "good", "1");
  batch.Put("meta", "applied_lsn", "sneaky");  // internal: not a table
  EXPECT_TRUE(engine->Apply(batch, 1).IsInvalidArgument());
  batch.Clear();
  batch.Put("kv", "good", "1");
  batch.Put("typo", "x", "1");
  EXPECT_TRUE(engine->Apply(batch, 1).IsInvalidArgument());
  EXPECT_TRUE(engine->Get("kv", "good").status().IsNotFound());
  EXPECT_EQ(engine->applied_lsn(), 0u);
}

TEST(EngineApply, LsnThatDoesNotAdvance_InvalidArgument) {
  TempDir tmp;
  auto engine = OpenOrDie(tmp.Sub("db"), TablesOptions({"kv"}));
  EXPECT_TRUE(engine->Apply(PutBatch("kv", "a", "0"), 0).IsInvalidArgument());
  ASSERT_TRUE(engine->Apply(PutBatch("kv", "a", "5"), 5).ok());
  EXPECT_TRUE(engine->Apply(PutBatch("kv", "a", "again"), 5).IsInvalidArgument());
  EXPECT_TRUE(engine->Apply(PutBatch("kv", "a", "older"), 4).IsInvalidArgument());
  EXPECT_EQ(engine->Get("kv", "a").value(), "5");
  EXPECT_EQ(engine->applied_lsn(), 5u);
}

TEST(EngineApply, EmptyBatchAdvancesLsn) {
  TempDir tmp;
  auto engine = OpenOrDie(tmp.Sub("db"), TablesOptions({"kv"}));
  ASSERT_TRUE(engine->Apply(Batch(), 7).ok());
  EXPECT_EQ(engine->applied_lsn(), 7u);
}

TEST(EngineApply, ReopenSeesDataAndLsnTogether) {
  TempDir tmp;
  {
    auto engine = OpenOrDie(tmp.Sub("db"), TablesOptions({"tasks", "kv"}));
    ApplyRange(*engine, 1, 3);
    ASSERT_TRUE(engine->Close().ok());  // a clean close flushes
  }
  auto engine = OpenOrDie(tmp.Sub("db"), TablesOptions({"tasks", "kv"}));
  EXPECT_EQ(engine->applied_lsn(), 3u);
  EXPECT_EQ(engine->durable_applied_lsn(), 3u);
  EXPECT_EQ(engine->Get("kv", "k3").value(), "v3");
}

TEST(EngineGet, WithBatch_SeesUnappliedWritesFirst) {
  TempDir tmp;
  auto engine = OpenOrDie(tmp.Sub("db"), TablesOptions({"kv"}));
  Batch applied;
  applied.Put("kv", "stored", "old");
  applied.Put("kv", "doomed", "x");
  ASSERT_TRUE(engine->Apply(applied, 1).ok());

  Batch pending;
  pending.Put("kv", "stored", "new");
  pending.Delete("kv", "doomed");
  EXPECT_EQ(engine->Get("kv", "stored", pending).value(), "new");
  EXPECT_TRUE(engine->Get("kv", "doomed", pending).status().IsNotFound());
  EXPECT_TRUE(engine->Get("kv", "never", pending).status().IsNotFound());
  EXPECT_EQ(engine->Get("kv", "stored").value(), "old");  // pending is not applied
}

class EngineScanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = OpenOrDie(tmp_.Sub("db"), TablesOptions({"tasks", "kv"}));
    ASSERT_NE(engine_, nullptr);
    Batch batch;
    for (std::string key : {"task/1", "task/2", "task/3", "task0", "tas", "z"}) {
      batch.Put("tasks", key, "v:" + key);
    }
    batch.Put("tasks", std::string("\xff\x01", 2), "high");
    batch.Put("kv", "task/9", "other table");
    ASSERT_TRUE(engine_->Apply(batch, 1).ok());
  }

  std::vector<std::string> Keys(const KeyRange& range) {
    std::vector<std::string> keys;
    Status s = engine_->Scan("tasks", range, [&](std::string_view key, std::string_view) {
      keys.emplace_back(key);
      return true;
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return keys;
  }

  TempDir tmp_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineScanTest, Prefix_OnlyMatchingKeysOfThatTable) {
  EXPECT_EQ(Keys(KeyRange::Prefix("task/")),
            (std::vector<std::string>{"task/1", "task/2", "task/3"}));
}

TEST_F(EngineScanTest, Range_HalfOpen) {
  EXPECT_EQ(Keys(KeyRange{"task/2", "task0"}), (std::vector<std::string>{"task/2", "task/3"}));
}

TEST_F(EngineScanTest, All_InUnsignedByteOrder) {
  EXPECT_EQ(Keys(KeyRange::All()),
            (std::vector<std::string>{"tas", "task/1", "task/2", "task/3", "task0", "z",
                                      std::string("\xff\x01", 2)}));
  EXPECT_EQ(Keys(KeyRange::Prefix("\xff")), (std::vector<std::string>{std::string("\xff\x01", 2)}));
}

TEST_F(EngineScanTest, VisitorReturnsFalse_StopsEarly) {
  int visited = 0;
  Status s = engine_->Scan("tasks", KeyRange::All(),
                           [&](std::string_view, std::string_view) { return ++visited < 2; });
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(visited, 2);
}

TEST(EngineFlush, ReturnsCoveredLsn) {
  TempDir tmp;
  auto engine = OpenOrDie(tmp.Sub("db"), TablesOptions({"kv"}));
  ApplyRange(*engine, 1, 4);
  EXPECT_EQ(engine->durable_applied_lsn(), 0u);
  Result<uint64_t> covered = engine->Flush();
  ASSERT_TRUE(covered.ok()) << covered.status().ToString();
  EXPECT_EQ(*covered, 4u);
  EXPECT_EQ(engine->durable_applied_lsn(), 4u);
}

// The crash the default options are designed for: with RocksDB's WAL off a
// kill -9 loses the memtable. What survives is the last flushed checkpoint,
// with data and LSN still matching each other.
TEST(EngineCrash, RocksDbWalOff_CloseWithoutFlushKeepsLastFlushedCheckpoint) {
  TempDir tmp;
  EngineOptions options = TablesOptions({"tasks", "kv"});
  options.flush_on_close = false;  // simulate kill -9
  StateMap flushed_state;
  {
    auto engine = OpenOrDie(tmp.Sub("db"), options);
    ApplyRange(*engine, 1, 5);
    ASSERT_EQ(engine->Flush().value(), 5u);
    flushed_state = DumpState(*engine);
    ApplyRange(*engine, 6, 8);
  }
  auto engine = OpenOrDie(tmp.Sub("db"), options);
  EXPECT_EQ(engine->applied_lsn(), 5u);
  EXPECT_EQ(DumpState(*engine), flushed_state);
  EXPECT_TRUE(engine->Get("kv", "k6").status().IsNotFound());
}

TEST(EngineCrash, RocksDbWalOn_CloseWithoutFlushKeepsEverything) {
  TempDir tmp;
  EngineOptions options = TablesOptions({"kv"});
  options.rocksdb_wal = true;
  options.flush_on_close = false;
  {
    auto engine = OpenOrDie(tmp.Sub("db"), options);
    ApplyRange(*engine, 1, 8);
  }
  auto engine = OpenOrDie(tmp.Sub("db"), options);
  EXPECT_EQ(engine->applied_lsn(), 8u);
  EXPECT_EQ(engine->Get("kv", "k8").value(), "v8");
}

TEST(EngineClose, IdempotentAndLaterCallsUnavailable) {
  TempDir tmp;
  auto engine = OpenOrDie(tmp.Sub("db"), TablesOptions({"kv"}));
  ASSERT_TRUE(engine->Close().ok());
  EXPECT_TRUE(engine->Close().ok());
  EXPECT_TRUE(engine->Get("kv", "a").status().IsUnavailable());
  EXPECT_TRUE(engine->Apply(Batch(), 1).IsUnavailable());
  EXPECT_TRUE(engine->Flush().status().IsUnavailable());
  EXPECT_TRUE(engine->health().IsUnavailable());
}

// A failed flush (here: the directory vanished under the engine) poisons
// it; later writes are refused, and closing it must not crash.
TEST(EngineClose, AfterFailedFlush_PoisonedAndClosesCleanly) {
  TempDir tmp;
  auto engine = OpenOrDie(tmp.Sub("db"), TablesOptions({"kv"}));
  ApplyRange(*engine, 1, 2);
  std::filesystem::remove_all(tmp.Sub("db"));
  Result<uint64_t> flushed = engine->Flush();
  ASSERT_FALSE(flushed.ok());
  EXPECT_TRUE(flushed.status().IsPoisoned()) << flushed.status().ToString();
  EXPECT_TRUE(engine->health().IsPoisoned());
  EXPECT_TRUE(engine->Apply(PutBatch("kv", "a", "b"), 3).IsPoisoned());
  EXPECT_EQ(engine->durable_applied_lsn(), 0u);
  EXPECT_EQ(engine->Get("kv", "k1").value(), "v1");  // reads still work
  (void)engine->Close();
  engine.reset();
}

}  // namespace
}  // namespace dsc::engine
