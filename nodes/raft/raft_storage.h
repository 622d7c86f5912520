// RaftStorage: everything a Raft node must find again after a crash
// (Figure 2, "persistent state on all servers"), in one data directory:
//
//   DIR/wal/         the log: one wal/ record per entry, LSN == Raft index
//   DIR/raft-state   current term and vote (small file, replaced atomically)
//   DIR/snapshot     the latest snapshot: index, term, state machine bytes
//
// The log reuses the course's write-ahead log, so `dsc wal dump DIR/wal`
// shows the Raft log. Because LSN == index, a conflicting suffix is
// wal::Log::TruncateSuffix (§5.3) and compaction is DropPrefix (§7).
//
// The two small files are written the way docs/RELIABILITY.md asks for small
// metadata: write a temporary file, fsync it, rename it over the old one,
// fsync the directory. A crash leaves either the old or the new file, and
// a CRC32C catches anything else. The term and vote are saved only when
// they change (elections), never per entry; the commit index is not
// saved at all: it is restored from what the state machine applied.
//
// Order of a Ready (ready.h): InstallSnapshot, TruncateAfter, Append,
// SaveHardState, then Sync before any message leaves.
//
// Thread-safety: not thread-safe; the Raft loop owns it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "nodes/raft/core/raft_config.h"
#include "nodes/raft/core/types.h"
#include "nodes/raft/raft_records.h"
#include "wal/file_system.h"
#include "wal/log.h"

namespace dsc::raft {

struct RaftStorageOptions {
  std::string dir;
  wal::DurabilityPolicy durability = wal::DurabilityPolicy::Always();
  wal::FileSystem* fs = wal::FileSystem::Default();  // tests pass a MemFileSystem
};

class RaftStorage {
 public:
  // Opens (creating if needed) and recovers the directory. Corruption if a
  // file fails its checksum or the log has a hole after the snapshot.
  static Result<std::unique_ptr<RaftStorage>> Open(RaftStorageOptions options);

  ~RaftStorage();
  RaftStorage(const RaftStorage&) = delete;
  RaftStorage& operator=(const RaftStorage&) = delete;

  // What Open found: term and vote (commit 0), the snapshot, and the
  // entries after it. Read once, at start-up.
  RestoredState Restored() const;

  // Saves term and vote (durably) when they differ from the saved ones.
  Status SaveHardState(const HardState& state);
  // A snapshot received from the leader (§7): saved durably first; then
  // the log keeps only what follows it when the entry at the snapshot point
  // matches, and restarts empty after it otherwise.
  Status InstallSnapshot(const Snapshot& snapshot);
  // This node compacted its own state (§7): save the snapshot, then drop
  // the log before it.
  Status SaveLocalSnapshot(const Snapshot& snapshot);
  // Deletes every entry after `index`, durably (§5.3 conflicts).
  Status TruncateAfter(Index index);
  // Appends entries (which must continue the log); durable after Sync().
  Status Append(const std::vector<Entry>& entries);
  Status Sync();
  Status Close();

  Index first_index() const;  // first entry held in the log
  Index last_index() const;   // last entry (the snapshot index when none)
  const Snapshot& snapshot() const { return snapshot_; }
  wal::Log& log() { return *log_; }

 private:
  explicit RaftStorage(RaftStorageOptions options) : options_(std::move(options)) {}
  Status Recover();
  // Replaces the log with an empty one whose first entry will be `next`.
  Status ResetLog(Index next);
  Status OpenLog(Index first_if_empty);
  Status WriteFileAtomically(const std::string& name, std::string_view payload);
  // The checksummed payload of `name`, NotFound when it does not exist.
  Result<std::string> ReadFile(const std::string& name) const;

  const RaftStorageOptions options_;
  std::unique_ptr<wal::Log> log_;
  HardState hard_state_;  // as saved (commit unused)
  Snapshot snapshot_;     // as saved
  std::vector<Entry> restored_entries_;
};

}  // namespace dsc::raft
