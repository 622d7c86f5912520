#include "nodes/common/peer_client.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace dsc::node {
namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
using asio::ip::tcp;

std::string Describe(const PeerAddress& peer) { return peer.ToString(); }

}  // namespace

PeerClient::PeerClient(asio::any_io_executor executor, std::string self_id,
                       std::vector<PeerAddress> peers, PeerClientOptions options,
                       FaultInjector* faults)
    : executor_(std::move(executor)),
      self_id_(std::move(self_id)),
      peers_(std::move(peers)),
      options_(options),
      faults_(faults) {}

PeerClient::~PeerClient() = default;

const PeerAddress* PeerClient::Find(std::string_view peer_id) const {
  for (const PeerAddress& peer : peers_) {
    if (peer.id == peer_id) return &peer;
  }
  return nullptr;
}

uint64_t PeerClient::calls() const {
  std::lock_guard lock(mutex_);
  return calls_;
}

uint64_t PeerClient::failures() const {
  std::lock_guard lock(mutex_);
  return failures_;
}

Awaitable<Result<PeerResponse>> PeerClient::Get(std::string peer_id, std::string path) {
  co_return co_await Call(std::move(peer_id), http::verb::get, std::move(path), "");
}

Awaitable<Result<PeerResponse>> PeerClient::Post(std::string peer_id, std::string path,
                                                 const nlohmann::json& body) {
  co_return co_await Call(std::move(peer_id), http::verb::post, std::move(path),
                          body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

// ANCHOR: peer_call
Awaitable<Result<PeerResponse>> PeerClient::Call(std::string peer_id, http::verb method,
                                                 std::string path, std::string body,
                                                 std::string content_type) {
  const PeerAddress* peer = Find(peer_id);
  if (peer == nullptr) co_return Status::NotFound("unknown peer " + peer_id);
  {
    std::lock_guard lock(mutex_);
    ++calls_;
  }

  // Outgoing faults: the lab isolates a node in both directions.
  if (faults_ != nullptr) {
    FaultDecision decision = faults_->Decide(peer_id);
    if (decision.action != FaultDecision::Action::kDeliver) {
      std::lock_guard lock(mutex_);
      ++failures_;
      co_return Status::Unavailable((decision.action == FaultDecision::Action::kIsolated
                                         ? "isolated from "
                                         : "message dropped to ") +
                                    peer_id + " (fault injection)");
    }
    if (decision.delay.count() > 0) {
      asio::steady_timer timer(executor_, decision.delay);
      co_await timer.async_wait(kTuple);
    }
  }

  HttpRequest request{method, path, 11};
  request.set(http::field::host, peer->host);
  request.set(kPeerHeader, self_id_);
  request.keep_alive(true);
  if (!body.empty() || method == http::verb::post || method == http::verb::put) {
    request.set(http::field::content_type, content_type);
    request.body() = std::move(body);
  }
  request.prepare_payload();

  // A kept-alive connection may have been closed by the peer while idle;
  // then the request fails before any answer byte, and is safe to send
  // again once on a fresh connection.
  bool retryable = false;
  Result<PeerResponse> result = co_await Attempt(*peer, request, &retryable);
  if (!result.ok() && retryable) result = co_await Attempt(*peer, request, &retryable);
  if (!result.ok()) {
    std::lock_guard lock(mutex_);
    ++failures_;
  }
  co_return result;
}
// ANCHOR_END: peer_call

Awaitable<Result<PeerResponse>> PeerClient::Attempt(const PeerAddress& peer,
                                                    const HttpRequest& request, bool* retryable) {
  *retryable = false;
  Connection connection = TakeIdle(peer.id);
  const bool reused = connection != nullptr;
  if (!reused) {
    Result<Connection> fresh = co_await Connect(peer);
    if (!fresh.ok()) co_return fresh.status();
    connection = std::move(fresh).value();
  }

  connection->expires_after(options_.request_timeout);
  if (auto [ec, n] = co_await http::async_write(*connection, request, kTuple); ec) {
    *retryable = reused;
    co_return Status::Unavailable("cannot send to " + Describe(peer) + ": " + ec.message());
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(options_.max_response_bytes);
  if (auto [ec, n] = co_await http::async_read(*connection, buffer, parser, kTuple); ec) {
    // Nothing read at all on a reused connection: the peer closed it idle.
    *retryable = reused && buffer.size() == 0 && !parser.got_some() && ec != beast::error::timeout;
    if (ec == beast::error::timeout) {
      co_return Status::Unavailable("no answer within " +
                                    std::to_string(options_.request_timeout.count()) + " ms from " +
                                    Describe(peer));
    }
    co_return Status::Unavailable("no answer from " + Describe(peer) + ": " + ec.message());
  }

  Response& answer = parser.get();
  PeerResponse response;
  response.status = answer.result_int();
  if (!answer.body().empty()) {
    response.body = nlohmann::json::parse(answer.body(), nullptr, /*allow_exceptions=*/false);
    if (response.body.is_discarded()) response.body = nullptr;
  }
  if (answer.keep_alive() && buffer.size() == 0) {
    connection->expires_never();
    GiveBack(peer.id, std::move(connection));
  }
  co_return response;
}

Awaitable<Result<PeerClient::Connection>> PeerClient::Connect(const PeerAddress& peer) {
  tcp::resolver resolver(executor_);
  auto [resolve_error, endpoints] =
      co_await resolver.async_resolve(peer.host, std::to_string(peer.port), kTuple);
  if (resolve_error) {
    co_return Status::Unavailable("cannot resolve " + Describe(peer) + ": " +
                                  resolve_error.message());
  }
  auto connection = std::make_unique<beast::tcp_stream>(executor_);
  connection->expires_after(options_.connect_timeout);
  if (auto [ec, endpoint] = co_await connection->async_connect(endpoints, kTuple); ec) {
    co_return Status::Unavailable("cannot connect to " + Describe(peer) + ": " + ec.message());
  }
  beast::error_code ignored;
  connection->socket().set_option(tcp::no_delay(true), ignored);
  co_return connection;
}

PeerClient::Connection PeerClient::TakeIdle(const std::string& peer_id) {
  std::lock_guard lock(mutex_);
  auto found = idle_.find(peer_id);
  if (found == idle_.end() || found->second.empty()) return nullptr;
  Connection connection = std::move(found->second.back());
  found->second.pop_back();
  return connection;
}

void PeerClient::GiveBack(const std::string& peer_id, Connection connection) {
  std::lock_guard lock(mutex_);
  std::vector<Connection>& pool = idle_[peer_id];
  if (pool.size() < options_.max_idle_per_peer) pool.push_back(std::move(connection));
}

}  // namespace dsc::node
