#include "wal/mem_file_system.h"

#include <algorithm>

namespace dsc::wal {

class MemWritableFile final : public WritableFile {
 public:
  MemWritableFile(MemFileSystem* fs, std::string path,
                  std::shared_ptr<MemFileSystem::FileState> state, uint64_t generation)
      : fs_(fs), path_(std::move(path)), state_(std::move(state)), generation_(generation) {}

  Status Append(std::string_view data) override {
    std::lock_guard lock(fs_->mutex_);
    DSC_RETURN_IF_ERROR(CheckAlive());
    const uint64_t n = std::min<uint64_t>(data.size(), fs_->write_budget_);
    state_->data.append(data.data(), n);
    if (fs_->write_budget_ != UINT64_MAX) fs_->write_budget_ -= n;
    if (n < data.size())
      return Status::IOError("write " + path_ + ": injected failure (disk full)");
    return Status::Ok();
  }

  Status Sync() override {
    std::lock_guard lock(fs_->mutex_);
    DSC_RETURN_IF_ERROR(CheckAlive());
    if (fs_->fail_syncs_) return Status::IOError("fdatasync " + path_ + ": injected failure");
    state_->synced = state_->data.size();
    ++fs_->sync_count_;
    return Status::Ok();
  }

  Status Truncate(uint64_t size) override {
    std::lock_guard lock(fs_->mutex_);
    DSC_RETURN_IF_ERROR(CheckAlive());
    if (size < state_->data.size()) state_->data.resize(size);
    state_->synced = std::min<uint64_t>(state_->synced, size);
    return Status::Ok();
  }

  uint64_t Size() const override {
    std::lock_guard lock(fs_->mutex_);
    return state_->data.size();
  }

 private:
  Status CheckAlive() const {  // with fs_->mutex_ held
    if (generation_ != fs_->generation_) {
      return Status::IOError(path_ + ": file handle from before a simulated crash");
    }
    return Status::Ok();
  }

  MemFileSystem* const fs_;
  const std::string path_;
  const std::shared_ptr<MemFileSystem::FileState> state_;
  const uint64_t generation_;
};

class MemRandomAccessFile final : public RandomAccessFile {
 public:
  MemRandomAccessFile(MemFileSystem* fs, std::shared_ptr<MemFileSystem::FileState> state)
      : fs_(fs), state_(std::move(state)) {}

  Status Read(uint64_t offset, size_t n, std::string* out) const override {
    std::lock_guard lock(fs_->mutex_);
    out->clear();
    if (offset < state_->data.size()) *out = state_->data.substr(offset, n);
    return Status::Ok();
  }

 private:
  MemFileSystem* const fs_;
  const std::shared_ptr<MemFileSystem::FileState> state_;
};

namespace {
class MemDirLock final : public DirLock {
 public:
  MemDirLock(std::mutex* mutex, std::map<std::string, uint64_t>* locked, std::string dir,
             uint64_t generation)
      : mutex_(mutex), locked_(locked), dir_(std::move(dir)), generation_(generation) {}
  ~MemDirLock() override {
    std::lock_guard lock(*mutex_);
    // A lock from before a simulated crash must not release the new owner's.
    auto it = locked_->find(dir_);
    if (it != locked_->end() && it->second == generation_) locked_->erase(it);
  }

