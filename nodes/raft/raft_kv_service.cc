#include "nodes/raft/raft_kv_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>

#include "nodes/raft/message_json.h"

namespace dsc::raft {
namespace {

using std::chrono::steady_clock;

// Waits for a future from the loop; a broken promise (the loop stopped)
// or a timeout becomes `on_timeout` / Unavailable.
template <typename T>
std::optional<T> WaitFor(std::future<T>& future, std::chrono::milliseconds timeout) {
  if (future.wait_for(timeout) != std::future_status::ready) return std::nullopt;
  try {
    return future.get();
  } catch (const std::future_error&) {
    return std::nullopt;
  }
}

}  // namespace

Result<std::unique_ptr<RaftKvService>> RaftKvService::Open(const RaftKvOptions& options,
                                                           const node::PeerClient* peers) {
  std::unique_ptr<RaftKvService> service(new RaftKvService(options, peers));
  DSC_RETURN_IF_ERROR(service->Start());
  return service;
}

RaftKvService::~RaftKvService() { (void)Close(); }

// ANCHOR: start
Status RaftKvService::Start() {
  RaftStorageOptions storage_options;
  storage_options.dir = options_.data_dir;
  storage_options.durability = options_.durability;
  Result<std::unique_ptr<RaftStorage>> storage = RaftStorage::Open(storage_options);
  if (!storage.ok()) return storage.status();
  storage_ = std::move(storage).value();
  Result<std::unique_ptr<KvStateMachine>> state =
      KvStateMachine::Open(options_.data_dir + "/state");
  if (!state.ok()) return state.status();
  state_ = std::move(state).value();

  RestoredState restored = storage_->Restored();
  // A crash after saving a leader's snapshot but before loading it into
  // RocksDB (or RocksDB losing unflushed writes) leaves the state behind
  // the snapshot: load it now.
  if (state_->applied_index() < restored.snapshot.index) {
    DSC_RETURN_IF_ERROR(state_->Restore(restored.snapshot.data, restored.snapshot.index));
  }
  const Index applied = state_->applied_index();
  if (applied > storage_->last_index()) {
    return Status::Corruption(
        fmt::format("the state machine applied through entry {} but the log ends at {}", applied,
                    storage_->last_index()));
  }
  // Everything the state machine applied was committed; the core re-applies
  // what follows from the log once it learns the commit index again.
  restored.hard_state.commit = applied;

  RaftConfig config;
  config.id = peers_->self_id();
  for (const node::PeerAddress& peer : peers_->peers()) config.peers.push_back(peer.id);
  config.election_tick = options_.election_ticks;
  config.heartbeat_tick = options_.heartbeat_ticks;
  config.seed = std::random_device{}();
  spdlog::info("raft {}: recovered term {} vote '{}', log {}..{}, snapshot at {}, applied {}",
               config.id, restored.hard_state.term, restored.hard_state.vote,
               storage_->first_index(), storage_->last_index(), restored.snapshot.index, applied);
  node_ = std::make_unique<RaftNode>(std::move(config), std::move(restored));
  transport_ = std::make_unique<PeerTransport>(peers_, [this](Message message) {
    Inbound item;
    item.message = std::move(message);
    (void)Push(std::move(item));
  });
  Publish();
  loop_ = std::thread([this] { Loop(); });
  return Status::Ok();
}
// ANCHOR_END: start

Status RaftKvService::Push(Inbound item) {
  {
    std::lock_guard lock(mutex_);
    if (!fatal_.ok()) return Status::Unavailable("node failed: " + fatal_.message());
    if (stopping_) return Status::Unavailable("node is shutting down");
    inbox_.push_back(std::move(item));
  }
  wake_.notify_one();
  return Status::Ok();
}

// ANCHOR: loop
void RaftKvService::Loop() {
  auto next_tick = steady_clock::now() + options_.tick;
  while (true) {
    std::deque<Inbound> items;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_until(lock, next_tick, [&] { return stopping_ || !inbox_.empty(); });
      if (stopping_) break;
      items.swap(inbox_);
    }
    // Requests from each peer, in arrival order, waiting for responses.
    std::map<NodeId, std::deque<std::shared_ptr<Exchange>>> exchanges;
    TakeInbound(items, exchanges);
    const auto now = steady_clock::now();
    if (now >= next_tick) {
      node_->Tick();
      next_tick = std::max(next_tick + options_.tick, now);
    }
    Status status = HandleReady(exchanges);
    if (status.ok()) status = MaybeSnapshot();
    // Requests that produced no response (a stale message, say) get [].
    for (auto& [peer, waiting] : exchanges) {
      for (auto& exchange : waiting) exchange->responses.set_value({});
    }
    if (!status.ok()) {
      Fatal(status);
      break;
    }
    if (node_->role() != Role::kLeader) FailPendingReads();
    Publish();
  }
  std::lock_guard lock(mutex_);
  FailEverything(fatal_.ok() ? Status::Unavailable("node is shutting down") : fatal_);
}
// ANCHOR_END: loop

