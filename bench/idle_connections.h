// IdleConnections: many kept-alive TCP connections to a loopback HTTP
// server that, after one GET /health each, stay open and say nothing, as
// the idle clients of a busy node do. queue_bench opens ten thousand next
// to its cycle load to see what they cost the node.
//
// Thread-safety: one IdleConnections is used by one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "base/status.h"

namespace dsc::bench {

class IdleConnections {
 public:
  // Opens `count` connections to 127.0.0.1:port, one after another: each
  // sends GET /health and reads the whole 200 answer before the next one
  // connects. Fails (closing what it opened) on the first that does not
  // get it. Needs an open-file limit above `count` (RaiseOpenFileLimit).
  static Result<std::unique_ptr<IdleConnections>> Open(int port, size_t count);
  ~IdleConnections();  // closes every connection
  IdleConnections(const IdleConnections&) = delete;
  IdleConnections& operator=(const IdleConnections&) = delete;

  size_t size() const { return fds_.size(); }
  // How many the server has closed (or written to) since they went idle.
  Result<size_t> NoLongerIdle() const;

 private:
  IdleConnections() = default;
  std::vector<int> fds_;
};

// Raises this process's soft RLIMIT_NOFILE to at least `wanted`. Fails,
// naming both, when the hard limit is lower.
Status RaiseOpenFileLimit(uint64_t wanted);

}  // namespace dsc::bench
