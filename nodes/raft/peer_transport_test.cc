// PeerTransport against a real NodeServer standing for the peer: order,
// one call in flight per peer, and the merging of queued appends while a
// call is in flight.
#include "nodes/raft/peer_transport.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <utility>
#include <vector>

#include "nodes/common/completion.h"
#include "nodes/common/json_error.h"
#include "nodes/common/node_server.h"
#include "nodes/common/test_util.h"
#include "nodes/raft/message_json.h"

namespace dsc::raft {
namespace {

Message Append(Index prev, size_t n, Index commit = 0) {
  AppendEntries a{prev, 1, {}, commit, 0};
  for (size_t i = 0; i < n; ++i) {
    a.entries.push_back(Entry{1, prev + 1 + i, EntryType::kNormal, "x"});
  }
  return Message{"n1", "n2", 1, std::move(a)};
}

Message Vote(Term term) { return Message{"n1", "n2", term, VoteRequest{}}; }

// Node n2: records what arrives and answers each request with one
// response; while `hold` is set, the next request waits until Release().
class FakePeer {
 public:
  FakePeer() : server_(Options()) {
    server_.Post("/raft/(append_entries|request_vote)",
                 [this](node::Request& req) { return Handle(req); });
    EXPECT_TRUE(server_.Start().ok());
  }
  ~FakePeer() {
    Release();
    server_.Stop();
  }

  node::NodeServer& server() { return server_; }
  void HoldNext() {
    std::lock_guard lock(mutex_);
    hold_ = true;
  }
  void Release() {
    node::Done<bool> release;
    {
      std::lock_guard lock(mutex_);
      hold_ = false;
      release = std::move(held_);
      held_ = nullptr;
    }
    if (release) release(true);
  }
  bool holding() const {
    std::lock_guard lock(mutex_);
    return held_ != nullptr;
  }
  std::vector<Message> received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }
  int max_in_flight() const {
    std::lock_guard lock(mutex_);
    return max_in_flight_;
  }

 private:
  static node::NodeServerOptions Options() {
    node::NodeServerOptions options;
    options.node_id = "n2";
    return options;
  }

  node::Awaitable<node::Response> Handle(node::Request& req) {
    Result<Message> message = ParseMessage(req.body());
    if (!message.ok()) co_return node::ReplyStatus(message.status());
    bool hold = false;
    {
      std::lock_guard lock(mutex_);
      received_.push_back(*message);
      max_in_flight_ = std::max(max_in_flight_, ++in_flight_);
      hold = std::exchange(hold_, false);
    }
    if (hold) {
      co_await node::AwaitCallback<bool>([this](node::Done<bool> done) {
        std::lock_guard lock(mutex_);
        held_ = std::move(done);
      });
    }
    Message response{"n2", "n1", message->term, VoteResponse{}};
    if (const auto* append = std::get_if<AppendEntries>(&message->body)) {
      response.body = AppendEntriesResponse{
          true, append->prev_log_index + append->entries.size(), 0, 0, 0, append->round};
    }
    {
      std::lock_guard lock(mutex_);
      --in_flight_;
    }
    co_return node::ReplyJson(200,
                              {{"messages", nlohmann::json::array({MessageToJson(response)})}});
  }

  node::NodeServer server_;
  mutable std::mutex mutex_;
  std::vector<Message> received_;  // GUARDED_BY(mutex_)
  int in_flight_ = 0;              // GUARDED_BY(mutex_)
  int max_in_flight_ = 0;          // GUARDED_BY(mutex_)
  bool hold_ = false;              // GUARDED_BY(mutex_)
  node::Done<bool> held_;          // GUARDED_BY(mutex_)
};

class PeerTransportTest : public ::testing::Test {
 protected:
  PeerTransportTest()
      : client_(peer_.server().executor(), "n1",
                {{"n1", "127.0.0.1", 1}, {"n2", "127.0.0.1", peer_.server().port()}}),
        transport_(peer_.server().executor(), &client_, [this](Message m) {
          std::lock_guard lock(mutex_);
          responses_.push_back(std::move(m));
        }) {}

  size_t responses() const {
    std::lock_guard lock(mutex_);
    return responses_.size();
  }

  FakePeer peer_;
  node::PeerClient client_;
  PeerTransport transport_;
  mutable std::mutex mutex_;
  std::vector<Message> responses_;  // GUARDED_BY(mutex_)
};

TEST_F(PeerTransportTest, Send_DeliversInOrderOneCallAtATime) {
  for (Term term = 1; term <= 30; ++term) transport_.Send(Vote(term));
  ASSERT_TRUE(node::testing::PollUntil([&] { return responses() == 30; }));
  std::vector<Message> received = peer_.received();
  ASSERT_EQ(received.size(), 30u);
  for (size_t i = 0; i < received.size(); ++i) EXPECT_EQ(received[i].term, i + 1);
  EXPECT_EQ(peer_.max_in_flight(), 1);
  EXPECT_EQ(transport_.sent(), 30u);
  EXPECT_EQ(transport_.failed(), 0u);
}

TEST_F(PeerTransportTest, Send_MergesAppendsQueuedWhileACallIsInFlight) {
  peer_.HoldNext();
  transport_.Send(Append(0, 0));  // a heartbeat, held by the peer
  ASSERT_TRUE(node::testing::PollUntil([&] { return peer_.holding(); }));
  transport_.Send(Append(0, 1));     // entry 1
  transport_.Send(Append(0, 2, 1));  // entries 1-2: supersedes the one above
  transport_.Send(Append(2, 3, 2));  // entries 3-5: chained to it
  peer_.Release();
  ASSERT_TRUE(node::testing::PollUntil([&] { return responses() == 2; }));
  std::vector<Message> received = peer_.received();
  ASSERT_EQ(received.size(), 2u);
  const auto& merged = std::get<AppendEntries>(received[1].body);
  EXPECT_EQ(merged.prev_log_index, 0u);
  ASSERT_EQ(merged.entries.size(), 5u);
  EXPECT_EQ(merged.entries.back().index, 5u);
  EXPECT_EQ(merged.leader_commit, 2u);
  EXPECT_EQ(peer_.max_in_flight(), 1);
}

TEST_F(PeerTransportTest, Send_ToAnUnreachablePeerFailsAndNeverBlocks) {
  node::PeerClient client(peer_.server().executor(), "n1",
                          {{"n1", "127.0.0.1", 1}, {"n3", "127.0.0.1", 1}});
  PeerTransport transport(peer_.server().executor(), &client, [](Message) {});
  Message message = Vote(1);
  message.to = "n3";
  for (int i = 0; i < 100; ++i) transport.Send(message);  // returns at once
  ASSERT_TRUE(node::testing::PollUntil([&] { return transport.failed() > 0; }));
  transport.Stop();
  EXPECT_EQ(transport.sent(), 0u);
  // The io_context stops before `client` goes, so no call outlives it.
  transport_.Stop();
  peer_.server().Stop();
}

}  // namespace
}  // namespace dsc::raft
