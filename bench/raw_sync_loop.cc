#include "bench/raw_sync_loop.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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

}  // namespace

Result<RowResult> RunRawSyncLoop(const std::string& dir, size_t record_bytes,
                                 std::chrono::duration<double> duration) {
  const std::string path = dir + "/raw_baseline.dat";
  ScopedFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644));
  if (fd.get() < 0) return ErrnoStatus("open " + path);

  const std::string record(record_bytes, 'r');
  LatencySamples latencies;
  RowResult row;
  row.name = "raw write+fdatasync";
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

}  // namespace dsc::bench
