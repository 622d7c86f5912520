#include "nodes/common/peer_client.h"

#include <httplib.h>

#include <thread>

namespace dsc::node {
namespace {

std::string DescribeFailure(const PeerAddress& peer, httplib::Error error,
                            const PeerClientOptions& options) {
  const std::string who = "peer " + peer.ToString();
  switch (error) {
    case httplib::Error::Connection: return who + ": connection refused or unreachable";
    case httplib::Error::ConnectionTimeout:
      return who + ": no connection within " + std::to_string(options.connect_timeout.count()) +
             " ms";
    case httplib::Error::Read:
      return who + ": no answer within " + std::to_string(options.read_timeout.count()) +
             " ms (or connection closed)";
    case httplib::Error::Write: return who + ": could not send the request";
    default: return who + ": " + httplib::to_string(error);
  }
}

}  // namespace

PeerClient::PeerClient(std::string self_id, std::vector<PeerAddress> peers,
                       PeerClientOptions options, FaultInjector* faults)
    : self_id_(std::move(self_id)), peers_(std::move(peers)), options_(options), faults_(faults) {}

const PeerAddress* PeerClient::Find(std::string_view peer_id) const {
  for (const PeerAddress& peer : peers_) {
    if (peer.id == peer_id) return &peer;
  }
  return nullptr;
}

Result<PeerResponse> PeerClient::Get(std::string_view peer_id, const std::string& path) const {
  return Call(peer_id, "GET", path, nullptr);
}
Result<PeerResponse> PeerClient::Post(std::string_view peer_id, const std::string& path,
                                      const nlohmann::json& body) const {
  return Call(peer_id, "POST", path, &body);
}
Result<PeerResponse> PeerClient::Put(std::string_view peer_id, const std::string& path,
                                     const nlohmann::json& body) const {
  return Call(peer_id, "PUT", path, &body);
}
Result<PeerResponse> PeerClient::Delete(std::string_view peer_id, const std::string& path) const {
  return Call(peer_id, "DELETE", path, nullptr);
}

std::unique_ptr<httplib::Client> PeerClient::NewClient(const PeerAddress& peer,
                                                       bool keep_alive) const {
  auto client = std::make_unique<httplib::Client>(peer.host, peer.port);
  client->set_connection_timeout(options_.connect_timeout);
  client->set_tcp_nodelay(true);  // a request's body must not wait for an ACK (Nagle)
  client->set_read_timeout(options_.read_timeout);
  client->set_write_timeout(options_.write_timeout);
  client->set_keep_alive(keep_alive);
  return client;
}

PeerConnection::PeerConnection(const PeerClient* client, std::string peer_id)
    : client_(client), peer_id_(std::move(peer_id)) {
  if (const PeerAddress* peer = client_->Find(peer_id_)) {
    connection_ = client_->NewClient(*peer, /*keep_alive=*/true);
  }
}

PeerConnection::~PeerConnection() = default;

Result<PeerResponse> PeerConnection::Post(const std::string& path, const nlohmann::json& body) {
  return client_->Call(peer_id_, "POST", path, &body, connection_.get());
}

Result<PeerResponse> PeerClient::Call(std::string_view peer_id, std::string_view method,
                                      const std::string& path, const nlohmann::json* body,
                                      httplib::Client* connection) const {
  const PeerAddress* peer = Find(peer_id);
  if (peer == nullptr) return Status::NotFound("unknown peer \"" + std::string(peer_id) + "\"");

  if (faults_ != nullptr) {
    FaultDecision decision = faults_->Decide(peer_id);
    if (decision.action == FaultDecision::Action::kIsolated) {
      return Status::Unavailable("peer " + peer->id + " unreachable: isolated (fault injection)");
    }
    if (decision.action == FaultDecision::Action::kDrop) {
      return Status::Unavailable("message to peer " + peer->id + " dropped (fault injection)");
    }
    if (decision.delay.count() > 0) std::this_thread::sleep_for(decision.delay);
  }

  std::unique_ptr<httplib::Client> fresh;
  if (connection == nullptr) {
    fresh = NewClient(*peer, /*keep_alive=*/false);
    connection = fresh.get();
  }
  httplib::Client& client = *connection;
  const httplib::Headers headers = {{kPeerHeader, self_id_}};
  // A reply must never throw: replace invalid UTF-8 instead.
  const std::string payload =
      body == nullptr ? "" : body->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);

  httplib::Result result = [&] {
    if (method == "GET") return client.Get(path, headers);
    if (method == "DELETE") return client.Delete(path, headers);
    if (method == "PUT") return client.Put(path, headers, payload, "application/json");
    return client.Post(path, headers, payload, "application/json");
  }();
  if (!result) return Status::Unavailable(DescribeFailure(*peer, result.error(), options_));

  PeerResponse response;
  response.status = result->status;
  if (!result->body.empty()) {
    response.body = nlohmann::json::parse(result->body, nullptr, /*allow_exceptions=*/false);
    if (response.body.is_discarded()) response.body = nullptr;
  }
  return response;
}

}  // namespace dsc::node
