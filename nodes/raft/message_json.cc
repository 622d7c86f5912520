#include "nodes/raft/message_json.h"

#include <limits>

#include "base/overloaded.h"
#include "base/text.h"

namespace dsc::raft {
namespace {

using nlohmann::json;

// Reads fields of one JSON object; the first problem sticks (like
// nodes/common/json_body.h, for nested objects).
class Fields {
 public:
  Fields(const json& object, std::string where, Status* status)
      : object_(object), where_(std::move(where)), status_(status) {
    if (!object_.is_object() && status_->ok()) {
      *status_ = Status::InvalidArgument(where_ + ": expected an object");
    }
  }

  uint64_t U64(const char* key) {
    const json* v = Find(key);
    if (v == nullptr) return 0;
    if (!v->is_number_unsigned()) {
      if (v->is_number_integer() && v->get<int64_t>() >= 0) return v->get<uint64_t>();
      Fail(key, "a non-negative integer");
      return 0;
    }
    return v->get<uint64_t>();
  }
  bool Bool(const char* key) {
    const json* v = Find(key);
    if (v == nullptr) return false;
    if (!v->is_boolean()) Fail(key, "a boolean");
    return v->is_boolean() && v->get<bool>();
  }
  std::string String(const char* key) {
    const json* v = Find(key);
    if (v == nullptr) return "";
    if (!v->is_string()) {
      Fail(key, "a string");
      return "";
    }
    return v->get<std::string>();
  }
  std::string Base64(const char* key) {
    std::string text = String(key);
    std::optional<std::string> bytes = Base64Decode(text);
    if (!bytes) {
      Fail(key, "base64");
      return "";
    }
    return *bytes;
  }
  const json& Array(const char* key) {
    static const json kEmpty = json::array();
    const json* v = Find(key);
    if (v == nullptr) return kEmpty;
    if (!v->is_array()) {
      Fail(key, "an array");
      return kEmpty;
    }
    return *v;
  }
  const json& Object(const char* key) {
    static const json kEmpty = json::object();
    const json* v = Find(key);
    if (v == nullptr) return kEmpty;
    if (!v->is_object()) {
      Fail(key, "an object");
      return kEmpty;
    }
    return *v;
  }

 private:
  const json* Find(const char* key) {
    if (!status_->ok() || !object_.is_object()) return nullptr;
    auto it = object_.find(key);
    if (it == object_.end()) {
      *status_ = Status::InvalidArgument(where_ + ": missing field \"" + key + "\"");
      return nullptr;
    }
    return &*it;
  }
  void Fail(const char* key, const char* expected) {
    if (status_->ok()) {
      *status_ = Status::InvalidArgument(where_ + ": field \"" + key + "\": expected " + expected);
    }
  }

  const json& object_;
  const std::string where_;
  Status* status_;
};

json EntryToJson(const Entry& e) {
  return {{"index", e.index},
          {"term", e.term},
          {"type", e.type == EntryType::kNoop ? "noop" : "normal"},
          {"data", Base64Encode(e.data)}};
}

Entry EntryFromJson(const json& j, Status* status) {
  Fields f(j, "entry", status);
  Entry e;
  e.index = f.U64("index");
  e.term = f.U64("term");
  const std::string type = f.String("type");
  e.data = f.Base64("data");
  if (status->ok() && type != "normal" && type != "noop") {
    *status = Status::InvalidArgument("entry: field \"type\": expected \"normal\" or \"noop\"");
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
  Status status;
  Fields f(j, "message", &status);
  Message m;
  m.from = f.String("from");
  m.to = f.String("to");
  m.term = f.U64("term");
  const std::string type = f.String("type");
  if (!status.ok()) return status;
  if (type == "request_vote") {
    VoteRequest b;
    b.pre_vote = f.Bool("pre_vote");
    b.last_log_index = f.U64("last_log_index");
    b.last_log_term = f.U64("last_log_term");
    m.body = b;
  } else if (type == "vote_response") {
    VoteResponse b;
    b.pre_vote = f.Bool("pre_vote");
    b.granted = f.Bool("granted");
    m.body = b;
  } else if (type == "append_entries") {
    AppendEntries b;
    b.prev_log_index = f.U64("prev_log_index");
    b.prev_log_term = f.U64("prev_log_term");
    b.leader_commit = f.U64("leader_commit");
    b.round = f.U64("round");
    for (const json& e : f.Array("entries")) {
      b.entries.push_back(EntryFromJson(e, &status));
      if (!status.ok()) return status;
    }
    // The core indexes entries by position: they must follow prev_log_index.
    for (size_t i = 0; i < b.entries.size(); ++i) {
      if (b.entries[i].index != b.prev_log_index + 1 + i) {
        return Status::InvalidArgument("append_entries: entries must follow prev_log_index");
      }
    }
    m.body = std::move(b);
  } else if (type == "append_entries_response") {
    AppendEntriesResponse b;
    b.success = f.Bool("success");
    b.match_index = f.U64("match_index");
    b.rejected_index = f.U64("rejected_index");
    b.conflict_term = f.U64("conflict_term");
    b.conflict_index = f.U64("conflict_index");
    b.round = f.U64("round");
    m.body = b;
  } else if (type == "install_snapshot") {
    InstallSnapshot b;
    Fields s(f.Object("snapshot"), "snapshot", &status);
    b.snapshot.index = s.U64("index");
    b.snapshot.term = s.U64("term");
    b.snapshot.data = s.Base64("data");
    b.round = f.U64("round");
    m.body = std::move(b);
  } else if (type == "install_snapshot_response") {
    InstallSnapshotResponse b;
    b.match_index = f.U64("match_index");
    b.round = f.U64("round");
    m.body = b;
  } else {
    return Status::InvalidArgument("message: unknown type \"" + type + "\"");
  }
  if (!status.ok()) return status;
  return m;
}

Result<Message> ParseMessage(std::string_view text) {
  if (!JsonDepthAtMost(text, 8)) return Status::InvalidArgument("message: nested too deeply");
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument("message: malformed JSON");
  return MessageFromJson(j);
}

}  // namespace dsc::raft
