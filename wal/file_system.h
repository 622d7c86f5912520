// FileSystem: the only door through which the WAL (and anything else that
// must survive a crash) touches files.
//
// Production code uses PosixFileSystem. Tests use MemFileSystem
// (mem_file_system.h), which remembers which bytes were synced and can
// forget the rest, tear the last write, or fail an fsync, so the tests can
// prove where fsyncs are needed, which a plain kill -9 cannot (the kernel
// keeps unsynced bytes of a killed process). In the spirit of LevelDB's Env.
//
// Thread-safety: FileSystem methods may be called from any thread. A
// WritableFile is used by one thread at a time; RandomAccessFile::Read may
// be called concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace dsc::wal {

// A file opened for writing. Writes go to the write offset, which starts
// at the end of the file and moves forward; a preallocated file is longer
// than what was written, its tail zeros. Bytes written reach stable storage
// only after Sync() returns OK.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  WritableFile(const WritableFile&) = delete;
  WritableFile& operator=(const WritableFile&) = delete;

  // Writes all of `data` at the write offset and moves it past them (a
  // partial write is an error). Writing past the end grows the file.
  virtual Status Append(std::string_view data) = 0;
  // fdatasync: everything written so far, and the file's size, are durable
  // once this returns OK.
  virtual Status Sync() = 0;
  // Cuts the file to `size` bytes; the write offset moves there (the
  // caller syncs afterwards).
  virtual Status Truncate(uint64_t size) = 0;
  // Makes the file at least `size` bytes long, the new bytes zero and their
  // space allocated now (fallocate), so later writes there need not grow
  // the file. The write offset does not move.
  virtual Status Preallocate(uint64_t size) = 0;
  // Moves the write offset back to `offset` and makes the bytes in
  // [offset, dirty_end) zero, keeping the file's size and allocation: what
  // was there can never be read back as data (the caller syncs afterwards).
  virtual Status Rewind(uint64_t offset, uint64_t dirty_end) = 0;
  // Where the next Append writes.
  virtual uint64_t WriteOffset() const = 0;

 protected:
  WritableFile() = default;
};

// A file opened for positional reads.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  RandomAccessFile(const RandomAccessFile&) = delete;
  RandomAccessFile& operator=(const RandomAccessFile&) = delete;

  // Reads up to `n` bytes at `offset` into `out` (fewer at end of file).
  virtual Status Read(uint64_t offset, size_t n, std::string* out) const = 0;

 protected:
  RandomAccessFile() = default;
};

// An exclusive lock on a directory, held until destroyed.
class DirLock {
 public:
  virtual ~DirLock() = default;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // Opens `path` for writing at its end, creating it if absent.
  virtual Result<std::unique_ptr<WritableFile>> OpenWritable(const std::string& path) = 0;
  virtual Result<std::unique_ptr<RandomAccessFile>> OpenReadable(const std::string& path) = 0;
  virtual Result<uint64_t> FileSize(const std::string& path) = 0;
  // Names (not paths) of the entries in `dir`, unsorted.
  virtual Result<std::vector<std::string>> ListDir(const std::string& dir) = 0;
  // Creates `dir` and missing parents; OK if it exists.
  virtual Status CreateDir(const std::string& dir) = 0;
  // fsync on the directory itself, so created, renamed and deleted names
  // survive a power loss.
  virtual Status SyncDir(const std::string& dir) = 0;
  virtual Status Remove(const std::string& path) = 0;
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  // Takes an exclusive lock so two processes never write one log. Busy if
  // another holder exists.
  virtual Result<std::unique_ptr<DirLock>> LockDir(const std::string& dir) = 0;

  // The real file system (POSIX calls). Never null; lives forever.
  static FileSystem* Default();
};

}  // namespace dsc::wal
