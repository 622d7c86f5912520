// The benchmarks' command lines, on CLI11 like `dsc`'s own: the flags that
// wal_bench, queue_bench and raft_bench share, and one way to turn CLI11's
// verdict into a Status the mains print.
//
// Thread-safety: plain functions on an App the caller owns.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "base/status.h"

namespace dsc::bench {

// --dsc PATH: the dsc binary under test; empty means the one this build
// made (FindDscBinary in server_process.h).
void AddDscFlag(CLI::App& app, std::string* dsc_binary);
// --dir DIR: the bench makes its fresh data directory inside DIR.
void AddDirFlag(CLI::App& app, std::string* parent_dir, const std::string& what);
// --seconds S: the measured window (or run) of each row, > 0.
void AddSecondsFlag(CLI::App& app, double* seconds, const std::string& what);
// --warmup S: unmeasured work before each window, >= 0.
void AddWarmupFlag(CLI::App& app, double* seconds, const std::string& what);
// NAME N,N,...: counts from 1 to `max`, one row per count.
void AddCountListFlag(CLI::App& app, const std::string& name, std::vector<int>* counts, int max,
                      const std::string& what);
// --keep: keep the data directories afterwards.
void AddKeepFlag(CLI::App& app, bool* keep);
// --json: one JSON line instead of the tables.
void AddJsonFlag(CLI::App& app, bool* json);

// Parses argv into the flags `app` was given. --help sets *help; bad input
// is InvalidArgument with CLI11's message, which names the flag.
Status ParseBenchCommandLine(CLI::App& app, int argc, const char* const* argv, bool* help);

// Flags' defaults, with parent_dir = DSC_BENCH_DEFAULT_PARENT (the build
// directory, set by CMake for each bench).
#ifdef DSC_BENCH_DEFAULT_PARENT
template <typename Flags>
Flags WithDefaultDir() {
  Flags flags;
  flags.parent_dir = DSC_BENCH_DEFAULT_PARENT;
  return flags;
}
#endif

// One bench's command line: `define(app, flags)` declares the flags on
// `app`, writing into `flags`, whose values on entry are the defaults.
// Flags needs a `bool help`.
template <typename Flags>
class BenchCommandLine {
 public:
  using Define = void (*)(CLI::App& app, Flags& flags);

  BenchCommandLine(std::string name, std::string description, Flags defaults, Define define)
      : name_(std::move(name)),
        description_(std::move(description)),
        defaults_(std::move(defaults)),
        define_(define) {}

  // What --help prints: every flag, with its default.
  std::string Usage() const {
    Flags flags = defaults_;
    CLI::App app(description_, name_);
    define_(app, flags);
    return app.help();
  }

  Result<Flags> Parse(int argc, const char* const* argv) const {
    Flags flags = defaults_;
    CLI::App app(description_, name_);
    define_(app, flags);
    DSC_RETURN_IF_ERROR(ParseBenchCommandLine(app, argc, argv, &flags.help));
    return flags;
  }

 private:
  std::string name_;
  std::string description_;
  Flags defaults_;
  Define define_;
};

}  // namespace dsc::bench
