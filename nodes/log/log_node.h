// The log node: one process serving a durable write-ahead log over HTTP.
//
// The smallest dsc node, and the first one a learner starts: it shows the
// idea every later system builds on (append durably, then answer) with
// nothing else in the way. `dsc log serve` runs it; `dsc lab up log`
// starts one.
//
//   POST /records          body: the raw payload  -> 201 {"lsn":N}
//   GET  /records?from=N&limit=M                   -> 200 {"records":[...]}
//   GET  /status   {"id","first_lsn","last_lsn","durable_lsn","fsync",...}
//   plus /health, /metrics and (with --admin) /admin/faults.
// The details (record types, paging, errors) are in log_service.h.
#pragma once

#include <cstddef>
#include <string>

namespace dsc::lognode {

struct ServeOptions {
  std::string id = "log1";
  std::string listen = "127.0.0.1:7500";  // host:port
  std::string data_dir;                   // required
  std::string fsync = "always";           // always | interval:MS | never
  bool admin = false;                     // enable /admin/faults
  size_t max_body_bytes = 1u << 20;
  size_t threads = 0;  // the server's io threads; 0: one per core but one, at least one
};

// Runs the node until SIGTERM or SIGINT; returns the process exit code
// (non-zero with a one-line reason on stderr for a bad data directory, a
// busy port or a bad option).
//
// Exit codes: 0 after a clean shutdown; 1 for an unusable data directory,
// a busy port, or a failed write/fsync (the log is poisoned: restart to
// recover by replay); 2 for a bad option. Call it from main() before
// starting any other thread: it blocks SIGTERM/SIGINT for the threads it
// creates and takes them synchronously (nodes/common/shutdown_signal.h).
int Serve(const ServeOptions& options);

}  // namespace dsc::lognode
