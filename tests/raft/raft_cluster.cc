#include "tests/raft/raft_cluster.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <thread>

namespace dsc::raft::testing {
namespace {

std::unique_ptr<httplib::Client> ClientFor(const std::string& url,
                                           std::chrono::milliseconds read_timeout = 6s) {
  auto client = std::make_unique<httplib::Client>(url);
  client->set_connection_timeout(1s);
  client->set_read_timeout(read_timeout);
  client->set_write_timeout(2s);
  return client;
}

}  // namespace

RaftCluster::RaftCluster(int size, std::vector<std::string> extra_args)
    : extra_args_(std::move(extra_args)) {
  dir_ = node::testing::MakeTempDir("dsc_raft_cluster_");
  for (int i = 0; i < size; ++i) ports_.push_back(node::testing::PickFreePort());
  nodes_.resize(size);
}

RaftCluster::~RaftCluster() {
  nodes_.clear();  // SIGKILLs
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string RaftCluster::Url(int i) const {
  return "http://127.0.0.1:" + std::to_string(ports_[i]);
}
std::string RaftCluster::DataDir(int i) const { return dir_ + "/" + Id(i); }

void RaftCluster::StartAll() {
  for (int i = 0; i < size(); ++i) Start(i);
}

void RaftCluster::Start(int i) {
  std::string peers;
  for (int j = 0; j < size(); ++j) {
    if (j > 0) peers += ",";
    peers += Id(j) + "=127.0.0.1:" + std::to_string(ports_[j]);
  }
  std::vector<std::string> args = {"raft",     "serve",    "--id",
                                   Id(i),      "--listen", "127.0.0.1:" + std::to_string(ports_[i]),
                                   "--peers",  peers,      "--data",
                                   DataDir(i), "--admin"};
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  nodes_[i] = std::make_unique<node::testing::ChildProcess>(
      DSC_BINARY, args, dir_ + "/" + Id(i) + "-" + std::to_string(launches_++));
  const bool healthy = node::testing::PollUntil([&] {
    auto r = ClientFor(Url(i), 1s)->Get("/health");
    return r && r->status == 200;
  });
  ASSERT_TRUE(healthy) << Id(i) << " did not become healthy: " << nodes_[i]->Stderr();
}

void RaftCluster::Kill(int i) {
  if (!nodes_[i]) return;
  nodes_[i]->Signal(SIGKILL);
  nodes_[i]->WaitExit(10s);
  nodes_[i].reset();
}

std::string RaftCluster::Stderr(int i) const { return nodes_[i] ? nodes_[i]->Stderr() : ""; }

std::optional<nlohmann::json> RaftCluster::Status(int i) const {
  if (!nodes_[i]) return std::nullopt;
  auto r = ClientFor(Url(i), 2s)->Get("/status");
  if (!r || r->status != 200) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(r->body, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  return j;
}

std::optional<int> RaftCluster::WaitForLeader(std::chrono::milliseconds timeout) const {
  std::optional<int> found;
  node::testing::PollUntil(
      [&] {
        std::optional<int> leader;
        uint64_t term = 0;
        int agree = 0;
        int answered = 0;
        std::vector<nlohmann::json> statuses(size());
        for (int i = 0; i < size(); ++i) {
          auto s = Status(i);
          if (!s) continue;
          statuses[i] = *s;
          ++answered;
          if ((*s)["state"] == "leader") {
            if (leader) return false;  // two claim it (different terms): wait
            leader = i;
            term = (*s)["term"];
          }
        }
        if (!leader) return false;
        for (int i = 0; i < size(); ++i) {
          if (statuses[i].is_object() && statuses[i]["leader"] == Id(*leader) &&
              statuses[i]["term"] == term) {
            ++agree;
          }
        }
        if (agree < answered || agree <= size() / 2) return false;
        found = leader;
        return true;
      },
      timeout);
  return found;
}

httplib::Result RaftCluster::Request(int i, const std::string& method, const std::string& path,
                                     const std::string& body) const {
  auto client = ClientFor(Url(i));
  if (method == "GET") return client->Get(path);
  if (method == "DELETE") return client->Delete(path);
  if (method == "PUT") return client->Put(path, body, "application/octet-stream");
  return client->Post(path, body, "application/json");
}

WriteResult RaftCluster::Put(const std::string& key, const std::string& value,
                             std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool unknown = false;
  int target = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!nodes_[target]) {
      target = (target + 1) % size();
      continue;
    }
    auto r = ClientFor(Url(target))->Put("/kv/" + key, value, "application/octet-stream");
    if (r && r->status == 200) return WriteResult::kOk;
    if (r && r->status == 421) {
      nlohmann::json body = nlohmann::json::parse(r->body, nullptr, false);
      if (body.is_object() && body["leader"].is_string()) {
        const std::string leader = body["leader"];
        target = std::stoi(leader.substr(1)) - 1;
      } else {
        target = (target + 1) % size();
        std::this_thread::sleep_for(50ms);
      }
      continue;
    }
    // 503 or no answer: the write may or may not have happened.
    unknown = true;
    target = (target + 1) % size();
    std::this_thread::sleep_for(50ms);
  }
  return unknown ? WriteResult::kUnknown : WriteResult::kFailed;
}

std::pair<bool, std::optional<std::string>> RaftCluster::Get(
    const std::string& key, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int target = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!nodes_[target]) {
      target = (target + 1) % size();
      continue;
    }
    auto r = ClientFor(Url(target))->Get("/kv/" + key);
    if (r && r->status == 404) return {true, std::nullopt};
    if (r && r->status == 200) {
      nlohmann::json body = nlohmann::json::parse(r->body, nullptr, false);
      return {true, body["value"].get<std::string>()};
    }
    if (r && r->status == 421) {
      nlohmann::json body = nlohmann::json::parse(r->body, nullptr, false);
      if (body.is_object() && body["leader"].is_string()) {
        const std::string leader = body["leader"];
        target = std::stoi(leader.substr(1)) - 1;
        continue;
      }
    }
    target = (target + 1) % size();
    std::this_thread::sleep_for(50ms);
  }
  return {false, std::nullopt};
}

void RaftCluster::Isolate(int i) const {
  nlohmann::json others = nlohmann::json::array();
  for (int j = 0; j < size(); ++j) {
    if (j != i) others.push_back(Id(j));
  }
  ClientFor(Url(i))->Post("/admin/faults", nlohmann::json{{"isolate", others}}.dump(),
                          "application/json");
  for (int j = 0; j < size(); ++j) {
    if (j == i || !nodes_[j]) continue;
    ClientFor(Url(j))->Post("/admin/faults", nlohmann::json{{"isolate", {Id(i)}}}.dump(),
                            "application/json");
  }
}

void RaftCluster::HealAll() const {
  for (int j = 0; j < size(); ++j) {
    if (nodes_[j]) ClientFor(Url(j))->Delete("/admin/faults");
  }
}

}  // namespace dsc::raft::testing