void RaftKvService::TakeInbound(
    std::deque<Inbound>& items,
    std::map<NodeId, std::deque<std::shared_ptr<Exchange>>>& exchanges) {
  for (Inbound& item : items) {
    if (item.message) {
      const NodeId from = item.message->from;
      Status stepped = node_->Step(*item.message);
      if (!stepped.ok()) spdlog::warn("raft {}: {}", node_->id(), stepped.ToString());
      if (item.exchange) exchanges[from].push_back(std::move(item.exchange));
    } else if (item.proposal) {
      Result<Index> index = node_->Propose(std::move(*item.proposal));
      if (!index.ok()) {
        item.write->reply.set_value(NotLeader{node_->leader()});
        continue;
      }
      item.write->term = node_->term();
      writes_[*index] = std::move(item.write);
    } else if (item.read) {
      std::string id = std::to_string(next_read_id_++);
      if (Status asked = node_->ReadIndex(id); !asked.ok()) {
        item.read->confirmed.set_value(NotLeader{node_->leader()});
        continue;
      }
      reads_[id] = std::move(item.read);
    }
  }
}

// ANCHOR: handle_ready
Status RaftKvService::HandleReady(
    std::map<NodeId, std::deque<std::shared_ptr<Exchange>>>& exchanges) {
  while (node_->HasReady()) {
    Ready ready = node_->GetReady();
    // 1. Persist, in the order ready.h gives, before anything leaves.
    if (ready.snapshot) {
      DSC_RETURN_IF_ERROR(storage_->InstallSnapshot(*ready.snapshot));
      if (ready.snapshot->index > state_->applied_index()) {
        DSC_RETURN_IF_ERROR(state_->Restore(ready.snapshot->data, ready.snapshot->index));
      }
      // Writes waiting on entries the snapshot covers cannot learn their
      // outcome from here: unknown.
      while (!writes_.empty() && writes_.begin()->first <= ready.snapshot->index) {
        writes_.begin()->second->reply.set_value(
            Status::Unavailable("outcome unknown: this node skipped ahead to a snapshot"));
        writes_.erase(writes_.begin());
      }
    }
    if (ready.truncate_after) DSC_RETURN_IF_ERROR(storage_->TruncateAfter(*ready.truncate_after));
    DSC_RETURN_IF_ERROR(storage_->Append(ready.entries));  // fsynced under --fsync always
    if (ready.hard_state) DSC_RETURN_IF_ERROR(storage_->SaveHardState(*ready.hard_state));

    // 2. Send: requests through the transport, responses back to the
    // HTTP exchange that carried the request.
    for (Message& message : ready.messages) {
      if (IsRequest(message.body)) {
        transport_->Send(std::move(message));
        continue;
      }
      auto it = exchanges.find(message.to);
      if (it == exchanges.end() || it->second.empty()) continue;  // its caller gave up
      it->second.front()->responses.set_value({std::move(message)});
      it->second.pop_front();
    }

    // 3. Apply, answering the writes; 4. serve the reads now applied.
    DSC_RETURN_IF_ERROR(ApplyCommitted(ready.committed_entries));
    for (const ReadState& read : ready.read_states) {
      auto it = reads_.find(read.request_id);
      if (it == reads_.end()) continue;
      it->second->confirmed.set_value(std::monostate{});
      reads_.erase(it);
    }
    node_->Advance(ready);
  }
  return Status::Ok();
}
// ANCHOR_END: handle_ready

