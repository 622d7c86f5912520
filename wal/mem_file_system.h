// MemFileSystem: an in-memory FileSystem that models a crash precisely.
//
// Each file keeps its bytes and how many of them were synced; the
// directory keeps which names were synced (created or removed before the
// last SyncDir). Tests then simulate what a power loss leaves behind:
//
//   DropUnsyncedData()   (a power loss) every file shrinks to its synced length, files
//                        created since the last SyncDir vanish and files
//                        removed since then come back (as LevelDB's
//                        FaultInjectionTestEnv does).
//   TearFile(path, n)    keeps only the first n bytes of a file, however
//                        much was synced: a torn write at any byte.
//   FailSyncs(true)      every later Sync/SyncDir fails with IOError.
//   FailWritesAfter(n)   the next writes succeed for n more bytes, then
//                        fail (a partial write, as on a full disk).
//
// Thread-safety: all methods are safe to call from many threads at once.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "wal/file_system.h"

namespace dsc::wal {

class MemFileSystem final : public FileSystem {
 public:
  MemFileSystem() = default;

  Result<std::unique_ptr<WritableFile>> OpenWritable(const std::string& path) override;
  Result<std::unique_ptr<RandomAccessFile>> OpenReadable(const std::string& path) override;
  Result<uint64_t> FileSize(const std::string& path) override;
  Result<std::vector<std::string>> ListDir(const std::string& dir) override;
  Status CreateDir(const std::string& dir) override;
  Status SyncDir(const std::string& dir) override;
  Status Remove(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Result<std::unique_ptr<DirLock>> LockDir(const std::string& dir) override;

  // --- crash simulation -------------------------------------------------
  void DropUnsyncedData();
  // A crash in which each file keeps its synced bytes plus some of the
  // unsynced ones: `keep(path, synced, size)` returns how many bytes of the
  // file survive (clamped to [synced, size]). Tears the last write anywhere.
  using KeepFn = std::function<uint64_t(const std::string& path, uint64_t synced, uint64_t size)>;
  void CrashKeeping(const KeepFn& keep);
  void TearFile(const std::string& path, uint64_t keep_bytes);
  void FailSyncs(bool fail);
  void FailWritesAfter(uint64_t bytes);  // UINT64_MAX: never fail (default)

  // --- inspection -------------------------------------------------------
  std::string Contents(const std::string& path) const;           // "" if absent
  void SetContents(const std::string& path, std::string bytes);  // synced
  uint64_t sync_count() const;

  // Shared file state (public so the file handles in the .cc can use it).
  struct FileState {
    std::string data;
    uint64_t synced = 0;
  };

 private:
  friend class MemWritableFile;
  friend class MemRandomAccessFile;

  static std::string DirOf(const std::string& path);

  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<FileState>> files_;  // GUARDED_BY(mutex_)
  // Names whose existence (or absence) is not yet durable, and what a
  // crash restores: the file state (nullptr: the name did not exist).
  std::map<std::string, std::shared_ptr<FileState>> unsynced_names_;  // GUARDED_BY(mutex_)
  std::map<std::string, uint64_t> locked_dirs_;  // dir -> generation; GUARDED_BY(mutex_)
  bool fail_syncs_ = false;                      // GUARDED_BY(mutex_)
  // Bumped by DropUnsyncedData: handles opened before a simulated crash
  // belong to the dead process and fail from then on.
  uint64_t generation_ = 0;             // GUARDED_BY(mutex_)
  uint64_t write_budget_ = UINT64_MAX;  // GUARDED_BY(mutex_)
  uint64_t sync_count_ = 0;             // GUARDED_BY(mutex_)
};

}  // namespace dsc::wal
