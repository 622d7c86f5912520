#include "nodes/raft/kv_state_machine.h"

#include "nodes/raft/byte_codec.h"
#include "nodes/raft/kv_command.h"

namespace dsc::raft {
namespace {

constexpr std::string_view kKv = "kv";
constexpr std::string_view kSessions = "sessions";
constexpr uint8_t kSnapshotVersion = 1;

std::string EncodeValue(const KvValue& v) {
  std::string out;
  PutU64(&out, v.index);
  out += v.value;
  return out;
}

Result<KvValue> DecodeValue(std::string_view data) {
  ByteReader in(data);
  KvValue v;
  if (!in.U64(&v.index)) return Status::Corruption("kv: value record shorter than its index");
  v.value.assign(in.rest());
  return v;
}

// A session: the last sequence number applied for a client and its outcome.
std::string EncodeSession(uint64_t seq, const KvOutcome& o) {
  std::string out;
  PutU64(&out, seq);
  PutU64(&out, o.index);
  PutU8(&out, o.swapped ? 1 : 0);
  PutU8(&out, o.existed ? 1 : 0);
  PutBytes(&out, o.current);
  return out;
}

Status DecodeSession(std::string_view data, uint64_t* seq, KvOutcome* o) {
  ByteReader in(data);
  uint8_t swapped = 0;
  uint8_t existed = 0;
  if (!in.U64(seq) || !in.U64(&o->index) || !in.U8(&swapped) || !in.U8(&existed) ||
      !in.Bytes(&o->current) || !in.done()) {
    return Status::Corruption("kv: malformed session record");
  }
  o->swapped = swapped != 0;
  o->existed = existed != 0;
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<KvStateMachine>> KvStateMachine::Open(const std::string& dir) {
  engine::EngineOptions options;
  options.column_families = {std::string(kKv), std::string(kSessions)};
  Result<std::unique_ptr<engine::Engine>> engine = engine::Engine::Open(dir, options);
  if (!engine.ok()) return engine.status();
  return std::unique_ptr<KvStateMachine>(new KvStateMachine(std::move(engine).value()));
}

// ANCHOR: apply
Result<std::vector<KvStateMachine::Applied>> KvStateMachine::Apply(
    const std::vector<Entry>& entries) {
  std::vector<Applied> outcomes;
  engine::Batch batch;
  Index last = 0;
  for (const Entry& entry : entries) {
    if (entry.index <= applied_index()) continue;  // applied before a restart
    last = entry.index;
    if (entry.type == EntryType::kNoop) continue;
    Result<KvCommand> command = DecodeKvCommand(entry.data);
    if (!command.ok()) {
      return Status::Corruption("entry " + std::to_string(entry.index) + ": " +
                                command.status().message());
    }
    // Exactly-once: a (client, seq) at or below the last one applied has
    // run already; answer with what the first run answered.
    uint64_t last_seq = 0;
    KvOutcome outcome;
    if (!command->client.empty()) {
      Result<std::string> session = engine_->Get(kSessions, command->client, batch);
      if (session.ok()) {
        DSC_RETURN_IF_ERROR(DecodeSession(*session, &last_seq, &outcome));
      } else if (!session.status().IsNotFound()) {
        return session.status();
      }
      if (command->seq <= last_seq) {
        outcome.duplicate = true;
        outcomes.push_back({entry.index, outcome});
        continue;
      }
    }
    outcome = KvOutcome{};
    outcome.index = entry.index;
    // Only DELETE and CAS depend on what is there; a PUT skips the read.
    std::optional<KvValue> before;
    if (command->op != KvOp::kPut) {
      Result<std::string> current = engine_->Get(kKv, command->key, batch);
      if (!current.ok() && !current.status().IsNotFound()) return current.status();
      if (current.ok()) {
        Result<KvValue> decoded = DecodeValue(*current);
        if (!decoded.ok()) return decoded.status();
        before = std::move(decoded).value();
      }
    }
    switch (command->op) {
      case KvOp::kPut:
        batch.Put(kKv, command->key, EncodeValue({command->value, entry.index}));
        break;
      case KvOp::kDelete:
        outcome.existed = before.has_value();
        if (before) batch.Delete(kKv, command->key);
        break;
      case KvOp::kCas: {
        const bool matches = command->expected ? (before && before->value == *command->expected)
                                               : !before.has_value();
        outcome.swapped = matches;
        if (matches) {
          batch.Put(kKv, command->key, EncodeValue({command->value, entry.index}));
        } else if (before) {
          outcome.existed = true;
          outcome.current = before->value;
        }
        break;
      }
    }
    if (!command->client.empty()) {
      batch.Put(kSessions, command->client, EncodeSession(command->seq, outcome));
    }
    outcomes.push_back({entry.index, std::move(outcome)});
  }
  // The data and the index it reaches, in one atomic write (engine.h).
  if (last > 0) DSC_RETURN_IF_ERROR(engine_->Apply(batch, last));
  return outcomes;
}
// ANCHOR_END: apply

Result<std::optional<KvValue>> KvStateMachine::Get(std::string_view key) const {
  Result<std::string> stored = engine_->Get(kKv, key);
  if (!stored.ok()) {
    if (stored.status().IsNotFound()) return std::optional<KvValue>();
    return stored.status();
  }
  Result<KvValue> value = DecodeValue(*stored);
  if (!value.ok()) return value.status();
  return std::optional<KvValue>(std::move(value).value());
}

// snapshot := version:u8 (table:u8 key value)*   table 1 = kv, 2 = sessions
Result<std::string> KvStateMachine::TakeSnapshot() const {
  std::string out;
  PutU8(&out, kSnapshotVersion);
  for (uint8_t table : {uint8_t{1}, uint8_t{2}}) {
    DSC_RETURN_IF_ERROR(engine_->Scan(table == 1 ? kKv : kSessions, engine::KeyRange::All(),
                                      [&](std::string_view key, std::string_view value) {
                                        PutU8(&out, table);
                                        PutBytes(&out, key);
                                        PutBytes(&out, value);
                                        return true;
                                      }));
  }
  return out;
}

Status KvStateMachine::Restore(std::string_view data, Index index) {
  if (index <= applied_index()) {
    return Status::InvalidArgument("snapshot at " + std::to_string(index) +
                                   " is not newer than the state (" +
                                   std::to_string(applied_index()) + ")");
  }
  engine::Batch batch;
  for (std::string_view table : {kKv, kSessions}) {
    DSC_RETURN_IF_ERROR(
        engine_->Scan(table, engine::KeyRange::All(), [&](std::string_view key, std::string_view) {
          batch.Delete(table, key);
          return true;
        }));
  }
  ByteReader in(data);
  uint8_t version = 0;
  if (!in.U8(&version) || version != kSnapshotVersion) {
    return Status::Corruption("snapshot: unknown version");
  }
  while (!in.done()) {
    uint8_t table = 0;
    std::string key;
    std::string value;
    if (!in.U8(&table) || (table != 1 && table != 2) || !in.Bytes(&key) || !in.Bytes(&value)) {
      return Status::Corruption("snapshot: malformed record");
    }
    batch.Put(table == 1 ? kKv : kSessions, key, value);
  }
  return engine_->Apply(batch, index);
}

size_t KvStateMachine::CountKeys() const {
  size_t n = 0;
  (void)engine_->Scan(kKv, engine::KeyRange::All(), [&](std::string_view, std::string_view) {
    ++n;
    return true;
  });
  return n;
}

}  // namespace dsc::raft
