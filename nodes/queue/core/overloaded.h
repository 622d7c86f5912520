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

}  // namespace dsc::queue
