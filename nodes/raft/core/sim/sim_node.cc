#include "nodes/raft/core/sim/sim_node.h"

#include <sstream>
#include <string>

namespace dsc::raft::sim {

uint64_t NextDigest(uint64_t digest, const Entry& entry) {
  uint64_t h = digest ^ 0xcbf29ce484222325ULL;
  const auto mix = [&h](uint64_t byte) {
    h ^= byte;
    h *= 0x100000001b3ULL;
  };
  for (int shift = 0; shift < 64; shift += 8) mix((entry.index >> shift) & 0xff);
  for (int shift = 0; shift < 64; shift += 8) mix((entry.term >> shift) & 0xff);
  for (char c : entry.data) mix(static_cast<unsigned char>(c));
  return h;
}

// Snapshot data: the digest in decimal; with snapshot history, followed by
// one line per applied entry, "\n<index> <term> <type> <data>" (test data
// has no spaces or newlines).
std::string SimNode::SnapshotData() const {
  std::string data = std::to_string(digest_);
  if (!snapshot_history_) return data;
  for (const auto& [index, entry] : applied_log_) {
    data += "\n" + std::to_string(index) + " " + std::to_string(entry.term) + " " +
            std::to_string(static_cast<int>(entry.type)) + " " + entry.data;
  }
  return data;
}

void SimNode::RestoreSnapshot(const Snapshot& snapshot) {
  digest_ = snapshot.data.empty() ? 0 : std::stoull(snapshot.data);
  applied_log_.clear();
  std::istringstream in(snapshot.data);
  std::string line;
  std::getline(in, line);  // the digest
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    Entry entry;
    int type = 0;
    fields >> entry.index >> entry.term >> type;
    entry.type = static_cast<EntryType>(type);
    if (fields.get() == ' ') std::getline(fields, entry.data);
    applied_log_[entry.index] = entry;
  }
}

void SimNode::Start(uint64_t seed) {
  RaftConfig config = config_;
  config.seed = seed;
  RestoredState restored = storage_.Restore();
  // The state machine restarts from its snapshot (the digest is its data).
  RestoreSnapshot(restored.snapshot);
  raft_ = std::make_unique<RaftNode>(config, std::move(restored));
  checker_->ResetCommitWatermark(id(), raft_->commit_index());
  reads_.clear();
}

void SimNode::Apply(const Entry& entry) {
  digest_ = NextDigest(digest_, entry);
  checker_->ObserveState(id(), entry.index, digest_);
  if (entry.type == EntryType::kNormal) applied_data_[entry.data] = entry.index;
  applied_log_[entry.index] = entry;
}

void SimNode::HandleReady(SimNetwork* network, int64_t now) {
  Ready ready = raft_->GetReady();
  checker_->ObservePersistedEntries(*raft_, ready.entries);
  storage_.Persist(ready);  // 1. persist
  if (ready.truncate_after) ++counters_.truncations;
  if (ready.snapshot) ++counters_.snapshots_installed;
  for (const Message& message : ready.messages) network->Send(message, now);  // 2. send
  if (ready.snapshot) {  // 3. apply: a snapshot replaces the state
    RestoreSnapshot(*ready.snapshot);
    checker_->ObserveState(id(), ready.snapshot->index, digest_);
  }
  Index expected = ready.snapshot ? ready.snapshot->index + 1 : raft_->applied_index() + 1;
  for (const Entry& entry : ready.committed_entries) {
    if (entry.index != expected++) checker_->Fail(id() + ": committed entries out of order");
    Apply(entry);
  }
  for (const ReadState& read : ready.read_states) {  // 4. serve reads
    const auto it = reads_.find(read.request_id);
    if (it == reads_.end()) {
      checker_->Fail(id() + ": read state for unknown request " + read.request_id);
      continue;
    }
    checker_->ObserveRead(id(), read, it->second);
    ++counters_.reads_served;
    reads_.erase(it);
  }
  raft_->Advance(ready);
}

void SimNode::Compact() {
  const Index applied = raft_->applied_index();
  if (applied <= raft_->log().snapshot_index()) return;
  const Term term = *raft_->log().TermAt(applied);
  const std::string data = SnapshotData();
  // Durable first, then the core may forget the entries.
  storage_.SaveSnapshot(Snapshot{applied, term, data});
  const Status status = raft_->Compact(applied, data);
  if (!status.ok()) checker_->Fail(id() + ": compact failed: " + status.ToString());
}

}  // namespace dsc::raft::sim
