// FirstError: remembers the first failure reported by any of several
// threads (appenders in a benchmark, handlers hitting a fatal log error),
// so the thread in charge can stop and report that one.
//
// Thread-safety: all methods are safe to call from many threads at once.
#pragma once

#include <atomic>
#include <mutex>

#include "base/status.h"

namespace dsc {

class FirstError {
 public:
  // Keeps `status` unless a failure was already recorded. OK is ignored.
  void Set(const Status& status) {
    if (status.ok()) return;
    std::lock_guard lock(mutex_);
    if (status_.ok()) status_ = status;
    failed_.store(true, std::memory_order_relaxed);
  }
  // Cheap enough for a hot loop's "should I stop?" check.
  bool failed() const { return failed_.load(std::memory_order_relaxed); }
  Status Get() const {
    std::lock_guard lock(mutex_);
    return status_;
  }

 private:
  mutable std::mutex mutex_;
  Status status_;  // GUARDED_BY(mutex_)
  std::atomic<bool> failed_{false};
};

}  // namespace dsc
