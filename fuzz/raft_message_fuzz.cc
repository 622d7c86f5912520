// libFuzzer target for what a Raft node decodes from the network and from
// its log (docs/RELIABILITY.md, family 6): a peer message's JSON
// (message_json.h) and a KV command's bytes (kv_command.h).
//
// Whatever the input, decoding must return an error rather than crash,
// hang or read out of bounds; and whatever decodes must encode back to
// something that decodes to the same value (JSON) or to the same bytes
// (commands, whose encoding is canonical).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "nodes/raft/kv_command.h"
#include "nodes/raft/message_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  dsc::Result<dsc::raft::Message> message = dsc::raft::ParseMessage(input);
  if (message.ok()) {
    const nlohmann::json json = dsc::raft::MessageToJson(*message);
    dsc::Result<dsc::raft::Message> again = dsc::raft::MessageFromJson(json);
    if (!again.ok() || dsc::raft::MessageToJson(*again) != json) std::abort();
  }

  dsc::Result<dsc::raft::KvCommand> command = dsc::raft::DecodeKvCommand(input);
  if (command.ok()) {
    if (dsc::raft::EncodeKvCommand(*command) != input) std::abort();
    (void)dsc::raft::KvCommandToJson(*command);
  }
  return 0;
}
