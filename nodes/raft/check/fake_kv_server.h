// FakeKvServer (tests only): one process-local HTTP node speaking the
// client part of the Raft KV contract over a mutex-protected map, so the
// workload driver and the checker can be tested without Raft. Its
// behaviours stand for correct and broken clusters:
//
//   kCorrect      every request is served from the map, atomically
//   kStaleReads   GETs are answered from a copy of the map refreshed only
//                 every `lag` (a leader serving reads without ReadIndex)
//   kRedirect     every /kv request gets 421 naming `leader_id` and, if set,
//                 `leader_url` (a follower)
//   kFlaky503     a fraction of writes answer 503 after applying, and some
//                 before applying (a leader that lost contact mid-request)
//
// It also serves GET /status ({"state": role, "term": term}) and records
// every POST/DELETE /admin/faults ("POST {...}" / "DELETE"). It runs on
// the NodeServer every node uses (its handlers never wait, so they are
// plain functions wrapped as coroutines).
//
// Thread-safety: public methods are safe from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "nodes/common/node_server.h"

namespace dsc::raft::check::testing {

class FakeKvServer {
 public:
  enum class Mode { kCorrect, kStaleReads, kRedirect, kFlaky503 };

  struct Options {
    Mode mode = Mode::kCorrect;
    std::chrono::milliseconds lag{200};  // kStaleReads
    std::string leader_id{};             // kRedirect
    std::string leader_url{};            // kRedirect; empty: null in the 421
    std::string role = "leader";         // GET /status
    int term = 1;
  };

  explicit FakeKvServer(Options options);
  ~FakeKvServer();
  FakeKvServer(const FakeKvServer&) = delete;
  FakeKvServer& operator=(const FakeKvServer&) = delete;

  std::string url() const { return server_.url(); }
  std::vector<std::string> admin_requests() const;

 private:
  void Route();
  // Decides, for kFlaky503, whether this write is applied and answered.
  // Returns the HTTP status to send instead of the normal one, or 0.
  int Flake(bool* apply);

  const Options options_;
  node::NodeServer server_;
  std::thread refresher_;  // kStaleReads

  mutable std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;                          // guarded by mu_
  std::map<std::string, std::string> data_;        // guarded by mu_
  std::map<std::string, std::string> stale_copy_;  // guarded by mu_
  std::vector<std::string> admin_requests_;        // guarded by mu_
  std::mt19937 random_{42};                        // guarded by mu_
};

}  // namespace dsc::raft::check::testing
