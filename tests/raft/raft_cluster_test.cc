// Process-level tests of the Raft KV node: five real `dsc raft serve`
// processes, real files, real SIGKILLs (docs/RELIABILITY.md, families 1 and 6).
#include "tests/raft/raft_cluster.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "nodes/common/test_expectations.h"

namespace dsc::raft::testing {
namespace {

using ::testing::HasSubstr;

nlohmann::json Json(const httplib::Result& r) {
  return r ? nlohmann::json::parse(r->body, nullptr, false) : nlohmann::json();
}

TEST(RaftClusterTest, ElectsOneLeaderAndFollowersRedirect) {
  RaftCluster cluster;
  cluster.StartAll();
  std::optional<int> leader = cluster.WaitForLeader();
  ASSERT_TRUE(leader) << cluster.Stderr(0);

  auto put = cluster.Request(*leader, "PUT", "/kv/greeting", "hello");
  ASSERT_TRUE(put);
  ASSERT_EQ(put->status, 200) << put->body;
  EXPECT_GT(Json(put)["index"].get<uint64_t>(), 0u);
  auto get = cluster.Request(*leader, "GET", "/kv/greeting");
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 200);
  EXPECT_EQ(Json(get)["value"], "hello");

  const int follower = (*leader + 1) % cluster.size();
  auto redirected = cluster.Request(follower, "PUT", "/kv/greeting", "again");
  node::testing::ExpectJsonError(redirected, 421, "not_leader");
  EXPECT_EQ(Json(redirected)["leader"], cluster.Id(*leader));
  EXPECT_EQ(Json(redirected)["leader_url"], cluster.Url(*leader));
  node::testing::ExpectJsonError(cluster.Request(follower, "GET", "/kv/greeting"), 421,
                                 "not_leader");

