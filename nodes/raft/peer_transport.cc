#include "nodes/raft/peer_transport.h"

#include <spdlog/spdlog.h>

#include <algorithm>

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

PeerTransport::PeerTransport(const node::PeerClient* peers, ResponseHandler on_response)
    : peers_(peers), on_response_(std::move(on_response)) {
  for (const node::PeerAddress& peer : peers_->peers()) {
    if (peer.id == peers_->self_id()) continue;
    queues_[peer.id] = std::make_unique<Queue>();
  }
  for (auto& [id, queue] : queues_) {
    queue->thread = std::thread([this, peer = id] { SendLoop(peer); });
  }
}

PeerTransport::~PeerTransport() { Stop(); }

void PeerTransport::Stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& [id, queue] : queues_) {
    if (queue->thread.joinable()) queue->thread.join();
  }
}

void PeerTransport::Send(Message message) {
  {
    std::lock_guard lock(mutex_);
    auto it = queues_.find(message.to);
    if (stopping_ || it == queues_.end()) return;
    std::deque<Message>& queued = it->second->messages;
    std::erase_if(queued, [&](const Message& old) { return Supersedes(message, old); });
    if (!queued.empty() && AppendChained(queued.back(), message)) return;
    queued.push_back(std::move(message));
  }
  wake_.notify_all();
}

void PeerTransport::SendLoop(const std::string& peer) {
  Queue& queue = *queues_.at(peer);
  node::PeerConnection connection(peers_, peer);
  while (true) {
    Message message;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue.messages.empty(); });
      if (stopping_) return;
      message = std::move(queue.messages.front());
      queue.messages.pop_front();
    }
    Deliver(message, connection);
  }
}

void PeerTransport::Deliver(const Message& message, node::PeerConnection& connection) {
  const std::string path = "/raft/" + std::string(MessageTypeName(message.body));
  Result<node::PeerResponse> reply = connection.Post(path, MessageToJson(message));
  bool ok = reply.ok() && reply->status == 200 && reply->body.is_object() &&
            reply->body.contains("messages") && reply->body["messages"].is_array();
  {
    std::lock_guard lock(mutex_);
    ++(ok ? sent_ : failed_);
  }
  if (!ok) {
    if (reply.ok() && reply->status != 503) {
      spdlog::warn("raft: {} answered {} to {}: {}", message.to, reply->status, path,
                   reply->body.dump());
    }
    return;
  }
  for (const nlohmann::json& j : reply->body["messages"]) {
    Result<Message> response = MessageFromJson(j);
    if (!response.ok()) {
      spdlog::warn("raft: bad response from {}: {}", message.to, response.status().ToString());
      continue;
    }
    on_response_(std::move(response).value());
  }
}

uint64_t PeerTransport::sent() const {
  std::lock_guard lock(mutex_);
  return sent_;
}

uint64_t PeerTransport::failed() const {
  std::lock_guard lock(mutex_);
  return failed_;
}

}  // namespace dsc::raft
