// Where the lab keeps each node's files, relative to the working directory:
//
//   .lab/<system>/<node>/data/     the node's --data (survives down/kill/restart)
//   .lab/<system>/<node>/node.log  the node's stdout and stderr, appended
//   .lab/<system>/<node>/pid       the process id while it runs
#pragma once

#include <string>

namespace dsc::lab {

struct NodeFiles {
  std::string dir;       // .lab/<system>/<node>
  std::string data_dir;  // dir/data
  std::string log_file;  // dir/node.log
  std::string pid_file;  // dir/pid
};

inline NodeFiles NodeFilesFor(const std::string& lab_dir, const std::string& system,
                              const std::string& node) {
  std::string dir = lab_dir + "/" + system + "/" + node;
  return {.dir = dir,
          .data_dir = dir + "/data",
          .log_file = dir + "/node.log",
          .pid_file = dir + "/pid"};
}

}  // namespace dsc::lab
