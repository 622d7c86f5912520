#include "nodes/common/serve_flags.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdio>

namespace dsc::node {

int ExitWithReason(std::string_view command, int code, std::string_view reason) {
  fmt::print(stderr, "dsc {}: {}\n", command, reason);
  return code;
}

Result<ListenAddress> ValidateServeFlags(const std::string& id, const std::string& listen,
                                         const std::string& data_dir) {
  if (!IsValidNodeId(id)) {
    return Status::InvalidArgument("bad --id \"" + id + "\": use letters, digits, '-' or '_'");
  }
  Result<ListenAddress> address = ParseListenAddress(listen);
  if (!address.ok()) return Status::InvalidArgument("bad --listen: " + address.status().message());
  if (data_dir.empty()) return Status::InvalidArgument("--data DIR is required");
  return address;
}

int ExitAfterShutdown(const std::string& id, const Status& fatal, const Status& closed,
                      std::string_view closed_what, int signal_number) {
  if (!fatal.ok()) {
    spdlog::error("node {} stopped: {}", id, fatal.ToString());
    return kExitFailure;
  }
  if (!closed.ok()) {
    spdlog::error("node {}: closing {} failed: {}", id, closed_what, closed.ToString());
    return kExitFailure;
  }
  spdlog::info("node {} stopped cleanly (signal {})", id, signal_number);
  return 0;
}

}  // namespace dsc::node