Status RaftKvService::ApplyCommitted(const std::vector<Entry>& entries) {
  if (entries.empty()) return Status::Ok();
  Result<std::vector<KvStateMachine::Applied>> applied = state_->Apply(entries);
  if (!applied.ok()) return applied.status();
  std::map<Index, const KvOutcome*> outcomes;
  for (const KvStateMachine::Applied& a : *applied) outcomes[a.entry] = &a.outcome;
  for (const Entry& entry : entries) {
    auto it = writes_.find(entry.index);
    if (it == writes_.end()) continue;
    std::shared_ptr<PendingWrite> write = std::move(it->second);
    writes_.erase(it);
    auto outcome = outcomes.find(entry.index);
    if (entry.term == write->term && outcome != outcomes.end()) {
      write->reply.set_value(*outcome->second);
    } else {
      // Another leader's entry took this index: ours was never committed
      // (entries never move). The client may retry.
      write->reply.set_value(
          Status::Unavailable("leadership changed before the write committed; retry"));
    }
  }
  return Status::Ok();
}

// §7: once enough entries are applied, capture the state and let the log
// before it go. The snapshot is durable before DropPrefix (raft_storage.h).
Status RaftKvService::MaybeSnapshot() {
  const Index applied = state_->applied_index();
  if (applied != node_->applied_index() ||
      applied < storage_->snapshot().index + options_.snapshot_every) {
    return Status::Ok();
  }
  const std::optional<Term> term = node_->log().TermAt(applied);
  if (!term) return Status::Ok();
  Result<std::string> data = state_->TakeSnapshot();
  if (!data.ok()) return data.status();
  Snapshot snapshot{applied, *term, std::move(data).value()};
  DSC_RETURN_IF_ERROR(storage_->SaveLocalSnapshot(snapshot));
  spdlog::info("raft {}: snapshot at entry {} ({} bytes); log now starts at {}", node_->id(),
               applied, snapshot.data.size(), storage_->first_index());
  return node_->Compact(applied, std::move(snapshot.data));
}

void RaftKvService::FailPendingReads() {
  for (auto& [id, read] : reads_) read->confirmed.set_value(NotLeader{node_->leader()});
  reads_.clear();
}

void RaftKvService::Fatal(const Status& status) {
  spdlog::error("raft {}: stopping: {}", node_->id(), status.ToString());
  {
    std::lock_guard lock(mutex_);
    if (fatal_.ok()) fatal_ = status;
  }
  if (options_.on_fatal) options_.on_fatal(status);
}

void RaftKvService::FailEverything(const Status& why) {
  for (Inbound& item : inbox_) {
    if (item.exchange) item.exchange->responses.set_value({});
    if (item.write) item.write->reply.set_value(why);
    if (item.read) item.read->confirmed.set_value(why);
  }
  inbox_.clear();
  for (auto& [index, write] : writes_) write->reply.set_value(why);
  writes_.clear();
  for (auto& [id, read] : reads_) read->confirmed.set_value(why);
  reads_.clear();
}

void RaftKvService::Publish() {
  PublishedStatus s;
  s.role = node_->role();
  s.term = node_->term();
  s.vote = node_->vote();
  s.leader = node_->leader();
  s.commit = node_->commit_index();
  s.applied = node_->applied_index();
  s.first = storage_->first_index();
  s.last = storage_->last_index();
  s.snapshot = storage_->snapshot().index;
  std::lock_guard lock(status_mutex_);
  status_ = std::move(s);
}

