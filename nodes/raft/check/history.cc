#include "nodes/raft/check/history.h"

#include <cstdio>
#include <fstream>
#include <istream>
#include <ostream>

namespace dsc::raft::check {

namespace {

// JSON strings must be valid UTF-8; our values are, but a hand-edited
// history may not be, and dumping must never throw.
template <typename Json>
std::string Dump(const Json& json) {
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// "1.234567s": nanoseconds as seconds, microsecond precision.
std::string Seconds(int64_t ns) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.6fs", static_cast<double>(ns) / 1e9);
  return buffer;
}

std::string Quoted(const std::optional<std::string>& value) {
  return value ? Dump(nlohmann::json(*value)) : "absent";
}

Result<std::string> StringField(const nlohmann::json& line, const char* name) {
  auto it = line.find(name);
  if (it == line.end() || !it->is_string()) {
    return Status::InvalidArgument(std::string("\"") + name + "\" must be a string");
  }
  return it->get<std::string>();
}

Result<int64_t> IntField(const nlohmann::json& line, const char* name) {
  auto it = line.find(name);
  if (it == line.end() || !it->is_number_integer()) {
    return Status::InvalidArgument(std::string("\"") + name + "\" must be an integer");
  }
  return it->get<int64_t>();
}

// A string, or null for "absent".
Result<std::optional<std::string>> OptionalStringField(const nlohmann::json& line,
                                                       const char* name) {
  auto it = line.find(name);
  if (it == line.end() || !(it->is_string() || it->is_null())) {
    return Status::InvalidArgument(std::string("\"") + name + "\" must be a string or null");
  }
  if (it->is_null()) return std::optional<std::string>();
  return std::optional<std::string>(it->get<std::string>());
}

}  // namespace

std::string_view OpKindName(OpKind kind) {
  switch (kind) {
    case OpKind::kGet: return "get";
    case OpKind::kPut: return "put";
    case OpKind::kDelete: return "delete";
    case OpKind::kCas: return "cas";
  }
  return "?";
}

std::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kOk: return "ok";
    case Outcome::kFailed: return "failed";
    case Outcome::kUnknown: return "unknown";
  }
  return "?";
}

nlohmann::ordered_json OperationToJson(const Operation& op) {
  nlohmann::ordered_json line;
  line["id"] = op.id;
  line["client"] = op.client;
  line["op"] = OpKindName(op.kind);
  line["key"] = op.key;
  if (op.kind == OpKind::kCas)
    line["expected"] = op.expected ? nlohmann::json(*op.expected) : nullptr;
  if (op.kind == OpKind::kPut || op.kind == OpKind::kCas) line["value"] = op.value;
  line["invoke_ns"] = op.invoke_ns;
  line["complete_ns"] = op.complete_ns;
  line["outcome"] = OutcomeName(op.outcome);
  if (op.outcome == Outcome::kOk) {
    if (op.kind == OpKind::kCas) line["swapped"] = op.swapped;
    if (op.has_seen) line["seen"] = op.seen ? nlohmann::json(*op.seen) : nullptr;
  }
  if (!op.node.empty()) line["node"] = op.node;
  if (!op.note.empty()) line["note"] = op.note;
  return line;
}

