#include "tests/lab/lab_fixture.h"

#include <filesystem>

namespace dsc::testing {

std::string LabFixture::FindWalDir() const {
  // Where inside --data a node keeps its log is the node's business; look.
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(log_node_dir() + "/data", ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->path().extension() == ".wal") return it->path().parent_path().string();
  }
  return "";
}

}  // namespace dsc::testing
