#include "wal/mem_file_system.h"

#include <algorithm>

namespace dsc::wal {

// --- images -------------------------------------------------------------------

void MemFileSystem::Image::Write(uint64_t offset, std::string_view data) {
  if (bytes.size() < offset + data.size()) bytes.resize(offset + data.size(), '\0');
  bytes.replace(offset, data.size(), data);
  size = std::max<uint64_t>(size, offset + data.size());
}

void MemFileSystem::Image::Zero(uint64_t begin, uint64_t end) {
  if (begin >= bytes.size()) return;
  if (end >= bytes.size()) {
    bytes.resize(begin);  // the zeros after `bytes` are implicit
  } else {
    std::fill(bytes.begin() + static_cast<ptrdiff_t>(begin),
              bytes.begin() + static_cast<ptrdiff_t>(end), '\0');
  }
}

void MemFileSystem::Image::Resize(uint64_t new_size) {
  if (bytes.size() > new_size) bytes.resize(new_size);
  size = new_size;
}

std::string MemFileSystem::Image::Materialize() const {
  std::string out = bytes;
  out.resize(size, '\0');
  return out;
}

void MemFileSystem::FileState::MarkDirty(uint64_t begin, uint64_t end) {
  if (begin >= end) return;
  dirty_begin = std::min(dirty_begin, begin);
  dirty_end = std::max(dirty_end, end);
}

namespace {
// Makes [begin, end) of `to` read as it does in `from`.
void CopyRange(const MemFileSystem::Image& from, uint64_t begin, uint64_t end,
               MemFileSystem::Image* to) {
  if (begin >= end) return;
  const uint64_t stored_end = std::min<uint64_t>(end, from.bytes.size());
  if (begin < stored_end) {
    to->Write(begin, std::string_view(from.bytes).substr(begin, stored_end - begin));
  }
  to->Zero(std::max(begin, stored_end), end);
}
}  // namespace

void MemFileSystem::FileState::Sync() {
  if (dirty()) {
    // Outside the dirty range the images agree, so only that range is copied.
    synced.Resize(current.size);
    CopyRange(current, dirty_begin, std::min(dirty_end, current.size), &synced);
  }
  synced.size = current.size;
  dirty_begin = UINT64_MAX;
  dirty_end = 0;
}

MemFileSystem::Image MemFileSystem::FileState::AfterCrash(uint64_t keep_end, uint64_t hole_begin,
                                                          uint64_t hole_end) const {
  keep_end = std::clamp(keep_end, dirty_begin, dirty_end);
  Image out = synced;
  // A torn write ends the file where it tore; a full one keeps its size.
  out.Resize(keep_end == dirty_end ? current.size : std::max(synced.size, keep_end));
  const uint64_t end = std::min(keep_end, out.size);
  if (hole_begin >= hole_end) {
    CopyRange(current, dirty_begin, end, &out);
  } else {  // the blocks in the hole never reached the disk
    CopyRange(current, dirty_begin, std::min(end, hole_begin), &out);
    CopyRange(current, std::max(dirty_begin, hole_end), end, &out);
  }
  return out;
}

class MemWritableFile final : public WritableFile {
 public:
  MemWritableFile(MemFileSystem* fs, std::string path,
                  std::shared_ptr<MemFileSystem::FileState> state, uint64_t generation)
      : fs_(fs), path_(std::move(path)), state_(std::move(state)), generation_(generation) {}

  Status Append(std::string_view data) override {
    std::lock_guard lock(fs_->mutex_);
    DSC_RETURN_IF_ERROR(CheckAlive());
    const uint64_t n = std::min<uint64_t>(data.size(), fs_->write_budget_);
    Write(data.substr(0, n));
    if (fs_->write_budget_ != UINT64_MAX) fs_->write_budget_ -= n;
    if (n < data.size())
      return Status::IOError("write " + path_ + ": injected failure (disk full)");
    return Status::Ok();
  }

  Status Sync() override {
    std::lock_guard lock(fs_->mutex_);
    DSC_RETURN_IF_ERROR(CheckAlive());
    if (fs_->fail_syncs_) return Status::IOError("fdatasync " + path_ + ": injected failure");
    state_->Sync();
    ++fs_->sync_count_;
    return Status::Ok();
  }

