// GatedFileSystem: a MemFileSystem whose segment write()s and fsyncs can be
// held at a gate, for tests of the log's concurrency.
//
// A test closes a gate, starts the calls it wants to race, waits until one
// is parked at the gate (so it knows which side holds no lock), then opens
// it: interleavings become scripted instead of left to sleeps and luck.
//
// Thread-safety: all methods are safe to call from many threads at once.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "wal/file_system.h"
#include "wal/mem_file_system.h"

namespace dsc::wal {

class GatedFileSystem final : public FileSystem {
 public:
  class GatedFile final : public WritableFile {
   public:
    GatedFile(GatedFileSystem* fs, std::unique_ptr<WritableFile> inner)
        : fs_(fs), inner_(std::move(inner)) {}
    Status Append(std::string_view data) override {
      fs_->WaitAtGate(Gate::kWrite);
      return inner_->Append(data);
    }
    Status Sync() override {
      fs_->WaitAtGate(Gate::kSync);
      if (fs_->fail_syncs_) return Status::IOError("injected fdatasync failure");
      return inner_->Sync();
    }
    Status Truncate(uint64_t size) override { return inner_->Truncate(size); }
    Status Preallocate(uint64_t size) override { return inner_->Preallocate(size); }
    Status Rewind(uint64_t offset, uint64_t dirty_end) override {
      return inner_->Rewind(offset, dirty_end);
    }
    uint64_t WriteOffset() const override { return inner_->WriteOffset(); }

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
  Result<std::vector<std::string>> ListDir(const std::string& d) override {
    return mem_.ListDir(d);
  }
  Status CreateDir(const std::string& d) override { return mem_.CreateDir(d); }
  Status SyncDir(const std::string& d) override { return mem_.SyncDir(d); }
  Status Remove(const std::string& p) override { return mem_.Remove(p); }
  Status Rename(const std::string& a, const std::string& b) override { return mem_.Rename(a, b); }
  Result<std::unique_ptr<DirLock>> LockDir(const std::string& d) override {
    return mem_.LockDir(d);
  }

  // The files underneath, to count syncs or simulate a power loss.
  MemFileSystem& mem() { return mem_; }

  enum class Gate { kWrite, kSync };

  void Close(Gate gate) {
    std::lock_guard lock(mutex_);
    closed_[static_cast<int>(gate)] = true;
  }
  void Open(Gate gate) { OpenFor(gate, -1); }
  // Lets `passes` callers through, then closes again (-1: stays open).
  void OpenFor(Gate gate, int passes) {
    std::lock_guard lock(mutex_);
    closed_[static_cast<int>(gate)] = false;
    passes_[static_cast<int>(gate)] = passes;
    cv_.notify_all();
  }
  // From now on every fdatasync that passes the sync gate fails.
  void FailSyncs() { fail_syncs_ = true; }
  // Blocks until a caller is waiting at `gate`.
  void AwaitWaiter(Gate gate) {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return waiting_[static_cast<int>(gate)] > 0; });
  }

 private:
  void WaitAtGate(Gate gate) {
    const int g = static_cast<int>(gate);
    std::unique_lock lock(mutex_);
    ++waiting_[g];
    cv_.notify_all();
    cv_.wait(lock, [&] { return !closed_[g]; });
    --waiting_[g];
    if (passes_[g] > 0 && --passes_[g] == 0) closed_[g] = true;
  }

  MemFileSystem mem_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool closed_[2] = {false, false};
  int waiting_[2] = {0, 0};
  int passes_[2] = {-1, -1};
  std::atomic<bool> fail_syncs_{false};
};

}  // namespace dsc::wal