  // Every follower applies the write; a stale read shows it locally.
  for (int i = 0; i < cluster.size(); ++i) {
    EXPECT_TRUE(node::testing::PollUntil([&] {
      auto r = cluster.Request(i, "GET", "/kv/greeting?stale=true");
      return r && r->status == 200 && Json(r)["value"] == "hello" && Json(r)["stale"] == true;
    })) << cluster.Id(i);
  }
  auto status = cluster.Status(follower);
  ASSERT_TRUE(status);
  for (const char* field : {"id", "state", "term", "voted_for", "leader", "commit_index",
                            "last_applied", "first_index", "last_index"}) {
    EXPECT_TRUE(status->contains(field)) << field;
  }
  EXPECT_EQ((*status)["state"], "follower");
}

TEST(RaftClusterTest, KvOperationsAndExactlyOnceRetries) {
  RaftCluster cluster(3);
  cluster.StartAll();
  std::optional<int> leader = cluster.WaitForLeader();
  ASSERT_TRUE(leader);
  const int l = *leader;
  auto first = cluster.Request(l, "PUT", "/kv/k?client=c1&seq=1", "v1");
  ASSERT_EQ(first->status, 200);
  EXPECT_FALSE(Json(first).contains("duplicate"));
  ASSERT_EQ(cluster.Request(l, "PUT", "/kv/k", "v2")->status, 200);
  // The retry of seq 1 (say after a 503) must not overwrite v2.
  auto retry = cluster.Request(l, "PUT", "/kv/k?client=c1&seq=1", "v1");
  ASSERT_EQ(retry->status, 200);
  EXPECT_EQ(Json(retry)["duplicate"], true);
  EXPECT_EQ(Json(retry)["index"], Json(first)["index"]);
  EXPECT_EQ(Json(cluster.Request(l, "GET", "/kv/k"))["value"], "v2");

  auto cas_fail = cluster.Request(l, "POST", "/kv/k/cas", R"({"expected":"v1","value":"v3"})");
  ASSERT_EQ(cas_fail->status, 412) << cas_fail->body;
  EXPECT_EQ(Json(cas_fail)["value"], "v2");
  EXPECT_EQ(cluster.Request(l, "POST", "/kv/k/cas", R"({"expected":"v2","value":"v3"})")->status,
            200);
  EXPECT_EQ(cluster.Request(l, "POST", "/kv/new/cas", R"({"expected":null,"value":"n"})")->status,
            200);
  auto del = cluster.Request(l, "DELETE", "/kv/k");
  EXPECT_EQ(Json(del)["deleted"], true);
  EXPECT_EQ(cluster.Request(l, "GET", "/kv/k")->status, 404);
  EXPECT_EQ(Json(cluster.Request(l, "DELETE", "/kv/k"))["deleted"], false);
}

TEST(RaftClusterTest, BadInputGets4xxJsonAndTheNodeStaysUp) {
  RaftCluster cluster(3);
  cluster.StartAll();
  std::optional<int> leader = cluster.WaitForLeader();
  ASSERT_TRUE(leader);
  const int l = *leader;
  using node::testing::ExpectJsonError;
  ExpectJsonError(cluster.Request(l, "POST", "/raft/append_entries", "{not json"), 400,
                  "bad_request");
  ExpectJsonError(cluster.Request(l, "POST", "/raft/append_entries",
                                  R"({"from":"n2","to":"n1","term":1,"type":"request_vote",)"
                                  R"("pre_vote":false,"last_log_index":0,"last_log_term":0})"),
                  400, "bad_request");
  ExpectJsonError(cluster.Request(l, "POST", "/raft/request_vote",
                                  R"({"from":"zz","to":")" + cluster.Id(l) +
                                      R"(","term":99,"type":"request_vote","pre_vote":false,)"
                                      R"("last_log_index":0,"last_log_term":0})"),
                  400, "bad_request");
  ExpectJsonError(cluster.Request(l, "PUT", "/kv/" + std::string(2000, 'k'), "v"), 400,
                  "bad_request");
  ExpectJsonError(cluster.Request(l, "PUT", "/kv/k?client=c1", "v"), 400, "bad_request");
  ExpectJsonError(cluster.Request(l, "PUT", "/kv/k?client=c1&seq=x", "v"), 400, "bad_request");
  ExpectJsonError(cluster.Request(l, "POST", "/kv/k/cas", R"({"value":"v"})"), 400, "bad_request");
  ExpectJsonError(cluster.Request(l, "POST", "/kv/k/cas", R"({"expected":1,"value":"v"})"), 400,
                  "bad_request");
  ExpectJsonError(cluster.Request(l, "GET", "/kv/k?stale=maybe"), 400, "bad_request");
  ExpectJsonError(cluster.Request(l, "GET", "/kv/missing"), 404, "not_found");
  ExpectJsonError(cluster.Request(l, "PUT", "/kv/big", std::string(2u << 20, 'x')), 413,
                  "too_large");
  node::testing::ExpectGarbageGets4xxJson(cluster.Port(l), "/raft/append_entries");
  // Still the leader, still serving.
  EXPECT_EQ(cluster.Request(l, "PUT", "/kv/after", "ok")->status, 200);
  EXPECT_EQ(cluster.WaitForLeader(), l);
}

// A write is acknowledged only once committed (and applied): with its
// followers gone, the leader cannot commit, so the PUT gets no 200 but
// 503 once the client timeout (counted by the loop) runs out, or 421 if
// the leader already stepped down.
TEST(RaftClusterTest, APutIsAcknowledgedOnlyOnceCommitted) {
  RaftCluster cluster(3);
  cluster.StartAll();
  std::optional<int> leader = cluster.WaitForLeader();
  ASSERT_TRUE(leader);
  const int l = *leader;
  auto put = cluster.Request(l, "PUT", "/kv/committed", "yes");
  ASSERT_TRUE(put);
  ASSERT_EQ(put->status, 200) << put->body;
  const uint64_t index = Json(put)["index"].get<uint64_t>();
  auto status = cluster.Status(l);
  ASSERT_TRUE(status);
  EXPECT_GE((*status)["commit_index"].get<uint64_t>(), index);
  EXPECT_GE((*status)["last_applied"].get<uint64_t>(), index);

  for (int i = 0; i < cluster.size(); ++i) {
    if (i != l) cluster.Kill(i);
  }
  const auto start = std::chrono::steady_clock::now();
  auto alone = cluster.Request(l, "PUT", "/kv/uncommitted", "no");
  ASSERT_TRUE(alone);
  EXPECT_THAT(alone->status, ::testing::AnyOf(503, 421)) << alone->body;
  if (alone->status == 503) {
    EXPECT_EQ(Json(alone)["error"], "unavailable");
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 6s);
  // The node still serves.
  EXPECT_EQ(cluster.Request(l, "GET", "/kv/committed?stale=true")->status, 200);
}

