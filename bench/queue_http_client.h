// The queue's HTTP contract from a bench client's side (the three requests
// of a cycle, nodes/queue/queue_http.h), over one lean keep-alive
// HttpConnection: what queue_bench sends to a dsc queue node and to the
// floor server alike.
//
// Thread-safety: see queue_system.h.
#pragma once

#include <memory>
#include <string>

#include "bench/http_connection.h"
#include "bench/queue_system.h"

namespace dsc::bench {

//   enqueue  POST /tasks            {"payload":"..."}               -> 201
//   lease    POST /tasks/lease      {"worker","lease_ms","wait_ms"} -> 200
//   ack      POST /tasks/{id}/ack   {"worker"}                      -> 200
// `worker` names this client in its leases and acks.
std::unique_ptr<QueueConnection> NewQueueHttpConnection(HttpConnection http, std::string worker);

}  // namespace dsc::bench
