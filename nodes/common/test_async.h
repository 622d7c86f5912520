// For tests: run a coroutine on an executor and wait for its result from
// the calling (test) thread. (asio::use_future would need T to be default
// constructible, which Result<T> is not.)
//
// Thread-safety: call from a thread that is not running `executor`.
#pragma once

#include <future>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "nodes/common/http_types.h"

namespace dsc::node::testing {

namespace internal {
template <typename T>
Awaitable<void> FulfilWith(Awaitable<T> work, std::promise<T>* promise) {
  promise->set_value(co_await std::move(work));
}
}  // namespace internal

template <typename T>
T RunAndWait(asio::any_io_executor executor, Awaitable<T> work) {
  std::promise<T> promise;
  std::future<T> result = promise.get_future();
  asio::co_spawn(executor, internal::FulfilWith(std::move(work), &promise), asio::detached);
  return result.get();
}

}  // namespace dsc::node::testing
