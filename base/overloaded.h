// Overloaded: builds one visitor for std::visit out of several lambdas,
// one per alternative of a std::variant.
//
//   std::visit(Overloaded{[](const Ack&) {...}, [](const Fail&) {...}}, command);
#pragma once

namespace dsc {

template <typename... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
// C++20 deduces this in GCC; clang 14 still needs the guide spelled out.
template <typename... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

}  // namespace dsc
