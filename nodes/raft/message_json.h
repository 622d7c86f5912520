// The JSON form of Raft messages on the wire between nodes, so a learner
// can read them with curl or tcpdump:
//
//   POST /raft/append_entries
//   {"from":"n1","to":"n2","term":3,"type":"append_entries",
//    "prev_log_index":4,"prev_log_term":2,"leader_commit":4,"round":7,
//    "entries":[{"index":5,"term":3,"type":"normal","data":"AQEDAAAA..."}]}
//
// `data` (entries, snapshots) is base64: commands are binary (kv_command.h).
// Types: request_vote (with "pre_vote"), vote_response, append_entries,
// append_entries_response, install_snapshot, install_snapshot_response.
// Decoding checks every field's presence, type and range with JsonFields
// (base/json_fields.h), as a request: a malformed message is an
// InvalidArgument naming the field, which the node answers with 400.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "nlohmann/json.hpp"
#include "nodes/raft/core/message.h"

namespace dsc::raft {

nlohmann::json MessageToJson(const Message& message);
Result<Message> MessageFromJson(const nlohmann::json& json);
// Parses text (bounded nesting) and decodes it.
Result<Message> ParseMessage(std::string_view text);

// "request_vote", "append_entries", ...: the type name of the body.
std::string_view MessageTypeName(const MessageBody& body);
// True for the three requests a node sends to a peer's endpoint
// (/raft/<type name>); the responses travel back in the HTTP reply.
bool IsRequest(const MessageBody& body);

}  // namespace dsc::raft
