#include "nodes/queue/queue_http.h"

#include <fmt/format.h>

#include <algorithm>
#include <initializer_list>
#include <string_view>
#include <utility>

#include "base/text.h"
#include "nodes/common/completion.h"
#include "nodes/common/json_body.h"
#include "nodes/common/json_error.h"

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
  server.Post("/tasks", [this](Request& req) { return Enqueue(req); });
  server.Post("/tasks/lease", [this](Request& req) { return Lease(req); });
  server.Post("/tasks/([^/]+)/ack", [this](Request& req) { return Ack(req); });
  server.Post("/tasks/([^/]+)/fail", [this](Request& req) { return Fail(req); });
  server.Get("/tasks/([^/]+)", [this](Request& req) { return GetTask(req); });
  server.Get("/stats", [this](Request&) -> node::Awaitable<node::Response> {
    co_return node::ReplyJson(200, StatsJson());
  });
  server.SetStatusProvider([this] { return StatusJson(); });
  server.metrics().AddCollector([this](node::Metrics& metrics) { CollectMetrics(metrics); });
}

// ANCHOR: http_enqueue
node::Awaitable<node::Response> QueueHttp::Enqueue(node::Request& req) {
  JsonBody body = ParseBody(req.body(), {"payload", "max_retries", "idempotency_key"});
  const nlohmann::json payload = body.RequireValue("payload");
  EnqueueRequest request;
  if (body.Has("max_retries")) {
    request.max_retries =
        static_cast<int>(body.RequireInt("max_retries", IntRange{0, kMaxRetriesLimit}));
  }
  if (body.Has("idempotency_key")) request.idempotency_key = body.RequireString("idempotency_key");
  if (!body.ok()) co_return node::ReplyStatus(body.status());
  request.payload = payload.dump();  // cannot throw: the parser checked the UTF-8

  // Suspends (holding no thread) until the record is durable.
  Result<EnqueueResult> result = co_await node::AwaitCallback<Result<EnqueueResult>>(
      [&](auto done) { service_->Enqueue(request, std::move(done)); });
  if (!result.ok()) co_return node::ReplyStatus(result.status());
  // 201: a new task, durable. 200: the key's existing task, also durable.
  co_return node::ReplyJson(result->created ? 201 : 200,
                            {{"id", result->id}, {"status", TaskStatusName(result->status)}});
}
// ANCHOR_END: http_enqueue

node::Awaitable<node::Response> QueueHttp::Lease(node::Request& req) {
  JsonBody body = ParseBody(req.body(), {"worker", "lease_ms", "wait_ms"});
  const std::string worker = body.RequireString("worker");
  const int64_t lease_ms = body.RequireInt("lease_ms");  // QueueState checks the range
  const int64_t wait_ms = body.OptionalInt("wait_ms", 0, IntRange{0, kMaxLeaseWait.count()});
  if (!body.ok()) co_return node::ReplyStatus(body.status());

  // A long poll: suspended until a task is ready or wait_ms runs out.
  Result<std::optional<LeasedTask>> leased =
      co_await node::AwaitCallback<Result<std::optional<LeasedTask>>>([&](auto done) {
        service_->Lease(worker, lease_ms, std::chrono::milliseconds(wait_ms), std::move(done));
      });
  if (!leased.ok()) co_return node::ReplyStatus(leased.status());
  if (!leased->has_value()) co_return node::ReplyEmpty(204);  // no task became ready in time
  const LeasedTask& task = **leased;
  // The payload is stored as the JSON text it was enqueued as; it goes into
  // the reply as that text, not parsed and written out again.
  co_return node::ReplyText(
      200,
      DumpWithPayloadText(
          {{"id", task.id}, {"attempt", task.attempt}, {"lease_expires_ms", task.lease_expires_ms}},
          task.payload),
      "application/json");
}

node::Awaitable<node::Response> QueueHttp::Ack(node::Request& req) {
  const std::string id = req.match[1];
  JsonBody body = ParseBody(req.body(), {"worker"});
  const std::string worker = body.RequireString("worker");
  if (!body.ok()) co_return node::ReplyStatus(body.status());
  Status s = co_await node::AwaitCallback<Status>(
      [&](auto done) { service_->Ack(id, worker, std::move(done)); });
  if (!s.ok()) co_return node::ReplyStatus(s);
  co_return node::ReplyJson(200, {{"id", id}, {"status", TaskStatusName(TaskStatus::kCompleted)}});
}

node::Awaitable<node::Response> QueueHttp::Fail(node::Request& req) {
  const std::string id = req.match[1];
  JsonBody body = ParseBody(req.body(), {"worker", "error"});
  const std::string worker = body.RequireString("worker");
  const std::string error = body.OptionalString("error", "");
  if (!body.ok()) co_return node::ReplyStatus(body.status());
  Result<FailResult> result = co_await node::AwaitCallback<Result<FailResult>>(
      [&](auto done) { service_->Fail(id, worker, error, std::move(done)); });
  if (!result.ok()) co_return node::ReplyStatus(result.status());
  nlohmann::json reply = {{"id", id}, {"status", TaskStatusName(result->status)}};
  if (result->retry_at_ms) reply["retry_at_ms"] = *result->retry_at_ms;
  co_return node::ReplyJson(200, reply);
}

node::Awaitable<node::Response> QueueHttp::GetTask(node::Request& req) {
  const std::string id = req.match[1];
  Result<Task> task = co_await node::AwaitCallback<Result<Task>>(
      [&](auto done) { service_->GetTask(id, std::move(done)); });
  if (task.ok()) co_return node::ReplyJson(200, TaskToJson(*task));
  if (task.status().IsNotFound() && service_->MayHaveBeenPurged(id)) {
    co_return node::ReplyError(
        410, node::error_code::kGone,
        fmt::format("task {} is gone: finished tasks are removed {} ms after they finish", id,
                    service_->retention_ms()));
  }
  co_return node::ReplyStatus(task.status());
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
                      {"expired", c.expired},
                      {"purged", c.purged}};
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
  total("dsc_queue_purged_total", "Finished tasks removed after their retention", c.purged);

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
  metrics.GetGauge("dsc_queue_parked_leases", "Long-poll leases waiting for a task")
      .Set(static_cast<double>(stats.parked_leases));
  metrics.GetGauge("dsc_queue_pending_replies", "Replies waiting for their record to be durable")
      .Set(static_cast<double>(stats.pending_replies));
  metrics.GetGauge("dsc_wal_first_lsn", "First LSN held").Set(static_cast<double>(stats.first_lsn));
  metrics.GetGauge("dsc_wal_last_lsn", "Last LSN written").Set(static_cast<double>(stats.last_lsn));
  metrics.GetGauge("dsc_wal_durable_lsn", "Last LSN known on disk")
      .Set(static_cast<double>(stats.durable_lsn));
  metrics.GetGauge("dsc_queue_persisted_lsn", "LSN the tasks in RocksDB reflect")
      .Set(static_cast<double>(stats.persisted_lsn));
}

}  // namespace dsc::queue
