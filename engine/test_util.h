// Helpers shared by engine's tests (not part of dsc_engine).
//
// Thread-safety: none; each test uses its own TempDir.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <system_error>
#include <utility>

#include "base/scratch_dir.h"
#include "engine/engine.h"

namespace dsc::engine::testing {

// A fresh directory, removed with everything in it when the TempDir goes
// away. It lives on tmpfs (/dev/shm) when there is one and TMPDIR is not
// set: fsync is free there, which makes RocksDB's flushes ~6x faster, and
// these tests simulate a crash by discarding the memtable, not by cutting
// power, so they lose nothing by it.
class TempDir : public ScratchDir {
 public:
  TempDir() : ScratchDir("dsc-engine", ScratchPlace::kMemory) {}
};

// (column family, key) -> value: a whole engine's state, for comparisons.
using StateMap = std::map<std::pair<std::string, std::string>, std::string>;

inline StateMap DumpState(const Engine& engine) {
  StateMap state;
  for (const std::string& cf : engine.column_families()) {
    Status s = engine.Scan(cf, KeyRange::All(), [&](std::string_view key, std::string_view value) {
      state.emplace(std::pair(cf, std::string(key)), std::string(value));
      return true;
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  return state;
}

inline EngineOptions TablesOptions(std::vector<std::string> tables) {
  EngineOptions options;
  options.column_families = std::move(tables);
  return options;
}

}  // namespace dsc::engine::testing
