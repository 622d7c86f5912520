#include "nodes/raft/raft_records.h"

#include "nodes/raft/byte_codec.h"
#include "nodes/raft/kv_command.h"

namespace dsc::raft {

std::string EncodeEntryPayload(const Entry& entry) {
  std::string out;
  out.reserve(8 + entry.data.size());
  PutU64(&out, entry.term);
  out += entry.data;
  return out;
}

Result<Entry> DecodeEntryRecord(uint64_t lsn, uint8_t type, std::string_view payload) {
  if (type != kRaftEntryRecord && type != kRaftNoopRecord) {
    return Status::Corruption("raft log record " + std::to_string(lsn) + ": unknown type " +
                              std::to_string(type));
  }
  ByteReader in(payload);
  Entry entry;
  entry.index = lsn;
  if (!in.U64(&entry.term)) {
    return Status::Corruption("raft log record " + std::to_string(lsn) + ": no term");
  }
  entry.type = type == kRaftNoopRecord ? EntryType::kNoop : EntryType::kNormal;
  entry.data.assign(in.rest());
  return entry;
}

std::optional<nlohmann::json> DescribeRaftRecord(uint64_t lsn, uint8_t type,
                                                 std::string_view payload) {
  Result<Entry> entry = DecodeEntryRecord(lsn, type, payload);
  if (!entry.ok()) return std::nullopt;
  nlohmann::json out = {{"term", entry->term}};
  if (entry->type == EntryType::kNoop) {
    out["entry"] = "noop";
    return out;
  }
  Result<KvCommand> command = DecodeKvCommand(entry->data);
  if (!command.ok()) return std::nullopt;
  out["command"] = KvCommandToJson(*command);
  return out;
}

}  // namespace dsc::raft
