// KvCommand: what one Raft log entry asks the key-value state machine to do.
//
// The Raft core treats an entry's data as opaque bytes; this file gives
// them meaning. Commands are encoded in a small binary format (values are
// raw bytes: a PUT body may be anything) that `dsc wal dump` can decode.
//
//   command := version:u8=1  op:u8  key  value  expected_present:u8
//              expected  client  seq:u64
//   key, value, expected, client := length:u32 bytes
//
// Integers are little-endian. `client` and `seq` make a command
// exactly-once (docs/RELIABILITY.md, Raft checklist 9): a client that retries
// after a 503 sends the same (client, seq), and the state machine applies
// it at most once, answering the retry with the first outcome.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "nlohmann/json.hpp"

namespace dsc::raft {

enum class KvOp : uint8_t { kPut = 1, kDelete = 2, kCas = 3 };

// ANCHOR: kv_command
struct KvCommand {
  KvOp op = KvOp::kPut;
  std::string key;
  std::string value;                    // kPut, kCas: the new value
  std::optional<std::string> expected;  // kCas: the value required; nullopt = "absent"
  std::string client;                   // "" for a command without a session
  uint64_t seq = 0;                     // the client's sequence number (from 1)

  bool operator==(const KvCommand&) const = default;
};
// ANCHOR_END: kv_command

std::string EncodeKvCommand(const KvCommand& command);
// Corruption when `data` is not a well-formed command.
Result<KvCommand> DecodeKvCommand(std::string_view data);

// {"op":"put","key":..,"value":..,...} for logs and `dsc wal dump`; bytes
// that are not UTF-8 are shown base64-encoded with a "_base64" suffix on
// the field name.
nlohmann::json KvCommandToJson(const KvCommand& command);

std::string_view KvOpName(KvOp op);

}  // namespace dsc::raft
