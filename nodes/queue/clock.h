// Clock: where the queue node reads the time.
//
// The queue's decisions need "now" in milliseconds: lease deadlines, retry
// times and task timestamps are all stored in the log and in RocksDB and
// shown to workers, so they must mean the same thing after a restart (or
// on another machine). SystemClock therefore reads the wall clock
// (milliseconds since the Unix epoch), not a steady clock, whose zero
// moves at every boot.
//
// The wall clock can step backwards (NTP). QueueService never lets that
// reach the log: it clamps every reading to at least the last one it used
// (queue_service.h), because QueueState applies commands in log order
// with non-decreasing now_ms.
//
// FakeClock is for tests: time moves only when the test says so.
//
// Thread-safety: NowMs() may be called from many threads at once; so may
// FakeClock::Set/Advance.
#pragma once

#include <atomic>
#include <cstdint>

namespace dsc::queue {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch (or a test's made-up epoch).
  virtual int64_t NowMs() const = 0;
};

// The real wall clock (std::chrono::system_clock).
class SystemClock final : public Clock {
 public:
  int64_t NowMs() const override;
  // One shared instance; clocks have no state.
  static SystemClock* Get();
};

// A clock that stands still until Set() or Advance() moves it.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t start_ms = 1'000'000) : now_ms_(start_ms) {}
  int64_t NowMs() const override { return now_ms_.load(); }
  void Set(int64_t ms) { now_ms_.store(ms); }
  void Advance(int64_t ms) { now_ms_.fetch_add(ms); }

 private:
  std::atomic<int64_t> now_ms_;
};

}  // namespace dsc::queue
