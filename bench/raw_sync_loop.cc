#include "bench/raw_sync_loop.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <semaphore>
#include <string_view>
#include <thread>
#include <vector>

namespace dsc::bench {
namespace {

using Clock = std::chrono::steady_clock;

Status ErrnoStatus(const std::string& what) {
  return Status::IOError(what + ": " + std::strerror(errno));
}

// Closes the descriptor on every path out of RunRawSyncLoop.
class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Writes all of `bytes` at the end of `fd`, then fdatasyncs it.
Status WriteAndSync(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return ErrnoStatus("write " + path);
    bytes.remove_prefix(static_cast<size_t>(written));
  }
  if (::fdatasync(fd) != 0) return ErrnoStatus("fdatasync " + path);
  return Status::Ok();
}

}  // namespace

Result<RowResult> RunRawSyncLoop(const std::string& dir, size_t record_bytes,
                                 std::chrono::duration<double> duration) {
  const std::string path = dir + "/raw_baseline.dat";
  ScopedFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644));
  if (fd.get() < 0) return ErrnoStatus("open " + path);

  const std::string record(record_bytes, 'r');
  LatencySamples latencies;
  RowResult row;
  row.name = kRawRow;
  row.threads = 1;

  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline = start + std::chrono::duration_cast<Clock::duration>(duration);
  Clock::time_point now = start;
  while (now < deadline) {
    const Clock::time_point before = now;
    ssize_t written = ::write(fd.get(), record.data(), record.size());
    if (written != static_cast<ssize_t>(record.size())) return ErrnoStatus("write " + path);
    if (::fdatasync(fd.get()) != 0) return ErrnoStatus("fdatasync " + path);
    now = Clock::now();
    latencies.Add(now - before);
    ++row.appends;
    ++row.syncs;
  }

  row.seconds = std::chrono::duration<double>(now - start).count();
  row.p50_us = latencies.PercentileMicros(0.50);
  row.p99_us = latencies.PercentileMicros(0.99);
  return row;
}

Result<RowResult> RunRawGroupCommit(const std::string& dir, int writers, size_t record_bytes,
                                    std::chrono::duration<double> duration) {
  if (writers < 1) return Status::InvalidArgument("RunRawGroupCommit needs at least one writer");
  const std::string path = dir + "/raw_group_commit_" + std::to_string(writers) + ".dat";
  ScopedFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644));
  if (fd.get() < 0) return ErrnoStatus("open " + path);

  const auto count = static_cast<size_t>(writers);
  // Handed over to the sync thread, under `mutex`.
  std::mutex mutex;
  std::condition_variable work;  // the sync thread waits here for records
  std::string pending;           // records handed over and not yet written
  std::vector<size_t> waiting;   // their writers, in the same order
  bool writers_done = false;
  // Released by the sync thread once the writer's record is synced (or the
  // run failed): only that writer wakes.
  std::vector<std::unique_ptr<std::binary_semaphore>> synced;
  for (size_t i = 0; i < count; ++i) synced.push_back(std::make_unique<std::binary_semaphore>(0));
  std::atomic<bool> failed{false};
  Status error;  // written by the sync thread, read after joining it
  uint64_t syncs = 0;

  std::thread sync_thread([&] {
    std::string batch;
    std::vector<size_t> batch_writers;
    for (;;) {
      {
        std::unique_lock lock(mutex);
        work.wait(lock, [&] { return !pending.empty() || writers_done; });
        if (pending.empty()) return;
        batch.swap(pending);
        batch_writers.swap(waiting);
      }
      if (!failed.load()) {
        Status s = WriteAndSync(fd.get(), batch, path);
        ++syncs;
        if (!s.ok()) {
          error = std::move(s);
          failed.store(true);
        }
      }
      for (size_t writer : batch_writers) synced[writer]->release();
      batch.clear();
      batch_writers.clear();
    }
  });

  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline = start + std::chrono::duration_cast<Clock::duration>(duration);
  std::vector<LatencySamples> latencies(count);
  std::vector<uint64_t> appends(count, 0);
  std::vector<std::thread> threads;
  threads.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    threads.emplace_back([&, i] {
      const std::string record(record_bytes, 'g');
      for (Clock::time_point before = Clock::now(); before < deadline && !failed.load();) {
        {
          std::lock_guard lock(mutex);
          pending.append(record);
          waiting.push_back(i);
        }
        work.notify_one();
        synced[i]->acquire();
        const Clock::time_point after = Clock::now();
        if (failed.load()) return;
        latencies[i].Add(after - before);
        ++appends[i];
        before = after;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const Clock::time_point end = Clock::now();
  {
    std::lock_guard lock(mutex);
    writers_done = true;
  }
  work.notify_one();
  sync_thread.join();
  if (!error.ok()) return error;

  RowResult row;
  row.name = "raw group commit";
  row.threads = writers;
  row.seconds = std::chrono::duration<double>(end - start).count();
  LatencySamples all;
  for (size_t i = 0; i < count; ++i) {
    all.Merge(latencies[i]);
    row.appends += appends[i];
  }
  row.syncs = syncs;
  row.p50_us = all.PercentileMicros(0.50);
  row.p99_us = all.PercentileMicros(0.99);
  return row;
}

}  // namespace dsc::bench
