// AwaitCallback: co_await an operation that reports through a callback.
//
// The services under the nodes (the queue, the log, Raft) know nothing of
// Asio: they take a callback and call it once, from whatever thread
// finished the work (the log's sync thread, the Raft loop). A handler turns
// that into a straight-line co_await:
//
//   Status s = co_await AwaitCallback<Status>(
//       [&](auto done) { log->OnDurable(lsn, std::move(done)); });
//
// The coroutine is suspended (no thread waits) until `done(value)` is
// called, then resumes on its own executor with the value. If `done` runs
// before `start` returns, the value is returned at once, with no
// suspension. `done` may be called from any thread and must be called at
// most once; if it is destroyed without being called, the waiting
// coroutine is destroyed too (its connection closes).
//
// Until `done` runs, the operation counts as work of the io_context, so a
// graceful NodeServer::Stop() waits for it: whoever holds `done` must call
// it on shutdown (the services fail what is pending with Unavailable).
//
// Thread-safety: `done` is safe to call from any thread, once.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "nodes/common/http_types.h"

namespace dsc::node {

template <typename T>
using Done = std::function<void(T)>;

template <typename T>
Awaitable<T> AwaitCallback(std::function<void(Done<T>)> start) {
  // Where `done` and the coroutine meet. Many operations finish before
  // `start` returns (a lease when a task is ready): their value is taken
  // at once, without suspending and without a trip through the io_context.
  struct Rendezvous {
    std::mutex mutex;
    std::optional<T> early;         // done() ran before the coroutine suspended
    std::function<void(T)> resume;  // set once it has suspended
  };
  auto rendezvous = std::make_shared<Rendezvous>();
  start([rendezvous](T value) {
    std::unique_lock lock(rendezvous->mutex);
    if (!rendezvous->resume) {
      rendezvous->early = std::move(value);
      return;
    }
    std::function<void(T)> resume = std::move(rendezvous->resume);
    lock.unlock();
    resume(std::move(value));
  });
  {
    std::lock_guard lock(rendezvous->mutex);
    if (rendezvous->early) co_return std::move(*rendezvous->early);
  }

  // Neither this frame nor the initiation (which Asio keeps until the
  // coroutine resumes) may own the rendezvous once the resumption is in
  // it: that would be a cycle, and a `done` dropped uncalled would keep
  // the coroutine alive for ever instead of destroying it.
  auto initiate = [moved_in = std::move(rendezvous)](auto handler) mutable {
    const std::shared_ptr<Rendezvous> meeting = std::move(moved_in);
    using HandlerType = decltype(handler);
    // Where the coroutine resumes, marked as outstanding work so the
    // io_context does not consider itself idle while we wait.
    auto executor = asio::prefer(asio::get_associated_executor(handler),
                                 asio::execution::outstanding_work.tracked);
    // std::function needs a copyable callable; the handler is move-only.
    auto shared = std::make_shared<HandlerType>(std::move(handler));
    std::function<void(T)> resume = [shared, executor](T value) mutable {
      // Moved out: once posted, the queued resumption is the outstanding
      // work, and a `done` kept after the call holds none.
      auto resume_on = std::move(executor);
      asio::post(resume_on,
                 [shared, value = std::move(value)]() mutable { (*shared)(std::move(value)); });
    };
    std::unique_lock lock(meeting->mutex);
    if (meeting->early) {  // done() ran on another thread meanwhile
      T value = std::move(*meeting->early);
      lock.unlock();
      resume(std::move(value));
      return;
    }
    meeting->resume = std::move(resume);
  };
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(T)>(
      std::move(initiate), asio::use_awaitable);
}

}  // namespace dsc::node
