#include "nodes/raft/raft_http.h"

#include <charconv>

#include "nodes/common/json_body.h"
#include "nodes/common/json_error.h"
#include "nodes/raft/message_json.h"

namespace dsc::raft {
namespace {

constexpr size_t kMaxKeyBytes = 1024;
constexpr char kKeyPattern[] = "/kv/([^/]+)";

// The key from the route, or a 400 already sent.
std::optional<std::string> KeyOf(const node::Request& req, httplib::Response& res) {
  std::string key = req.match[1];
  if (key.size() > kMaxKeyBytes) {
    node::ReplyBadRequest(res, "key longer than " + std::to_string(kMaxKeyBytes) + " bytes");
    return std::nullopt;
  }
  return key;
}

nlohmann::json Text(const std::string& bytes) { return nlohmann::json(bytes); }

}  // namespace

RaftHttp::RaftHttp(RaftKvService* service, const node::PeerClient* peers,
                   size_t max_client_body_bytes)
    : service_(service), peers_(peers), max_client_body_bytes_(max_client_body_bytes) {}

bool RaftHttp::BodyFits(const node::Request& req, httplib::Response& res) const {
  if (req.body().size() <= max_client_body_bytes_) return true;
  node::ReplyError(res, 413, node::error_code::kTooLarge,
                   "body of " + std::to_string(req.body().size()) + " bytes; the limit is " +
                       std::to_string(max_client_body_bytes_));
  return false;
}

void RaftHttp::Register(node::NodeServer& server) {
  using std::placeholders::_1;
  using std::placeholders::_2;
  server.Put(kKeyPattern, std::bind(&RaftHttp::Put, this, _1, _2));
  server.Get(kKeyPattern, std::bind(&RaftHttp::Get, this, _1, _2));
  server.Delete(kKeyPattern, std::bind(&RaftHttp::Delete, this, _1, _2));
  server.Post(std::string(kKeyPattern) + "/cas", std::bind(&RaftHttp::Cas, this, _1, _2));
  server.Post("/raft/(request_vote|append_entries|install_snapshot)",
              std::bind(&RaftHttp::Peer, this, _1, _2));
  server.SetStatusProvider([this] { return service_->StatusJson(); });
}

void RaftHttp::ReplyNotLeader(const NotLeader& not_leader, httplib::Response& res) const {
  std::optional<std::string> id;
  std::optional<std::string> url;
  if (!not_leader.leader.empty()) {
    id = not_leader.leader;
    if (const node::PeerAddress* peer = peers_->Find(not_leader.leader)) url = peer->Url();
  }
  node::ReplyNotLeader(res, id, url);
}

std::optional<KvOutcome> RaftHttp::RunWrite(const node::Request& req, KvCommand command,
                                            httplib::Response& res) {
  const std::optional<std::string> client = req.Query("client");
  const std::optional<std::string> seq = req.Query("seq");
  if (client.has_value() != seq.has_value()) {
    node::ReplyBadRequest(res, "client and seq go together: give both or neither");
    return std::nullopt;
  }
  if (client) {
    uint64_t n = 0;
    auto [end, error] = std::from_chars(seq->data(), seq->data() + seq->size(), n);
    if (client->empty() || client->size() > 256 || error != std::errc() ||
        end != seq->data() + seq->size() || n == 0) {
      node::ReplyBadRequest(res, "client must be 1..256 bytes and seq a positive integer");
      return std::nullopt;
    }
    command.client = *client;
    command.seq = n;
  }
  KvReply<KvOutcome> reply = service_->Write(std::move(command));
  if (auto* not_leader = std::get_if<NotLeader>(&reply)) {
    ReplyNotLeader(*not_leader, res);
    return std::nullopt;
  }
  if (auto* error = std::get_if<Status>(&reply)) {
    node::ReplyStatus(res, *error);
    return std::nullopt;
  }
  return std::get<KvOutcome>(reply);
}

// ANCHOR: put
void RaftHttp::Put(const node::Request& req, httplib::Response& res) {
  std::optional<std::string> key = KeyOf(req, res);
  if (!key || !BodyFits(req, res)) return;
  KvCommand command;
  command.op = KvOp::kPut;
  command.key = *key;
  command.value = req.body();  // the raw body, whatever its Content-Type
  std::optional<KvOutcome> outcome = RunWrite(req, std::move(command), res);
  if (!outcome) return;
  nlohmann::json body = {{"key", Text(*key)}, {"index", outcome->index}};
  if (outcome->duplicate) body["duplicate"] = true;
  node::ReplyJson(res, 200, body);
}
// ANCHOR_END: put

void RaftHttp::Get(const node::Request& req, httplib::Response& res) {
  std::optional<std::string> key = KeyOf(req, res);
  if (!key) return;
  const std::optional<std::string> stale = req.Query("stale");
  if (stale && *stale != "true" && *stale != "false") {
    return node::ReplyBadRequest(res, "stale must be true or false");
  }
  KvReply<ReadResult> reply = service_->Read(*key, stale == "true");
  if (auto* not_leader = std::get_if<NotLeader>(&reply)) return ReplyNotLeader(*not_leader, res);
  if (auto* error = std::get_if<Status>(&reply)) return node::ReplyStatus(res, *error);
  const ReadResult& read = std::get<ReadResult>(reply);
  if (!read.value) return node::ReplyNotFound(res, "no key " + *key);
  nlohmann::json body = {
      {"key", Text(*key)}, {"value", Text(read.value->value)}, {"index", read.value->index}};
  if (read.stale) body["stale"] = true;
  node::ReplyJson(res, 200, body);
}

void RaftHttp::Delete(const node::Request& req, httplib::Response& res) {
  std::optional<std::string> key = KeyOf(req, res);
  if (!key) return;
  KvCommand command;
  command.op = KvOp::kDelete;
  command.key = *key;
  std::optional<KvOutcome> outcome = RunWrite(req, std::move(command), res);
  if (!outcome) return;
  nlohmann::json body = {
      {"key", Text(*key)}, {"deleted", outcome->existed}, {"index", outcome->index}};
  if (outcome->duplicate) body["duplicate"] = true;
  node::ReplyJson(res, 200, body);
}

void RaftHttp::Cas(const node::Request& req, httplib::Response& res) {
  std::optional<std::string> key = KeyOf(req, res);
  if (!key || !BodyFits(req, res)) return;
  node::JsonBody body(req.body());
  KvCommand command;
  command.op = KvOp::kCas;
  command.key = *key;
  command.value = body.RequireString("value");
  if (!body.Has("expected")) {
    body.Fail("missing field \"expected\" (null: the key must be absent)");
  } else if (!body.json()["expected"].is_null()) {
    command.expected = body.RequireString("expected");
  }
  if (!body.ok()) return node::ReplyStatus(res, body.status());
  std::optional<KvOutcome> outcome = RunWrite(req, std::move(command), res);
  if (!outcome) return;
  if (!outcome->swapped) {
    nlohmann::json error = {{"error", "precondition_failed"},
                            {"message", "the current value is not the expected one"},
                            {"key", Text(*key)},
                            {"value", outcome->existed ? Text(outcome->current) : nullptr}};
    return node::ReplyJson(res, 412, error);
  }
  nlohmann::json reply = {{"key", Text(*key)}, {"index", outcome->index}};
  if (outcome->duplicate) reply["duplicate"] = true;
  node::ReplyJson(res, 200, reply);
}

void RaftHttp::Peer(const node::Request& req, httplib::Response& res) {
  Result<Message> message = ParseMessage(req.body());
  if (!message.ok()) return node::ReplyStatus(res, message.status());
  if (MessageTypeName(message->body) != std::string(req.match[1])) {
    return node::ReplyBadRequest(
        res, "a " + std::string(MessageTypeName(message->body)) + " message sent to " + req.path());
  }
  Result<std::vector<Message>> responses = service_->Deliver(std::move(message).value());
  if (!responses.ok()) return node::ReplyStatus(res, responses.status());
  nlohmann::json list = nlohmann::json::array();
  for (const Message& response : *responses) list.push_back(MessageToJson(response));
  node::ReplyJson(res, 200, {{"messages", std::move(list)}});
}

}  // namespace dsc::raft
