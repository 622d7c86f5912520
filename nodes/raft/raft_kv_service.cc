#include "nodes/raft/raft_kv_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>

#include "nodes/raft/message_json.h"

namespace dsc::raft {

Result<std::unique_ptr<RaftKvService>> RaftKvService::Open(const RaftKvOptions& options,
                                                           node::PeerClient* peers,
                                                           node::asio::any_io_executor executor) {
  std::unique_ptr<RaftKvService> service(new RaftKvService(options, peers, std::move(executor)));
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
  transport_ = std::make_unique<PeerTransport>(executor_, peers_, [this](Message message) {
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
  auto next_tick = Clock::now() + options_.tick;
  while (true) {
    std::deque<Inbound> items;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_until(lock, next_tick, [&] { return stopping_ || !inbox_.empty(); });
      if (stopping_) break;
      items.swap(inbox_);
    }
    const auto now = Clock::now();
    // Requests from each peer, in arrival order, waiting for responses.
    std::map<NodeId, std::deque<std::shared_ptr<Exchange>>> exchanges;
    TakeInbound(items, now, exchanges);
    if (now >= next_tick) {
      node_->Tick();
      ExpireWaiting(now);
      next_tick = std::max(next_tick + options_.tick, now);
    }
    Status status = HandleReady(exchanges);
    if (status.ok()) status = MaybeSnapshot();
    // Requests that produced no response (a stale message, say) get [].
    for (auto& [peer, waiting] : exchanges) {
      for (auto& exchange : waiting) exchange->done(std::vector<Message>{});
    }
    if (!status.ok()) {
      Fatal(status);
      break;
    }
    if (node_->role() != Role::kLeader) FailPendingReads();
    Publish();
  }
  // Push refuses new work from here on (stopping_ or fatal_ is set).
  std::deque<Inbound> left;
  Status why;
  {
    std::lock_guard lock(mutex_);
    left.swap(inbox_);
    why = fatal_.ok() ? Status::Unavailable("node is shutting down") : fatal_;
  }
  FailEverything(left, why);
}
// ANCHOR_END: loop

void RaftKvService::TakeInbound(
    std::deque<Inbound>& items, Clock::time_point now,
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
        item.write->done(NotLeader{node_->leader()});
        continue;
      }
      item.write->term = node_->term();
      item.write->deadline = now + options_.client_timeout;
      writes_[*index] = std::move(item.write);
    } else if (item.read) {
      std::string id = std::to_string(next_read_id_++);
      if (Status asked = node_->ReadIndex(id); !asked.ok()) {
        item.read->done(NotLeader{node_->leader()});
        continue;
      }
      item.read->deadline = now + options_.client_timeout;
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
        writes_.begin()->second->done(
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
      it->second.front()->done(std::vector<Message>{std::move(message)});
      it->second.pop_front();
    }

    // 3. Apply, answering the writes; 4. serve the reads now applied.
    DSC_RETURN_IF_ERROR(ApplyCommitted(ready.committed_entries));
    for (const ReadState& read : ready.read_states) {
      auto it = reads_.find(read.request_id);
      if (it == reads_.end()) continue;
      std::shared_ptr<PendingRead> confirmed = std::move(it->second);
      reads_.erase(it);
      confirmed->done(ReadLocal(confirmed->key, /*stale=*/false));
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
      write->done(*outcome->second);
    } else {
      // Another leader's entry took this index: ours was never committed
      // (entries never move). The client may retry.
      write->done(Status::Unavailable("leadership changed before the write committed; retry"));
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
  for (auto& [id, read] : reads_) read->done(NotLeader{node_->leader()});
  reads_.clear();
}

// client_timeout, on the loop's clock: one check per tick, so a request
// waits at most a tick longer than the timeout, and no timer exists per
// request. What the core does with the entry or the round later is
// unaffected; its answer then finds nobody waiting.
void RaftKvService::ExpireWaiting(Clock::time_point now) {
  for (auto it = writes_.begin(); it != writes_.end();) {
    if (it->second->deadline > now) {
      ++it;
      continue;
    }
    it->second->done(Status::Unavailable("not committed in time; the write may still take effect"));
    it = writes_.erase(it);
  }
  for (auto it = reads_.begin(); it != reads_.end();) {
    if (it->second->deadline > now) {
      ++it;
      continue;
    }
    it->second->done(Status::Unavailable("leadership not confirmed in time"));
    it = reads_.erase(it);
  }
}

void RaftKvService::Fatal(const Status& status) {
  spdlog::error("raft {}: stopping: {}", node_->id(), status.ToString());
  {
    std::lock_guard lock(mutex_);
    if (fatal_.ok()) fatal_ = status;
  }
  if (options_.on_fatal) options_.on_fatal(status);
}

void RaftKvService::FailEverything(std::deque<Inbound>& left, const Status& why) {
  for (Inbound& item : left) {
    if (item.exchange) item.exchange->done(std::vector<Message>{});
    if (item.write) item.write->done(why);
    if (item.read) item.read->done(why);
  }
  left.clear();
  for (auto& [index, write] : writes_) write->done(why);
  writes_.clear();
  for (auto& [id, read] : reads_) read->done(why);
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

void RaftKvService::Write(KvCommand command, Done<KvReply<KvOutcome>> done) {
  auto write = std::make_shared<PendingWrite>();
  write->done = std::move(done);
  Inbound item;
  item.proposal = EncodeKvCommand(command);
  item.write = write;
  if (Status pushed = Push(std::move(item)); !pushed.ok()) write->done(pushed);
}

// ANCHOR: read
void RaftKvService::Read(const std::string& key, bool stale, Done<KvReply<ReadResult>> done) {
  if (stale || options_.break_stale_reads) {
    // --break stale-reads lands here for every GET: a deposed leader or a
    // lagging follower answers from whatever it has applied.
    done(ReadLocal(key, stale));
    return;
  }
  // ReadIndex (thesis §6.4): the loop answers once a heartbeat round
  // confirms this node still leads and the state machine has applied the
  // commit index it had when the read arrived (HandleReady).
  auto read = std::make_shared<PendingRead>();
  read->key = key;
  read->done = std::move(done);
  Inbound item;
  item.read = read;
  if (Status pushed = Push(std::move(item)); !pushed.ok()) read->done(pushed);
}
// ANCHOR_END: read

KvReply<ReadResult> RaftKvService::ReadLocal(const std::string& key, bool stale) const {
  Result<std::optional<KvValue>> value = state_->Get(key);
  if (!value.ok()) return value.status();
  return ReadResult{std::move(value).value(), stale};
}

void RaftKvService::Deliver(Message request, Done<Result<std::vector<Message>>> done) {
  if (request.to != peers_->self_id()) {
    return done(Status::InvalidArgument("message is for \"" + request.to + "\", this is \"" +
                                        peers_->self_id() + "\""));
  }
  if (request.from == peers_->self_id() || peers_->Find(request.from) == nullptr) {
    return done(Status::InvalidArgument("message from \"" + request.from +
                                        "\", which is not another member of this cluster"));
  }
  if (!IsRequest(request.body)) {
    return done(Status::InvalidArgument("responses travel in HTTP replies, not as requests"));
  }
  auto exchange = std::make_shared<Exchange>();
  exchange->done = std::move(done);
  Inbound item;
  item.message = std::move(request);
  item.exchange = exchange;
  if (Status pushed = Push(std::move(item)); !pushed.ok()) exchange->done(pushed);
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
