// ConnectionQueue: the threads that serve a NodeServer's connections, and
// the bound that keeps a flood of connections from piling up unanswered.
//
// httplib hands every accepted connection to a TaskQueue as one job. This
// one runs jobs on a fixed pool of workers, and lets at most
// `max_connections` jobs be running or waiting at once. A job over that
// bound goes to a single "rejecter" thread instead, which runs it with
// OnRejecterThread() true: GuardedHttpServer then answers a quick 503
// {"error":"overloaded"} and closes, without reading the request. Clients
// get a fast, clear answer instead of hanging in an ever longer queue.
//
// Thread-safety: enqueue() is called by httplib's accept thread; the other
// methods may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include <httplib.h>

namespace dsc::node {

class ConnectionQueue final : public httplib::TaskQueue {
 public:
  ConnectionQueue(size_t worker_threads, size_t max_connections);
  ~ConnectionQueue() override;  // shutdown()s if not yet done
  ConnectionQueue(const ConnectionQueue&) = delete;
  ConnectionQueue& operator=(const ConnectionQueue&) = delete;

  void enqueue(std::function<void()> job) override;
  // Runs every job already queued, then joins all threads.
  void shutdown() override;

  // True while accepted connections wait for a free worker; a worker then
  // gives up an idle keep-alive connection to serve them.
  bool HasWaiting() const { return waiting_count_.load(std::memory_order_relaxed) > 0; }
  // True on the rejecter thread: the job being run is over the bound.
  static bool OnRejecterThread();

 private:
  void WorkerLoop();
  void RejecterLoop();

  const size_t max_connections_;

  std::mutex mutex_;
  std::condition_variable work_cv_;
  std::condition_variable reject_cv_;
  std::deque<std::function<void()>> waiting_;  // GUARDED_BY(mutex_)
  std::deque<std::function<void()>> rejected_;  // GUARDED_BY(mutex_)
  size_t running_ = 0;                          // GUARDED_BY(mutex_)
  bool shutting_down_ = false;                  // GUARDED_BY(mutex_)
  std::atomic<size_t> waiting_count_{0};        // mirrors waiting_.size() for lock-free reads

  std::vector<std::thread> workers_;
  std::thread rejecter_;
};

}  // namespace dsc::node
