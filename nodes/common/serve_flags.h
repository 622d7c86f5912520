// What every `dsc <system> serve` checks before it starts, how it says no
// (one line on stderr and an exit code scripts can tell apart), and how it
// ends after its shutdown signal.
//
// Thread-safety: stateless functions.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "nodes/common/address.h"
#include "nodes/common/node_server.h"

namespace dsc::node {

inline constexpr int kExitFailure = 1;  // unusable data dir, busy port, fatal log error
inline constexpr int kExitUsage = 2;    // bad options

// Prints "dsc <command>: <reason>" on stderr and returns `code`.
int ExitWithReason(std::string_view command, int code, std::string_view reason);

// Checks the options every node takes (--id, --listen, --data) and returns
// the listen address, or InvalidArgument with a one-line reason that names
// the flag.
Result<ListenAddress> ValidateServeFlags(const std::string& id, const std::string& listen,
                                         const std::string& data_dir);

// After the shutdown signal and the close: logs how the node stopped and
// returns its exit code. A fatal error met while serving (a failed fsync,
// say) wins over a failed close; `closed_what` names what was closed ("the
// queue").
// The server a `serve` command runs, from the options every system's
// ServeOptions has (id, --max-body-bytes, --admin) and the validated
// --listen address.
template <typename ServeOptions>
NodeServerOptions NodeServerOptionsFor(const ServeOptions& options, const ListenAddress& listen) {
  NodeServerOptions server_options;
  server_options.node_id = options.id;
  server_options.listen = listen;
  server_options.max_body_bytes = options.max_body_bytes;
  server_options.admin = options.admin;
  server_options.threads = options.threads;
  return server_options;
}

int ExitAfterShutdown(const std::string& id, const Status& fatal, const Status& closed,
                      std::string_view closed_what, int signal_number);

}  // namespace dsc::node