  Status Truncate(uint64_t size) override {
    std::lock_guard lock(fs_->mutex_);
    DSC_RETURN_IF_ERROR(CheckAlive());
    const uint64_t old_size = state_->current.size;
    state_->current.Resize(size);
    state_->MarkDirty(std::min(size, old_size), std::max(size, old_size));
    offset_ = size;
    return Status::Ok();
  }

  Status Preallocate(uint64_t size) override {
    std::lock_guard lock(fs_->mutex_);
    DSC_RETURN_IF_ERROR(CheckAlive());
    const uint64_t old_size = state_->current.size;
    if (size > old_size) {
      state_->current.Resize(size);
      state_->MarkDirty(old_size, size);
    }
    return Status::Ok();
  }

  Status Rewind(uint64_t offset, uint64_t dirty_end) override {
    std::lock_guard lock(fs_->mutex_);
    DSC_RETURN_IF_ERROR(CheckAlive());
    const uint64_t end = std::min(dirty_end, state_->current.size);
    if (end > offset) {
      state_->current.Zero(offset, end);
      state_->MarkDirty(offset, end);
    }
    offset_ = offset;
    return Status::Ok();
  }

  uint64_t WriteOffset() const override {
    std::lock_guard lock(fs_->mutex_);
    return offset_;
  }

 private:
  void Write(std::string_view data) {  // with fs_->mutex_ held
    state_->current.Write(offset_, data);
    state_->MarkDirty(offset_, offset_ + data.size());
    offset_ += data.size();
  }

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
  uint64_t offset_ = state_->current.size;  // GUARDED_BY(fs_->mutex_)
};

class MemRandomAccessFile final : public RandomAccessFile {
 public:
  MemRandomAccessFile(MemFileSystem* fs, std::shared_ptr<MemFileSystem::FileState> state)
      : fs_(fs), state_(std::move(state)) {}

  Status Read(uint64_t offset, size_t n, std::string* out) const override {
    std::lock_guard lock(fs_->mutex_);
    out->clear();
    const MemFileSystem::Image& image = state_->current;
    if (offset >= image.size) return Status::Ok();
    const uint64_t end = std::min<uint64_t>(image.size, offset + n);
    out->resize(end - offset, '\0');
    if (offset < image.bytes.size()) {
      const uint64_t stored_end = std::min<uint64_t>(end, image.bytes.size());
      image.bytes.copy(out->data(), stored_end - offset, offset);
    }
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
  return it->second->current.size;
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
  Crash([](const std::string&, const FileState& state) { return state.synced; });
}

void MemFileSystem::CrashKeeping(const KeepFn& keep) {
  Crash([&](const std::string& path, const FileState& state) {
    if (!state.dirty()) return state.current;
    const uint64_t kept = keep(path, state.dirty_begin, state.dirty_end);
    return state.AfterCrash(kept, 0, 0);
  });
}

void MemFileSystem::CrashWithHole(const HoleFn& hole) {
  Crash([&](const std::string& path, const FileState& state) {
    if (!state.dirty()) return state.current;
    const auto [begin, end] = hole(path, state.dirty_begin, state.dirty_end);
    return state.AfterCrash(state.dirty_end, begin, end);
  });
}

void MemFileSystem::Crash(
    const std::function<Image(const std::string&, const FileState&)>& survivor) {
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
    auto next = std::make_shared<FileState>();
    next->current = survivor(path, *state);
    next->synced = next->current;
    state = std::move(next);
  }
  locked_dirs_.clear();  // the dead process's locks died with it
  ++generation_;
}

void MemFileSystem::TearFile(const std::string& path, uint64_t keep_bytes) {
  std::lock_guard lock(mutex_);
  auto it = files_.find(path);
  if (it == files_.end()) return;
  FileState& state = *it->second;
  if (keep_bytes >= state.current.size) return;
  state.current.Resize(keep_bytes);
  state.synced.Resize(std::min(state.synced.size, keep_bytes));
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
  return it == files_.end() ? std::string() : it->second->current.Materialize();
}

void MemFileSystem::SetContents(const std::string& path, std::string bytes) {
  std::lock_guard lock(mutex_);
  auto state = std::make_shared<FileState>();
  state->current.size = bytes.size();
  state->current.bytes = std::move(bytes);
  state->synced = state->current;
  files_[path] = std::move(state);
}

uint64_t MemFileSystem::sync_count() const {
  std::lock_guard lock(mutex_);
  return sync_count_;
}

}  // namespace dsc::wal
