// QueueHttp: the queue node's HTTP API, on top of a QueueService.
//
//   POST /tasks        {"payload":ANY,"max_retries":N?,"idempotency_key":S?}
//                      -> 201 {"id","status":"pending"} once durable
//                      -> 200 {"id","status"} when idempotency_key names an
//                         existing task with the same payload (a retried
//                         request: no new task; status is its current one)
//                      -> 409 when that key was used with another payload
//   POST /tasks/lease  {"worker":S,"lease_ms":N,"wait_ms":N?}  (wait_ms
//                      0..30000, default 0: answer at once)
//                      -> 200 {"id","payload","attempt","lease_expires_ms"}
//                         at once: the lease is logged but not waited for,
//                         so a crash may forget it and the task is
//                         delivered again (at-least-once); with
//                         `dsc queue serve --durable-leases`, once durable
//                      -> 204 (no body) when no task became ready in time
//   POST /tasks/{id}/ack   {"worker":S}  -> 200 {"id","status":"completed"}
//   POST /tasks/{id}/fail  {"worker":S,"error":S?}
//                      -> 200 {"id","status":"pending","retry_at_ms":N}
//                         or {"id","status":"failed"} (dead-lettered)
//                      ack/fail: once durable; 404 unknown id; 409 when the
//                      worker does not hold a live lease on the task
//   GET  /tasks/{id}   -> 200 the task (nodes/queue/core/task.h's JSON)
//                      -> 410 {"error":"gone"} when it is absent and its id
//                         is older than the retention: it finished and was
//                         purged (QueueOptions::retention_ms, default 1 h)
//                      -> 404 when it never existed
//   GET  /stats        -> 200 {"pending","processing","completed","failed",
//                      "oldest_pending_age_ms","counters":{...},"wal":{...}}
//   GET  /status       -> {"id","system":"queue","tasks":{counts},
//                      "wal":{"first_lsn","last_lsn","durable_lsn","fsync"}}
//   /metrics           queue counters and depth gauges, WAL gauges, parked
//                      long polls and replies waiting for durability
//
// Every handler is a coroutine: where the reply waits (for durability, for
// a task in a long poll) it co_awaits the service's callback, and no
// thread waits with it.
//
// Times are milliseconds since the Unix epoch. Bodies must be JSON
// objects without unknown fields (a typo like "max_retry" is a 400 that
// names it). Errors are nodes/common's {"error","message"}: 400 bad input,
// 404, 409, 410, 413 (NodeServer), 503 shutting down or the log failed.
//
// Thread-safety: handlers run concurrently; QueueService is thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include "nodes/common/node_server.h"
#include "nodes/queue/queue_service.h"

namespace dsc::queue {

class QueueHttp {
 public:
  // `service` is borrowed and must outlive the server it is registered on.
  QueueHttp(std::string node_id, QueueService* service);

  // Adds the routes, the /status provider and the metrics collector.
  void Register(node::NodeServer& server);

  nlohmann::json StatusJson() const;
  nlohmann::json StatsJson() const;

 private:
  node::Awaitable<node::Response> Enqueue(node::Request& req);
  node::Awaitable<node::Response> Lease(node::Request& req);
  node::Awaitable<node::Response> Ack(node::Request& req);
  node::Awaitable<node::Response> Fail(node::Request& req);
  node::Awaitable<node::Response> GetTask(node::Request& req);
  void CollectMetrics(node::Metrics& metrics) const;

  const std::string node_id_;
  QueueService* const service_;
};

}  // namespace dsc::queue
