#include "bench/raft/etcd_system.h"

#include <fmt/format.h>
#include <httplib.h>

#include <chrono>
#include <random>
#include <utility>

#include <nlohmann/json.hpp>

#include "base/text.h"
#include "bench/http_connection.h"

namespace dsc::bench {
namespace {

using nlohmann::json;

std::string Describe(const httplib::Result& result) {
  if (!result) return "no answer (" + httplib::to_string(result.error()) + ")";
  return "HTTP " + std::to_string(result->status) + " " + result->body;
}

Result<json> PostJson(int port, const std::string& path, const json& body) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(std::chrono::seconds(2));
  client.set_read_timeout(std::chrono::seconds(10));
  httplib::Result result = client.Post(path, body.dump(), "application/json");
  if (!result || result->status != 200) {
    return Status::Unavailable("POST " + path + " on port " + std::to_string(port) + ": " +
                               Describe(result));
  }
  json answer = json::parse(result->body, nullptr, /*allow_exceptions=*/false);
  if (!answer.is_object()) return Status::Corruption("POST " + path + ": not a JSON object");
  return answer;
}

// The gateway writes 64-bit integers as JSON strings ("count":"42") and
// leaves out fields that are zero.
std::optional<uint64_t> Uint64Field(const json& object, const char* name) {
  if (!object.contains(name)) return 0;
  const json& value = object[name];
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  if (!value.is_string()) return std::nullopt;
  const std::string text = value.get<std::string>();
  uint64_t n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return text.empty() ? std::nullopt : std::optional<uint64_t>(n);
}

// One client: POST /v3/kv/put on the leader's keep-alive connection.
class EtcdConnection : public KvConnection {
 public:
  explicit EtcdConnection(HttpConnection http) : http_(std::move(http)) {}

  Status Put(std::string_view key, std::string_view value) override {
    const std::string body = EtcdPutBody(key, value);
    Result<HttpReply> answer = http_.Request("POST", "/v3/kv/put", "application/json", body,
                                             HttpConnection::Resend::kOnceIfUnanswered);
    if (!answer.ok()) return answer.status().WithContext("put " + std::string(key));
    if (answer->status != 200) {
      return Status::Unavailable("put " + std::string(key) + ": HTTP " +
                                 std::to_string(answer->status) + " " + answer->body);
    }
    return Status::Ok();
  }

  uint64_t resent() const override { return http_.reconnects(); }

 private:
  HttpConnection http_;
};

}  // namespace

std::string EtcdPutBody(std::string_view key, std::string_view value) {
  // Base64 needs no JSON escaping.
  return "{\"key\":\"" + Base64Encode(key) + "\",\"value\":\"" + Base64Encode(value) + "\"}";
}

std::string PrefixRangeEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    if (static_cast<unsigned char>(end.back()) != 0xff) {
      end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // etcd: "every key from `key` on"
}

Status EtcdSystem::Start(const std::string& data_dir) {
  Result<ClusterMembers> members = ClusterMembers::Pick(data_dir, "e", 3, true);
  if (!members.ok()) return members.status();
  members_ = std::move(members).value();
  std::string initial_cluster;
  for (const ClusterMember& member : members_->members()) {
    if (!initial_cluster.empty()) initial_cluster += ",";
    initial_cluster += member.name + "=http://127.0.0.1:" + std::to_string(member.peer_port);
  }
  // A fresh token per cluster, so members of an earlier run that still
  // hold a port can never join this one.
  const std::string token = fmt::format("raft-bench-{:08x}", std::random_device{}());
  for (size_t i = 0; i < members_->members().size(); ++i) {
    const ClusterMember& member = members_->members()[i];
    const std::string client_url = "http://127.0.0.1:" + std::to_string(member.client_port);
    const std::string peer_url = "http://127.0.0.1:" + std::to_string(member.peer_port);
    // Everything else at etcd's defaults, fsync included.
    DSC_RETURN_IF_ERROR(members_->StartMember(
        i,
        {etcd_binary_, "--name", member.name, "--data-dir", member.data_dir, "--listen-client-urls",
         client_url, "--advertise-client-urls", client_url, "--listen-peer-urls", peer_url,
         "--initial-advertise-peer-urls", peer_url, "--initial-cluster", initial_cluster,
         "--initial-cluster-state", "new", "--initial-cluster-token", token}));
  }
  DSC_RETURN_IF_ERROR(members_->WaitForPorts(std::chrono::seconds(20)));
  return PollUntil("etcd: wait for the members to agree on a leader", std::chrono::seconds(20),
                   [&]() -> Status {
                     Result<std::string> leader = FindLeader();
                     if (!leader.ok()) return leader.status();
                     leader_ = *leader;
                     leader_port_ = members_->Find(leader_)->client_port;
                     return Status::Ok();
                   });
}

