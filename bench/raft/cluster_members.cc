#include "bench/raft/cluster_members.h"

#include <filesystem>
#include <system_error>
#include <thread>

namespace dsc::bench {

Result<ClusterMembers> ClusterMembers::Pick(const std::string& data_dir, const std::string& prefix,
                                            int count, bool separate_peer_port) {
  ClusterMembers cluster;
  for (int i = 1; i <= count; ++i) {
    ClusterMember member;
    member.name = prefix + std::to_string(i);
    // Ports are picked one after another and bound only when the servers
    // start: a port picked twice would show as a failed start. Ask again
    // for one already given out.
    auto fresh_port = [&]() -> Result<int> {
      for (int attempt = 0; attempt < 20; ++attempt) {
        Result<int> port = PickFreeLoopbackPort();
        if (!port.ok()) return port.status();
        bool taken = *port == member.client_port;
        for (const ClusterMember& other : cluster.members_) {
          taken = taken || *port == other.client_port || *port == other.peer_port;
        }
        if (!taken) return *port;
      }
      return Status::Unavailable("no free loopback port");
    };
    Result<int> client_port = fresh_port();
    if (!client_port.ok()) return client_port.status();
    member.client_port = *client_port;
    member.peer_port = member.client_port;
    if (separate_peer_port) {
      Result<int> peer_port = fresh_port();
      if (!peer_port.ok()) return peer_port.status();
      member.peer_port = *peer_port;
    }
    member.data_dir = data_dir + "/" + member.name;
    member.log_path = data_dir + "/" + member.name + ".log";
    std::error_code ec;
    std::filesystem::create_directories(member.data_dir, ec);
    if (ec) return Status::IOError("create " + member.data_dir + ": " + ec.message());
    cluster.members_.push_back(std::move(member));
  }
  return cluster;
}

ClusterMember* ClusterMembers::Find(const std::string& name) {
  for (ClusterMember& member : members_) {
    if (member.name == name) return &member;
  }
  return nullptr;
}

Status ClusterMembers::StartMember(size_t i, const std::vector<std::string>& argv) {
  ClusterMember& member = members_.at(i);
  Result<std::unique_ptr<ServerProcess>> process = ServerProcess::Start(argv, member.log_path);
  if (!process.ok()) return process.status().WithContext("start " + member.name);
  member.process = std::move(process).value();
  return Status::Ok();
}

Status ClusterMembers::WaitForPorts(std::chrono::milliseconds timeout) {
  for (ClusterMember& member : members_) {
    if (!member.process) continue;
    DSC_RETURN_IF_ERROR(member.process->WaitForPort(member.client_port, timeout)
                            .WithContext(member.name + " (log " + member.log_path + ")"));
  }
  return Status::Ok();
}

Result<ClusterCpu> ClusterMembers::CpuSeconds(const std::string& leader) const {
  ClusterCpu cpu;
  for (const ClusterMember& member : members_) {
    if (!member.process) continue;
    Result<double> seconds = member.process->CpuSeconds();
    if (!seconds.ok()) return seconds.status().WithContext(member.name);
    cpu.all_seconds += *seconds;
    if (member.name == leader) cpu.leader_seconds = *seconds;
  }
  return cpu;
}

Status ClusterMembers::StopAll(const std::string& leader) {
  Status first;
  auto stop = [&](ClusterMember& member) {
    if (!member.process) return;
    Status stopped = member.process->Stop().WithContext("stop " + member.name);
    member.process.reset();
    if (first.ok() && !stopped.ok()) first = stopped;
  };
  if (ClusterMember* member = Find(leader)) stop(*member);
  for (ClusterMember& member : members_) stop(member);
  return first;
}

Status PollUntil(const std::string& what, std::chrono::milliseconds timeout,
                 const std::function<Status()>& probe) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    Status status = probe();
    if (status.ok()) return status;
    if (std::chrono::steady_clock::now() >= deadline) {
      return status.WithContext(what + " (gave up after " + std::to_string(timeout.count()) +
                                " ms)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace dsc::bench
