// A minimal launcher for the log node, for process tests only (the real
// command is `dsc log serve`, in nodes/dsc). Flags are parsed by hand to
// keep CLI11 out of this quick-to-build binary:
//
//   log_node_test_main --data DIR [--id ID] [--listen HOST:PORT]
//                      [--fsync always|interval:MS|never] [--admin]
//                      [--max-body-bytes N]
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "nodes/log/log_node.h"

int main(int argc, char** argv) {
  dsc::lognode::ServeOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--admin") {
      options.admin = true;
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "log_node_test_main: %s needs a value\n", argv[i]);
      return 2;
    }
    const std::string value = argv[++i];
    if (flag == "--id") {
      options.id = value;
    } else if (flag == "--listen") {
      options.listen = value;
    } else if (flag == "--data") {
      options.data_dir = value;
    } else if (flag == "--fsync") {
      options.fsync = value;
    } else if (flag == "--max-body-bytes") {
      options.max_body_bytes = std::strtoull(value.c_str(), nullptr, 10);
    } else {
      std::fprintf(stderr, "log_node_test_main: unknown flag %s\n", argv[i - 1]);
      return 2;
    }
  }
  return dsc::lognode::Serve(options);
}
