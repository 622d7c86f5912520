#include "nodes/raft/peer_transport.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "nodes/raft/message_json.h"

namespace dsc::raft {

bool Supersedes(const Message& newer, const Message& older) {
  const auto* n = std::get_if<AppendEntries>(&newer.body);
  const auto* o = std::get_if<AppendEntries>(&older.body);
  // Within one term a leader only appends to its log, so an AppendEntries
  // from the same point carrying at least as many entries carries the
  // same entries and more (and a commit index at least as high).
  return n != nullptr && o != nullptr && newer.term == older.term && newer.to == older.to &&
         n->prev_log_index == o->prev_log_index && n->entries.size() >= o->entries.size() &&
         n->leader_commit >= o->leader_commit;
}

bool AppendChained(Message& older, const Message& newer) {
  auto* o = std::get_if<AppendEntries>(&older.body);
  const auto* n = std::get_if<AppendEntries>(&newer.body);
  // A streaming leader (RaftNode::SendAppend) sends each batch right after
  // the previous one: one message carrying both says the same thing.
  if (o == nullptr || n == nullptr || newer.term != older.term || newer.to != older.to ||
      n->prev_log_index != o->prev_log_index + o->entries.size() ||
      o->entries.size() + n->entries.size() > kMaxChainedEntries) {
    return false;
  }
  o->entries.insert(o->entries.end(), n->entries.begin(), n->entries.end());
  o->leader_commit = std::max(o->leader_commit, n->leader_commit);
  o->round = std::max(o->round, n->round);
  return true;
}

PeerTransport::PeerTransport(node::asio::any_io_executor executor, node::PeerClient* peers,
                             ResponseHandler on_response)
    : state_(std::make_shared<State>()) {
  state_->peers = peers;
  state_->on_response = std::move(on_response);
  for (const node::PeerAddress& peer : peers->peers()) {
    if (peer.id == peers->self_id()) continue;
    state_->lanes[peer.id] = std::make_unique<Lane>(executor);
  }
  for (const auto& [id, lane] : state_->lanes) {
    // Each sender holds the state, so the coroutine never outlives what it
    // uses, whenever the io_context gets to run or destroy it.
    node::asio::co_spawn(executor, SendLoop(state_, id), [peer = id](std::exception_ptr error) {
      if (!error) return;
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        spdlog::error("raft: the sender to {} failed: {}", peer, e.what());
      }
    });
  }
}

PeerTransport::~PeerTransport() { Stop(); }

void PeerTransport::Stop() {
  {
    std::lock_guard lock(state_->mutex);
    if (state_->stopping) return;
    state_->stopping = true;
    for (auto& [id, lane] : state_->lanes) lane->queued.clear();
  }
  for (auto& [id, lane] : state_->lanes) lane->doorbell.try_send(boost::system::error_code());
  // Waits for a response being handed over right now; later ones see
  // `stopping` and are dropped.
  std::lock_guard wait(state_->response_mutex);
}

void PeerTransport::Send(Message message) {
  Lane* lane = nullptr;
  {
    std::lock_guard lock(state_->mutex);
    auto it = state_->lanes.find(message.to);
    if (state_->stopping || it == state_->lanes.end()) return;
    lane = it->second.get();
    std::deque<Message>& queued = lane->queued;
    std::erase_if(queued, [&](const Message& old) { return Supersedes(message, old); });
    if (queued.empty() || !AppendChained(queued.back(), message)) {
      queued.push_back(std::move(message));
    }
  }
  // False when the bell already rang and the sender has not answered yet:
  // it will find this message too.
  (void)lane->doorbell.try_send(boost::system::error_code());
}

node::Awaitable<void> PeerTransport::SendLoop(std::shared_ptr<State> state, std::string peer) {
  Lane& lane = *state->lanes.at(peer);
  while (true) {
    std::optional<Message> message;
    {
      std::lock_guard lock(state->mutex);
      if (state->stopping) co_return;
      if (!lane.queued.empty()) {
        message = std::move(lane.queued.front());
        lane.queued.pop_front();
      }
    }
    if (!message) {
      // Nothing to send: sleep (no thread held) until Send or Stop rings.
      co_await lane.doorbell.async_receive(node::asio::as_tuple(node::asio::use_awaitable));
      continue;
    }
    co_await Deliver(*state, *message);
  }
}

node::Awaitable<void> PeerTransport::Deliver(State& state, const Message& message) {
  const std::string path = "/raft/" + std::string(MessageTypeName(message.body));
  Result<node::PeerResponse> reply =
      co_await state.peers->Post(message.to, path, MessageToJson(message));
  bool ok = reply.ok() && reply->status == 200 && reply->body.is_object() &&
            reply->body.contains("messages") && reply->body["messages"].is_array();
  {
    std::lock_guard lock(state.mutex);
    ++(ok ? state.sent : state.failed);
  }
  if (!ok) {
    if (reply.ok() && reply->status != 503) {
      spdlog::warn("raft: {} answered {} to {}: {}", message.to, reply->status, path,
                   reply->body.dump());
    }
    co_return;
  }
  std::lock_guard handing_over(state.response_mutex);
  {
    std::lock_guard lock(state.mutex);
    if (state.stopping) co_return;
  }
  for (const nlohmann::json& j : reply->body["messages"]) {
    Result<Message> response = MessageFromJson(j);
    if (!response.ok()) {
      spdlog::warn("raft: bad response from {}: {}", message.to, response.status().ToString());
      continue;
    }
    state.on_response(std::move(response).value());
  }
}

uint64_t PeerTransport::sent() const {
  std::lock_guard lock(state_->mutex);
  return state_->sent;
}

uint64_t PeerTransport::failed() const {
  std::lock_guard lock(state_->mutex);
  return state_->failed;
}

}  // namespace dsc::raft
