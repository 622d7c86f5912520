// Process-level crash test: a child process appends records to a real
// wal::Log and applies them to a real Engine (default options: RocksDB's
// WAL off, a Flush now and then), and the parent SIGKILLs it at a random
// moment. Several kill/restart rounds later, replay must give exactly the
// fold of every record in the log: nothing lost, nothing applied twice.
//
// This binary holds one test on purpose: fork() copies only the calling
// thread, so the parent must not have started RocksDB's background threads
// before forking a child that uses RocksDB.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <random>
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
constexpr uint64_t kFlushEvery = 37;
constexpr uint64_t kMaxRecordsPerChild = 100000;

// The op written at `lsn`: a deterministic mix, read-modify-writes included.
TestOp OpFor(uint64_t lsn) {
  TestOp op;
  op.type = static_cast<uint8_t>(1 + (lsn * 7) % 4);
  op.table = kTables[lsn % 2];
  op.key = "k" + std::to_string(lsn % 11);
  op.arg = std::to_string(lsn) + ";";
  return op;
}

wal::LogOptions LogOptionsForTest() {
  wal::LogOptions options;
  options.system = "test";
  // The kernel keeps written bytes of a killed process, so `never` loses
  // nothing to SIGKILL; power loss is the WAL tests' business.
  options.durability = wal::DurabilityPolicy::Never();
  return options;
}

EngineOptions EngineOptionsForTest() {
  EngineOptions options;
  options.column_families = kTables;
  return options;  // rocksdb_wal off: the memtable dies with the process
}

// The child: recover like a node, then write until killed. Reports each
// applied record with one byte on `progress_fd`. Never returns.
[[noreturn]] void RunChild(const std::string& wal_dir, const std::string& db_dir, int progress_fd) {
  auto log = wal::Log::Open(wal_dir, LogOptionsForTest());
  if (!log.ok()) _exit(10);
  auto engine = Engine::Open(db_dir, EngineOptionsForTest());
  if (!engine.ok()) _exit(11);
  const Applier apply = TestApplier(**engine);
  if (!ReplayLog(**log, **engine, apply, 64).ok()) _exit(12);

  for (uint64_t i = 0; i < kMaxRecordsPerChild; ++i) {
    const uint64_t lsn = (*log)->last_lsn() + 1;
    const TestOp op = OpFor(lsn);
    wal::Record record{lsn, op.type, testing::EncodeTestOp(op)};
    Result<uint64_t> appended = (*log)->Append(record.type, record.payload);
    if (!appended.ok() || *appended != lsn) _exit(13);
    Batch batch;  // log first, then state: the order every node uses
    if (!apply(record, batch).ok()) _exit(14);
    if (!(*engine)->Apply(batch, lsn).ok()) _exit(15);
    if (lsn % kFlushEvery == 0 && !(*engine)->Flush().ok()) _exit(16);
    const char tick = 1;
    if (write(progress_fd, &tick, 1) != 1) _exit(17);
  }
  _exit(0);
}

TEST(EngineKill, SigkillAtRandomMoments_ReplayEqualsFoldOfLog) {
  TempDir tmp;
  const std::string wal_dir = tmp.Sub("wal");
  const std::string db_dir = tmp.Sub("db");
  std::mt19937_64 rng(20240611);  // seeded: a failure replays the same kill points

  constexpr int kRounds = 6;
  for (int round = 0; round < kRounds; ++round) {
    const uint64_t kill_after = std::uniform_int_distribution<uint64_t>(1, 400)(rng);
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      RunChild(wal_dir, db_dir, fds[1]);
    }
    close(fds[1]);
    uint64_t seen = 0;
    char buffer[256];
    while (seen < kill_after) {
      const ssize_t n = read(fds[0], buffer, sizeof(buffer));
      if (n <= 0) break;  // the child exited on its own: its status says why
      seen += static_cast<uint64_t>(n);
    }
    kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    close(fds[0]);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "round " << round << ": child exited early with status " << status;
  }

  // Recover in this process and compare with the model.
  auto log = wal::Log::Open(wal_dir, LogOptionsForTest());
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  auto engine = Engine::Open(db_dir, EngineOptionsForTest());
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  const uint64_t last = (*log)->last_lsn();
  ASSERT_GT(last, 0u);
  EXPECT_LE((*engine)->applied_lsn(), last);

  Result<ReplayReport> report = ReplayLog(**log, **engine, TestApplier(**engine));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ((*engine)->applied_lsn(), last);

  std::vector<TestOp> ops;
  for (uint64_t lsn = 1; lsn <= last; ++lsn) ops.push_back(OpFor(lsn));
  EXPECT_EQ(DumpState(**engine), Fold(ops)) << "after " << last << " records";
}

}  // namespace
}  // namespace dsc::engine