Result<Operation> OperationFromJson(const nlohmann::json& line) {
  if (!line.is_object()) return Status::InvalidArgument("an operation must be a JSON object");
  Operation op;
  Result<int64_t> id = IntField(line, "id");
  if (!id.ok()) return id.status();
  if (*id < 0) return Status::InvalidArgument("\"id\" must not be negative");
  op.id = static_cast<uint64_t>(*id);
  if (line.contains("client")) {
    Result<int64_t> client = IntField(line, "client");
    if (!client.ok()) return client.status();
    op.client = static_cast<int>(*client);
  }

  Result<std::string> kind = StringField(line, "op");
  if (!kind.ok()) return kind.status();
  if (*kind == "get") {
    op.kind = OpKind::kGet;
  } else if (*kind == "put") {
    op.kind = OpKind::kPut;
  } else if (*kind == "delete") {
    op.kind = OpKind::kDelete;
  } else if (*kind == "cas") {
    op.kind = OpKind::kCas;
  } else {
    return Status::InvalidArgument("\"op\" must be get, put, delete or cas, not \"" + *kind + "\"");
  }
  Result<std::string> key = StringField(line, "key");
  if (!key.ok()) return key.status();
  op.key = std::move(*key);
  if (op.kind == OpKind::kPut || op.kind == OpKind::kCas) {
    Result<std::string> value = StringField(line, "value");
    if (!value.ok()) return value.status().WithContext(std::string(OpKindName(op.kind)));
    op.value = std::move(*value);
  }
  if (op.kind == OpKind::kCas) {
    Result<std::optional<std::string>> expected = OptionalStringField(line, "expected");
    if (!expected.ok()) return expected.status().WithContext("cas");
    op.expected = std::move(*expected);
  }

  Result<int64_t> invoke = IntField(line, "invoke_ns");
  if (!invoke.ok()) return invoke.status();
  op.invoke_ns = *invoke;
  Result<int64_t> complete = IntField(line, "complete_ns");
  if (!complete.ok()) return complete.status();
  op.complete_ns = *complete;

  Result<std::string> outcome = StringField(line, "outcome");
  if (!outcome.ok()) return outcome.status();
  if (*outcome == "ok") {
    op.outcome = Outcome::kOk;
  } else if (*outcome == "failed") {
    op.outcome = Outcome::kFailed;
  } else if (*outcome == "unknown") {
    op.outcome = Outcome::kUnknown;
  } else {
    return Status::InvalidArgument("\"outcome\" must be ok, failed or unknown, not \"" + *outcome +
                                   "\"");
  }
  if (op.outcome != Outcome::kUnknown && op.complete_ns < op.invoke_ns) {
    return Status::InvalidArgument("\"complete_ns\" is before \"invoke_ns\"");
  }

  if (op.outcome == Outcome::kOk) {
    if (line.contains("seen")) {
      Result<std::optional<std::string>> seen = OptionalStringField(line, "seen");
      if (!seen.ok()) return seen.status();
      op.has_seen = true;
      op.seen = std::move(*seen);
    } else if (op.kind == OpKind::kGet) {
      return Status::InvalidArgument("an ok get needs \"seen\" (null when the key was absent)");
    }
    if (op.kind == OpKind::kCas) {
      auto swapped = line.find("swapped");
      if (swapped == line.end() || !swapped->is_boolean()) {
        return Status::InvalidArgument("an ok cas needs \"swapped\": true or false");
      }
      op.swapped = swapped->get<bool>();
    }
  }
  if (line.contains("node") && line["node"].is_string()) op.node = line["node"].get<std::string>();
  if (line.contains("note") && line["note"].is_string()) op.note = line["note"].get<std::string>();
  return op;
}

void WriteHistory(const History& history, std::ostream& out) {
  for (const Operation& op : history) out << Dump(OperationToJson(op)) << '\n';
}

Result<History> ReadHistory(std::istream& in) {
  History history;
  std::string text;
  int line_number = 0;
  while (std::getline(in, text)) {
    ++line_number;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = "line " + std::to_string(line_number);
    nlohmann::json line = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (line.is_discarded()) return Status::InvalidArgument(where + ": not JSON");
    Result<Operation> op = OperationFromJson(line);
    if (!op.ok()) return op.status().WithContext(where);
    history.push_back(std::move(*op));
  }
  if (in.bad()) return Status::IOError("read failed");
  return history;
}

Status SaveHistoryFile(const History& history, const std::string& path) {
  std::ofstream out(path, std::ios::trunc);
  if (!out) return Status::IOError("cannot write " + path);
  WriteHistory(history, out);
  out.flush();
  if (!out) return Status::IOError("write failed: " + path);
  return Status::Ok();
}

Result<History> LoadHistoryFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot open " + path);
  Result<History> history = ReadHistory(in);
  if (!history.ok()) return history.status().WithContext(path);
  return history;
}

std::string DescribeOperation(const Operation& op) {
  std::string text = "#" + std::to_string(op.id) + " client " + std::to_string(op.client) + " " +
                     std::string(OpKindName(op.kind)) + " " + Dump(nlohmann::json(op.key));
  if (op.kind == OpKind::kPut) text += " " + Dump(nlohmann::json(op.value));
  if (op.kind == OpKind::kCas)
    text += " " + Quoted(op.expected) + " -> " + Dump(nlohmann::json(op.value));
  switch (op.outcome) {
    case Outcome::kOk:
      if (op.kind == OpKind::kCas) text += op.swapped ? ": swapped" : ": not swapped";
      if (op.has_seen) text += (op.kind == OpKind::kGet ? ": read " : ", saw ") + Quoted(op.seen);
      if (op.kind == OpKind::kPut || op.kind == OpKind::kDelete) text += ": ok";
      break;
    case Outcome::kFailed: text += ": failed"; break;
    case Outcome::kUnknown: text += ": unknown"; break;
  }
  text += " [" + Seconds(op.invoke_ns) + ", ";
  text += op.outcome == Outcome::kUnknown ? "?" : Seconds(op.complete_ns);
  text += "]";
  return text;
}

}  // namespace dsc::raft::check
