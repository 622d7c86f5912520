// KvStateMachine: the replicated state machine of the Raft KV store.
//
// Every node applies the same committed entries in the same order (§5,
// "replicated state machines"), so every node ends with the same map. The
// map lives in RocksDB (engine/), and each batch of entries is applied
// together with the index it reaches, atomically: after a kill -9 the
// state is exactly the fold of entries 1..applied_index(), and the node
// re-applies the rest from its Raft log. Entries at or below
// applied_index() are skipped, which makes re-applying idempotent.
//
// Exactly-once (docs/RELIABILITY.md, Raft checklist 9): a command carrying
// (client, seq) is applied only if seq is above the last one applied for
// that client; a duplicate gets the stored outcome of the last command
// instead of running again. The session table is part of the state, so it
// is in snapshots and survives restarts like the data.
//
// Tables (column families): "kv" key -> index:u64 value; "sessions"
// client -> seq:u64 outcome.
//
// Thread-safety: Apply, Restore, TakeSnapshot and Flush are called by one
// thread (the Raft loop); Get may run concurrently with them.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "engine/engine.h"
#include "nodes/raft/core/types.h"

namespace dsc::raft {

// A value as stored: the bytes and the index of the entry that wrote them.
struct KvValue {
  std::string value;
  Index index = 0;

  bool operator==(const KvValue&) const = default;
};

// What applying one command did; what its client is told.
// ANCHOR: kv_outcome
struct KvOutcome {
  Index index = 0;         // the entry that ran the command (for a duplicate: the first)
  bool swapped = true;     // kCas: false when `expected` did not match
  bool existed = false;    // kDelete: the key was there; kCas failure: has `current`
  std::string current;     // kCas failure: the value found (when existed)
  bool duplicate = false;  // a retried (client, seq): this is the first run's outcome

  bool operator==(const KvOutcome&) const = default;
};
// ANCHOR_END: kv_outcome

class KvStateMachine {
 public:
  // Opens (creating if needed) the state in `dir`.
  static Result<std::unique_ptr<KvStateMachine>> Open(const std::string& dir);

  // Applies `entries` (consecutive, in index order; no-ops included) and
  // returns the outcome of each normal entry above applied_index(), with
  // the entry's index. Corruption for an entry whose data is not a
  // command (the log is damaged: the node must stop rather than diverge).
  struct Applied {
    Index entry = 0;
    KvOutcome outcome;
  };
  Result<std::vector<Applied>> Apply(const std::vector<Entry>& entries);

  // The value of `key` as of applied_index(); nullopt when absent.
  Result<std::optional<KvValue>> Get(std::string_view key) const;

  Index applied_index() const { return engine_->applied_lsn(); }

  // The whole state (data and sessions) as bytes, for a snapshot at
  // applied_index() (§7).
  Result<std::string> TakeSnapshot() const;
  // Replaces the whole state with a snapshot's, at `index` (which must be
  // above applied_index()).
  Status Restore(std::string_view data, Index index);

  // Makes the state durable on disk; returns the index it covers (so the
  // Raft log before it may be dropped, engine.h).
  Result<Index> Flush() { return engine_->Flush(); }
  Status Close() { return engine_->Close(); }

  // Counts of keys and sessions, for /status and tests.
  size_t CountKeys() const;

 private:
  explicit KvStateMachine(std::unique_ptr<engine::Engine> engine) : engine_(std::move(engine)) {}

  std::unique_ptr<engine::Engine> engine_;
};

}  // namespace dsc::raft