KvReply<KvOutcome> RaftKvService::Write(KvCommand command) {
  auto write = std::make_shared<PendingWrite>();
  std::future<KvReply<KvOutcome>> reply = write->reply.get_future();
  Inbound item;
  item.proposal = EncodeKvCommand(command);
  item.write = write;
  if (Status pushed = Push(std::move(item)); !pushed.ok()) return pushed;
  std::optional<KvReply<KvOutcome>> answer = WaitFor(reply, options_.client_timeout);
  if (!answer) {
    return Status::Unavailable("not committed in time; the write may still take effect");
  }
  return std::move(*answer);
}

// ANCHOR: read
KvReply<ReadResult> RaftKvService::Read(const std::string& key, bool stale) {
  if (!stale && !options_.break_stale_reads) {
    // ReadIndex (thesis §6.4): wait until a heartbeat round confirms this
    // node still leads and the state machine has applied the commit index
    // it had when the read arrived.
    auto read = std::make_shared<PendingRead>();
    auto confirmed = read->confirmed.get_future();
    Inbound item;
    item.read = read;
    if (Status pushed = Push(std::move(item)); !pushed.ok()) return pushed;
    auto answer = WaitFor(confirmed, options_.client_timeout);
    if (!answer) return Status::Unavailable("leadership not confirmed in time");
    if (auto* not_leader = std::get_if<NotLeader>(&*answer)) return *not_leader;
    if (auto* error = std::get_if<Status>(&*answer)) return *error;
  }
  // --break stale-reads lands here for every GET: a deposed leader or a
  // lagging follower answers from whatever it has applied.
  Result<std::optional<KvValue>> value = state_->Get(key);
  if (!value.ok()) return value.status();
  return ReadResult{std::move(value).value(), stale};
}
// ANCHOR_END: read

Result<std::vector<Message>> RaftKvService::Deliver(Message request) {
  if (request.to != peers_->self_id()) {
    return Status::InvalidArgument("message is for \"" + request.to + "\", this is \"" +
                                   peers_->self_id() + "\"");
  }
  if (request.from == peers_->self_id() || peers_->Find(request.from) == nullptr) {
    return Status::InvalidArgument("message from \"" + request.from +
                                   "\", which is not another member of this cluster");
  }
  if (!IsRequest(request.body)) {
    return Status::InvalidArgument("responses travel in HTTP replies, not as requests");
  }
  auto exchange = std::make_shared<Exchange>();
  auto responses = exchange->responses.get_future();
  Inbound item;
  item.message = std::move(request);
  item.exchange = exchange;
  DSC_RETURN_IF_ERROR(Push(std::move(item)));
  std::optional<std::vector<Message>> answer = WaitFor(responses, options_.client_timeout);
  if (!answer) return Status::Unavailable("the node did not answer in time");
  return std::move(*answer);
}

NodeId RaftKvService::leader() const {
  std::lock_guard lock(status_mutex_);
  return status_.leader;
}

nlohmann::json RaftKvService::StatusJson() const {
  std::lock_guard lock(status_mutex_);
  const PublishedStatus& s = status_;
  // A pre-candidate has not started an election (no new term): to the
  // outside it is still a follower; "role" tells the detail.
  const std::string_view state = s.role == Role::kPreCandidate ? "follower" : RoleName(s.role);
  return {{"id", peers_->self_id()},
          {"state", state},
          {"role", RoleName(s.role)},
          {"term", s.term},
          {"voted_for", s.vote.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.vote)},
          {"leader", s.leader.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.leader)},
          {"commit_index", s.commit},
          {"last_applied", s.applied},
          {"first_index", s.first},
          {"last_index", s.last},
          {"snapshot_index", s.snapshot}};
}

Status RaftKvService::Close() {
  {
    std::lock_guard lock(mutex_);
    if (closed_) return Status::Ok();
    closed_ = true;
    stopping_ = true;
  }
  wake_.notify_all();
  if (loop_.joinable()) loop_.join();
  if (transport_) transport_->Stop();
  Status status = state_ ? state_->Close() : Status::Ok();
  if (storage_) {
    Status closed = storage_->Close();
    if (status.ok()) status = closed;
  }
  return status;
}

}  // namespace dsc::raft
