#include "nodes/raft/raft_http.h"

#include <charconv>

#include "nodes/common/completion.h"
#include "nodes/common/json_body.h"
#include "nodes/common/json_error.h"
#include "nodes/raft/message_json.h"

namespace dsc::raft {
namespace {

constexpr size_t kMaxKeyBytes = 1024;
constexpr char kKeyPattern[] = "/kv/([^/]+)";

// The key from the route, or the 400 to send.
std::variant<std::string, node::Response> KeyOf(const node::Request& req) {
  std::string key = req.match[1];
  if (key.size() > kMaxKeyBytes) {
    return node::ReplyBadRequest("key longer than " + std::to_string(kMaxKeyBytes) + " bytes");
  }
  return key;
}

nlohmann::json Text(const std::string& bytes) { return nlohmann::json(bytes); }

}  // namespace

RaftHttp::RaftHttp(RaftKvService* service, const node::PeerClient* peers,
                   size_t max_client_body_bytes, size_t max_peer_body_bytes)
    : service_(service),
      peers_(peers),
      max_client_body_bytes_(max_client_body_bytes),
      max_peer_body_bytes_(max_peer_body_bytes) {}

void RaftHttp::Register(node::NodeServer& server) {
  // The server refuses a body over the route's limit with 413 before
  // reading it: clients get the client limit, peers a large one.
  const node::RouteOptions client{.max_body_bytes = max_client_body_bytes_};
  const node::RouteOptions peer{.max_body_bytes = max_peer_body_bytes_};
  server.Put(
      kKeyPattern, [this](node::Request& req) { return Put(req); }, client);
  server.Get(
      kKeyPattern, [this](node::Request& req) { return Get(req); }, client);
  server.Delete(
      kKeyPattern, [this](node::Request& req) { return Delete(req); }, client);
  server.Post(
      std::string(kKeyPattern) + "/cas", [this](node::Request& req) { return Cas(req); }, client);
  server.Post(
      "/raft/(request_vote|append_entries|install_snapshot)",
      [this](node::Request& req) { return Peer(req); }, peer);
  server.SetStatusProvider([this] { return service_->StatusJson(); });
}

node::Response RaftHttp::NotLeaderReply(const NotLeader& not_leader) const {
  std::optional<std::string> id;
  std::optional<std::string> url;
  if (!not_leader.leader.empty()) {
    id = not_leader.leader;
    if (const node::PeerAddress* peer = peers_->Find(not_leader.leader)) url = peer->Url();
  }
  return node::ReplyNotLeader(id, url);
}

node::Awaitable<std::variant<KvOutcome, node::Response>> RaftHttp::RunWrite(
    const node::Request& req, KvCommand command) {
  const std::optional<std::string> client = req.Query("client");
  const std::optional<std::string> seq = req.Query("seq");
  if (client.has_value() != seq.has_value()) {
    co_return node::ReplyBadRequest("client and seq go together: give both or neither");
  }
  if (client) {
    uint64_t n = 0;
    auto [end, error] = std::from_chars(seq->data(), seq->data() + seq->size(), n);
    if (client->empty() || client->size() > 256 || error != std::errc() ||
        end != seq->data() + seq->size() || n == 0) {
      co_return node::ReplyBadRequest("client must be 1..256 bytes and seq a positive integer");
    }
    command.client = *client;
    command.seq = n;
  }
  // Suspended, holding no thread, until the loop has committed and
  // applied the entry (or given up on it).
  KvReply<KvOutcome> reply = co_await node::AwaitCallback<KvReply<KvOutcome>>(
      [&](auto done) { service_->Write(std::move(command), std::move(done)); });
  if (auto* not_leader = std::get_if<NotLeader>(&reply)) co_return NotLeaderReply(*not_leader);
  if (auto* error = std::get_if<Status>(&reply)) co_return node::ReplyStatus(*error);
  co_return std::get<KvOutcome>(reply);
}

// ANCHOR: put
node::Awaitable<node::Response> RaftHttp::Put(node::Request& req) {
  std::variant<std::string, node::Response> key = KeyOf(req);
  if (auto* error = std::get_if<node::Response>(&key)) co_return std::move(*error);
  KvCommand command;
  command.op = KvOp::kPut;
  command.key = std::get<std::string>(key);
  command.value = req.body();  // the raw body, whatever its Content-Type
  std::variant<KvOutcome, node::Response> result = co_await RunWrite(req, std::move(command));
  if (auto* error = std::get_if<node::Response>(&result)) co_return std::move(*error);
  const KvOutcome& outcome = std::get<KvOutcome>(result);
  nlohmann::json body = {{"key", Text(std::get<std::string>(key))}, {"index", outcome.index}};
  if (outcome.duplicate) body["duplicate"] = true;
  co_return node::ReplyJson(200, body);
}
// ANCHOR_END: put

node::Awaitable<node::Response> RaftHttp::Get(node::Request& req) {
  std::variant<std::string, node::Response> key_or_error = KeyOf(req);
  if (auto* error = std::get_if<node::Response>(&key_or_error)) co_return std::move(*error);
  const std::string key = std::get<std::string>(key_or_error);
  const std::optional<std::string> stale = req.Query("stale");
  if (stale && *stale != "true" && *stale != "false") {
    co_return node::ReplyBadRequest("stale must be true or false");
  }
  KvReply<ReadResult> reply = co_await node::AwaitCallback<KvReply<ReadResult>>(
      [&](auto done) { service_->Read(key, stale == "true", std::move(done)); });
  if (auto* not_leader = std::get_if<NotLeader>(&reply)) co_return NotLeaderReply(*not_leader);
  if (auto* error = std::get_if<Status>(&reply)) co_return node::ReplyStatus(*error);
  const ReadResult& read = std::get<ReadResult>(reply);
  if (!read.value) co_return node::ReplyNotFound("no key " + key);
  nlohmann::json body = {
      {"key", Text(key)}, {"value", Text(read.value->value)}, {"index", read.value->index}};
  if (read.stale) body["stale"] = true;
  co_return node::ReplyJson(200, body);
}

node::Awaitable<node::Response> RaftHttp::Delete(node::Request& req) {
  std::variant<std::string, node::Response> key = KeyOf(req);
  if (auto* error = std::get_if<node::Response>(&key)) co_return std::move(*error);
  KvCommand command;
  command.op = KvOp::kDelete;
  command.key = std::get<std::string>(key);
  std::variant<KvOutcome, node::Response> result = co_await RunWrite(req, std::move(command));
  if (auto* error = std::get_if<node::Response>(&result)) co_return std::move(*error);
  const KvOutcome& outcome = std::get<KvOutcome>(result);
  nlohmann::json body = {{"key", Text(std::get<std::string>(key))},
                         {"deleted", outcome.existed},
                         {"index", outcome.index}};
  if (outcome.duplicate) body["duplicate"] = true;
  co_return node::ReplyJson(200, body);
}

node::Awaitable<node::Response> RaftHttp::Cas(node::Request& req) {
  std::variant<std::string, node::Response> key = KeyOf(req);
  if (auto* error = std::get_if<node::Response>(&key)) co_return std::move(*error);
  node::JsonBody body(req.body());
  KvCommand command;
  command.op = KvOp::kCas;
  command.key = std::get<std::string>(key);
  command.value = body.RequireString("value");
  if (!body.Has("expected")) {
    body.Fail("missing field \"expected\" (null: the key must be absent)");
  } else if (!body.json()["expected"].is_null()) {
    command.expected = body.RequireString("expected");
  }
  if (!body.ok()) co_return node::ReplyStatus(body.status());
  std::variant<KvOutcome, node::Response> result = co_await RunWrite(req, std::move(command));
  if (auto* error = std::get_if<node::Response>(&result)) co_return std::move(*error);
  const KvOutcome& outcome = std::get<KvOutcome>(result);
  if (!outcome.swapped) {
    nlohmann::json error = {{"error", "precondition_failed"},
                            {"message", "the current value is not the expected one"},
                            {"key", Text(std::get<std::string>(key))},
                            {"value", outcome.existed ? Text(outcome.current) : nullptr}};
    co_return node::ReplyJson(412, error);
  }
  nlohmann::json reply = {{"key", Text(std::get<std::string>(key))}, {"index", outcome.index}};
  if (outcome.duplicate) reply["duplicate"] = true;
  co_return node::ReplyJson(200, reply);
}

node::Awaitable<node::Response> RaftHttp::Peer(node::Request& req) {
  Result<Message> message = ParseMessage(req.body());
  if (!message.ok()) co_return node::ReplyStatus(message.status());
  if (MessageTypeName(message->body) != std::string(req.match[1])) {
    co_return node::ReplyBadRequest("a " + std::string(MessageTypeName(message->body)) +
                                    " message sent to " + req.path);
  }
  // The responses come once the state they promise (log, term, vote) is
  // durable: the loop persists before it answers.
  Result<std::vector<Message>> responses =
      co_await node::AwaitCallback<Result<std::vector<Message>>>(
          [&](auto done) { service_->Deliver(std::move(message).value(), std::move(done)); });
  if (!responses.ok()) co_return node::ReplyStatus(responses.status());
  nlohmann::json list = nlohmann::json::array();
  for (const Message& response : *responses) list.push_back(MessageToJson(response));
  co_return node::ReplyJson(200, {{"messages", std::move(list)}});
}

}  // namespace dsc::raft
