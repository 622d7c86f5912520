// DscQueueSystem: dsc's queue node (`dsc queue serve --fsync always`, plus
// --durable-leases or --retention-ms MS when asked), driven over its HTTP
// contract (nodes/queue/queue_http.h) with one keep-alive connection per
// client (http_connection.h):
//   enqueue  POST /tasks            {"payload":"..."}            -> 201
//   lease    POST /tasks/lease      {"worker","lease_ms","wait_ms"} -> 200
//   ack      POST /tasks/{id}/ack   {"worker"}                   -> 200
// and checked afterwards through GET /stats.
//
// Thread-safety: see queue_system.h.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench/server_queue_system.h"

namespace dsc::bench {

struct DscQueueOptions {
  // Answer a lease only once it is durable, as enqueue and ack are
  // (default: a lease is logged but answered at once).
  bool durable_leases = false;
  // --retention-ms: how long finished tasks stay; unset: the node's default.
  std::optional<int64_t> retention_ms;
  // --threads; 0: the node's default.
  int threads = 0;
};

class DscQueueSystem : public ServerQueueSystem {
 public:
  explicit DscQueueSystem(std::string dsc_binary, DscQueueOptions options = {})
      : dsc_binary_(std::move(dsc_binary)), options_(options) {}

  // "dsc", or "dsc --durable-leases": what the rows are called.
  std::string name() const override;
  Status Start(const std::string& data_dir) override;
  Result<std::unique_ptr<QueueConnection>> Connect() override;
  Status CheckDrained(uint64_t cycles) override;

  // How many tasks the node holds pending (GET /stats).
  Result<uint64_t> PendingTasks();
  // The flags the node is started with beyond --id, --listen and --data.
  std::vector<std::string> ExtraFlags() const;

 private:
  const std::string dsc_binary_;
  const DscQueueOptions options_;
  std::atomic<int> next_worker_{0};  // each connection leases as its own worker
};

}  // namespace dsc::bench
