// The workload of `dsc check raft`: concurrent clients doing random
// operations on a few keys while the nemesis injects faults, recorded as a
// History for the checker.
//
// Each client thread loops: pick a key and an operation (get 40%, put 30%,
// cas 20%, delete 10%), note the invoke time, perform it (KvClient), note
// the completion time. Every value written is unique ("c3-17": client 3's
// 17th), so a read names the write it saw. A CAS expects the value the
// client last saw on that key, so swaps both succeed and fail. All times
// come from one steady clock, read by every thread.
//
// The nemesis stops injecting a little before the end (the last
// min(interval, duration/4)) and heals, so the history ends with the
// cluster whole: reads then show whether anything acknowledged was lost.
//
// Thread-safety: RunWorkload may be called from any thread; it starts and
// joins its own.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nodes/raft/check/history.h"
#include "nodes/raft/check/kv_client.h"
#include "nodes/raft/check/nemesis.h"

namespace dsc::raft::check {

struct WorkloadOptions {
  std::vector<NodeEndpoint> nodes;
  int clients = 5;
  int keys = 3;  // k0 .. k{keys-1}
  // Prefixed to every key ("PREFIX-k0"), so a run starts on keys no
  // earlier run wrote: the checker assumes every key starts absent.
  std::string key_prefix;
  std::chrono::milliseconds duration{std::chrono::seconds(10)};
  KvClientOptions client;
  NemesisOptions nemesis;
  uint64_t seed = 1;
};

// Runs the clients and the nemesis for `duration` and returns every
// operation, ordered by invoke time, ids 0, 1, 2... `log` receives the
// nemesis's actions, prefixed with the time ("  2.001s nemesis: heal"); it
// is called from one thread at a time.
History RunWorkload(const WorkloadOptions& options,
                    const std::function<void(const std::string&)>& log);

}  // namespace dsc::raft::check
