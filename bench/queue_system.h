// QueueSystem: what queue_bench needs from a queue it measures, so dsc and
// beanstalkd are driven by the same cycle loop (cycle_run.h).
//
// A system is a server process with a fresh data directory; a connection
// is one client's own TCP connection to it.
//
// Thread-safety: a QueueSystem is started, checked and stopped by one
// thread; each QueueConnection is used by one client thread at a time.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace dsc::bench {

struct LeasedJob {
  std::string id;       // the system's id of the task/job, for the ack
  std::string payload;  // exactly the bytes enqueued
};

class QueueConnection {
 public:
  virtual ~QueueConnection() = default;
  // Returns once the system reports the task durable.
  virtual Status Enqueue(std::string_view payload) = 0;
  // Leases (reserves) one ready task. A queue that stays empty for a
  // second is an error: every client enqueues before it leases, so one
  // task is always there for it.
  virtual Result<LeasedJob> Lease() = 0;
  // Acks (deletes) a task this connection leased; durable on return.
  virtual Status Ack(const std::string& id) = 0;
};

class QueueSystem {
 public:
  virtual ~QueueSystem() = default;
  virtual std::string name() const = 0;  // "dsc", "beanstalkd"
  // Starts the server with its data in `data_dir` (created fresh) and
  // waits until it accepts connections.
  virtual Status Start(const std::string& data_dir) = 0;
  virtual Result<std::unique_ptr<QueueConnection>> Connect() = 0;
  // Asks the server itself whether the run left it consistent: empty, and
  // exactly `cycles` tasks enqueued, leased and acked.
  virtual Status CheckDrained(uint64_t cycles) = 0;
  // Server CPU time (user + system) so far, in seconds.
  virtual Result<double> ServerCpuSeconds() const = 0;
  // Stops the server; fails if it did not shut down cleanly.
  virtual Status Stop() = 0;
};

}  // namespace dsc::bench
