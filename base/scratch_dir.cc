#include "base/scratch_dir.h"

#include <stdlib.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace dsc {

Result<std::string> MakeScratchDir(std::string_view prefix, ScratchPlace place,
                                   const std::string& parent) {
  std::string base = parent;
  if (base.empty()) {
    const char* tmpdir = std::getenv("TMPDIR");
    std::error_code ec;
    if (tmpdir != nullptr && *tmpdir != '\0') {
      base = tmpdir;
    } else if (place == ScratchPlace::kMemory && std::filesystem::is_directory("/dev/shm", ec)) {
      base = "/dev/shm";
    } else {
      base = "/tmp";
    }
  }
  std::error_code ec;
  std::filesystem::create_directories(base, ec);
  if (ec) return Status::IOError("create " + base + ": " + ec.message());
  // mkdtemp fills the X's in place: a writable, NUL-terminated template.
  std::string pattern = base + "/" + std::string(prefix) + "-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    return Status::IOError("mkdtemp " + pattern + ": " + std::strerror(errno));
  }
  return pattern;
}

void RemoveScratchDir(const std::string& path) {
  std::error_code ignored;
  std::filesystem::remove_all(path, ignored);
}

ScratchDir::ScratchDir(std::string_view prefix, ScratchPlace place) {
  Result<std::string> made = MakeScratchDir(prefix, place);
  if (!made.ok()) {
    std::fprintf(stderr, "ScratchDir: %s\n", made.status().ToString().c_str());
    std::abort();
  }
  path_ = *made;
}

ScratchDir::~ScratchDir() { RemoveScratchDir(path_); }

}  // namespace dsc