// Client bodies are held to --max-body-bytes (413, refused before they are
// read) while a peer's AppendEntries or snapshot may be far larger.
TEST(RaftClusterTest, ClientBodiesHaveALimitPeerBodiesALargerOne) {
  RaftCluster cluster(3);
  cluster.StartAll();
  std::optional<int> leader = cluster.WaitForLeader();
  ASSERT_TRUE(leader);
  const int l = *leader;
  const int follower = (l + 1) % cluster.size();
  const std::string big(2u << 20, 'x');  // 2 MiB; the client limit is 1 MiB
  node::testing::ExpectJsonError(cluster.Request(l, "PUT", "/kv/big", big), 413, "too_large");
  node::testing::ExpectJsonError(
      cluster.Request(l, "POST", "/kv/big/cas",
                      nlohmann::json{{"expected", nullptr}, {"value", big}}.dump()),
      413, "too_large");

  // An AppendEntries of a stale term carrying a 3 MiB entry (4 MiB of
  // base64): accepted and answered (rejected by Raft, not by size).
  nlohmann::json entry = {
      {"index", 1}, {"term", 0}, {"type", "normal"}, {"data", std::string(4u << 20, 'A')}};
  nlohmann::json append = {{"from", cluster.Id(l)},
                           {"to", cluster.Id(follower)},
                           {"term", 0},
                           {"type", "append_entries"},
                           {"prev_log_index", 0},
                           {"prev_log_term", 0},
                           {"leader_commit", 0},
                           {"round", 0},
                           {"entries", {entry}}};
  httplib::Client client("127.0.0.1", cluster.Port(follower));
  client.set_read_timeout(10s);
  client.set_write_timeout(10s);
  auto r = client.Post("/raft/append_entries", {{"X-Dsc-Peer", cluster.Id(l)}}, append.dump(),
                       "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body.substr(0, 200);
  EXPECT_TRUE(Json(r)["messages"].is_array()) << r->body.substr(0, 200);
  // Nothing changed: the cluster still has its leader and takes writes.
  EXPECT_EQ(cluster.WaitForLeader(), l);
  EXPECT_EQ(cluster.Put("after", "ok"), WriteResult::kOk);
}

TEST(RaftClusterTest, ReElectsAfterTheLeaderIsKilledAndTheOldLeaderCatchesUp) {
  RaftCluster cluster;
  cluster.StartAll();
  std::optional<int> first = cluster.WaitForLeader();
  ASSERT_TRUE(first);
  const uint64_t first_term = (*cluster.Status(*first))["term"];
  ASSERT_EQ(cluster.Put("before", "1"), WriteResult::kOk);

  cluster.Kill(*first);
  std::optional<int> second = cluster.WaitForLeader();
  ASSERT_TRUE(second);
  EXPECT_NE(*second, *first);
  EXPECT_GT((*cluster.Status(*second))["term"].get<uint64_t>(), first_term);
  ASSERT_EQ(cluster.Put("after", "2"), WriteResult::kOk);
  EXPECT_EQ(cluster.Get("before").second, "1");

  cluster.Start(*first);  // rejoins as a follower and replays/catches up
  EXPECT_TRUE(node::testing::PollUntil([&] {
    auto r = cluster.Request(*first, "GET", "/kv/after?stale=true");
    return r && r->status == 200 && Json(r)["value"] == "2";
  }));
}

TEST(RaftClusterTest, NoLeaderWithoutAMajority) {
  RaftCluster cluster;
  cluster.StartAll();
  ASSERT_TRUE(cluster.WaitForLeader());
  for (int i : {0, 1, 2}) cluster.Kill(i);
  // Two of five can never elect anyone: for several election timeouts,
  // nobody leads and writes are refused or left unknown, never acked.
  EXPECT_FALSE(cluster.WaitForLeader(3s));
  EXPECT_NE(cluster.Put("minority", "x", 2s), WriteResult::kOk);
  cluster.Start(0);  // three of five: a majority again
  ASSERT_TRUE(cluster.WaitForLeader());
  EXPECT_EQ(cluster.Put("majority", "y"), WriteResult::kOk);
}

// Every acknowledged write survives SIGKILLs of every node, one at a time
// under load and then all at once (docs/RELIABILITY.md, family 1).
TEST(RaftClusterTest, EveryNodeKilledAndRestartedKeepsEveryAcknowledgedWrite) {
  RaftCluster cluster(5, {"--snapshot-every", "50"});
  cluster.StartAll();
  ASSERT_TRUE(cluster.WaitForLeader());

  std::mutex mutex;
  std::map<std::string, std::string> acked;  // key -> value, acknowledged
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      for (int n = 0; !stop; ++n) {
        const std::string key = "w" + std::to_string(w) + "-" + std::to_string(n);
        const std::string value = "v" + std::to_string(n);
        if (cluster.Put(key, value, 5s) == WriteResult::kOk) {
          std::lock_guard lock(mutex);
          acked[key] = value;
        }
      }
    });
  }
  std::mt19937 rng(42);
  for (int round = 0; round < 2 * cluster.size(); ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + rng() % 400));
    const int victim = round < cluster.size() ? round : static_cast<int>(rng() % cluster.size());
    cluster.Kill(victim);
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 500));
    cluster.Start(victim);
  }
  stop = true;
  for (std::thread& t : writers) t.join();

  for (int i = 0; i < cluster.size(); ++i) cluster.Kill(i);  // all at once
  cluster.StartAll();
  ASSERT_TRUE(cluster.WaitForLeader(20s));

  std::lock_guard lock(mutex);
  ASSERT_GT(acked.size(), 20u) << "too few writes were acknowledged to mean anything";
  size_t checked = 0;
  for (const auto& [key, value] : acked) {
    auto [answered, got] = cluster.Get(key);
    ASSERT_TRUE(answered) << key;
    EXPECT_EQ(got, value) << key;
    ++checked;
  }
  EXPECT_EQ(checked, acked.size());
  // The log was compacted along the way.
  std::optional<int> leader = cluster.WaitForLeader();
  ASSERT_TRUE(leader);
  EXPECT_GT((*cluster.Status(*leader))["snapshot_index"].get<uint64_t>(), 0u);
}

