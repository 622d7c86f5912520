#include "bench/dsc_queue_system.h"

#include <httplib.h>

#include <chrono>
#include <utility>

#include <nlohmann/json.hpp>

namespace dsc::bench {
namespace {

using nlohmann::json;

// Long enough that no lease runs out during a run: an expiry would hand
// the task to a second client and the run would (rightly) fail.
constexpr int kLeaseMs = 60'000;
// Never waited for in a correct run (queue_system.h); a bound on a broken one.
constexpr int kLeaseWaitMs = 1'000;

// What an unexpected answer looked like, for an error message.
std::string Describe(const httplib::Result& result) {
  if (!result) return "no answer (" + httplib::to_string(result.error()) + ")";
  return "HTTP " + std::to_string(result->status) + " " + result->body;
}

class DscConnection : public QueueConnection {
 public:
  DscConnection(int port, std::string worker)
      : client_("127.0.0.1", port),
        worker_(std::move(worker)),
        lease_body_(
            json{{"worker", worker_}, {"lease_ms", kLeaseMs}, {"wait_ms", kLeaseWaitMs}}.dump()),
        ack_body_(json{{"worker", worker_}}.dump()) {
    client_.set_keep_alive(true);
    // Requests go out as header and body writes; without TCP_NODELAY
    // Nagle holds the body back until the server's delayed ACK (~40 ms).
    client_.set_tcp_nodelay(true);
    client_.set_connection_timeout(std::chrono::seconds(2));
    client_.set_read_timeout(std::chrono::seconds(10));
    client_.set_write_timeout(std::chrono::seconds(10));
  }

  Status Enqueue(std::string_view payload) override {
    const std::string body = json{{"payload", payload}}.dump();
    httplib::Result result = client_.Post("/tasks", body, "application/json");
    if (!result || result->status != 201) {
      return Status::Unavailable("enqueue: " + Describe(result));
    }
    return Status::Ok();
  }

  Result<LeasedJob> Lease() override {
    httplib::Result result = client_.Post("/tasks/lease", lease_body_, "application/json");
    if (result && result->status == 204) {
      return Status::NotFound("lease: no task within " + std::to_string(kLeaseWaitMs) +
                              " ms, though one was enqueued before");
    }
    if (!result || result->status != 200) return Status::Unavailable("lease: " + Describe(result));
    const json task = json::parse(result->body, nullptr, /*allow_exceptions=*/false);
    if (!task.is_object() || !task.contains("id") || !task["id"].is_string() ||
        !task.contains("payload") || !task["payload"].is_string()) {
      return Status::Corruption("lease: unexpected answer " + result->body);
    }
    return LeasedJob{task["id"].get<std::string>(), task["payload"].get<std::string>()};
  }

  Status Ack(const std::string& id) override {
    httplib::Result result = client_.Post("/tasks/" + id + "/ack", ack_body_, "application/json");
    if (!result || result->status != 200) {
      return Status::Unavailable("ack " + id + ": " + Describe(result));
    }
    return Status::Ok();
  }

 private:
  httplib::Client client_;
  const std::string worker_;
  const std::string lease_body_;  // the same for every lease of this worker
  const std::string ack_body_;
};

}  // namespace

Status DscQueueSystem::Start(const std::string& data_dir) {
  Result<int> port = PickFreeLoopbackPort();
  if (!port.ok()) return port.status();
  port_ = *port;
  Result<std::unique_ptr<ServerProcess>> server = ServerProcess::Start(
      {dsc_binary_, "queue", "serve", "--id", "bench", "--listen",
       "127.0.0.1:" + std::to_string(port_), "--data", data_dir, "--fsync", "always"},
      data_dir + ".log");
  if (!server.ok()) return server.status();
  server_ = std::move(server).value();
  return server_->WaitForPort(port_, std::chrono::seconds(20));
}

Result<std::unique_ptr<QueueConnection>> DscQueueSystem::Connect() {
  const std::string worker = "bench-" + std::to_string(next_worker_++);
  return std::unique_ptr<QueueConnection>(new DscConnection(port_, worker));
}

Status DscQueueSystem::CheckDrained(uint64_t cycles) {
  httplib::Client client("127.0.0.1", port_);
  client.set_read_timeout(std::chrono::seconds(10));
  httplib::Result result = client.Get("/stats");
  if (!result || result->status != 200)
    return Status::Unavailable("GET /stats: " + Describe(result));
  const json stats = json::parse(result->body, nullptr, /*allow_exceptions=*/false);
  if (!stats.is_object() || !stats.contains("counters")) {
    return Status::Corruption("GET /stats: unexpected answer " + result->body);
  }
  // Every task completed once: none left pending, held, failed or expired.
  const std::pair<json, uint64_t> expected[] = {
      {stats.value("pending", json()), 0},
      {stats.value("processing", json()), 0},
      {stats.value("failed", json()), 0},
      {stats.value("completed", json()), cycles},
      {stats["counters"].value("enqueued", json()), cycles},
      {stats["counters"].value("leased", json()), cycles},
      {stats["counters"].value("acked", json()), cycles},
      {stats["counters"].value("expired", json()), 0},
  };
  for (const auto& [value, want] : expected) {
    if (!value.is_number_unsigned() || value.get<uint64_t>() != want) {
      return Status::Corruption("after " + std::to_string(cycles) + " cycles dsc's /stats says " +
                                stats.dump());
    }
  }
  return Status::Ok();
}

Result<double> DscQueueSystem::ServerCpuSeconds() const { return server_->CpuSeconds(); }

Status DscQueueSystem::Stop() {
  if (!server_) return Status::Ok();
  Status stopped = server_->Stop();
  server_.reset();
  return stopped;
}

}  // namespace dsc::bench
