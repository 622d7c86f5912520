#include "bench/queue_http_client.h"

#include <string_view>
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

std::string Describe(const HttpReply& reply) {
  return "HTTP " + std::to_string(reply.status) + " " + reply.body;
}

// One client. Its requests go through HttpConnection, not httplib::Client:
// the client shares the two cores with the server, and httplib's client
// costs several times what beanstalkd's line protocol client does.
class QueueHttpConnection : public QueueConnection {
 public:
  QueueHttpConnection(HttpConnection http, std::string worker)
      : http_(std::move(http)),
        worker_(std::move(worker)),
        lease_body_(
            json{{"worker", worker_}, {"lease_ms", kLeaseMs}, {"wait_ms", kLeaseWaitMs}}.dump()),
        ack_body_(json{{"worker", worker_}}.dump()) {}

  Status Enqueue(std::string_view payload) override {
    const std::string body = json{{"payload", payload}}.dump();
    Result<HttpReply> reply = http_.Post("/tasks", body);
    if (!reply.ok()) return reply.status().WithContext("enqueue");
    if (reply->status != 201) return Status::Unavailable("enqueue: " + Describe(*reply));
    return Status::Ok();
  }

  Result<LeasedJob> Lease() override {
    Result<HttpReply> reply = http_.Post("/tasks/lease", lease_body_);
    if (!reply.ok()) return reply.status().WithContext("lease");
    if (reply->status == 204) {
      return Status::NotFound("lease: no task within " + std::to_string(kLeaseWaitMs) +
                              " ms, though one was enqueued before");
    }
    if (reply->status != 200) return Status::Unavailable("lease: " + Describe(*reply));
    const json task = json::parse(reply->body, nullptr, /*allow_exceptions=*/false);
    if (!task.is_object() || !task.contains("id") || !task["id"].is_string() ||
        !task.contains("payload") || !task["payload"].is_string()) {
      return Status::Corruption("lease: unexpected answer " + reply->body);
    }
    return LeasedJob{task["id"].get<std::string>(), task["payload"].get<std::string>()};
  }

  Status Ack(const std::string& id) override {
    Result<HttpReply> reply = http_.Post("/tasks/" + id + "/ack", ack_body_);
    if (!reply.ok()) return reply.status().WithContext("ack " + id);
    if (reply->status != 200) return Status::Unavailable("ack " + id + ": " + Describe(*reply));
    return Status::Ok();
  }

 private:
  HttpConnection http_;
  const std::string worker_;
  const std::string lease_body_;  // the same for every lease of this worker
  const std::string ack_body_;
};

}  // namespace

std::unique_ptr<QueueConnection> NewQueueHttpConnection(HttpConnection http, std::string worker) {
  return std::make_unique<QueueHttpConnection>(std::move(http), std::move(worker));
}

}  // namespace dsc::bench
