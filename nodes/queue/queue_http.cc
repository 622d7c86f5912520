#include "nodes/queue/queue_http.h"

#include <algorithm>
#include <initializer_list>
#include <string_view>
#include <utility>

#include "nodes/common/json_body.h"
#include "nodes/common/json_error.h"
#include "base/text.h"

namespace dsc::queue {
namespace {

using node::IntRange;
using node::JsonBody;

// A request body that may hold only `fields`. Nesting is bounded before
// parsing: a payload is later written back out as JSON, recursively.
JsonBody ParseBody(std::string_view text, std::initializer_list<std::string_view> fields) {
  if (!JsonDepthAtMost(text, kMaxPayloadDepth + 1)) {
    JsonBody body("{}");
    body.Fail("body is nested deeper than " + std::to_string(kMaxPayloadDepth) + " levels");
    return body;
  }
  JsonBody body(text);
  for (const auto& item : body.json().items()) {
    if (std::find(fields.begin(), fields.end(), item.key()) == fields.end()) {
      body.Fail("unknown field \"" + item.key() + "\"");
    }
  }
  return body;
}

nlohmann::json CountsJson(const QueueStats& stats) {
  return {{"pending", stats.pending},
          {"processing", stats.processing},
          {"completed", stats.completed},
          {"failed", stats.failed}};
}

}  // namespace

QueueHttp::QueueHttp(std::string node_id, QueueService* service)
    : node_id_(std::move(node_id)), service_(service) {}

void QueueHttp::Register(node::NodeServer& server) {
  using node::Request;
  server.Post("/tasks", [this](const Request& req, httplib::Response& res) { Enqueue(req, res); });
  server.Post("/tasks/lease",
              [this](const Request& req, httplib::Response& res) { Lease(req, res); });
  server.Post("/tasks/([^/]+)/ack",
              [this](const Request& req, httplib::Response& res) { Ack(req, res); });
  server.Post("/tasks/([^/]+)/fail",
              [this](const Request& req, httplib::Response& res) { Fail(req, res); });
  server.Get("/tasks/([^/]+)",
             [this](const Request& req, httplib::Response& res) { GetTask(req, res); });
  server.Get("/stats", [this](const Request&, httplib::Response& res) {
    node::ReplyJson(res, 200, StatsJson());
  });
  server.SetStatusProvider([this] { return StatusJson(); });
  server.metrics().AddCollector([this](node::Metrics& metrics) { CollectMetrics(metrics); });
}

// ANCHOR: http_enqueue
void QueueHttp::Enqueue(const node::Request& req, httplib::Response& res) {
  JsonBody body = ParseBody(req.body(), {"payload", "max_retries", "idempotency_key"});
  const nlohmann::json payload = body.RequireValue("payload");
  EnqueueRequest request;
  if (body.Has("max_retries")) {
    request.max_retries =
        static_cast<int>(body.RequireInt("max_retries", IntRange{0, kMaxRetriesLimit}));
  }
  if (body.Has("idempotency_key")) request.idempotency_key = body.RequireString("idempotency_key");
  if (!body.ok()) return node::ReplyStatus(res, body.status());
  request.payload = payload.dump();  // cannot throw: the parser checked the UTF-8

  Result<EnqueueResult> result = service_->Enqueue(request);
  if (!result.ok()) return node::ReplyStatus(res, result.status());
  // 201: a new task, durable. 200: the key's existing task, also durable.
  node::ReplyJson(res, result->created ? 201 : 200,
                  {{"id", result->id}, {"status", TaskStatusName(result->status)}});
}
// ANCHOR_END: http_enqueue

void QueueHttp::Lease(const node::Request& req, httplib::Response& res) {
  JsonBody body = ParseBody(req.body(), {"worker", "lease_ms", "wait_ms"});
  const std::string worker = body.RequireString("worker");
  const int64_t lease_ms = body.RequireInt("lease_ms");  // QueueState checks the range
  const int64_t wait_ms = body.OptionalInt("wait_ms", 0, IntRange{0, kMaxLeaseWait.count()});
  if (!body.ok()) return node::ReplyStatus(res, body.status());

  Result<std::optional<LeasedTask>> leased =
      service_->Lease(worker, lease_ms, std::chrono::milliseconds(wait_ms));
  if (!leased.ok()) return node::ReplyStatus(res, leased.status());
  if (!leased->has_value()) {
    res.status = 204;  // no task became ready in time
    return;
  }
  const LeasedTask& task = **leased;
  node::ReplyJson(res, 200,
                  {{"id", task.id},
                   {"payload", nlohmann::json::parse(task.payload, nullptr, false)},
                   {"attempt", task.attempt},
                   {"lease_expires_ms", task.lease_expires_ms}});
}

void QueueHttp::Ack(const node::Request& req, httplib::Response& res) {
  const std::string id = req.match[1];
  JsonBody body = ParseBody(req.body(), {"worker"});
  const std::string worker = body.RequireString("worker");
  if (!body.ok()) return node::ReplyStatus(res, body.status());
  if (Status s = service_->Ack(id, worker); !s.ok()) return node::ReplyStatus(res, s);
  node::ReplyJson(res, 200, {{"id", id}, {"status", TaskStatusName(TaskStatus::kCompleted)}});
}

void QueueHttp::Fail(const node::Request& req, httplib::Response& res) {
  const std::string id = req.match[1];
  JsonBody body = ParseBody(req.body(), {"worker", "error"});
  const std::string worker = body.RequireString("worker");
  const std::string error = body.OptionalString("error", "");
  if (!body.ok()) return node::ReplyStatus(res, body.status());
  Result<FailResult> result = service_->Fail(id, worker, error);
  if (!result.ok()) return node::ReplyStatus(res, result.status());
  nlohmann::json reply = {{"id", id}, {"status", TaskStatusName(result->status)}};
  if (result->retry_at_ms) reply["retry_at_ms"] = *result->retry_at_ms;
  node::ReplyJson(res, 200, reply);
}

void QueueHttp::GetTask(const node::Request& req, httplib::Response& res) {
  Result<Task> task = service_->GetTask(std::string(req.match[1]));
  if (!task.ok()) return node::ReplyStatus(res, task.status());
  node::ReplyJson(res, 200, TaskToJson(*task));
}

nlohmann::json QueueHttp::StatsJson() const {
  const QueueServiceStats stats = service_->Stats();
  nlohmann::json json = CountsJson(stats.tasks);
  json["oldest_pending_age_ms"] = stats.tasks.oldest_pending_age_ms;
  const QueueCounters& c = stats.counters;
  json["counters"] = {{"enqueued", c.enqueued},
                      {"leased", c.leased},
                      {"acked", c.acked},
                      {"retried", c.retried},
                      {"dead_lettered", c.dead_lettered},
                      {"expired", c.expired}};
  json["wal"] = {{"first_lsn", stats.first_lsn},
                 {"last_lsn", stats.last_lsn},
                 {"durable_lsn", stats.durable_lsn}};
  json["state"] = {{"persisted_lsn", stats.persisted_lsn}};
  return json;
}

nlohmann::json QueueHttp::StatusJson() const {
  const QueueServiceStats stats = service_->Stats();
  nlohmann::json json = {{"id", node_id_},
                         {"system", "queue"},
                         {"tasks", CountsJson(stats.tasks)},
                         {"wal",
                          {{"first_lsn", stats.first_lsn},
                           {"last_lsn", stats.last_lsn},
                           {"durable_lsn", stats.durable_lsn},
                           {"fsync", service_->fsync()}}}};
  const Status health = service_->health();
  json["healthy"] = health.ok();
  if (!health.ok()) json["error"] = health.ToString();
  return json;
}

void QueueHttp::CollectMetrics(node::Metrics& metrics) const {
  const QueueServiceStats stats = service_->Stats();
  auto total = [&](std::string_view name, std::string_view help, uint64_t value) {
    metrics.GetCounter(name, help).SetTotal(static_cast<double>(value));
  };
  const QueueCounters& c = stats.counters;
  total("dsc_queue_enqueued_total", "Tasks enqueued", c.enqueued);
  total("dsc_queue_leased_total", "Leases granted", c.leased);
  total("dsc_queue_acked_total", "Tasks completed", c.acked);
  total("dsc_queue_retried_total", "Failed attempts scheduled for a retry", c.retried);
  total("dsc_queue_dead_lettered_total", "Tasks that used up their retries", c.dead_lettered);
  total("dsc_queue_expired_total", "Leases that ran out before ack or fail", c.expired);

  const std::pair<std::string_view, size_t> depths[] = {{"pending", stats.tasks.pending},
                                                        {"processing", stats.tasks.processing},
                                                        {"completed", stats.tasks.completed},
                                                        {"failed", stats.tasks.failed}};
  for (const auto& [status, count] : depths) {
    metrics.GetGauge("dsc_queue_tasks", "Tasks by status", {{"status", std::string(status)}})
        .Set(static_cast<double>(count));
  }
  metrics
      .GetGauge("dsc_queue_oldest_pending_age_seconds", "How long the next ready task has waited")
      .Set(static_cast<double>(stats.tasks.oldest_pending_age_ms) / 1000.0);
  metrics.GetGauge("dsc_wal_first_lsn", "First LSN held").Set(static_cast<double>(stats.first_lsn));
  metrics.GetGauge("dsc_wal_last_lsn", "Last LSN written").Set(static_cast<double>(stats.last_lsn));
  metrics.GetGauge("dsc_wal_durable_lsn", "Last LSN known on disk")
      .Set(static_cast<double>(stats.durable_lsn));
  metrics.GetGauge("dsc_queue_persisted_lsn", "LSN the tasks in RocksDB reflect")
      .Set(static_cast<double>(stats.persisted_lsn));
}

}  // namespace dsc::queue
