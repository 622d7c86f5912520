// DscQueueSystem: dsc's queue node (`dsc queue serve --fsync always`),
// driven over its HTTP contract (nodes/queue/queue_http.h) with one
// keep-alive connection per client (http_connection.h):
//   enqueue  POST /tasks            {"payload":"..."}            -> 201
//   lease    POST /tasks/lease      {"worker","lease_ms","wait_ms"} -> 200
//   ack      POST /tasks/{id}/ack   {"worker"}                   -> 200
// and checked afterwards through GET /stats.
//
// Thread-safety: see queue_system.h.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "bench/queue_system.h"
#include "bench/server_process.h"

namespace dsc::bench {

class DscQueueSystem : public QueueSystem {
 public:
  explicit DscQueueSystem(std::string dsc_binary) : dsc_binary_(std::move(dsc_binary)) {}

  std::string name() const override { return "dsc"; }
  Status Start(const std::string& data_dir) override;
  Result<std::unique_ptr<QueueConnection>> Connect() override;
  Status CheckDrained(uint64_t cycles) override;
  Result<double> ServerCpuSeconds() const override;
  Status Stop() override;

 private:
  const std::string dsc_binary_;
  std::unique_ptr<ServerProcess> server_;
  int port_ = 0;
  std::atomic<int> next_worker_{0};  // each connection leases as its own worker
};

}  // namespace dsc::bench
