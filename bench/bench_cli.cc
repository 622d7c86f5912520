#include "bench/bench_cli.h"

namespace dsc::bench {

void AddDscFlag(CLI::App& app, std::string* dsc_binary) {
  app.add_option("--dsc", *dsc_binary, "the dsc binary (default: the one built beside this bench)");
}

void AddDirFlag(CLI::App& app, std::string* parent_dir, const std::string& what) {
  app.add_option("--dir", *parent_dir,
                 what +
                     " in a fresh directory inside DIR (default: the build directory, "
                     "which is on a disk, unlike a tmpfs /tmp)");
}

void AddSecondsFlag(CLI::App& app, double* seconds, const std::string& what) {
  app.add_option("--seconds", *seconds, what)->check(CLI::PositiveNumber)->capture_default_str();
}

void AddWarmupFlag(CLI::App& app, double* seconds, const std::string& what) {
  app.add_option("--warmup", *seconds, what)->check(CLI::NonNegativeNumber)->capture_default_str();
}

void AddCountListFlag(CLI::App& app, const std::string& name, std::vector<int>* counts, int max,
                      const std::string& what) {
  app.add_option(name, *counts, what + ", comma-separated, 1 to " + std::to_string(max))
      ->delimiter(',')
      ->check(CLI::Range(1, max))
      ->capture_default_str();
}

void AddKeepFlag(CLI::App& app, bool* keep) {
  app.add_flag("--keep", *keep, "keep the data directories afterwards");
}

void AddJsonFlag(CLI::App& app, bool* json) {
  app.add_flag("--json", *json, "print one JSON line instead of the tables");
}

Status ParseBenchCommandLine(CLI::App& app, int argc, const char* const* argv, bool* help) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    *help = true;
  } catch (const CLI::ParseError& e) {
    return Status::InvalidArgument(e.what());
  }
  return Status::Ok();
}

}  // namespace dsc::bench
