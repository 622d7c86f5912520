// Property: whatever the operations, wherever the last flush and the crash
// fall, and however replay is chunked, recovery reaches the fold of the
// log, and a second replay changes nothing.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/replay.h"
#include "engine/test_ops.h"
#include "engine/test_util.h"
#include "wal/log.h"

namespace dsc::engine {
namespace {

using testing::DumpState;
using testing::Fold;
using testing::TempDir;
using testing::TestApplier;
using testing::TestOp;

const std::vector<std::string> kTables = {"tasks", "kv"};

rc::Gen<TestOp> GenOp() {
  return rc::gen::apply(
      [](int type, size_t table, int key, int arg) {
        return TestOp{static_cast<uint8_t>(type), kTables[table], "k" + std::to_string(key),
                      std::to_string(arg) + ";"};
      },
      rc::gen::inRange(1, 5), rc::gen::inRange<size_t>(0, kTables.size()), rc::gen::inRange(0, 4),
      rc::gen::inRange(0, 1000));
}

std::unique_ptr<Engine> OpenEngine(const std::string& dir) {
  EngineOptions options;
  options.column_families = kTables;
  options.flush_on_close = false;  // every close below is a kill -9
  auto engine = Engine::Open(dir, options);
  RC_ASSERT(engine.ok());
  return std::move(engine).value();
}

// What a live node does: apply records from..to of `log`, `chunk` at a time.
void ApplyLive(wal::Log& log, Engine& engine, uint64_t from, uint64_t to, size_t chunk) {
  const Applier apply = TestApplier(engine);
  while (from <= to) {
    const size_t count = std::min<uint64_t>(chunk, to - from + 1);
    Result<std::vector<wal::Record>> records = log.Read(from, count);
    RC_ASSERT(records.ok());
    Batch batch;
    for (const wal::Record& record : *records) RC_ASSERT(apply(record, batch).ok());
    RC_ASSERT(engine.Apply(batch, records->back().lsn).ok());
    from = records->back().lsn + 1;
  }
}

RC_GTEST_PROP(ReplayLogProperty, CrashAnywhere_ReplayEqualsFoldOfLog, ()) {
  const auto ops = *rc::gen::resize(60, rc::gen::container<std::vector<TestOp>>(GenOp()));
  const uint64_t n = ops.size();
  const uint64_t flush_at = *rc::gen::inRange<uint64_t>(0, n + 1);
  const uint64_t crash_at = *rc::gen::inRange<uint64_t>(flush_at, n + 1);
  const size_t live_chunk = *rc::gen::inRange<size_t>(1, 8);
  const size_t replay_chunk = *rc::gen::inRange<size_t>(1, 20);

  TempDir tmp;
  wal::LogOptions log_options;
  log_options.system = "test";
  log_options.durability = wal::DurabilityPolicy::Never();
  auto log = wal::Log::Open(tmp.Sub("wal"), log_options);
  RC_ASSERT(log.ok());
  for (const TestOp& op : ops) RC_ASSERT((*log)->Append(op.type, testing::EncodeTestOp(op)).ok());

  {
    auto engine = OpenEngine(tmp.Sub("db"));
    ApplyLive(**log, *engine, 1, flush_at, live_chunk);
    RC_ASSERT(engine->Flush().ok());
    ApplyLive(**log, *engine, flush_at + 1, crash_at, live_chunk);
  }  // crash

  auto engine = OpenEngine(tmp.Sub("db"));
  RC_ASSERT(engine->applied_lsn() >= flush_at);
  RC_ASSERT(engine->applied_lsn() <= crash_at);
  RC_ASSERT(ReplayLog(**log, *engine, TestApplier(*engine), replay_chunk).ok());
  RC_ASSERT(engine->applied_lsn() == n);
  const auto once = DumpState(*engine);
  RC_ASSERT(once == Fold(ops));

  Result<ReplayReport> again = ReplayLog(**log, *engine, TestApplier(*engine), replay_chunk);
  RC_ASSERT(again.ok());
  RC_ASSERT(again->records == 0u);
  RC_ASSERT(DumpState(*engine) == once);
}

}  // namespace
}  // namespace dsc::engine
