// Overloaded: builds one visitor for std::visit out of several lambdas,
// one per alternative of a std::variant. Internal to dsc_queue_core.
//
//   std::visit(Overloaded{[](const Ack&) {...}, [](const Fail&) {...}}, command);
#pragma once

namespace dsc::queue {

template <typename... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
// C++20 deduces this in GCC; clang 14 still needs the guide spelled out.
template <typename... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

}  // namespace dsc::queue
