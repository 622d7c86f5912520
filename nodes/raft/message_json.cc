#include "nodes/raft/message_json.h"

#include <optional>
#include <string>
#include <utility>

#include "base/json_fields.h"
#include "base/overloaded.h"
#include "base/text.h"

namespace dsc::raft {
namespace {

using nlohmann::json;

// A peer message comes over the network from another node, like a
// client's request: a malformed one is InvalidArgument, which the node
// answers with 400 (raft_http.cc), not Corruption (a 500).
constexpr JsonFields::Source kSource = JsonFields::Source::kRequest;

// Terms, indexes and rounds count up from 0; no node sends one past
// INT64_MAX.
constexpr IntRange kNonNegative{.min = 0};

uint64_t RequireU64(JsonFields& fields, std::string_view key) {
  return static_cast<uint64_t>(fields.RequireInt(key, kNonNegative));
}

// A string field holding base64 (entry and snapshot data), decoded.
std::string RequireBase64(JsonFields& fields, std::string_view key) {
  const std::string text = fields.RequireString(key);
  if (!fields.ok()) return "";
  std::optional<std::string> bytes = Base64Decode(text);
  if (!bytes) {
    fields.Fail("field \"" + std::string(key) + "\": expected base64");
    return "";
  }
  return std::move(*bytes);
}

// An array or object field, read in place: the entries and a snapshot can
// be hundreds of megabytes (kMaxPeerBodyBytes in nodes/raft/serve.cc),
// which JsonFields::RequireValue would copy. nullptr once `fields` holds
// a problem; null counts as missing, as in JsonFields.
const json* RequireNested(JsonFields& fields, const json& object, std::string_view key,
                          json::value_t type) {
  if (!fields.ok()) return nullptr;
  const auto it = object.find(key);  // finds nothing in a non-object
  if (it == object.end() || it->is_null()) {
    fields.Fail("missing field \"" + std::string(key) + "\"");
    return nullptr;
  }
  if (it->type() != type) {
    fields.Fail("field \"" + std::string(key) + "\": expected " +
                (type == json::value_t::array ? "an array" : "an object") + ", got " +
                it->type_name());
    return nullptr;
  }
  return &*it;
}

json EntryToJson(const Entry& e) {
  return {{"index", e.index},
          {"term", e.term},
          {"type", e.type == EntryType::kNoop ? "noop" : "normal"},
          {"data", Base64Encode(e.data)}};
}

// `position` names the entry in a problem: "entries[2]: missing field ...".
Result<Entry> EntryFromJson(const json& j, size_t position) {
  JsonFields fields(j, "entries[" + std::to_string(position) + "]", kSource);
  Entry e;
  e.index = RequireU64(fields, "index");
  e.term = RequireU64(fields, "term");
  const std::string type = fields.RequireString("type");
  e.data = RequireBase64(fields, "data");
  DSC_RETURN_IF_ERROR(fields.status());
  if (type != "normal" && type != "noop") {
    fields.Fail("field \"type\": expected \"normal\" or \"noop\"");
    return fields.status();
  }
  e.type = type == "noop" ? EntryType::kNoop : EntryType::kNormal;
  return e;
}

}  // namespace

std::string_view MessageTypeName(const MessageBody& body) {
  return std::visit(Overloaded{
                        [](const VoteRequest&) { return "request_vote"; },
                        [](const VoteResponse&) { return "vote_response"; },
                        [](const AppendEntries&) { return "append_entries"; },
                        [](const AppendEntriesResponse&) { return "append_entries_response"; },
                        [](const InstallSnapshot&) { return "install_snapshot"; },
                        [](const InstallSnapshotResponse&) { return "install_snapshot_response"; },
                    },
                    body);
}

bool IsRequest(const MessageBody& body) {
  return std::holds_alternative<VoteRequest>(body) || std::holds_alternative<AppendEntries>(body) ||
         std::holds_alternative<InstallSnapshot>(body);
}

json MessageToJson(const Message& m) {
  json out = {{"from", m.from}, {"to", m.to}, {"term", m.term}, {"type", MessageTypeName(m.body)}};
  std::visit(Overloaded{
                 [&](const VoteRequest& b) {
                   out["pre_vote"] = b.pre_vote;
                   out["last_log_index"] = b.last_log_index;
                   out["last_log_term"] = b.last_log_term;
                 },
                 [&](const VoteResponse& b) {
                   out["pre_vote"] = b.pre_vote;
                   out["granted"] = b.granted;
                 },
                 [&](const AppendEntries& b) {
                   out["prev_log_index"] = b.prev_log_index;
                   out["prev_log_term"] = b.prev_log_term;
                   out["leader_commit"] = b.leader_commit;
                   out["round"] = b.round;
                   json entries = json::array();
                   for (const Entry& e : b.entries) entries.push_back(EntryToJson(e));
                   out["entries"] = std::move(entries);
                 },
                 [&](const AppendEntriesResponse& b) {
                   out["success"] = b.success;
                   out["match_index"] = b.match_index;
                   out["rejected_index"] = b.rejected_index;
                   out["conflict_term"] = b.conflict_term;
                   out["conflict_index"] = b.conflict_index;
                   out["round"] = b.round;
                 },
                 [&](const InstallSnapshot& b) {
                   out["snapshot"] = {{"index", b.snapshot.index},
                                      {"term", b.snapshot.term},
                                      {"data", Base64Encode(b.snapshot.data)}};
                   out["round"] = b.round;
                 },
                 [&](const InstallSnapshotResponse& b) {
                   out["match_index"] = b.match_index;
                   out["round"] = b.round;
                 },
             },
             m.body);
  return out;
}

Result<Message> MessageFromJson(const json& j) {
  JsonFields f(j, "message", kSource);
  Message m;
  m.from = f.RequireString("from");
  m.to = f.RequireString("to");
  m.term = RequireU64(f, "term");
  const std::string type = f.RequireString("type");
  DSC_RETURN_IF_ERROR(f.status());
  if (type == "request_vote") {
    VoteRequest b;
    b.pre_vote = f.RequireBool("pre_vote");
    b.last_log_index = RequireU64(f, "last_log_index");
    b.last_log_term = RequireU64(f, "last_log_term");
    m.body = b;
  } else if (type == "vote_response") {
    VoteResponse b;
    b.pre_vote = f.RequireBool("pre_vote");
    b.granted = f.RequireBool("granted");
    m.body = b;
  } else if (type == "append_entries") {
    AppendEntries b;
    b.prev_log_index = RequireU64(f, "prev_log_index");
    b.prev_log_term = RequireU64(f, "prev_log_term");
    b.leader_commit = RequireU64(f, "leader_commit");
    b.round = RequireU64(f, "round");
    const json* entries = RequireNested(f, j, "entries", json::value_t::array);
    DSC_RETURN_IF_ERROR(f.status());
    for (size_t i = 0; i < entries->size(); ++i) {
      Result<Entry> entry = EntryFromJson((*entries)[i], i);
      DSC_RETURN_IF_ERROR(entry.status());
      b.entries.push_back(std::move(entry).value());
    }
    // The core indexes entries by position: they must follow prev_log_index.
    for (size_t i = 0; i < b.entries.size(); ++i) {
      if (b.entries[i].index != b.prev_log_index + 1 + i) {
        f.Fail("entries must follow prev_log_index");
        return f.status();
      }
    }
    m.body = std::move(b);
  } else if (type == "append_entries_response") {
    AppendEntriesResponse b;
    b.success = f.RequireBool("success");
    b.match_index = RequireU64(f, "match_index");
    b.rejected_index = RequireU64(f, "rejected_index");
    b.conflict_term = RequireU64(f, "conflict_term");
    b.conflict_index = RequireU64(f, "conflict_index");
    b.round = RequireU64(f, "round");
    m.body = b;
  } else if (type == "install_snapshot") {
    InstallSnapshot b;
    b.round = RequireU64(f, "round");
    const json* snapshot = RequireNested(f, j, "snapshot", json::value_t::object);
    DSC_RETURN_IF_ERROR(f.status());
    JsonFields s(*snapshot, "snapshot", kSource);
    b.snapshot.index = RequireU64(s, "index");
    b.snapshot.term = RequireU64(s, "term");
    b.snapshot.data = RequireBase64(s, "data");
    DSC_RETURN_IF_ERROR(s.status());
    m.body = std::move(b);
  } else if (type == "install_snapshot_response") {
    InstallSnapshotResponse b;
    b.match_index = RequireU64(f, "match_index");
    b.round = RequireU64(f, "round");
    m.body = b;
  } else {
    f.Fail("unknown type \"" + TruncateUtf8(type, 32) + "\"");
  }
  DSC_RETURN_IF_ERROR(f.status());
  return m;
}

Result<Message> ParseMessage(std::string_view text) {
  if (!JsonDepthAtMost(text, 8)) return Status::InvalidArgument("message: nested too deeply");
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument("message: malformed JSON");
  return MessageFromJson(j);
}

}  // namespace dsc::raft
