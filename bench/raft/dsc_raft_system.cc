#include "bench/raft/dsc_raft_system.h"

#include <httplib.h>

#include <chrono>
#include <utility>

#include <nlohmann/json.hpp>

#include "bench/http_connection.h"

namespace dsc::bench {
namespace {

using nlohmann::json;

std::string Describe(const httplib::Result& result) {
  if (!result) return "no answer (" + httplib::to_string(result.error()) + ")";
  return "HTTP " + std::to_string(result->status) + " " + result->body;
}

Result<json> GetJson(int port, const std::string& path) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(std::chrono::seconds(2));
  client.set_read_timeout(std::chrono::seconds(10));
  httplib::Result result = client.Get(path);
  if (!result || result->status != 200) {
    return Status::Unavailable("GET " + path + " on port " + std::to_string(port) + ": " +
                               Describe(result));
  }
  json body = json::parse(result->body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) return Status::Corruption("GET " + path + ": not a JSON object");
  return body;
}

// One client: PUT /kv/{key} on the leader's keep-alive connection.
class DscConnection : public KvConnection {
 public:
  explicit DscConnection(HttpConnection http) : http_(std::move(http)) {}

  Status Put(std::string_view key, std::string_view value) override {
    path_.assign("/kv/").append(key);
    Result<HttpReply> answer = http_.Request("PUT", path_, "application/octet-stream", value,
                                             HttpConnection::Resend::kOnceIfUnanswered);
    if (!answer.ok()) return answer.status().WithContext("PUT " + path_);
    if (answer->status != 200) {
      // 421: leadership moved during the run; 503: not committed in time.
      return Status::Unavailable("PUT " + path_ + ": HTTP " + std::to_string(answer->status) + " " +
                                 answer->body);
    }
    return Status::Ok();
  }

  uint64_t resent() const override { return http_.reconnects(); }

 private:
  HttpConnection http_;
  std::string path_;  // reused
};

}  // namespace

Status DscRaftSystem::Start(const std::string& data_dir) {
  Result<ClusterMembers> members = ClusterMembers::Pick(data_dir, "n", 3, false);
  if (!members.ok()) return members.status();
  members_ = std::move(members).value();
  std::string peers;
  for (const ClusterMember& member : members_->members()) {
    if (!peers.empty()) peers += ",";
    peers += member.name + "=127.0.0.1:" + std::to_string(member.client_port);
  }
  for (size_t i = 0; i < members_->members().size(); ++i) {
    const ClusterMember& member = members_->members()[i];
    // Default flags otherwise: --fsync always, the default tick and
    // election timeout, snapshots every 1000 entries.
    std::vector<std::string> argv = {dsc_binary_,
                                     "raft",
                                     "serve",
                                     "--id",
                                     member.name,
                                     "--listen",
                                     "127.0.0.1:" + std::to_string(member.client_port),
                                     "--peers",
                                     peers,
                                     "--data",
                                     member.data_dir};
    argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
    DSC_RETURN_IF_ERROR(members_->StartMember(i, argv));
  }
  DSC_RETURN_IF_ERROR(members_->WaitForPorts(std::chrono::seconds(20)));
  return PollUntil("dsc: wait for the nodes to agree on a leader", std::chrono::seconds(20),
                   [&]() -> Status {
                     Result<std::string> leader = FindLeader();
                     if (!leader.ok()) return leader.status();
                     leader_ = *leader;
                     leader_port_ = members_->Find(leader_)->client_port;
                     return Status::Ok();
                   });
}

Result<std::string> DscRaftSystem::FindLeader() {
  std::string leader;
  for (const ClusterMember& member : members_->members()) {
    Result<json> status = GetJson(member.client_port, "/status");
    if (!status.ok()) return status.status();
    const json& says = (*status)["leader"];
    if (!says.is_string()) return Status::Unavailable(member.name + " knows no leader yet");
    if (leader.empty()) leader = says.get<std::string>();
    if (says.get<std::string>() != leader) {
      return Status::Unavailable("the nodes name different leaders: " + leader + ", " +
                                 says.get<std::string>());
    }
  }
  const ClusterMember* member = members_->Find(leader);
  if (member == nullptr) return Status::Corruption("the leader \"" + leader + "\" is no member");
  Result<json> status = GetJson(member->client_port, "/status");
  if (!status.ok()) return status.status();
  if (status->value("state", "") != "leader") {
    return Status::Unavailable(leader + " is named leader but is " + status->value("state", "?"));
  }
  return leader;
}

Result<std::unique_ptr<KvConnection>> DscRaftSystem::Connect() {
  Result<HttpConnection> http = HttpConnection::Open(leader_port_);
  if (!http.ok()) return http.status();
  return std::unique_ptr<KvConnection>(new DscConnection(std::move(http).value()));
}

Status DscRaftSystem::CheckWritten(const std::string& key_prefix, uint64_t puts,
                                   const std::vector<WrittenKey>& sample) {
  for (const WrittenKey& written : sample) {
    if (!written.key.starts_with(key_prefix)) {
      return Status::InvalidArgument("sample key " + written.key + " lacks the run's prefix");
    }
    Result<json> read = GetJson(leader_port_, "/kv/" + written.key);
    if (!read.ok()) return read.status().WithContext("read back an acknowledged write");
    if (read->value("value", "") != written.value) {
      return Status::Corruption("GET /kv/" + written.key + " answered " + read->dump() +
                                ", not the value written");
    }
  }
  // The node has no range count; its applied index must at least cover
  // one entry per acknowledged put.
  Result<json> status = GetJson(leader_port_, "/status");
  if (!status.ok()) return status.status();
  if (status->value("state", "") != "leader") {
    return Status::Unavailable("leadership moved during the run: " + status->dump());
  }
  const json& applied = (*status)["last_applied"];
  if (!applied.is_number_unsigned() || applied.get<uint64_t>() < puts) {
    return Status::Corruption("after " + std::to_string(puts) + " acknowledged puts the leader's " +
                              "status is " + status->dump());
  }
  return Status::Ok();
}

Result<ClusterCpu> DscRaftSystem::CpuSeconds() const { return members_->CpuSeconds(leader_); }

Status DscRaftSystem::Stop() {
  if (!members_) return Status::Ok();
  Status stopped = members_->StopAll(leader_);
  members_.reset();
  leader_.clear();
  return stopped;
}

}  // namespace dsc::bench
