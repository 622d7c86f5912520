// FloorQueueSystem: http_floor_server (http_floor_server.cc), which answers
// a cycle's three requests and does no other work, driven by the same
// client as a dsc queue node (queue_http_client.h). Its cycles/s bound what
// any queue server can reach with queue_bench's clients on the same cores:
// the cost of the client, loopback TCP and HTTP framing alone, or, with
// `durable`, those plus one write + fdatasync per pass of its event loop
// covering every enqueue and ack of that pass.
//
// Thread-safety: see queue_system.h.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "bench/server_queue_system.h"

namespace dsc::bench {

class FloorQueueSystem : public ServerQueueSystem {
 public:
  FloorQueueSystem(std::string floor_binary, bool durable)
      : floor_binary_(std::move(floor_binary)), durable_(durable) {}

  // "floor (no work)" or "floor + fdatasync" (queue_bench_report.h).
  std::string name() const override;
  Status Start(const std::string& data_dir) override;
  Result<std::unique_ptr<QueueConnection>> Connect() override;
  // The server counted exactly `cycles` enqueues, leases and acks.
  Status CheckDrained(uint64_t cycles) override;

 private:
  const std::string floor_binary_;
  const bool durable_;
  std::atomic<int> next_worker_{0};
};

// http_floor_server next to this executable; "" when it is missing.
std::string FindFloorServerBinary();

}  // namespace dsc::bench