 private:
  std::mutex* mutex_;
  std::map<std::string, uint64_t>* locked_;
  std::string dir_;
  uint64_t generation_;
};
}  // namespace

std::string MemFileSystem::DirOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

Result<std::unique_ptr<WritableFile>> MemFileSystem::OpenWritable(const std::string& path) {
  std::lock_guard lock(mutex_);
  auto& state = files_[path];
  if (!state) {
    state = std::make_shared<FileState>();
    unsynced_names_.try_emplace(path, nullptr);  // a crash forgets the new name
  }
  return std::unique_ptr<WritableFile>(new MemWritableFile(this, path, state, generation_));
}

Result<std::unique_ptr<RandomAccessFile>> MemFileSystem::OpenReadable(const std::string& path) {
  std::lock_guard lock(mutex_);
  auto it = files_.find(path);
  if (it == files_.end()) return Status::NotFound(path);
  return std::unique_ptr<RandomAccessFile>(new MemRandomAccessFile(this, it->second));
}

Result<uint64_t> MemFileSystem::FileSize(const std::string& path) {
  std::lock_guard lock(mutex_);
  auto it = files_.find(path);
  if (it == files_.end()) return Status::NotFound(path);
  return static_cast<uint64_t>(it->second->data.size());
}

Result<std::vector<std::string>> MemFileSystem::ListDir(const std::string& dir) {
  std::lock_guard lock(mutex_);
  std::vector<std::string> names;
  for (const auto& [path, state] : files_) {
    if (DirOf(path) == dir) names.push_back(path.substr(dir.size() + 1));
  }
  return names;
}

Status MemFileSystem::CreateDir(const std::string& /*dir*/) { return Status::Ok(); }

Status MemFileSystem::SyncDir(const std::string& dir) {
  std::lock_guard lock(mutex_);
  if (fail_syncs_) return Status::IOError("fsync dir " + dir + ": injected failure");
  for (auto it = unsynced_names_.begin(); it != unsynced_names_.end();) {
    it = DirOf(it->first) == dir ? unsynced_names_.erase(it) : std::next(it);
  }
  return Status::Ok();
}

Status MemFileSystem::Remove(const std::string& path) {
  std::lock_guard lock(mutex_);
  auto it = files_.find(path);
  if (it == files_.end()) return Status::NotFound(path);
  unsynced_names_.try_emplace(path, it->second);  // a crash brings it back
  files_.erase(it);
  return Status::Ok();
}

Status MemFileSystem::Rename(const std::string& from, const std::string& to) {
  std::lock_guard lock(mutex_);
  auto it = files_.find(from);
  if (it == files_.end()) return Status::NotFound(from);
  auto moved = it->second;
  unsynced_names_.try_emplace(from, moved);
  auto old_to = files_.find(to);
  unsynced_names_.try_emplace(to, old_to == files_.end() ? nullptr : old_to->second);
  files_.erase(it);
  files_[to] = std::move(moved);
  return Status::Ok();
}

Result<std::unique_ptr<DirLock>> MemFileSystem::LockDir(const std::string& dir) {
  std::lock_guard lock(mutex_);
  if (!locked_dirs_.emplace(dir, generation_).second) return Status::Busy(dir + " is locked");
  return std::unique_ptr<DirLock>(new MemDirLock(&mutex_, &locked_dirs_, dir, generation_));
}

void MemFileSystem::DropUnsyncedData() {
  CrashKeeping([](const std::string&, uint64_t synced, uint64_t) { return synced; });
}

void MemFileSystem::CrashKeeping(const KeepFn& keep) {
  std::lock_guard lock(mutex_);
  for (auto& [path, state] : unsynced_names_) {
    if (state) {
      files_[path] = state;
    } else {
      files_.erase(path);
    }
  }
  unsynced_names_.clear();
  // Fresh FileState objects, so handles of the "dead process" cannot touch
  // what the next process sees.
  for (auto& [path, state] : files_) {
    auto survivor = std::make_shared<FileState>();
    const uint64_t size = state->data.size();
    const uint64_t kept =
        std::clamp<uint64_t>(keep(path, state->synced, size), state->synced, size);
    survivor->data = state->data.substr(0, kept);
    survivor->synced = survivor->data.size();
    state = std::move(survivor);
  }
  locked_dirs_.clear();  // the dead process's locks died with it
  ++generation_;
}

void MemFileSystem::TearFile(const std::string& path, uint64_t keep_bytes) {
  std::lock_guard lock(mutex_);
  auto it = files_.find(path);
  if (it == files_.end()) return;
  auto& state = *it->second;
  if (keep_bytes < state.data.size()) state.data.resize(keep_bytes);
  state.synced = std::min<uint64_t>(state.synced, state.data.size());
}

void MemFileSystem::FailSyncs(bool fail) {
  std::lock_guard lock(mutex_);
  fail_syncs_ = fail;
}

void MemFileSystem::FailWritesAfter(uint64_t bytes) {
  std::lock_guard lock(mutex_);
  write_budget_ = bytes;
}

std::string MemFileSystem::Contents(const std::string& path) const {
  std::lock_guard lock(mutex_);
  auto it = files_.find(path);
  return it == files_.end() ? std::string() : it->second->data;
}

void MemFileSystem::SetContents(const std::string& path, std::string bytes) {
  std::lock_guard lock(mutex_);
  auto state = std::make_shared<FileState>();
  state->data = std::move(bytes);
  state->synced = state->data.size();
  files_[path] = std::move(state);
}

uint64_t MemFileSystem::sync_count() const {
  std::lock_guard lock(mutex_);
  return sync_count_;
}

}  // namespace dsc::wal
