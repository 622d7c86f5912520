#include "nodes/common/connection_queue.h"

#include <cassert>

namespace dsc::node {
namespace {

thread_local bool t_on_rejecter_thread = false;

}  // namespace

ConnectionQueue::ConnectionQueue(size_t worker_threads, size_t max_connections)
    : max_connections_(max_connections) {
  assert(worker_threads > 0);
  for (size_t i = 0; i < worker_threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
  rejecter_ = std::thread([this] { RejecterLoop(); });
}

ConnectionQueue::~ConnectionQueue() { shutdown(); }

bool ConnectionQueue::OnRejecterThread() { return t_on_rejecter_thread; }

void ConnectionQueue::enqueue(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (running_ + waiting_.size() >= max_connections_) {
      rejected_.push_back(std::move(job));
      reject_cv_.notify_one();
      return;
    }
    waiting_.push_back(std::move(job));
    waiting_count_.store(waiting_.size(), std::memory_order_relaxed);
  }
  work_cv_.notify_one();
}

void ConnectionQueue::shutdown() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (shutting_down_) return;
    shutting_down_ = true;
  }
  work_cv_.notify_all();
  reject_cv_.notify_all();
  for (auto& worker : workers_) worker.join();
  rejecter_.join();
}

void ConnectionQueue::WorkerLoop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    work_cv_.wait(lock, [this] { return !waiting_.empty() || shutting_down_; });
    if (waiting_.empty()) return;  // shutting down with nothing left
    std::function<void()> job = std::move(waiting_.front());
    waiting_.pop_front();
    waiting_count_.store(waiting_.size(), std::memory_order_relaxed);
    ++running_;
    lock.unlock();
    job();  // serves one connection until it closes
    lock.lock();
    --running_;
  }
}

void ConnectionQueue::RejecterLoop() {
  t_on_rejecter_thread = true;
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    reject_cv_.wait(lock, [this] { return !rejected_.empty() || shutting_down_; });
    if (rejected_.empty()) return;
    std::function<void()> job = std::move(rejected_.front());
    rejected_.pop_front();
    lock.unlock();
    job();  // answers 503 and closes; never blocks for long
    lock.lock();
  }
}

}  // namespace dsc::node