// A follower that was down while the log was compacted catches up by
// InstallSnapshot (§7).
TEST(RaftClusterTest, ALaggingFollowerCatchesUpFromASnapshot) {
  RaftCluster cluster(3, {"--snapshot-every", "20"});
  cluster.StartAll();
  std::optional<int> leader = cluster.WaitForLeader();
  ASSERT_TRUE(leader);
  const int lagging = (*leader + 1) % 3;
  cluster.Kill(lagging);
  // 60 values of 40 KB: the snapshot (2.4 MB, more in base64) is larger
  // than any client body may be, and must still reach the follower.
  const std::string padding(40 * 1024, 'p');
  for (int n = 0; n < 60; ++n) {
    ASSERT_EQ(cluster.Put("k" + std::to_string(n), std::to_string(n) + padding), WriteResult::kOk);
  }
  std::optional<int> now = cluster.WaitForLeader();
  ASSERT_TRUE(now);
  EXPECT_GT((*cluster.Status(*now))["first_index"].get<uint64_t>(), 1u);
  cluster.Start(lagging);
  EXPECT_TRUE(node::testing::PollUntil([&] {
    auto r = cluster.Request(lagging, "GET", "/kv/k59?stale=true");
    return r && r->status == 200 && Json(r)["value"] == "59" + padding;
  })) << cluster.Stderr(lagging);
  auto first = cluster.Request(lagging, "GET", "/kv/k0?stale=true");
  EXPECT_EQ(Json(first)["value"], "0" + padding);
  EXPECT_GT((*cluster.Status(lagging))["snapshot_index"].get<uint64_t>(), 0u);
}

TEST(RaftClusterTest, AnIsolatedLeaderStepsDownAndAMajorityGoesOn) {
  RaftCluster cluster;
  cluster.StartAll();
  std::optional<int> old = cluster.WaitForLeader();
  ASSERT_TRUE(old);
  cluster.Isolate(*old);
  // Check-quorum: cut off from every follower, it must stop leading.
  EXPECT_TRUE(node::testing::PollUntil(
      [&] {
        auto s = cluster.Status(*old);
        return s && (*s)["state"] != "leader";
      },
      10s));
  EXPECT_EQ(cluster.Request(*old, "GET", "/kv/x")->status, 421);
  cluster.HealAll();
  ASSERT_TRUE(cluster.WaitForLeader());
  EXPECT_EQ(cluster.Put("healed", "yes"), WriteResult::kOk);
}

}  // namespace
}  // namespace dsc::raft::testing
