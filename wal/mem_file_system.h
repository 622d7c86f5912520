// MemFileSystem: an in-memory FileSystem that models a crash precisely.
//
// Each file keeps two images: what a reader sees now, and what a power loss
// would leave (the image as of its last Sync). The directory keeps which
// names were synced (created or removed before the last SyncDir). Tests
// then simulate what a power loss leaves behind:
//
//   DropUnsyncedData()   (a power loss) every file goes back to its synced
//                        image, files created since the last SyncDir vanish
//                        and files removed since then come back (as
//                        LevelDB's FaultInjectionTestEnv does).
//   CrashKeeping(keep)   a power loss that keeps the first bytes of what was
//                        written since the last sync and loses the rest: a
//                        torn write at any byte.
//   CrashWithHole(hole)  a power loss that keeps what was written since the
//                        last sync except one range in it, which reads as it
//                        did before (zeros in a fresh preallocated segment):
//                        the disk wrote later blocks of an unsynced group but
//                        not earlier ones, as disks are free to do.
//   TearFile(path, n)    keeps only the first n bytes of a file, however
//                        much was synced.
//   FailSyncs(true)      every later Sync/SyncDir fails with IOError.
//   FailWritesAfter(n)   the next writes succeed for n more bytes, then
//                        fail (a partial write, as on a full disk).
//
// A preallocated tail costs no memory: an image stores its bytes up to the
// last non-zero write and only the length of the zeros after them.
//
// Thread-safety: all methods are safe to call from many threads at once.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

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
  // A crash in which each file keeps part of what was written since its
  // last sync. `unsynced_begin` and `unsynced_end` bound the bytes that may
  // differ from the synced image; `keep` returns the offset up to which the
  // new bytes survive (clamped to that range); past it the file reads as
  // it did at the last sync.
  using KeepFn = std::function<uint64_t(const std::string& path, uint64_t unsynced_begin,
                                        uint64_t unsynced_end)>;
  void CrashKeeping(const KeepFn& keep);
  // A crash in which each file keeps everything written since its last
  // sync except the range `hole` returns (clamped to the unsynced bytes),
  // which reads as it did at the last sync.
  using HoleFn = std::function<std::pair<uint64_t, uint64_t>(
      const std::string& path, uint64_t unsynced_begin, uint64_t unsynced_end)>;
  void CrashWithHole(const HoleFn& hole);
  void TearFile(const std::string& path, uint64_t keep_bytes);
  void FailSyncs(bool fail);
  void FailWritesAfter(uint64_t bytes);  // UINT64_MAX: never fail (default)

  // --- inspection -------------------------------------------------------
  std::string Contents(const std::string& path) const;           // "" if absent
  void SetContents(const std::string& path, std::string bytes);  // synced
  uint64_t sync_count() const;

  // The bytes of a file: `bytes`, then zeros up to `size`.
  struct Image {
    std::string bytes;
    uint64_t size = 0;

    char At(uint64_t i) const { return i < bytes.size() ? bytes[i] : '\0'; }
    void Write(uint64_t offset, std::string_view data);
    void Zero(uint64_t begin, uint64_t end);
    void Resize(uint64_t new_size);
    std::string Materialize() const;
  };
  // Shared file state (public so the file handles in the .cc can use it).
  struct FileState {
    Image current;  // what readers see
    Image synced;   // what a power loss leaves
    // Bytes that may differ between the two images: [dirty_begin, dirty_end).
    uint64_t dirty_begin = UINT64_MAX;
    uint64_t dirty_end = 0;

    void MarkDirty(uint64_t begin, uint64_t end);
    bool dirty() const { return dirty_begin < dirty_end; }
    void Sync();
    // The image a crash leaves: `current` on [dirty_begin, keep_end) minus
    // [hole_begin, hole_end), `synced` elsewhere.
    Image AfterCrash(uint64_t keep_end, uint64_t hole_begin, uint64_t hole_end) const;
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
  void Crash(const std::function<Image(const std::string&, const FileState&)>& survivor);

  // Bumped by every simulated crash: handles opened before a simulated crash
  // belong to the dead process and fail from then on.
  uint64_t generation_ = 0;             // GUARDED_BY(mutex_)
  uint64_t write_budget_ = UINT64_MAX;  // GUARDED_BY(mutex_)
  uint64_t sync_count_ = 0;             // GUARDED_BY(mutex_)
};

}  // namespace dsc::wal
