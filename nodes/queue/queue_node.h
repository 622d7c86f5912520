// The queue node: a durable work queue served over HTTP, and the worker
// and producer programs that talk to it.
//
// Session 2's system. Producers POST tasks, workers lease them, run them
// and ack or fail them; a task whose worker dies comes back when its lease
// runs out; a task that keeps failing is retried with backoff, then
// dead-lettered. Every change is a record in a write-ahead log, durable
// before the node answers (a lease only with --durable-leases), so
// `kill -9` loses no acknowledged task.
//
//   dsc queue serve   --listen 127.0.0.1:7000 --data DIR [--fsync ...]
//                     [--durable-leases] [--retention-ms N]
//   dsc queue worker  --server http://127.0.0.1:7000 --id w1 ...
//   dsc queue produce --server http://127.0.0.1:7000 --count 100 ...
//
// The HTTP API is in queue_http.h; the service and its ordering rule in
// queue_service.h; the worker and producer in worker.h and producer.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace dsc::queue {

struct ServeOptions {
  std::string id = "queue1";
  std::string listen = "127.0.0.1:7000";  // host:port
  std::string data_dir;                   // required
  std::string fsync = "always";           // always | interval:MS | never
  bool admin = false;                     // enable /admin/faults
  size_t max_body_bytes = 1u << 20;
  size_t threads = 0;  // the server's io threads; 0: one per core but one, at least one
  // Answer a lease only once its record is durable (QueueServiceOptions::
  // durable_leases); by default a crash may forget a lease.
  bool durable_leases = false;
  // How long finished tasks stay queryable (QueueOptions::retention_ms).
  int64_t retention_ms = 3'600'000;
};

// Runs the node until SIGTERM or SIGINT; returns the process exit code.
//
// Logs one INFO line when recovered and one when ready to serve. Exit
// codes: 0 after a clean shutdown; 1 for an unusable or locked data
// directory, a busy port, or a fatal log failure (a failed write or
// fsync: the node stops and a restart recovers by replay); 2 for a bad
// option. Failures print one line on stderr. Call it from main() before
// starting any other thread: it blocks SIGTERM/SIGINT for the threads it
// creates and takes them synchronously (nodes/common/shutdown_signal.h).
int Serve(const ServeOptions& options);

}  // namespace dsc::queue
