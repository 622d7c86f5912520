#include "nodes/raft/raft_storage.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "nodes/raft/byte_codec.h"
#include "wal/format.h"

namespace dsc::raft {
namespace {

constexpr char kHardStateFile[] = "raft-state";
constexpr char kSnapshotFile[] = "snapshot";
constexpr char kLogDir[] = "wal";

std::string Path(const std::string& dir, const std::string& name) { return dir + "/" + name; }

}  // namespace

Result<std::unique_ptr<RaftStorage>> RaftStorage::Open(RaftStorageOptions options) {
  std::unique_ptr<RaftStorage> storage(new RaftStorage(std::move(options)));
  DSC_RETURN_IF_ERROR(storage->Recover());
  return storage;
}

RaftStorage::~RaftStorage() { (void)Close(); }

Status RaftStorage::Recover() {
  wal::FileSystem& fs = *options_.fs;
  DSC_RETURN_IF_ERROR(fs.CreateDir(options_.dir));

  if (Result<std::string> saved = ReadFile(kHardStateFile); saved.ok()) {
    ByteReader in(*saved);
    if (!in.U64(&hard_state_.term) || !in.Bytes(&hard_state_.vote) || !in.done()) {
      return Status::Corruption(Path(options_.dir, kHardStateFile) + ": malformed");
    }
  } else if (!saved.status().IsNotFound()) {
    return saved.status();
  }

  if (Result<std::string> saved = ReadFile(kSnapshotFile); saved.ok()) {
    ByteReader in(*saved);
    if (!in.U64(&snapshot_.index) || !in.U64(&snapshot_.term)) {
      return Status::Corruption(Path(options_.dir, kSnapshotFile) + ": malformed");
    }
    snapshot_.data.assign(in.rest());
  } else if (!saved.status().IsNotFound()) {
    return saved.status();
  }

  DSC_RETURN_IF_ERROR(OpenLog(snapshot_.index + 1));
  const Index next = snapshot_.index + 1;
  if (log_->first_lsn() > next) {
    return Status::Corruption(fmt::format(
        "{}: the log starts at {} but the snapshot ends at {}: entries in between are missing",
        log_->dir(), log_->first_lsn(), snapshot_.index));
  }
  // A crash while installing a leader's snapshot can leave a log that
  // contradicts the (already durable) snapshot: finish the install.
  bool contradicts = log_->last_lsn() < snapshot_.index;
  if (!contradicts && snapshot_.index > 0 && log_->first_lsn() <= snapshot_.index) {
    Result<std::vector<wal::Record>> at = log_->Read(snapshot_.index, 1);
    if (!at.ok()) return at.status();
    Result<Entry> entry = DecodeEntryRecord(at->front().lsn, at->front().type, at->front().payload);
    if (!entry.ok()) return entry.status();
    contradicts = entry->term != snapshot_.term;
  }
  if (contradicts) {
    spdlog::warn("{}: the log does not continue the snapshot at {}; restarting it after",
                 log_->dir(), snapshot_.index);
    DSC_RETURN_IF_ERROR(ResetLog(next));
  }

  Result<std::vector<wal::Record>> records = log_->Read(std::max(next, log_->first_lsn()));
  if (!records.ok()) return records.status();
  restored_entries_.reserve(records->size());
  for (const wal::Record& record : *records) {
    Result<Entry> entry = DecodeEntryRecord(record.lsn, record.type, record.payload);
    if (!entry.ok()) return entry.status();
    restored_entries_.push_back(std::move(entry).value());
  }
  return Status::Ok();
}

Status RaftStorage::OpenLog(Index first_if_empty) {
  wal::LogOptions options;
  options.system = kRaftLogSystem;
  options.durability = options_.durability;
  options.first_lsn = first_if_empty;
  options.fs = options_.fs;
  Result<std::unique_ptr<wal::Log>> log = wal::Log::Open(Path(options_.dir, kLogDir), options);
  if (!log.ok()) return log.status();
  log_ = std::move(log).value();
  return Status::Ok();
}

Status RaftStorage::ResetLog(Index next) {
  const std::string dir = Path(options_.dir, kLogDir);
  DSC_RETURN_IF_ERROR(log_->Close());
  log_.reset();
  wal::FileSystem& fs = *options_.fs;
  Result<std::vector<std::string>> names = fs.ListDir(dir);
  if (!names.ok()) return names.status();
  for (const std::string& name : *names) {
    if (wal::ParseSegmentFileName(name)) DSC_RETURN_IF_ERROR(fs.Remove(Path(dir, name)));
  }
  DSC_RETURN_IF_ERROR(fs.SyncDir(dir));
  return OpenLog(next);
}

RestoredState RaftStorage::Restored() const {
  RestoredState restored;
  restored.hard_state = HardState{hard_state_.term, hard_state_.vote, 0};
  restored.snapshot = snapshot_;
  restored.entries = restored_entries_;
  return restored;
}

Status RaftStorage::SaveHardState(const HardState& state) {
  if (state.term == hard_state_.term && state.vote == hard_state_.vote) return Status::Ok();
  std::string payload;
  PutU64(&payload, state.term);
  PutBytes(&payload, state.vote);
  DSC_RETURN_IF_ERROR(WriteFileAtomically(kHardStateFile, payload));
  hard_state_ = HardState{state.term, state.vote, 0};
  return Status::Ok();
}

Status RaftStorage::InstallSnapshot(const Snapshot& snapshot) {
  bool keep_suffix = false;
  if (snapshot.index >= log_->first_lsn() && snapshot.index <= log_->last_lsn()) {
    Result<std::vector<wal::Record>> at = log_->Read(snapshot.index, 1);
    if (!at.ok()) return at.status();
    Result<Entry> entry = DecodeEntryRecord(at->front().lsn, at->front().type, at->front().payload);
    if (!entry.ok()) return entry.status();
    keep_suffix = entry->term == snapshot.term;
  }
  DSC_RETURN_IF_ERROR(SaveLocalSnapshot(snapshot));
  return keep_suffix ? Status::Ok() : ResetLog(snapshot.index + 1);
}

Status RaftStorage::SaveLocalSnapshot(const Snapshot& snapshot) {
  std::string payload;
  payload.reserve(16 + snapshot.data.size());
  PutU64(&payload, snapshot.index);
  PutU64(&payload, snapshot.term);
  payload += snapshot.data;
  DSC_RETURN_IF_ERROR(WriteFileAtomically(kSnapshotFile, payload));
  snapshot_ = snapshot;
  // Only now, with the snapshot on disk, may the log before it go.
  return log_->DropPrefix(snapshot.index + 1);
}

Status RaftStorage::TruncateAfter(Index index) {
  if (index >= log_->last_lsn()) return Status::Ok();
  return log_->TruncateSuffix(std::max<Index>(index, log_->first_lsn() - 1));
}

Status RaftStorage::Append(const std::vector<Entry>& entries) {
  if (entries.empty()) return Status::Ok();
  if (entries.front().index != log_->last_lsn() + 1) {
    return Status::InvalidArgument(fmt::format("raft storage: appending entry {} after entry {}",
                                               entries.front().index, log_->last_lsn()));
  }
  std::vector<std::string> payloads;
  std::vector<wal::Entry> records;
  payloads.reserve(entries.size());
  records.reserve(entries.size());
  for (const Entry& entry : entries) payloads.push_back(EncodeEntryPayload(entry));
  for (size_t i = 0; i < entries.size(); ++i) {
    const uint8_t type = entries[i].type == EntryType::kNoop ? kRaftNoopRecord : kRaftEntryRecord;
    records.push_back(wal::Entry{type, payloads[i]});
  }
  // One write and (under `always`) one fdatasync for the whole batch.
  Result<uint64_t> last = log_->AppendBatch(records);
  if (!last.ok()) return last.status();
  return Status::Ok();
}

Status RaftStorage::Sync() { return log_->Sync(); }

Status RaftStorage::Close() {
  if (!log_) return Status::Ok();
  Status s = log_->Close();
  log_.reset();
  return s;
}

Index RaftStorage::first_index() const { return std::max(log_->first_lsn(), snapshot_.index + 1); }
Index RaftStorage::last_index() const { return std::max(log_->last_lsn(), snapshot_.index); }

// file := crc32c:u32 payload   (the CRC covers the payload)
Status RaftStorage::WriteFileAtomically(const std::string& name, std::string_view payload) {
  wal::FileSystem& fs = *options_.fs;
  const std::string path = Path(options_.dir, name);
  const std::string tmp = path + ".tmp";
  // A temporary file left by a crash would be appended to: remove it.
  if (fs.FileSize(tmp).ok()) DSC_RETURN_IF_ERROR(fs.Remove(tmp));
  std::string bytes;
  bytes.reserve(4 + payload.size());
  PutU32(&bytes, wal::Crc32c(payload));
  bytes += payload;
  {
    Result<std::unique_ptr<wal::WritableFile>> file = fs.OpenWritable(tmp);
    if (!file.ok()) return file.status();
    DSC_RETURN_IF_ERROR((*file)->Append(bytes));
    DSC_RETURN_IF_ERROR((*file)->Sync());
  }
  DSC_RETURN_IF_ERROR(fs.Rename(tmp, path));
  return fs.SyncDir(options_.dir);
}

Result<std::string> RaftStorage::ReadFile(const std::string& name) const {
  wal::FileSystem& fs = *options_.fs;
  const std::string path = Path(options_.dir, name);
  Result<uint64_t> size = fs.FileSize(path);
  if (!size.ok()) return size.status();
  Result<std::unique_ptr<wal::RandomAccessFile>> file = fs.OpenReadable(path);
  if (!file.ok()) return file.status();
  std::string bytes;
  DSC_RETURN_IF_ERROR((*file)->Read(0, *size, &bytes));
  ByteReader in(bytes);
  uint32_t crc = 0;
  if (!in.U32(&crc) || wal::Crc32c(in.rest()) != crc) {
    return Status::Corruption(path + ": checksum mismatch (the file is damaged)");
  }
  return std::string(in.rest());
}

}  // namespace dsc::raft
