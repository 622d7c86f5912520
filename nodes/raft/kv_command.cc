#include "nodes/raft/kv_command.h"

#include "base/text.h"
#include "nodes/raft/byte_codec.h"

namespace dsc::raft {
namespace {

constexpr uint8_t kVersion = 1;

void AddText(nlohmann::json& out, const std::string& field, const std::string& bytes) {
  if (IsValidUtf8(bytes)) {
    out[field] = bytes;
  } else {
    out[field + "_base64"] = Base64Encode(bytes);
  }
}

}  // namespace

std::string_view KvOpName(KvOp op) {
  switch (op) {
    case KvOp::kPut: return "put";
    case KvOp::kDelete: return "delete";
    case KvOp::kCas: return "cas";
  }
  return "unknown";
}

std::string EncodeKvCommand(const KvCommand& command) {
  std::string out;
  out.reserve(32 + command.key.size() + command.value.size() + command.client.size());
  PutU8(&out, kVersion);
  PutU8(&out, static_cast<uint8_t>(command.op));
  PutBytes(&out, command.key);
  PutBytes(&out, command.value);
  PutU8(&out, command.expected ? 1 : 0);
  PutBytes(&out, command.expected.value_or(""));
  PutBytes(&out, command.client);
  PutU64(&out, command.seq);
  return out;
}

Result<KvCommand> DecodeKvCommand(std::string_view data) {
  ByteReader in(data);
  uint8_t version = 0;
  uint8_t op = 0;
  uint8_t has_expected = 0;
  KvCommand command;
  std::string expected;
  if (!in.U8(&version) || version != kVersion) {
    return Status::Corruption("kv command: unknown version");
  }
  if (!in.U8(&op) || op < 1 || op > 3) return Status::Corruption("kv command: unknown op");
  command.op = static_cast<KvOp>(op);
  if (!in.Bytes(&command.key) || !in.Bytes(&command.value) || !in.U8(&has_expected) ||
      has_expected > 1 || !in.Bytes(&expected) || !in.Bytes(&command.client) ||
      !in.U64(&command.seq) || !in.done()) {
    return Status::Corruption("kv command: truncated or malformed");
  }
  // One encoding per command: an absent `expected` carries no bytes.
  if (!has_expected && !expected.empty()) {
    return Status::Corruption("kv command: bytes for an absent expected value");
  }
  if (has_expected) command.expected = std::move(expected);
  return command;
}

nlohmann::json KvCommandToJson(const KvCommand& command) {
  nlohmann::json out = {{"op", KvOpName(command.op)}};
  AddText(out, "key", command.key);
  if (command.op != KvOp::kDelete) AddText(out, "value", command.value);
  if (command.op == KvOp::kCas) {
    if (command.expected) {
      AddText(out, "expected", *command.expected);
    } else {
      out["expected"] = nullptr;
    }
  }
  if (!command.client.empty()) {
    AddText(out, "client", command.client);
    out["seq"] = command.seq;
  }
  return out;
}

}  // namespace dsc::raft
