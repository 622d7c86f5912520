// Group commit: concurrent appenders under `always` share one write and
// one fdatasync.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <thread>

#include "wal/log.h"
#include "wal/mem_file_system.h"

namespace dsc::wal {
namespace {

// Wraps MemFileSystem so a test can hold every segment fsync at a gate and
// know when one is waiting there.
class GatedFileSystem final : public FileSystem {
 public:
  class GatedFile final : public WritableFile {
   public:
    GatedFile(GatedFileSystem* fs, std::unique_ptr<WritableFile> inner)
        : fs_(fs), inner_(std::move(inner)) {}
    Status Append(std::string_view data) override { return inner_->Append(data); }
    Status Sync() override {
      fs_->WaitAtGate();
      return inner_->Sync();
    }
    Status Truncate(uint64_t size) override { return inner_->Truncate(size); }
    uint64_t Size() const override { return inner_->Size(); }

   private:
    GatedFileSystem* fs_;
    std::unique_ptr<WritableFile> inner_;
  };

  Result<std::unique_ptr<WritableFile>> OpenWritable(const std::string& path) override {
    auto inner = mem_.OpenWritable(path);
    if (!inner.ok()) return inner.status();
    return std::unique_ptr<WritableFile>(new GatedFile(this, std::move(*inner)));
  }
  Result<std::unique_ptr<RandomAccessFile>> OpenReadable(const std::string& p) override {
    return mem_.OpenReadable(p);
  }
  Result<uint64_t> FileSize(const std::string& p) override { return mem_.FileSize(p); }
  Result<std::vector<std::string>> ListDir(const std::string& d) override { return mem_.ListDir(d); }
  Status CreateDir(const std::string& d) override { return mem_.CreateDir(d); }
  Status SyncDir(const std::string& d) override { return mem_.SyncDir(d); }
  Status Remove(const std::string& p) override { return mem_.Remove(p); }
  Status Rename(const std::string& a, const std::string& b) override { return mem_.Rename(a, b); }
  Result<std::unique_ptr<DirLock>> LockDir(const std::string& d) override { return mem_.LockDir(d); }

  void Close() {
    std::lock_guard lock(mutex_);
    open_ = false;
  }
  void Open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    cv_.notify_all();
  }
  // Blocks until a sync is waiting at the closed gate.
  void AwaitWaiter() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return waiting_ > 0; });
  }

 private:
  void WaitAtGate() {
    std::unique_lock lock(mutex_);
    ++waiting_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
    --waiting_;
  }

  MemFileSystem mem_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = true;
  int waiting_ = 0;
};

TEST(GroupCommit, WaitingAppendersShareOneSync) {
  GatedFileSystem fs;
  LogOptions options;
  options.fs = &fs;
  auto opened = Log::Open("wal", options);
  ASSERT_TRUE(opened.ok());
  Log& log = **opened;
  const uint64_t syncs_at_open = log.stats().syncs;

  fs.Close();
  std::thread leader([&] { EXPECT_TRUE(log.Append(1, "leader").ok()); });
  fs.AwaitWaiter();  // the leader is inside fdatasync, holding no lock

  constexpr int kFollowers = 15;
  std::vector<std::thread> followers;
  for (int i = 0; i < kFollowers; ++i) {
    followers.emplace_back([&, i] { EXPECT_TRUE(log.Append(1, "f" + std::to_string(i)).ok()); });
  }
  // Every follower queues behind the leader instead of syncing on its own.
  while (log.queued_writers() < 1 + kFollowers) std::this_thread::yield();
  fs.Open();
  leader.join();
  for (auto& t : followers) t.join();

  const LogStats stats = log.stats();
  EXPECT_EQ(stats.appends, 1u + kFollowers);
  EXPECT_EQ(stats.syncs - syncs_at_open, 2u);  // the leader's, then one for all followers
  EXPECT_EQ(stats.groups, 2u);
  EXPECT_EQ(log.durable_lsn(), 1u + kFollowers);
  EXPECT_EQ(log.Read(1)->size(), 1u + kFollowers);
}

TEST(GroupCommit, MaxGroupBytesSplitsLargeGroups) {
  GatedFileSystem fs;
  LogOptions options;
  options.fs = &fs;
  options.max_group_bytes = 3 * (kHeaderSize + 100);
  auto opened = Log::Open("wal", options);
  ASSERT_TRUE(opened.ok());
  Log& log = **opened;
  fs.Close();
  std::thread leader([&] { EXPECT_TRUE(log.Append(1, std::string(100, 'l')).ok()); });
  fs.AwaitWaiter();
  std::vector<std::thread> followers;
  for (int i = 0; i < 9; ++i) {
    followers.emplace_back([&] { EXPECT_TRUE(log.Append(1, std::string(100, 'f')).ok()); });
  }
  while (log.queued_writers() < 10) std::this_thread::yield();
  fs.Open();
  leader.join();
  for (auto& t : followers) t.join();
  EXPECT_EQ(log.stats().groups, 1u + 3u);  // 9 followers, 3 per group
}

// On a real disk with real threads: fewer fdatasyncs than appends.
TEST(GroupCommit, ConcurrentAppendersOnDiskSyncLessThanOncePerAppend) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("dsc_group_commit_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto opened = Log::Open(dir.string(), LogOptions{});
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Log& log = **opened;
  const uint64_t syncs_at_open = log.stats().syncs;
  constexpr int kThreads = 16;
  constexpr int kPerThread = 50;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        if (!log.Append(1, std::to_string(t) + ":" + std::to_string(i)).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  const LogStats stats = log.stats();
  EXPECT_EQ(stats.appends, uint64_t{kThreads * kPerThread});
  EXPECT_LT(stats.syncs - syncs_at_open, stats.appends);
  // Every record is there exactly once, in one order.
  auto records = log.Read(1);
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), size_t{kThreads * kPerThread});
  std::set<std::string> unique;
  for (const Record& r : *records) unique.insert(r.payload);
  EXPECT_EQ(unique.size(), records->size());
  opened->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace dsc::wal
