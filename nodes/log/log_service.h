// LogService: the HTTP face of one wal::Log (the log node's handlers).
//
//   POST /records          the raw body is the payload, whatever its
//                          Content-Type; record type from ?type=N or header
//                          X-Record-Type: N (1..255, default 1)
//                          -> 201 {"lsn":N}, sent only once the record is
//                             as durable as the policy promises (on disk,
//                             under fsync=always)
//   GET  /records?from=N&limit=M   (from: default first_lsn; limit: default
//                          100, at most 1000; at most ~4 MiB of payload)
//                          -> 200 {"records":[{"lsn","type","payload"
//                             [,"encoding":"base64"]}],"next_from":N}
//                          -> 404 {"error":"compacted",...,"first_lsn":N}
//                             when `from` was dropped by compaction
//   GET  /status           {"id","first_lsn","last_lsn","durable_lsn",
//                           "fsync","healthy",...}
//   /metrics               the log's counters (appends, groups, syncs,
//                          bytes) and LSN gauges, besides the server's own
//
// POST /records appends without waiting (AppendAsync) and co_awaits the
// log's OnDurable callback before it answers: no thread waits for the
// disk. Records appended meanwhile by other clients are covered by the
// same fdatasync, so concurrent clients are group-committed by the WAL.
// A client that hangs up before its 201 does not undo its record: it was
// appended, and becomes durable with the rest.
//
// A failed write or fsync poisons the log (wal/log.h): the request gets 503,
// the node logs an ERROR and `on_fatal` is called once, so the process can
// stop and recover by replay on restart. Never retry an fsync.
//
// Thread-safety: handlers run concurrently; the Log is thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "nodes/common/node_server.h"
#include "wal/log.h"

namespace dsc::lognode {

// How many records one GET /records may return, and the default.
inline constexpr size_t kMaxReadLimit = 1000;
inline constexpr size_t kDefaultReadLimit = 100;
// Payload bytes one GET /records gathers before stopping (at least one
// record is always returned).
inline constexpr size_t kMaxReadBytes = 4u << 20;
inline constexpr char kRecordTypeHeader[] = "X-Record-Type";

class LogService {
 public:
  // `log` is borrowed and must outlive the service and the server it is
  // registered with. `fsync` is the policy text shown in /status.
  LogService(std::string node_id, wal::Log* log, std::string fsync,
             std::function<void(const Status&)> on_fatal);

  // Adds the routes, the /status provider and the metrics collector.
  void Register(node::NodeServer& server);

  nlohmann::json StatusJson() const;

 private:
  node::Awaitable<node::Response> Append(node::Request& req);
  node::Awaitable<node::Response> Read(node::Request& req);
  // The 503 for a failed append or sync, reporting it (once) as fatal.
  node::Response Poisoned(const Status& error);
  void ReportFatal(const Status& status);
  static void CollectMetrics(const wal::Log& log, node::Metrics& metrics);

  const std::string node_id_;
  wal::Log* const log_;
  const std::string fsync_;
  const std::function<void(const Status&)> on_fatal_;
  std::atomic<bool> fatal_reported_{false};
};

}  // namespace dsc::lognode
