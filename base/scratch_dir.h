// Scratch directories: fresh, uniquely named directories for tests,
// benchmarks and crash drills (one implementation for the whole tree).
//
//   ScratchDir dir("queue-test");          // /tmp/queue-test-Ab12Cd
//   Open(dir.Sub("data"));                  // removed with `dir`
//
// Where: under $TMPDIR when it is set, else /tmp; with Place::kMemory and
// no $TMPDIR, under /dev/shm when it exists (fsync is free on tmpfs, which
// suits tests that simulate a crash by other means than a power cut).
//
// Thread-safety: free functions are thread-safe; a ScratchDir is owned by
// one test.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace dsc {

enum class ScratchPlace { kTempDir, kMemory };

// Creates PARENT/PREFIX-XXXXXX (PARENT as above, or `parent` when given)
// and returns its path; the caller removes it.
Result<std::string> MakeScratchDir(std::string_view prefix,
                                   ScratchPlace place = ScratchPlace::kTempDir,
                                   const std::string& parent = "");

// Removes `path` and everything in it; missing is fine.
void RemoveScratchDir(const std::string& path);

// A scratch directory removed, with everything in it, when this goes away.
// Aborts (with a message) when no directory can be made: tests cannot run
// without one.
class ScratchDir {
 public:
  explicit ScratchDir(std::string_view prefix = "dsc-test",
                      ScratchPlace place = ScratchPlace::kTempDir);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  // path()/name
  std::string Sub(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

}  // namespace dsc
