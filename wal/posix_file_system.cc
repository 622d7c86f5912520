// The real file system: POSIX calls, file descriptors in RAII wrappers.
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "wal/file_system.h"

namespace dsc::wal {

namespace {

Status ErrnoStatus(const std::string& what, const std::string& path, int err) {
  return Status::IOError(what + " " + path + ": " + std::strerror(err));
}

// Owns one file descriptor; closes it when destroyed. Move-only.
class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Writes with pwrite at a tracked offset (not O_APPEND), so that records
// can overwrite the zeros of a preallocated segment.
class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, UniqueFd fd, uint64_t size)
      : path_(std::move(path)), fd_(std::move(fd)), offset_(size) {}

  Status Append(std::string_view data) override {
    DSC_RETURN_IF_ERROR(WriteAt(offset_, data));
    offset_ += data.size();
    return Status::Ok();
  }

  Status Sync() override {
    // fdatasync is enough: the file's size is data for fdatasync's purposes,
    // and we do not need mtime to be durable.
    if (::fdatasync(fd_.get()) != 0) return ErrnoStatus("fdatasync", path_, errno);
    return Status::Ok();
  }

  Status Truncate(uint64_t size) override {
    if (::ftruncate(fd_.get(), static_cast<off_t>(size)) != 0) {
      return ErrnoStatus("ftruncate", path_, errno);
    }
    offset_ = size;
    return Status::Ok();
  }

  Status Preallocate(uint64_t size) override {
    if (::fallocate(fd_.get(), 0, 0, static_cast<off_t>(size)) == 0) return Status::Ok();
    if (errno != EOPNOTSUPP) return ErrnoStatus("fallocate", path_, errno);
    // A file system without fallocate: a sparse extension still reads as
    // zeros, which is all the format needs; only the speed-up is lost.
    struct stat st {};
    if (::fstat(fd_.get(), &st) != 0) return ErrnoStatus("fstat", path_, errno);
    if (static_cast<uint64_t>(st.st_size) >= size) return Status::Ok();
    if (::ftruncate(fd_.get(), static_cast<off_t>(size)) != 0) {
      return ErrnoStatus("ftruncate", path_, errno);
    }
    return Status::Ok();
  }

  Status Rewind(uint64_t offset, uint64_t dirty_end) override {
    if (dirty_end > offset) DSC_RETURN_IF_ERROR(ZeroRange(offset, dirty_end - offset));
    offset_ = offset;
    return Status::Ok();
  }

  uint64_t WriteOffset() const override { return offset_; }

 private:
  Status WriteAt(uint64_t offset, std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::pwrite(fd_.get(), data.data(), data.size(), static_cast<off_t>(offset));
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("write", path_, errno);
      }
      data.remove_prefix(static_cast<size_t>(n));
      offset += static_cast<uint64_t>(n);
    }
    return Status::Ok();
  }

  // Zeroes [offset, offset + length) without changing the size. Where the
  // file system can, it punches a hole and allocates it again (cheap at any
  // length, and the space stays reserved); otherwise it writes zeros.
  Status ZeroRange(uint64_t offset, uint64_t length) {
    const auto off = static_cast<off_t>(offset);
    const auto len = static_cast<off_t>(length);
    if (::fallocate(fd_.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len) == 0) {
      if (::fallocate(fd_.get(), FALLOC_FL_KEEP_SIZE, off, len) == 0 || errno == EOPNOTSUPP) {
        return Status::Ok();
      }
      return ErrnoStatus("fallocate", path_, errno);
    }
    if (errno != EOPNOTSUPP) return ErrnoStatus("fallocate punch hole", path_, errno);
    const std::string zeros(64 * 1024, '\0');
    while (length > 0) {
      const uint64_t n = std::min<uint64_t>(length, zeros.size());
      DSC_RETURN_IF_ERROR(WriteAt(offset, std::string_view(zeros).substr(0, n)));
      offset += n;
      length -= n;
    }
    return Status::Ok();
  }

  const std::string path_;
  UniqueFd fd_;
  uint64_t offset_;
};

class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string path, UniqueFd fd)
      : path_(std::move(path)), fd_(std::move(fd)) {}

  Status Read(uint64_t offset, size_t n, std::string* out) const override {
    out->resize(n);
    size_t done = 0;
    while (done < n) {
      const ssize_t r =
          ::pread(fd_.get(), out->data() + done, n - done, static_cast<off_t>(offset + done));
      if (r < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("pread", path_, errno);
      }
      if (r == 0) break;  // end of file
      done += static_cast<size_t>(r);
    }
    out->resize(done);
    return Status::Ok();
  }

 private:
  const std::string path_;
  UniqueFd fd_;
};

class PosixDirLock final : public DirLock {
 public:
  explicit PosixDirLock(UniqueFd fd) : fd_(std::move(fd)) {}
  // Closing the descriptor releases the flock.

 private:
  UniqueFd fd_;
};

class PosixFileSystem final : public FileSystem {
 public:
  Result<std::unique_ptr<WritableFile>> OpenWritable(const std::string& path) override {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    if (fd.get() < 0) return ErrnoStatus("open", path, errno);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return ErrnoStatus("fstat", path, errno);
    return std::unique_ptr<WritableFile>(
        new PosixWritableFile(path, std::move(fd), static_cast<uint64_t>(st.st_size)));
  }

  Result<std::unique_ptr<RandomAccessFile>> OpenReadable(const std::string& path) override {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
      if (errno == ENOENT) return Status::NotFound(path);
      return ErrnoStatus("open", path, errno);
    }
    return std::unique_ptr<RandomAccessFile>(new PosixRandomAccessFile(path, std::move(fd)));
  }

  Result<uint64_t> FileSize(const std::string& path) override {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      if (errno == ENOENT) return Status::NotFound(path);
      return ErrnoStatus("stat", path, errno);
    }
    return static_cast<uint64_t>(st.st_size);
  }

  Result<std::vector<std::string>> ListDir(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) {
      if (errno == ENOENT) return Status::NotFound(dir);
      return ErrnoStatus("opendir", dir, errno);
    }
    std::vector<std::string> names;
    while (const dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(d);
    return names;
  }

  Status CreateDir(const std::string& dir) override {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return Status::IOError("mkdir " + dir + ": " + ec.message());
    if (!std::filesystem::is_directory(dir, ec)) {
      return Status::IOError("mkdir " + dir + ": exists and is not a directory");
    }
    return Status::Ok();
  }

  Status SyncDir(const std::string& dir) override {
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0) return ErrnoStatus("open dir", dir, errno);
    if (::fsync(fd.get()) != 0) return ErrnoStatus("fsync dir", dir, errno);
    return Status::Ok();
  }

  Status Remove(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return ErrnoStatus("unlink", path, errno);
    return Status::Ok();
  }

  Status Rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return ErrnoStatus("rename", from, errno);
    return Status::Ok();
  }

  Result<std::unique_ptr<DirLock>> LockDir(const std::string& dir) override {
    const std::string path = dir + "/LOCK";
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (fd.get() < 0) return ErrnoStatus("open", path, errno);
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK) {
        return Status::Busy(dir + " is in use by another process (lock " + path + ")");
      }
      return ErrnoStatus("flock", path, errno);
    }
    return std::unique_ptr<DirLock>(new PosixDirLock(std::move(fd)));
  }
};

}  // namespace

FileSystem* FileSystem::Default() {
  static PosixFileSystem* fs = new PosixFileSystem();  // never destroyed: used at exit
  return fs;
}

}  // namespace dsc::wal
