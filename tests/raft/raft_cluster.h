// RaftCluster: five (or N) real `dsc raft serve` processes on 127.0.0.1
// for process-level tests: start, SIGKILL, restart, isolate, and a client
// that follows 421 leader hints the way the book's clients do.
//
// Thread-safety: Put/Get/Status may be called from many threads; Start,
// Kill, Restart and the destructor from the test's main thread.
#pragma once

#include <httplib.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nodes/common/test_util.h"

namespace dsc::raft::testing {

using namespace std::chrono_literals;

// What a client learned from one write.
enum class WriteResult { kOk, kFailed, kUnknown };

class RaftCluster {
 public:
  // Picks ports and a temp dir; starts nothing yet. `extra_args` go to
  // every node (e.g. {"--snapshot-every", "20"}).
  explicit RaftCluster(int size = 5, std::vector<std::string> extra_args = {});
  ~RaftCluster();  // SIGKILLs what runs, removes the data

  int size() const { return static_cast<int>(ports_.size()); }
  std::string Id(int i) const { return "n" + std::to_string(i + 1); }
  std::string Url(int i) const;
  int Port(int i) const { return ports_[i]; }
  std::string DataDir(int i) const;

  void StartAll();
  void Start(int i);  // waits for /health
  void Kill(int i);   // SIGKILL and reap
  void Restart(int i) {
    Kill(i);
    Start(i);
  }
  bool Running(int i) const { return nodes_[i] != nullptr; }
  std::string Stderr(int i) const;

  // GET /status of node i, or nullopt when it does not answer.
  std::optional<nlohmann::json> Status(int i) const;
  // The node every running node that answers agrees leads (state leader,
  // same term), within `timeout`; nullopt if none emerged.
  std::optional<int> WaitForLeader(std::chrono::milliseconds timeout = 15s) const;

  // PUT through any node, following 421 hints and retrying 503 until
  // `timeout`. kOk: acknowledged (committed); kFailed: refused everywhere
  // (never applied); kUnknown: a 503 or timeout was seen, may have applied.
  WriteResult Put(const std::string& key, const std::string& value,
                  std::chrono::milliseconds timeout = 10s) const;
  // Linearizable GET; nullopt value when 404. Returns false in .first when
  // no leader answered within `timeout`.
  std::pair<bool, std::optional<std::string>> Get(const std::string& key,
                                                  std::chrono::milliseconds timeout = 10s) const;
  // Raw request to node i (for 421/400 checks).
  httplib::Result Request(int i, const std::string& method, const std::string& path,
                          const std::string& body = "") const;
  // POST /admin/faults isolating node i from every other node, on all sides.
  void Isolate(int i) const;
  void HealAll() const;

 private:
  std::string dir_;
  std::vector<int> ports_;
  std::vector<std::string> extra_args_;
  std::vector<std::unique_ptr<node::testing::ChildProcess>> nodes_;
  int launches_ = 0;
};

}  // namespace dsc::raft::testing