Result<std::string> EtcdSystem::FindLeader() {
  std::string leader_id;
  std::string leader;
  for (const ClusterMember& member : members_->members()) {
    Result<json> status = PostJson(member.client_port, "/v3/maintenance/status", json::object());
    if (!status.ok()) return status.status();
    const std::string says = status->value("leader", "0");
    if (says == "0") return Status::Unavailable(member.name + " knows no leader yet");
    if (leader_id.empty()) leader_id = says;
    if (says != leader_id) {
      return Status::Unavailable("the members name different leaders: " + leader_id + ", " + says);
    }
    if ((*status)["header"].value("member_id", "") == says) leader = member.name;
  }
  if (leader.empty()) return Status::Unavailable("no member has the leader's id " + leader_id);
  return leader;
}

Result<std::unique_ptr<KvConnection>> EtcdSystem::Connect() {
  Result<HttpConnection> http = HttpConnection::Open(leader_port_);
  if (!http.ok()) return http.status();
  return std::unique_ptr<KvConnection>(new EtcdConnection(std::move(http).value()));
}

Status EtcdSystem::CheckWritten(const std::string& key_prefix, uint64_t puts,
                                const std::vector<WrittenKey>& sample) {
  for (const WrittenKey& written : sample) {
    // Linearizable by default (serializable: false).
    Result<json> read =
        PostJson(leader_port_, "/v3/kv/range", {{"key", Base64Encode(written.key)}});
    if (!read.ok()) return read.status().WithContext("read back an acknowledged write");
    const json& kvs = (*read)["kvs"];
    std::optional<std::string> value;
    if (kvs.is_array() && kvs.size() == 1 && kvs[0]["value"].is_string()) {
      value = Base64Decode(kvs[0]["value"].get<std::string>());
    }
    if (value != written.value) {
      return Status::Corruption("range " + written.key + " answered " + read->dump() +
                                ", not the value written");
    }
  }
  // Every key is distinct, so the prefix holds exactly one key per put.
  Result<json> counted = PostJson(leader_port_, "/v3/kv/range",
                                  {{"key", Base64Encode(key_prefix)},
                                   {"range_end", Base64Encode(PrefixRangeEnd(key_prefix))},
                                   {"count_only", true}});
  if (!counted.ok()) return counted.status().WithContext("count the run's keys");
  const std::optional<uint64_t> count = Uint64Field(*counted, "count");
  if (count != puts) {
    return Status::Corruption(
        fmt::format("{} puts were acknowledged but etcd counts {}", puts, counted->dump()));
  }
  Result<json> status = PostJson(leader_port_, "/v3/maintenance/status", json::object());
  if (!status.ok()) return status.status();
  if (status->value("leader", "") != (*status)["header"].value("member_id", "")) {
    return Status::Unavailable("leadership moved during the run: " + status->dump());
  }
  return Status::Ok();
}

Result<ClusterCpu> EtcdSystem::CpuSeconds() const { return members_->CpuSeconds(leader_); }

Status EtcdSystem::Stop() {
  if (!members_) return Status::Ok();
  Status stopped = members_->StopAll(leader_);
  members_.reset();
  leader_.clear();
  return stopped;
}

}  // namespace dsc::bench
